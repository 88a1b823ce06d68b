"""The payment aggregate."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from openams.gateway.domain.cards import CardResult
from openams.gateway.domain.clock import compact
from openams.gateway.domain.errors import DomainError
from openams.gateway.domain.randomness import random_digits, urlsafe_token
from openams.gateway.domain.transactions import AUTH_WINDOW
from openams.gateway.domain.transitions import (
    FINAL_STATES,
    PaymentEvent,
    PaymentStatus,
    apply,
)
from openams.protocol.money import Money

#: Result code and message of a payment whose buyer paid and whose final result follows.
PENDING_RESULT = ("PAYMENT_IN_PROCESS", "the buyer has paid; the final result follows")
#: Result code and message a payment carries in each way it can end.
EXPIRED_RESULT = ("ORDER_IS_CLOSED", "the payment expired before the buyer paid; order closed")
CANCELLED_RESULT = ("ORDER_IS_CANCELED", "the payment was canceled by the merchant")
VOIDED_RESULT = (
    "ORDER_IS_CANCELED",
    "the authorization was voided by the merchant; the hold on the card is released",
)
AUTH_EXPIRED_RESULT = (
    "AUTH_EXPIRED",
    "the authorization was not captured within 7 days; the hold on the card is released",
)


def new_payment_id(now_ms: int) -> str:
    """A 34-digit id in Antom's style: the creation second (UTC), then 20 random digits.

    Ids made one after another sort one after another, so new rows go to the end of the
    primary-key index instead of anywhere in it."""
    return compact(now_ms) + random_digits(20)


def new_token() -> str:
    """The unguessable part of every buyer-facing link (192 random bits)."""
    return urlsafe_token(24)


@dataclass(frozen=True, slots=True)
class Fingerprint:
    """The fields a repeated pay must match (idempotency consistency check)."""

    product_code: str
    currency: str
    value: int
    method_type: str
    method_id: str | None
    settlement_currency: str | None

    def encode(self) -> str:
        return "|".join(
            (
                self.product_code,
                self.currency,
                str(self.value),
                self.method_type,
                self.method_id or "",
                self.settlement_currency or "",
            )
        )

    @classmethod
    def decode(cls, encoded: str) -> Fingerprint:
        product, currency, value, method_type, method_id, settlement = encoded.split("|")
        return cls(
            product, currency, int(value), method_type, method_id or None, settlement or None
        )

    def differences(self, other: Fingerprint) -> list[str]:
        names = {
            "productCode": (self.product_code, other.product_code),
            "paymentAmount.currency": (self.currency, other.currency),
            "paymentAmount.value": (str(self.value), str(other.value)),
            "paymentMethod.paymentMethodType": (self.method_type, other.method_type),
            "paymentMethod.paymentMethodId": (self.method_id or "", other.method_id or ""),
            "settlementStrategy.settlementCurrency": (
                self.settlement_currency or "",
                other.settlement_currency or "",
            ),
        }
        return [name for name, (a, b) in names.items() if a != b]


@dataclass(slots=True)
class Payment:
    payment_id: str
    client_id: str
    payment_request_id: str
    status: PaymentStatus
    amount: Money
    product_code: str
    method_type: str
    fingerprint: str
    created_at: int
    expires_at: int
    token: str
    terminal_type: str | None = None
    os_type: str | None = None
    method_id: str | None = None
    reference_order_id: str | None = None
    order_description: str | None = None
    redirect_url: str | None = None
    notify_url: str | None = None
    settlement_currency: str | None = None
    result_code: str | None = None
    result_message: str | None = None
    paid_at: int | None = None
    cancelled_at: int | None = None
    closed_at: int | None = None
    request: dict[str, Any] = field(default_factory=dict)
    #: what the hosted card page kept of the card (never the number or CVV)
    card: CardResult | None = None
    #: ``paymentFactor.isAuthorization``: the card is authorized, then captured
    is_authorization: bool = False
    #: ``paymentFactor.captureMode`` of an authorization: AUTOMATIC or MANUAL
    capture_mode: str | None = None
    #: when an uncaptured authorization lapses (``authExpiryTime``)
    auth_expires_at: int | None = None
    captured_at: int | None = None
    #: when a PENDING payment succeeds by itself (its final result is due)
    settle_at: int | None = None

    @property
    def is_final(self) -> bool:
        return self.status in FINAL_STATES

    def is_due_to_expire(self, now_ms: int) -> bool:
        return self.status is PaymentStatus.PROCESSING and now_ms >= self.expires_at

    def is_due_to_settle(self, now_ms: int) -> bool:
        """A PENDING payment whose final result is due (it then succeeds)."""
        return (
            self.status is PaymentStatus.PENDING
            and self.settle_at is not None
            and now_ms >= self.settle_at
        )

    def pend(self, now_ms: int, settle_at: int) -> None:
        """The buyer completed the payment; the final result follows at ``settle_at``
        (a PENDING payment no longer expires: ``expires_at`` stays as the merchant set it)."""
        self._ensure_payable(now_ms)
        self.status = apply(self.status, PaymentEvent.PEND)
        self.settle_at = settle_at
        self.result_code, self.result_message = PENDING_RESULT

    def succeed(self, now_ms: int) -> None:
        self._ensure_payable(now_ms)
        self.status = apply(self.status, PaymentEvent.SUCCEED)
        self.paid_at = now_ms
        self.result_code, self.result_message = "SUCCESS", "success"

    def fail(self, now_ms: int, code: str, message: str) -> None:
        self._ensure_payable(now_ms)
        self.status = apply(self.status, PaymentEvent.FAIL)
        self.closed_at = now_ms
        self.result_code, self.result_message = code, message

    def expire(self, now_ms: int) -> None:
        self.status = apply(self.status, PaymentEvent.EXPIRE)
        self.closed_at = now_ms
        self.result_code, self.result_message = EXPIRED_RESULT

    def cancel(self, now_ms: int) -> None:
        self.status = apply(self.status, PaymentEvent.CANCEL)
        self.cancelled_at = now_ms
        self.result_code, self.result_message = CANCELLED_RESULT

    def authorize(self, now_ms: int) -> None:
        """The card is authorized: the payment succeeded, the funds are held until capture."""
        self._ensure_payable(now_ms)
        self.status = apply(self.status, PaymentEvent.AUTHORIZE)
        self.paid_at = now_ms
        self.auth_expires_at = now_ms + int(AUTH_WINDOW.total_seconds() * 1000)
        self.result_code, self.result_message = "SUCCESS", "success"

    def capture(self, now_ms: int) -> None:
        self.status = apply(self.status, PaymentEvent.CAPTURE)
        self.captured_at = now_ms

    def begin_capture(self) -> None:
        """An asynchronous capture was accepted: the payment waits in CAPTURING."""
        self.status = apply(self.status, PaymentEvent.BEGIN_CAPTURE)

    def fail_capture(self) -> None:
        """The capture in process failed: the authorization holds as before."""
        self.status = apply(self.status, PaymentEvent.CAPTURE_FAIL)

    def void(self, now_ms: int) -> None:
        self.status = apply(self.status, PaymentEvent.VOID)
        self.cancelled_at = now_ms
        self.result_code, self.result_message = VOIDED_RESULT

    def expire_authorization(self, now_ms: int) -> None:
        self.status = apply(self.status, PaymentEvent.AUTH_EXPIRE)
        self.closed_at = now_ms
        self.result_code, self.result_message = AUTH_EXPIRED_RESULT

    def ensure_refundable(self) -> None:
        """Refuse (ORDER_STATUS_INVALID) unless the table allows a refund in this state."""
        apply(self.status, PaymentEvent.REFUND)

    def authorization_lapsed(self, now_ms: int) -> bool:
        return (
            self.status is PaymentStatus.AUTHORIZED
            and self.auth_expires_at is not None
            and now_ms >= self.auth_expires_at
        )

    def _ensure_payable(self, now_ms: int) -> None:
        if self.is_due_to_expire(now_ms):
            raise DomainError(
                "ORDER_IS_CLOSED", "the payment has expired; it can no longer be paid"
            )
