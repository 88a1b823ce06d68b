"""What a pay or inquiry answer means for an order, and whether it is for that order.

Two checks every merchant needs before changing an order:

- :func:`classify_payment`: is this answer (or this error) a final success, a final
  failure, a payment the buyer is still completing, or unknown? Only the first two are
  final; an unknown result is never a failure: inquire, and cancel if it stays unknown.
- :func:`payment_mismatch`: is this notification or inquiry answer for this
  ``paymentRequestId``, this amount and this currency? A correctly signed answer for
  another amount must not pay the order.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from openams.protocol.models import (
    Amount,
    InquiryPaymentResponse,
    PaymentNotification,
    PayResponse,
)
from openams.sdk._config import IN_PROCESS_RESULT_CODES
from openams.sdk._exceptions import (
    ApiError,
    OpenAmsError,
    TimeoutException,
    TransportError,
    WaitTimeoutError,
)

#: inquiryPayment's ``paymentStatus`` values of a payment that is not finished yet.
_IN_PROCESS_STATUSES = frozenset({"PROCESSING", "PENDING"})
#: The inquiry error that says "no such payment": it was never made, so it never will be.
_NO_SUCH_PAYMENT = "ORDER_NOT_EXIST"


class PaymentOutcome(StrEnum):
    """What an answer says about a payment."""

    #: Paid. Final.
    SUCCESS = "SUCCESS"
    #: Not paid and never will be (refused, failed, cancelled, or it does not exist). Final.
    FAILURE = "FAILURE"
    #: The gateway holds the payment and waits for the buyer; the result comes later.
    IN_PROCESS = "IN_PROCESS"
    #: Nobody knows yet: a U other than "in process", a timeout or a broken connection
    #: after the retries. Never a failure: inquire, and cancel if it stays unknown.
    UNKNOWN = "UNKNOWN"


@dataclass(frozen=True, slots=True)
class PaymentResult:
    """The outcome and the code that explains it (``TIMEOUT`` / ``NETWORK_ERROR`` when no
    answer came)."""

    outcome: PaymentOutcome
    result_code: str | None

    @property
    def is_final(self) -> bool:
        return self.outcome in (PaymentOutcome.SUCCESS, PaymentOutcome.FAILURE)


Answer = PayResponse | InquiryPaymentResponse | OpenAmsError


def classify_payment(answer: Answer) -> PaymentResult:
    """Classify what ``pay`` or ``inquiryPayment`` returned, or the error it raised.

    - ``pay``: ``S`` is SUCCESS, ``F`` FAILURE, ``U`` PAYMENT_IN_PROCESS IN_PROCESS, any
      other ``U`` (UNKNOWN_EXCEPTION after the retries, ...) UNKNOWN.
    - ``inquiryPayment``: ``paymentStatus`` SUCCESS is SUCCESS, FAIL and CANCELLED are
      FAILURE, PROCESSING and PENDING are IN_PROCESS; an ``ORDER_NOT_EXIST`` error is
      FAILURE (the payment was never made); any other answer is UNKNOWN.
    - Any other error (timeout, network, HTTP status, signature) is UNKNOWN: an answer
      that cannot be read says nothing about the payment.
    """
    if isinstance(answer, WaitTimeoutError):
        return classify_payment(answer.response)
    if isinstance(answer, ApiError):
        if isinstance(answer.response, InquiryPaymentResponse):
            if answer.result_code == _NO_SUCH_PAYMENT:
                return PaymentResult(PaymentOutcome.FAILURE, answer.result_code)
            return PaymentResult(PaymentOutcome.UNKNOWN, answer.result_code)
        return _from_result(answer.result_status, answer.result_code)
    if isinstance(answer, OpenAmsError):
        return PaymentResult(PaymentOutcome.UNKNOWN, _code_of_error(answer))
    if isinstance(answer, PayResponse):
        return _from_result(answer.result.result_status, answer.result.result_code)
    if answer.result.result_status != "S":
        return PaymentResult(PaymentOutcome.UNKNOWN, answer.result.result_code)
    status, code = answer.payment_status, answer.payment_result_code
    if status == "SUCCESS":
        return PaymentResult(PaymentOutcome.SUCCESS, code or "SUCCESS")
    if status in ("FAIL", "CANCELLED"):
        return PaymentResult(PaymentOutcome.FAILURE, code or status)
    if status in _IN_PROCESS_STATUSES:
        return PaymentResult(PaymentOutcome.IN_PROCESS, code)
    return PaymentResult(PaymentOutcome.UNKNOWN, code)


def _from_result(status: str, code: str) -> PaymentResult:
    if status == "S":
        return PaymentResult(PaymentOutcome.SUCCESS, code)
    if status == "F":
        return PaymentResult(PaymentOutcome.FAILURE, code)
    if code in IN_PROCESS_RESULT_CODES:
        return PaymentResult(PaymentOutcome.IN_PROCESS, code)
    return PaymentResult(PaymentOutcome.UNKNOWN, code)


def _code_of_error(error: OpenAmsError) -> str:
    if isinstance(error, TimeoutException):
        return "TIMEOUT"
    if isinstance(error, TransportError):
        return "NETWORK_ERROR"
    return type(error).__name__


def payment_mismatch(
    answer: PaymentNotification | InquiryPaymentResponse | PayResponse,
    *,
    payment_request_id: str,
    currency: str,
    value: int | str,
) -> str | None:
    """Why ``answer`` is not about this payment of this order, or None when it is.

    ``value`` is the order's amount in minor units (as ``paymentAmount.value``). The
    ``paymentRequestId``, ``paymentAmount.currency`` and ``paymentAmount.value`` of the
    answer must all be present and equal. Call it before any order state change.
    """
    if answer.payment_request_id != payment_request_id:
        return f"paymentRequestId {answer.payment_request_id!r} is not {payment_request_id!r}"
    amount: Amount | None = answer.payment_amount
    if amount is None:
        return "the answer has no paymentAmount"
    if amount.currency != currency:
        return f"paymentAmount.currency {amount.currency!r} is not {currency!r}"
    if not _same_minor_units(amount.value, value):
        return f"paymentAmount.value {amount.value!r} is not {str(value)!r}"
    return None


def _same_minor_units(wire: str, expected: int | str) -> bool:
    try:
        return int(wire) == int(expected)
    except ValueError:
        return False
