"""The result-code catalogue: each AMS ``resultCode`` with its status and default message.

``S`` success, ``F`` definitive failure, ``U`` unknown or in process (retry the
identical request, or inquire). Statuses not confirmed by a source follow the
common Antom convention; see docs/decisions.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class ResultStatus(StrEnum):
    SUCCESS = "S"
    FAIL = "F"
    UNKNOWN = "U"


@dataclass(frozen=True, slots=True)
class ResultCode:
    code: str
    status: ResultStatus
    message: str

    def result(self, message: str | None = None) -> dict[str, str]:
        """The wire ``result`` object; ``message`` replaces the default text."""
        return {
            "resultCode": self.code,
            "resultStatus": self.status.value,
            "resultMessage": (message or self.message)[:256],
        }


_S, _F, _U = ResultStatus.SUCCESS, ResultStatus.FAIL, ResultStatus.UNKNOWN

_CATALOGUE: tuple[tuple[str, ResultStatus, str], ...] = (
    ("SUCCESS", _S, "success"),
    ("PAYMENT_IN_PROCESS", _U, "payment in process"),
    ("REFUND_IN_PROCESS", _U, "refund in process"),
    ("CAPTURE_IN_PROCESS", _U, "capture in process"),
    ("VERIFICATION_IN_PROCESS", _U, "The verification is still under process."),
    ("UNKNOWN_EXCEPTION", _U, "unknown exception; retry the same request"),
    ("REQUEST_TRAFFIC_EXCEED_LIMIT", _U, "request traffic exceeds the limit; retry later"),
    ("PARAM_ILLEGAL", _F, "illegal parameters"),
    ("INVALID_SIGNATURE", _F, "the signature is invalid"),
    ("KEY_NOT_FOUND", _F, "no public key found for this client-id and keyVersion"),
    ("CLIENT_INVALID", _F, "the client-id is unknown or invalid"),
    ("INVALID_CLIENT_STATUS", _F, "the client-id is not active"),
    ("ACCESS_DENIED", _F, "access denied"),
    ("INVALID_API", _F, "the API is not defined"),
    ("NO_INTERFACE_DEF", _F, "no such interface"),
    ("METHOD_NOT_SUPPORTED", _F, "only POST is supported"),
    ("MEDIA_TYPE_NOT_ACCEPTABLE", _F, "the body must be JSON (application/json)"),
    ("REPEAT_REQ_INCONSISTENT", _F, "repeated request is inconsistent with the original one"),
    ("ORDER_IS_CLOSED", _F, "the order is closed"),
    ("ORDER_IS_CANCELED", _F, "the order is canceled"),
    ("ORDER_NOT_EXIST", _F, "the order does not exist"),
    ("VAULTING_NOT_EXIST", _F, "the vaulting request does not exist"),
    ("ORDER_STATUS_INVALID", _F, "the order status does not allow this operation"),
    ("CANCEL_WINDOW_EXCEED", _F, "the cancellation window is over; refund instead"),
    ("AUTH_CANCELLED", _F, "the authorization is canceled"),
    ("AUTH_EXPIRED", _F, "the authorization is expired"),
    ("CAPTURE_AMOUNT_EXCEED_AUTH_LIMIT", _F, "the capture amount exceeds the authorized amount"),
    ("REFUND_AMOUNT_EXCEED", _F, "the total refund amount exceeds the payment amount"),
    ("REFUND_WINDOW_EXCEED", _F, "the refund window is over"),
    ("REFUND_NOT_SUPPORTED", _F, "the payment method does not support refunds"),
    ("PARTIAL_REFUND_NOT_SUPPORTED", _F, "the payment method does not support partial refunds"),
    (
        "MULTIPLE_REFUNDS_NOT_SUPPORTED",
        _F,
        "the payment method does not support more than one refund per payment",
    ),
    ("MERCHANT_BALANCE_NOT_ENOUGH", _F, "the merchant balance is not enough"),
    ("CURRENCY_NOT_SUPPORT", _F, "the currency is not supported"),
    ("SETTLE_CONTRACT_NOT_MATCH", _F, "no settlement contract matches the settlement currency"),
    ("INVALID_CONTRACT", _F, "the contract is invalid"),
    ("INVALID_MERCHANT_STATUS", _F, "the merchant status is invalid"),
    ("MERCHANT_NOT_REGISTERED", _F, "the merchant is not registered"),
    ("INVALID_PAYMENT_METHOD_META_DATA", _F, "the payment method metadata is invalid"),
    ("INVALID_PAYMENT_CODE", _F, "the payment code is invalid or already used"),
    ("EXPIRED_CODE", _F, "the payment code is expired"),
    ("USER_BALANCE_NOT_ENOUGH", _F, "user balance not enough"),
    ("USER_AMOUNT_EXCEED_LIMIT", _F, "the amount exceeds the user's limit"),
    ("PAYMENT_AMOUNT_EXCEED_LIMIT", _F, "the payment amount exceeds the limit"),
    ("PAYMENT_COUNT_EXCEED_LIMIT", _F, "the payment count exceeds the limit"),
    ("USER_NOT_EXIST", _F, "the user does not exist"),
    ("USER_STATUS_ABNORMAL", _F, "the user status is abnormal"),
    ("USER_KYC_NOT_QUALIFIED", _F, "the user is not KYC qualified"),
    ("USER_PAYMENT_VERIFICATION_FAILED", _F, "the user payment verification failed"),
    ("RISK_REJECT", _F, "the payment is rejected by risk control"),
    ("DO_NOT_HONOR", _F, "the issuing bank declined the payment (do not honor)"),
    ("INVALID_AMOUNT", _F, "the issuing bank considers the amount invalid"),
    ("CARD_NOT_SUPPORTED", _F, "the card is not supported"),
    ("INVALID_CARD_NUMBER", _F, "the card number is invalid"),
    ("INVALID_EXPIRATION_DATE", _F, "the card's expiration date is invalid"),
    ("REGULATION_RESTRICTION", _F, "the payment is restricted by regulation"),
    ("UNAVAILABLE_PAYMENT_METHOD", _F, "the payment method is not available"),
    ("BUSINESS_NOT_SUPPORT", _F, "the business is not supported"),
    ("PROCESS_FAIL", _F, "processing failed; do not retry"),
    # disputes (acceptDispute, supplyDefenseDocument)
    ("TIME_EXCEEDS_LIMIT", _F, "the defense period is over; the dispute cannot be answered"),
    ("NOT_ALLOW_IN_CURRENT_STATUS", _F, "the dispute's status does not allow this operation"),
)

#: resultCode -> ResultCode: the only place statuses and default messages live.
RESULT_CODES: dict[str, ResultCode] = {
    code: ResultCode(code, status, message) for code, status, message in _CATALOGUE
}

#: Spellings seen elsewhere that mean a catalogued code.
ALIASES: dict[str, str] = {"INVALID_CLIENT": "CLIENT_INVALID"}


def lookup(code: str) -> ResultCode:
    """The catalogued code; an unknown code is reported as a failure with its own name."""
    code = ALIASES.get(code, code)
    found = RESULT_CODES.get(code)
    return found if found is not None else ResultCode(code, ResultStatus.FAIL, code.lower())


def result(code: str, message: str | None = None) -> dict[str, str]:
    """Shorthand: the wire ``result`` object for ``code``."""
    return lookup(code).result(message)
