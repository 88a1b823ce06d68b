"""The one transition table for payment states: payment, authorization, capture, refund,
cancel and void.

Every state change of a payment goes through :func:`apply`; an event that the
table does not list for the current state is refused with ORDER_STATUS_INVALID.
Captures and refunds are recorded as their own rows (``Capture``, ``Refund``), but
whether one may happen at all is decided here, by the payment's state: ``CAPTURE``
only from AUTHORIZED, ``REFUND`` only from SUCCESS (a self-loop: the payment stays
SUCCESS; the amount rules live in :mod:`openams.gateway.domain.refund`).

Lifecycle::

    PROCESSING --PEND--> PENDING                  (the buyer paid; the final result follows)
    PENDING --SUCCEED | AUTHORIZE | FAIL | CANCEL--> as from PROCESSING
    PROCESSING --SUCCEED--> SUCCESS               (a sale: the funds are taken at once)
    PROCESSING --AUTHORIZE--> AUTHORIZED --CAPTURE--> SUCCESS
    AUTHORIZED --BEGIN_CAPTURE--> CAPTURING       (an asynchronous capture is in process)
    CAPTURING --CAPTURE--> SUCCESS
    CAPTURING --CAPTURE_FAIL--> AUTHORIZED        (the hold stays; capture again or void)
    PROCESSING --FAIL | EXPIRE--> FAIL
    PROCESSING --CANCEL--> CANCELLED
    AUTHORIZED --VOID | AUTH_EXPIRE--> CANCELLED  (the hold on the card is released)
    SUCCESS --CANCEL--> CANCELLED                 (a reversal, inside the method's window)
    SUCCESS --REFUND--> SUCCESS

FAIL and CANCELLED are terminal: nothing leaves them. Nothing but the capture's own
outcome leaves CAPTURING: while a capture is in process the payment cannot be voided,
refunded, captured again, or lapse.
"""

from __future__ import annotations

from enum import StrEnum

from openams.gateway.domain.errors import DomainError


class PaymentStatus(StrEnum):
    """A payment's state. :attr:`wire` is what ``paymentStatus`` (inquiryPayment) says."""

    PROCESSING = "PROCESSING"
    #: the buyer completed the payment and the final result is awaited (PAYMENT_PENDING)
    PENDING = "PENDING"
    #: a card authorization awaiting capture; the wire reports SUCCESS (Antom notifies a
    #: successful authorization as a successful payment, then the capture separately)
    AUTHORIZED = "AUTHORIZED"
    #: an authorization whose capture is in process (``U/CAPTURE_IN_PROCESS``); the wire
    #: reports SUCCESS, as for AUTHORIZED
    CAPTURING = "CAPTURING"
    SUCCESS = "SUCCESS"
    FAIL = "FAIL"
    CANCELLED = "CANCELLED"

    @property
    def wire(self) -> str:
        if self in (PaymentStatus.AUTHORIZED, PaymentStatus.CAPTURING):
            return PaymentStatus.SUCCESS.value
        return self.value


class PaymentEvent(StrEnum):
    PEND = "PEND"  # the buyer completed the payment; the method's final result is awaited
    SUCCEED = "SUCCEED"  # the buyer paid (a sale)
    AUTHORIZE = "AUTHORIZE"  # the buyer's card was authorized (paymentFactor.isAuthorization)
    CAPTURE = "CAPTURE"  # the authorized amount was captured (automatic, or capture API)
    BEGIN_CAPTURE = "BEGIN_CAPTURE"  # the capture API accepted an asynchronous capture
    CAPTURE_FAIL = "CAPTURE_FAIL"  # an asynchronous capture failed; the authorization stays
    FAIL = "FAIL"  # the buyer or the acquirer declined
    EXPIRE = "EXPIRE"  # paymentExpiryTime passed unpaid
    CANCEL = "CANCEL"  # the merchant called cancel on an open or paid payment
    VOID = "VOID"  # the merchant called cancel on an uncaptured authorization
    AUTH_EXPIRE = "AUTH_EXPIRE"  # the authorization was not captured in time
    REFUND = "REFUND"  # the merchant refunded (part of) a captured payment


_P, _W, _A, _K, _S, _F, _C = (
    PaymentStatus.PROCESSING,
    PaymentStatus.PENDING,
    PaymentStatus.AUTHORIZED,
    PaymentStatus.CAPTURING,
    PaymentStatus.SUCCESS,
    PaymentStatus.FAIL,
    PaymentStatus.CANCELLED,
)

#: (state, event) -> next state. Anything not listed is not allowed.
TRANSITIONS: dict[tuple[PaymentStatus, PaymentEvent], PaymentStatus] = {
    (_P, PaymentEvent.SUCCEED): _S,
    (_P, PaymentEvent.AUTHORIZE): _A,
    (_P, PaymentEvent.FAIL): _F,
    (_P, PaymentEvent.EXPIRE): _F,
    (_P, PaymentEvent.CANCEL): _C,
    (_P, PaymentEvent.PEND): _W,
    (_W, PaymentEvent.SUCCEED): _S,
    (_W, PaymentEvent.AUTHORIZE): _A,
    (_W, PaymentEvent.FAIL): _F,
    (_W, PaymentEvent.CANCEL): _C,
    (_A, PaymentEvent.CAPTURE): _S,
    (_A, PaymentEvent.BEGIN_CAPTURE): _K,
    (_K, PaymentEvent.CAPTURE): _S,
    (_K, PaymentEvent.CAPTURE_FAIL): _A,
    # Cancelling an authorized, uncaptured payment voids the authorization.
    (_A, PaymentEvent.VOID): _C,
    (_A, PaymentEvent.AUTH_EXPIRE): _C,
    # Cancelling a paid payment reverses it (funds go back to the buyer).
    (_S, PaymentEvent.CANCEL): _C,
    (_S, PaymentEvent.REFUND): _S,
}

#: States whose payment result is known (the buyer's part is over).
FINAL_STATES = frozenset({_A, _K, _S, _F, _C})

#: States nothing leaves (computed from the table, so the two cannot disagree).
TERMINAL_STATES = frozenset(
    state
    for state in PaymentStatus
    if not any(src is state and dst is not state for (src, _e), dst in TRANSITIONS.items())
)

_REFUSALS: dict[PaymentEvent, str] = {
    PaymentEvent.CAPTURE: "only an authorized, uncaptured payment can be captured",
    PaymentEvent.BEGIN_CAPTURE: "only an authorized, uncaptured payment can be captured",
    PaymentEvent.CAPTURE_FAIL: "only a capture in process can fail",
    PaymentEvent.REFUND: "only a successful, captured payment can be refunded",
    PaymentEvent.VOID: "only an uncaptured authorization can be voided",
}


def can(state: PaymentStatus, event: PaymentEvent) -> bool:
    return (state, event) in TRANSITIONS


def apply(state: PaymentStatus, event: PaymentEvent) -> PaymentStatus:
    try:
        return TRANSITIONS[(state, event)]
    except KeyError:
        why = _REFUSALS.get(event)
        raise DomainError(
            "ORDER_STATUS_INVALID",
            f"cannot {event.value.lower().replace('_', ' ')} the payment: payment status is "
            f"{state.value}" + (f"; {why}" if why else ""),
        ) from None
