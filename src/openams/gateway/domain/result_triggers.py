"""Every result code each API answers, and the documented sandbox trigger that produces it.

This is the catalogue behind the table in docs/result-codes.md (:func:`markdown_table`;
a test keeps the two equal) and behind ``tests/gateway/integration/test_result_codes.py``,
which walks every row and triggers it on a real gateway. A code Antom documents for an
API belongs here with the way to reach it in the sandbox; the statuses come from
:mod:`openams.protocol.results`.
"""

from __future__ import annotations

from dataclasses import dataclass

from openams.gateway.domain.async_outcomes import (
    BALANCE_SHORT_VALUE,
    IN_PROCESS_VALUE,
    SETTLE_DELAY,
)
from openams.gateway.domain.disputes import LOSE_ON_DEFENSE_VALUE
from openams.gateway.domain.payment_codes import CONFIRM_FROM_VALUE
from openams.gateway.domain.simulation import RISK_REJECT_VALUE
from openams.protocol.results import lookup

#: API groups, in the table's order. A notification shares its API's group.
EVERY_API = "every API"
PAY = "pay"
INQUIRY_PAYMENT = "inquiryPayment / notifyPayment"
CANCEL = "cancel"
REFUND = "refund"
INQUIRY_REFUND = "inquiryRefund / notifyRefund"
CAPTURE = "capture / notifyCapture"
CONSULT = "consult"
CREATE_PAYMENT_SESSION = "createPaymentSession"
VAULT_PAYMENT_METHOD = "vaultPaymentMethod / notifyVaulting"
CREATE_VAULTING_SESSION = "createVaultingSession"
INQUIRE_VAULTING = "inquireVaulting"
INQUIRE_EXCHANGE_RATE = "inquireExchangeRate"
ACCEPT_DISPUTE = "acceptDispute / notifyDispute"
SUPPLY_DEFENSE = "supplyDefenseDocument"
DOWNLOAD_EVIDENCE = "downloadDisputeEvidence"
APIS = (
    EVERY_API,
    PAY,
    INQUIRY_PAYMENT,
    CANCEL,
    REFUND,
    INQUIRY_REFUND,
    CAPTURE,
    CONSULT,
    CREATE_PAYMENT_SESSION,
    VAULT_PAYMENT_METHOD,
    CREATE_VAULTING_SESSION,
    INQUIRE_VAULTING,
    INQUIRE_EXCHANGE_RATE,
    ACCEPT_DISPUTE,
    SUPPLY_DEFENSE,
    DOWNLOAD_EVIDENCE,
)

#: The failure codes a payment can end with (``paymentResultCode`` of inquiryPayment,
#: ``result`` of a PAYMENT_RESULT notification): what ``testHelpers/completePayment``
#: takes as ``resultCode`` with ``outcome`` FAIL.
PAYMENT_FAILURE_CODES: tuple[str, ...] = (
    "PROCESS_FAIL",
    "USER_BALANCE_NOT_ENOUGH",
    "USER_AMOUNT_EXCEED_LIMIT",
    "PAYMENT_AMOUNT_EXCEED_LIMIT",
    "PAYMENT_COUNT_EXCEED_LIMIT",
    "USER_NOT_EXIST",
    "USER_STATUS_ABNORMAL",
    "USER_KYC_NOT_QUALIFIED",
    "USER_PAYMENT_VERIFICATION_FAILED",
    "RISK_REJECT",
    "REGULATION_RESTRICTION",
    "UNAVAILABLE_PAYMENT_METHOD",
    "CURRENCY_NOT_SUPPORT",
    "INVALID_CONTRACT",
    "INVALID_MERCHANT_STATUS",
    "MERCHANT_NOT_REGISTERED",
    "DO_NOT_HONOR",
    "INVALID_AMOUNT",
    "CARD_NOT_SUPPORTED",
    "INVALID_CARD_NUMBER",
    "INVALID_EXPIRATION_DATE",
    "ORDER_IS_CLOSED",
)


_SETTLE_S = int(SETTLE_DELAY.total_seconds())
#: pay with a sandbox buyer's payment code (docs/in-store.md)
_CODE_PAY = "pay with `inStorePaymentScenario` PaymentCode and a payment code"


@dataclass(frozen=True, slots=True)
class Trigger:
    api: str
    code: str
    #: what to send (or do) in the sandbox to get ``code``, in Markdown
    how: str

    @property
    def status(self) -> str:
        return lookup(self.code).status.value


def _card(number: str) -> str:
    return f"pay with test card `{number}` (server-to-server `paymentMethodMetaData`)"


def _complete(code: str) -> str:
    return f"`testHelpers/completePayment` with `outcome` FAIL and `resultCode` `{code}`"


#: The issuer's answer a declining test card plays (docs/cards.md).
_DECLINING_CARDS = {
    "PROCESS_FAIL": "4000000000000002",
    "DO_NOT_HONOR": "4000000000000119",
    "INVALID_AMOUNT": "4000000000000127",
    "CARD_NOT_SUPPORTED": "4000000000000135",
    "INVALID_CARD_NUMBER": "4000000000000143",
    "INVALID_EXPIRATION_DATE": "4000000000000150",
}


def _payment_result(code: str) -> str:
    special = _SPECIAL_PAYMENT_RESULTS.get(code)
    if special is not None:
        return special
    card = _DECLINING_CARDS.get(code)
    if card is not None:
        declined = "Decline on any hosted or wallet page (a payment-code confirmation too), "
        prefix = declined if code == "PROCESS_FAIL" else ""
        return (
            f"{prefix}test card `{card}` (hosted card page or server-to-server), or "
            f"{_complete(code)}"
        )
    return _complete(code)


_SPECIAL_PAYMENT_RESULTS = {
    "ORDER_IS_CLOSED": "an unpaid payment past its `paymentExpiryTime`",
    "USER_BALANCE_NOT_ENOUGH": "wallet account `sandbox_nobalance` on the hosted page, test "
    "card `4000000000009995`, or " + _complete("USER_BALANCE_NOT_ENOUGH"),
    "USER_STATUS_ABNORMAL": "wallet account `sandbox_abnormal` on the hosted page, or "
    + _complete("USER_STATUS_ABNORMAL"),
    "RISK_REJECT": f"`paymentAmount.value` {RISK_REJECT_VALUE} on any hosted page, or "
    + _complete("RISK_REJECT"),
    "USER_PAYMENT_VERIFICATION_FAILED": "a wrong 3-D Secure code (test card "
    "`4000000000003220`), or " + _complete("USER_PAYMENT_VERIFICATION_FAILED"),
}

TRIGGERS: tuple[Trigger, ...] = (
    # ------------------------------------------------------------------ every API
    Trigger(EVERY_API, "PARAM_ILLEGAL", "a required field or header missing, or malformed"),
    Trigger(EVERY_API, "INVALID_SIGNATURE", "a `Signature` that does not verify"),
    Trigger(EVERY_API, "KEY_NOT_FOUND", "`keyVersion` the client id has no key for"),
    Trigger(EVERY_API, "CLIENT_INVALID", "a `client-id` the gateway does not know"),
    Trigger(EVERY_API, "ACCESS_DENIED", "a `testHelpers` call from a non-`SANDBOX_` client id"),
    Trigger(EVERY_API, "NO_INTERFACE_DEF", "a path under `/ams/api/v1/` that is no API"),
    Trigger(EVERY_API, "METHOD_NOT_SUPPORTED", "any method other than POST"),
    Trigger(EVERY_API, "MEDIA_TYPE_NOT_ACCEPTABLE", "a `Content-Type` that is not JSON"),
    Trigger(
        EVERY_API,
        "REQUEST_TRAFFIC_EXCEED_LIMIT",
        "more requests than `OPENAMS_RATE_LIMIT_PER_SECOND` allows a client id",
    ),
    Trigger(
        EVERY_API,
        "UNKNOWN_EXCEPTION",
        _card("4000000000000168") + ": the payment is made but its answer is lost; the "
        "identical resend answers `S`",
    ),
    # ------------------------------------------------------------------------ pay
    Trigger(
        PAY,
        "SUCCESS",
        _card("4111111111111111") + f" (a card sale), or {_CODE_PAY} for less than "
        f"{CONFIRM_FROM_VALUE} minor units",
    ),
    Trigger(
        PAY,
        "PAYMENT_IN_PROCESS",
        f"any wallet, bank or hosted card payment; {_CODE_PAY} for {CONFIRM_FROM_VALUE} "
        "minor units or more, until the buyer confirms it in the wallet simulator",
    ),
    Trigger(PAY, "REPEAT_REQ_INCONSISTENT", "a used `paymentRequestId` with another amount"),
    Trigger(PAY, "ORDER_IS_CLOSED", "the identical resend of a failed or expired payment"),
    Trigger(PAY, "ORDER_IS_CANCELED", "the identical resend of a cancelled payment"),
    Trigger(PAY, "CURRENCY_NOT_SUPPORT", "a currency the method does not take (GCASH in USD)"),
    Trigger(
        PAY,
        "SETTLE_CONTRACT_NOT_MATCH",
        "ALIPAY_CN with `settlementStrategy.settlementCurrency` CNY",
    ),
    Trigger(
        PAY,
        "INVALID_PAYMENT_METHOD_META_DATA",
        "card data that fails its checks (Luhn, expiry, CVV length)",
    ),
    Trigger(PAY, "PAYMENT_AMOUNT_EXCEED_LIMIT", "an amount above the method's maximum"),
    Trigger(PAY, "BUSINESS_NOT_SUPPORT", "`productCode` AGREEMENT_PAYMENT"),
    Trigger(
        PAY,
        "INVALID_PAYMENT_CODE",
        f"{_CODE_PAY} the wallet never issued, or one already used",
    ),
    Trigger(PAY, "EXPIRED_CODE", f"{_CODE_PAY} issued more than a minute before"),
    Trigger(PAY, "PROCESS_FAIL", _card(_DECLINING_CARDS["PROCESS_FAIL"])),
    Trigger(
        PAY,
        "USER_BALANCE_NOT_ENOUGH",
        _card("4000000000009995") + f", or {_CODE_PAY} of wallet account `sandbox_nobalance`",
    ),
    Trigger(PAY, "RISK_REJECT", _card("4100000000000019")),
    Trigger(PAY, "DO_NOT_HONOR", _card(_DECLINING_CARDS["DO_NOT_HONOR"])),
    Trigger(PAY, "INVALID_AMOUNT", _card(_DECLINING_CARDS["INVALID_AMOUNT"])),
    Trigger(PAY, "CARD_NOT_SUPPORTED", _card(_DECLINING_CARDS["CARD_NOT_SUPPORTED"])),
    Trigger(PAY, "INVALID_CARD_NUMBER", _card(_DECLINING_CARDS["INVALID_CARD_NUMBER"])),
    Trigger(PAY, "INVALID_EXPIRATION_DATE", _card(_DECLINING_CARDS["INVALID_EXPIRATION_DATE"])),
    # ------------------------------------------------------- inquiryPayment / notifyPayment
    Trigger(INQUIRY_PAYMENT, "SUCCESS", "any payment the caller owns"),
    Trigger(INQUIRY_PAYMENT, "ORDER_NOT_EXIST", "an unknown (or another merchant's) payment"),
    Trigger(
        INQUIRY_PAYMENT,
        "PAYMENT_IN_PROCESS",
        "`paymentResultCode` of a PROCESSING payment, or of a PENDING one: "
        "`testHelpers/completePayment` with `outcome` PENDING, or wallet account "
        f"`sandbox_pending` (PAYMENT_PENDING is sent; SUCCESS follows "
        f"{_SETTLE_S} s later, or by the helper)",
    ),
    *(Trigger(INQUIRY_PAYMENT, code, _payment_result(code)) for code in PAYMENT_FAILURE_CODES),
    # ---------------------------------------------------------------------- cancel
    Trigger(CANCEL, "SUCCESS", "a processing payment, or a paid one inside its window"),
    Trigger(CANCEL, "ORDER_NOT_EXIST", "an unknown (or another merchant's) payment"),
    Trigger(CANCEL, "ORDER_STATUS_INVALID", "a failed payment"),
    Trigger(
        CANCEL,
        "CANCEL_WINDOW_EXCEED",
        "a wallet payment paid before 00:15 (UTC+8) of the day before (advance the clock)",
    ),
    Trigger(CANCEL, "BUSINESS_NOT_SUPPORT", "a method that is never cancellable (DANA)"),
    Trigger(CANCEL, "AUTH_EXPIRED", "a card authorization left uncaptured for 7 days"),
    # ---------------------------------------------------------------------- refund
    Trigger(REFUND, "SUCCESS", "a refund of a paid payment, within what is left to refund"),
    Trigger(
        REFUND,
        "REFUND_IN_PROCESS",
        f"`isAsyncRefund` true, or `refundAmount.value` {IN_PROCESS_VALUE}; it ends "
        f"{_SETTLE_S} s later, or by `testHelpers/completeRefund`",
    ),
    Trigger(REFUND, "REPEAT_REQ_INCONSISTENT", "a used `refundRequestId` with another amount"),
    Trigger(REFUND, "ORDER_NOT_EXIST", "an unknown (or another merchant's) payment"),
    Trigger(REFUND, "ORDER_IS_CANCELED", "a cancelled (or voided) payment"),
    Trigger(
        REFUND,
        "ORDER_STATUS_INVALID",
        "an unpaid or failed payment, or an uncaptured card authorization",
    ),
    Trigger(REFUND, "REFUND_NOT_SUPPORTED", "a KONBINI or SEVENELEVEN payment"),
    Trigger(
        REFUND, "REFUND_WINDOW_EXCEED", "a payment paid more than 365 days ago (advance the clock)"
    ),
    Trigger(
        REFUND, "PARTIAL_REFUND_NOT_SUPPORTED", "less than the amount of an AU or SOFTBANK payment"
    ),
    Trigger(
        REFUND,
        "MULTIPLE_REFUNDS_NOT_SUPPORTED",
        "a second refund of a `SANDBOX_TEST_ONE_REFUND` payment (a sandbox test method)",
    ),
    Trigger(
        REFUND,
        "REFUND_AMOUNT_EXCEED",
        "more than is left to refund (refunds in process count as refunded)",
    ),
    Trigger(
        REFUND,
        "MERCHANT_BALANCE_NOT_ENOUGH",
        f"`refundAmount.value` {BALANCE_SHORT_VALUE} (with `isAsyncRefund`: `U` first, then "
        "REFUND_RESULT `F` with this code)",
    ),
    # ------------------------------------------------------- inquiryRefund / notifyRefund
    Trigger(INQUIRY_REFUND, "SUCCESS", "any refund the caller owns"),
    Trigger(INQUIRY_REFUND, "ORDER_NOT_EXIST", "an unknown (or another merchant's) refund"),
    Trigger(
        INQUIRY_REFUND,
        "MERCHANT_BALANCE_NOT_ENOUGH",
        f"REFUND_RESULT `F` (`refundStatus` FAIL): an asynchronous refund of "
        f"{BALANCE_SHORT_VALUE} when it ends by itself",
    ),
    Trigger(
        INQUIRY_REFUND,
        "PROCESS_FAIL",
        "REFUND_RESULT `F`: `testHelpers/completeRefund` with `outcome` FAIL (any catalogued "
        "F `resultCode`; PROCESS_FAIL when none is given)",
    ),
    # --------------------------------------------------------- capture / notifyCapture
    Trigger(CAPTURE, "SUCCESS", "the full amount of a `captureMode` MANUAL card authorization"),
    Trigger(
        CAPTURE,
        "CAPTURE_IN_PROCESS",
        f"`captureAmount.value` {IN_PROCESS_VALUE}; it ends {_SETTLE_S} s later, or by "
        "`testHelpers/completeCapture`",
    ),
    Trigger(CAPTURE, "REPEAT_REQ_INCONSISTENT", "a used `captureRequestId` with another amount"),
    Trigger(CAPTURE, "ORDER_NOT_EXIST", "an unknown (or another merchant's) payment"),
    Trigger(
        CAPTURE,
        "ORDER_STATUS_INVALID",
        "a sale, an unpaid payment, a captured authorization or one whose capture is in process",
    ),
    Trigger(CAPTURE, "AUTH_CANCELLED", "an authorization voided by cancel"),
    Trigger(CAPTURE, "AUTH_EXPIRED", "an authorization left uncaptured for 7 days"),
    Trigger(CAPTURE, "CAPTURE_AMOUNT_EXCEED_AUTH_LIMIT", "more than the authorized amount"),
    Trigger(CAPTURE, "BUSINESS_NOT_SUPPORT", "less than the authorized amount"),
    Trigger(
        CAPTURE,
        "PROCESS_FAIL",
        "CAPTURE_RESULT `F`: `testHelpers/completeCapture` with `outcome` FAIL (any catalogued "
        "F `resultCode`; PROCESS_FAIL when none is given); the authorization stays",
    ),
    # ---------------------------------------------------------------------- consult
    Trigger(CONSULT, "SUCCESS", "any consult with `env`"),
    # ---------------------------------------------------------- createPaymentSession
    Trigger(CREATE_PAYMENT_SESSION, "SUCCESS", "a new `paymentRequestId`"),
    Trigger(
        CREATE_PAYMENT_SESSION,
        "REPEAT_REQ_INCONSISTENT",
        "a used `paymentRequestId` with another amount",
    ),
    Trigger(
        CREATE_PAYMENT_SESSION,
        "ORDER_IS_CLOSED",
        "the identical resend after `paymentSessionExpiryTime`",
    ),
    Trigger(
        CREATE_PAYMENT_SESSION, "BUSINESS_NOT_SUPPORT", "a `productCode` other than CASHIER_PAYMENT"
    ),
    Trigger(
        CREATE_PAYMENT_SESSION,
        "CURRENCY_NOT_SUPPORT",
        "a `paymentMethodType` that does not take the currency",
    ),
    # ------------------------------------------------------------------- disputes
    Trigger(
        ACCEPT_DISPUTE,
        "SUCCESS",
        "an OPEN dispute (`testHelpers/openDispute` on a paid card payment), or the identical "
        "resend; DISPUTE_JUDGED with `ACCEPT_BY_MERCHANT` follows",
    ),
    Trigger(ACCEPT_DISPUTE, "ORDER_NOT_EXIST", "an unknown (or another merchant's) dispute"),
    Trigger(
        ACCEPT_DISPUTE,
        "NOT_ALLOW_IN_CURRENT_STATUS",
        "a defended dispute, or one already decided (`testHelpers/resolveDispute`)",
    ),
    Trigger(
        ACCEPT_DISPUTE,
        "TIME_EXCEEDS_LIMIT",
        "an OPEN dispute past its `defenseDueTime` (advance the clock 7 days): lost by TIMEOUT",
    ),
    Trigger(
        SUPPLY_DEFENSE,
        "SUCCESS",
        "a PDF or JPEG file in Base64 for an OPEN or DEFENDED dispute (DEFENSE_SUPPLIED); "
        f"judged WON at `defenseDueTime`, LOST for the amount {LOSE_ON_DEFENSE_VALUE}",
    ),
    Trigger(SUPPLY_DEFENSE, "ORDER_NOT_EXIST", "an unknown (or another merchant's) dispute"),
    Trigger(SUPPLY_DEFENSE, "NOT_ALLOW_IN_CURRENT_STATUS", "a dispute already decided"),
    Trigger(SUPPLY_DEFENSE, "TIME_EXCEEDS_LIMIT", "an OPEN dispute past its `defenseDueTime`"),
    Trigger(
        DOWNLOAD_EVIDENCE,
        "SUCCESS",
        "`DISPUTE_EVIDENCE_TEMPLATE` of any dispute, `DISPUTE_EVIDENCE_FILE` once a document "
        "was supplied",
    ),
    Trigger(DOWNLOAD_EVIDENCE, "ORDER_NOT_EXIST", "an unknown (or another merchant's) dispute"),
    Trigger(
        DOWNLOAD_EVIDENCE,
        "NOT_ALLOW_IN_CURRENT_STATUS",
        "`DISPUTE_EVIDENCE_FILE` before any document was supplied",
    ),
)


def _vault(number: str) -> str:
    return f"vault test card `{number}` (`vaultPaymentMethod`, or the hosted vaulting form)"


#: The refusals of the sandbox issuer when a card is vaulted (no amount: no amount rules).
VAULTING_DECLINES = {
    **_DECLINING_CARDS,
    "USER_BALANCE_NOT_ENOUGH": "4000000000009995",
    "RISK_REJECT": "4100000000000019",
}

TRIGGERS += (
    # ------------------------------------------------- vaultPaymentMethod / notifyVaulting
    Trigger(VAULT_PAYMENT_METHOD, "SUCCESS", _vault("4111111111111111") + ": its cardToken"),
    Trigger(
        VAULT_PAYMENT_METHOD,
        "VERIFICATION_IN_PROCESS",
        _vault("4000000000003220") + ", or any card with `is3DSAuthentication` true: "
        "`normalUrl` opens the 3-D Secure challenge",
    ),
    Trigger(
        VAULT_PAYMENT_METHOD,
        "REPEAT_REQ_INCONSISTENT",
        "a used `vaultingRequestId` with another card or URL",
    ),
    Trigger(
        VAULT_PAYMENT_METHOD,
        "INVALID_PAYMENT_METHOD_META_DATA",
        "`paymentMethodDetail.card` that fails its checks (Luhn, expiry, CVV length)",
    ),
    Trigger(
        VAULT_PAYMENT_METHOD,
        "BUSINESS_NOT_SUPPORT",
        "a card brand the gateway does not take (`2200000000000004`)",
    ),
    *(
        Trigger(VAULT_PAYMENT_METHOD, code, _vault(card))
        for code, card in VAULTING_DECLINES.items()
    ),
    Trigger(
        VAULT_PAYMENT_METHOD,
        "USER_PAYMENT_VERIFICATION_FAILED",
        "notifyVaulting `F`: a wrong 3-D Secure code, or " + _vault("4000000000003063"),
    ),
    Trigger(
        VAULT_PAYMENT_METHOD,
        "ORDER_IS_CLOSED",
        "the identical resend of a vaulting whose challenge was not answered within an hour",
    ),
    # ------------------------------------------------------------ createVaultingSession
    Trigger(CREATE_VAULTING_SESSION, "SUCCESS", "a new `vaultingRequestId`"),
    Trigger(
        CREATE_VAULTING_SESSION,
        "REPEAT_REQ_INCONSISTENT",
        "a used `vaultingRequestId` with another `redirectUrl`",
    ),
    Trigger(
        CREATE_VAULTING_SESSION,
        "ORDER_IS_CLOSED",
        "the identical resend after `vaultingSessionExpiryTime` (one hour)",
    ),
    # ------------------------------------------------------------------ inquireVaulting
    Trigger(INQUIRE_VAULTING, "SUCCESS", "any vaulting the caller owns"),
    Trigger(INQUIRE_VAULTING, "VAULTING_NOT_EXIST", "an unknown (or another merchant's) vaulting"),
    # -------------------------------------------------------------- inquireExchangeRate
    Trigger(INQUIRE_EXCHANGE_RATE, "SUCCESS", "a pair the FX table prices (`CNY`/`USD`)"),
    Trigger(
        INQUIRE_EXCHANGE_RATE,
        "CURRENCY_NOT_SUPPORT",
        "a pair with no rate in the FX table (`USD`/`ISK`)",
    ),
)


def markdown_table() -> str:
    """The table of docs/result-codes.md: one row per (API, code), in catalogue order."""
    lines = ["| API | resultCode | Status | Sandbox trigger |", "|---|---|---|---|"]
    lines += [f"| {t.api} | `{t.code}` | {t.status} | {t.how} |" for t in TRIGGERS]
    return "\n".join(lines) + "\n"
