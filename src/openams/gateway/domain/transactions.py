"""Captures and refunds: the money movements after a payment, and their amount rules.

Whether a capture or a refund may happen at all is the payment's transition table's
call (``CAPTURE`` only from AUTHORIZED, ``REFUND`` only from SUCCESS); how much may
move is decided here:

- a capture takes the full authorized amount, in the payment currency, within
  :data:`AUTH_WINDOW` of the authorization (spec §3.6, Checkout Payment guide);
- refunds are in the payment currency and, all together, never exceed what was
  captured (spec §3.4).

Refusals (``DomainError.code``): ``PARAM_ILLEGAL`` (another currency),
``CAPTURE_AMOUNT_EXCEED_AUTH_LIMIT``, ``BUSINESS_NOT_SUPPORT`` (a partial capture),
``REFUND_AMOUNT_EXCEED``, ``REPEAT_REQ_INCONSISTENT`` (a reused request id with other
key fields).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

from openams.gateway.domain.clock import from_ms
from openams.gateway.domain.errors import DomainError, param_illegal
from openams.protocol.money import Money

#: How long an authorization can be captured (spec §3.6: "within 7 days").
AUTH_WINDOW = timedelta(days=7)


class CaptureMode(StrEnum):
    """``paymentFactor.captureMode``."""

    AUTOMATIC = "AUTOMATIC"  # the gateway captures right after the authorization
    MANUAL = "MANUAL"  # the merchant calls capture


class TransactionStatus(StrEnum):
    """``transactionStatus`` / ``refundStatus`` on the wire."""

    SUCCESS = "SUCCESS"
    FAIL = "FAIL"
    PROCESSING = "PROCESSING"

    @property
    def is_final(self) -> bool:
        return self is not TransactionStatus.PROCESSING


class TransactionType(StrEnum):
    CAPTURE = "CAPTURE"
    REFUND = "REFUND"


def _new_id(prefix: str, now_ms: int) -> str:
    """34 characters in Antom's style: a two-digit kind, the day, then random digits."""
    return f"{prefix}{from_ms(now_ms):%Y%m%d}{secrets.randbelow(10**24):024d}"


def new_capture_id(now_ms: int) -> str:
    return _new_id("18", now_ms)


def new_refund_id(now_ms: int) -> str:
    return _new_id("19", now_ms)


@dataclass(slots=True)
class Capture:
    capture_id: str
    client_id: str
    payment_id: str
    capture_request_id: str
    amount: Money
    status: TransactionStatus
    created_at: int
    captured_at: int | None
    #: captured by the gateway right after the authorization (captureMode AUTOMATIC)
    automatic: bool = False
    #: PROCESSING: when the sandbox settles it by itself (epoch ms)
    settle_at: int | None = None
    #: FAIL: why (a catalogued F code) and what the notification says
    result_code: str | None = None
    result_message: str | None = None

    def repeat_problem(self, payment_id: str, amount: Money) -> DomainError | None:
        """REPEAT_REQ_INCONSISTENT when a reused captureRequestId differs (spec §4)."""
        fields = _differences(
            ("paymentId", self.payment_id, payment_id),
            ("captureAmount", self.amount, amount),
        )
        if not fields:
            return None
        return DomainError(
            "REPEAT_REQ_INCONSISTENT",
            f"captureRequestId {self.capture_request_id} was first used with a different "
            f"{' and '.join(fields)}; resend the identical request or use a new "
            "captureRequestId",
        )


@dataclass(slots=True)
class Refund:
    refund_id: str
    client_id: str
    payment_id: str
    refund_request_id: str
    amount: Money
    status: TransactionStatus
    created_at: int
    refunded_at: int | None
    reference_refund_id: str | None = None
    reason: str | None = None
    notify_url: str | None = None
    #: PROCESSING: when the sandbox settles it by itself (epoch ms)
    settle_at: int | None = None
    #: FAIL: why (a catalogued F code) and what the notification says
    result_code: str | None = None
    result_message: str | None = None

    def repeat_problem(self, payment_id: str, amount: Money) -> DomainError | None:
        """REPEAT_REQ_INCONSISTENT when a reused refundRequestId differs (spec §4)."""
        fields = _differences(
            ("paymentId", self.payment_id, payment_id),
            ("refundAmount", self.amount, amount),
        )
        if not fields:
            return None
        return DomainError(
            "REPEAT_REQ_INCONSISTENT",
            f"refundRequestId {self.refund_request_id} was first used with a different "
            f"{' and '.join(fields)}; resend the identical request or use a new "
            "refundRequestId",
        )


def _differences(*pairs: tuple[str, object, object]) -> list[str]:
    return [name for name, first, again in pairs if first != again]


def check_capture_amount(authorized: Money, requested: Money) -> None:
    """Checkout Payment captures the full authorized amount, once."""
    if requested.currency != authorized.currency:
        raise param_illegal(
            f"captureAmount.currency {requested.currency} must be the payment currency "
            f"{authorized.currency}"
        )
    if requested.value > authorized.value:
        raise DomainError(
            "CAPTURE_AMOUNT_EXCEED_AUTH_LIMIT",
            f"cannot capture {requested}: the authorized amount is {authorized}",
        )
    if requested.value < authorized.value:
        raise DomainError(
            "BUSINESS_NOT_SUPPORT",
            f"cannot capture {requested}: partial capture is not supported; capture the "
            f"full authorized amount {authorized}",
        )


def refundable(captured: int, refunded: int) -> int:
    return max(0, captured - refunded)


def check_refund_amount(
    paid: Money, *, captured: int, refunded: int, requested: Money, disputed: int = 0
) -> None:
    """The refund's currency is the payment's; all refunds together stay within the
    captured amount less what chargebacks hold or took back (``disputed``)."""
    if requested.currency != paid.currency:
        raise param_illegal(
            f"refundAmount.currency {requested.currency} must be the payment currency "
            f"{paid.currency}"
        )
    taken = refunded + disputed
    if taken + requested.value > captured:
        left = Money(paid.currency, refundable(captured, taken)) if captured > taken else None
        raise DomainError(
            "REFUND_AMOUNT_EXCEED",
            f"cannot refund {requested}: the payment captured {Money(paid.currency, captured)}"
            + (f", {Money(paid.currency, refunded)} is already refunded" if refunded else "")
            + (
                f", {Money(paid.currency, disputed)} is held or taken back by a chargeback"
                if disputed
                else ""
            )
            + (f"; at most {left} can still be refunded" if left else "; nothing is left"),
        )
