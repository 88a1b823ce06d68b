"""What happens when a buyer's payment succeeds or fails, inside the caller's unit of work.

A sale succeeds at once. An authorization (``paymentFactor.isAuthorization``) holds the
funds; with captureMode AUTOMATIC the gateway captures them in the same transaction
and sends notifyCapture, with MANUAL it waits for the merchant's capture call. Every
state change here writes its notification into the outbox in the same transaction:

- SUCCEED, AUTHORIZE, FAIL: one PAYMENT_RESULT (to the payment's notify URL);
- CAPTURE: one CAPTURE_RESULT (to the payment's notify URL, spec §5.3).

When the payment settles in another currency (``settlementStrategy.settlementCurrency``),
SUCCEED and AUTHORIZE also lock the day's FX quote in the same transaction: a
``transaction_settlements`` row with ``grossSettlementAmount`` and ``settlementQuote``,
which PAYMENT_RESULT and inquiryPayment carry (spec §5.2, §8.5). With no rate for the
pair the payment still succeeds, unquoted: the fields are left out (Antom returns them
only when FX is locked) and the settlement report converts at the day's rate later.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from openams.gateway.domain.clock import iso
from openams.gateway.domain.fx import (
    RateNotFound,
    SettlementBook,
    SettlementKind,
    SettlementQuote,
    TransactionSettlement,
    settle,
    settles_across_currencies,
    share_of_gross,
    utc_day,
)
from openams.gateway.domain.notification import Notification, NotifyType
from openams.gateway.domain.payment import Payment
from openams.gateway.domain.ports import UnitOfWork
from openams.gateway.domain.transactions import (
    Capture,
    CaptureMode,
    TransactionStatus,
    new_capture_id,
)
from openams.gateway.domain.transitions import PaymentStatus
from openams.gateway.services.fx import price_on
from openams.gateway.services.notifications import Notifier, payment_result_body
from openams.gateway.services.presenters import (
    authorization_fields,
    capture_body,
    transaction_result,
)
from openams.protocol.money import Money
from openams.protocol.results import result


def payment_notification_body(
    payment: Payment, settlement: TransactionSettlement | None = None
) -> dict[str, Any]:
    """notifyPayment: a held authorization is a successful payment (with paymentTime and
    authExpiryTime); everything else as :func:`payment_result_body` writes it, plus the
    locked ``grossSettlementAmount`` and ``settlementQuote`` when there are any."""
    body = payment_result_body(payment)
    if payment.status is PaymentStatus.AUTHORIZED:
        body["result"] = result("SUCCESS", "success")
        if payment.paid_at is not None:
            body["paymentTime"] = iso(payment.paid_at)
    body.update(authorization_fields(payment))
    if settlement is not None:
        body.update(settlement.wire())
    return body


#: What goes back to the buyer: refunds and debited chargebacks share what is left of the
#: payment's gross, so a payment given back in full nets to exactly zero.
GIVEN_BACK = (SettlementKind.REFUND, SettlementKind.DISPUTE)


def given_back(uow: UnitOfWork, payment: Payment) -> int:
    """What the payment's successful refunds and debited chargebacks gave back so far, in
    the payment currency: for ``settle_follow_up``'s share, so 0 without a query for a
    payment that settles in its own currency (it has no locked quote to share)."""
    if not settles_across_currencies(payment.amount.currency, payment.settlement_currency):
        return 0
    refunded = uow.refunds.total_refunded(payment.client_id, payment.payment_id, in_process=False)
    return refunded + uow.disputes.debited(payment.client_id, payment.payment_id)


def committed_back(uow: UnitOfWork, payment: Payment) -> tuple[int, int]:
    """What is committed back of the payment, in its currency: its refunds done or in
    process, and what its chargebacks hold (open, defended) or took (accepted, lost).
    Neither a refund nor a dispute may take more than the payment less both."""
    refunded = uow.refunds.total_refunded(payment.client_id, payment.payment_id)
    return refunded, uow.disputes.held(payment.client_id, payment.payment_id)


def locked_settlements(uow: UnitOfWork, payment: Payment) -> SettlementBook:
    """What the payment and its captures and refunds settle for at its locked quote (no
    query at all for a payment that settles in its own currency)."""
    if not settles_across_currencies(payment.amount.currency, payment.settlement_currency):
        return SettlementBook()
    return SettlementBook(tuple(uow.settlements.for_payment(payment.client_id, payment.payment_id)))


def lock_settlement(uow: UnitOfWork, payment: Payment, now: int) -> TransactionSettlement | None:
    """Lock today's quote for a payment that settles in another currency (None: same
    currency, or no rate for the pair)."""
    target = payment.settlement_currency
    if target is None or not settles_across_currencies(payment.amount.currency, target):
        return None
    day = utc_day(now)
    try:
        price = price_on(uow, payment.amount.currency, target, day)
    except RateNotFound:
        return None
    quote = SettlementQuote.lock(price, day, now)
    settlement = TransactionSettlement(
        client_id=payment.client_id,
        transaction_id=payment.payment_id,
        payment_id=payment.payment_id,
        kind=SettlementKind.PAYMENT,
        amount=settle(payment.amount, quote),
        quote=quote,
        created_at=now,
    )
    uow.settlements.add(settlement)
    return settlement


def settle_follow_up(
    uow: UnitOfWork,
    payment: Payment,
    kind: SettlementKind,
    transaction_id: str,
    amount: Money,
    now: int,
    *,
    moved_before: int,
    book: SettlementBook | None = None,
) -> TransactionSettlement | None:
    """Store the settlement of a capture or refund at the payment's locked quote
    (None when the payment has none). ``moved_before``: what earlier captures or
    refunds of the payment moved, in the payment currency."""
    book = book if book is not None else locked_settlements(uow, payment)
    locked = book.find(SettlementKind.PAYMENT, payment.payment_id)
    if locked is None:
        return None
    settlement = TransactionSettlement(
        client_id=payment.client_id,
        transaction_id=transaction_id,
        payment_id=payment.payment_id,
        kind=kind,
        amount=share_of_gross(
            amount,
            payment_amount=payment.amount,
            gross=locked.amount,
            moved_before=moved_before,
            settled_before=sum(book.total(k) for k in GIVEN_BACK)
            if kind in GIVEN_BACK
            else book.total(kind),
            quote=locked.quote,
        ),
        quote=locked.quote,
        created_at=now,
    )
    uow.settlements.add(settlement)
    return settlement


def capture_notification_body(capture: Capture) -> dict[str, Any]:
    """notifyCapture (spec §5.2): ``result`` S for a capture that succeeded, F with the
    failure's code for one that failed."""
    return {
        "notifyType": NotifyType.CAPTURE_RESULT.value,
        "result": transaction_result(capture),
        **capture_body(capture),
    }


@dataclass
class Settlement:
    notifier: Notifier

    def payment_result(
        self, uow: UnitOfWork, payment: Payment, settlement: TransactionSettlement | None = None
    ) -> Notification:
        return self.notifier.enqueue(
            uow,
            client_id=payment.client_id,
            notify_type=NotifyType.PAYMENT_RESULT,
            subject_id=payment.payment_id,
            payment_id=payment.payment_id,
            url=payment.notify_url,
            body=payment_notification_body(payment, settlement),
        )

    def succeed(self, uow: UnitOfWork, payment: Payment, now: int) -> Capture | None:
        """The buyer paid: a sale succeeds; an authorization is held, and captured at once
        when its captureMode is AUTOMATIC (the capture is returned)."""
        if not payment.is_authorization:
            payment.succeed(now)
            uow.payments.save(payment)
            self.payment_result(uow, payment, lock_settlement(uow, payment, now))
            return None
        payment.authorize(now)
        uow.payments.save(payment)
        locked = lock_settlement(uow, payment, now)
        self.payment_result(uow, payment, locked)
        if payment.capture_mode == CaptureMode.MANUAL.value:
            return None
        capture_id = new_capture_id(now)
        # Antom generates the request id of an automatic capture; ours is the capture id.
        return self.capture(
            uow,
            payment,
            capture_id,
            capture_id,
            payment.amount,
            now,
            True,
            book=SettlementBook(() if locked is None else (locked,)),
        )

    def fail(self, uow: UnitOfWork, payment: Payment, now: int, code: str, message: str) -> None:
        payment.fail(now, code, message)
        uow.payments.save(payment)
        self.payment_result(uow, payment)

    def capture(
        self,
        uow: UnitOfWork,
        payment: Payment,
        capture_id: str,
        capture_request_id: str,
        amount: Money,
        now: int,
        automatic: bool = False,
        *,
        book: SettlementBook | None = None,
    ) -> Capture:
        """Capture an authorization (the caller checked the amount). Raises
        ``LookupError`` if ``capture_request_id`` was taken meanwhile (nothing changed).
        A payment with a locked quote also gets the capture's settlement amount."""
        capture = Capture(
            capture_id=capture_id,
            client_id=payment.client_id,
            payment_id=payment.payment_id,
            capture_request_id=capture_request_id,
            amount=amount,
            status=TransactionStatus.SUCCESS,
            created_at=now,
            captured_at=now,
            automatic=automatic,
        )
        payment.capture(now)
        if not uow.captures.add_if_absent(capture):
            raise LookupError(capture_request_id)
        uow.payments.save(payment)
        # Only full captures exist (spec §3.6): nothing was captured before this one.
        settle_follow_up(
            uow, payment, SettlementKind.CAPTURE, capture_id, amount, now, moved_before=0, book=book
        )
        self._notify_capture(uow, payment, capture)
        return capture

    def _notify_capture(self, uow: UnitOfWork, payment: Payment, capture: Capture) -> None:
        """The capture's CAPTURE_RESULT, to the payment's notify URL (else the default)."""
        self.notifier.enqueue(
            uow,
            client_id=payment.client_id,
            notify_type=NotifyType.CAPTURE_RESULT,
            subject_id=capture.capture_id,
            payment_id=payment.payment_id,
            url=payment.notify_url,
            body=capture_notification_body(capture),
        )

    def begin_capture(
        self,
        uow: UnitOfWork,
        payment: Payment,
        capture_id: str,
        capture_request_id: str,
        amount: Money,
        now: int,
        settle_at: int,
    ) -> Capture:
        """Accept an asynchronous capture (the caller checked the amount): the capture is
        PROCESSING, the payment CAPTURING, nothing is notified yet. Raises
        ``LookupError`` if ``capture_request_id`` was taken meanwhile (nothing changed)."""
        capture = Capture(
            capture_id=capture_id,
            client_id=payment.client_id,
            payment_id=payment.payment_id,
            capture_request_id=capture_request_id,
            amount=amount,
            status=TransactionStatus.PROCESSING,
            created_at=now,
            captured_at=None,
            settle_at=settle_at,
        )
        payment.begin_capture()
        if not uow.captures.add_if_absent(capture):
            raise LookupError(capture_request_id)
        uow.payments.save(payment)
        return capture

    def finish_capture(
        self,
        uow: UnitOfWork,
        payment: Payment,
        capture: Capture,
        now: int,
        failure: tuple[str, str] | None = None,
    ) -> None:
        """End a capture in process: SUCCESS (``failure`` None; the payment is captured and
        settles at its locked quote) or FAIL with ``failure`` = (code, message) (the
        authorization holds as before). Either way one CAPTURE_RESULT, in this unit of
        work."""
        capture.settle_at = None
        if failure is None:
            capture.status = TransactionStatus.SUCCESS
            capture.captured_at = now
            payment.capture(now)
            settle_follow_up(
                uow,
                payment,
                SettlementKind.CAPTURE,
                capture.capture_id,
                capture.amount,
                now,
                moved_before=0,
            )
        else:
            capture.status = TransactionStatus.FAIL
            capture.result_code, capture.result_message = failure
            payment.fail_capture()
        uow.captures.save(capture)
        uow.payments.save(payment)
        self._notify_capture(uow, payment, capture)
