"""What happens when a buyer's payment succeeds or fails, inside the caller's unit of work.

A sale succeeds at once. An authorization (``paymentFactor.isAuthorization``) holds the
funds; with captureMode AUTOMATIC the gateway captures them in the same transaction
and sends notifyCapture, with MANUAL it waits for the merchant's capture call. Every
state change here writes its notification into the outbox in the same transaction:

- SUCCEED, AUTHORIZE, FAIL: one PAYMENT_RESULT (to the payment's notify URL);
- CAPTURE: one CAPTURE_RESULT (to the payment's notify URL, spec §5.3).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from openams.gateway.domain.clock import iso
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
from openams.gateway.services.notifications import Notifier, payment_result_body
from openams.gateway.services.presenters import authorization_fields, capture_body
from openams.protocol.money import Money
from openams.protocol.results import result


def payment_notification_body(payment: Payment) -> dict[str, Any]:
    """notifyPayment: a held authorization is a successful payment (with paymentTime and
    authExpiryTime); everything else as :func:`payment_result_body` writes it."""
    body = payment_result_body(payment)
    if payment.status is PaymentStatus.AUTHORIZED:
        body["result"] = result("SUCCESS", "success")
        if payment.paid_at is not None:
            body["paymentTime"] = iso(payment.paid_at)
    body.update(authorization_fields(payment))
    return body


def capture_notification_body(capture: Capture) -> dict[str, Any]:
    """notifyCapture (spec §5.2)."""
    return {
        "notifyType": NotifyType.CAPTURE_RESULT.value,
        "result": result("SUCCESS", "success"),
        **capture_body(capture),
    }


@dataclass
class Settlement:
    notifier: Notifier

    def payment_result(self, uow: UnitOfWork, payment: Payment) -> Notification:
        return self.notifier.enqueue(
            uow,
            client_id=payment.client_id,
            notify_type=NotifyType.PAYMENT_RESULT,
            subject_id=payment.payment_id,
            payment_id=payment.payment_id,
            url=payment.notify_url,
            body=payment_notification_body(payment),
        )

    def succeed(self, uow: UnitOfWork, payment: Payment, now: int) -> Capture | None:
        """The buyer paid: a sale succeeds; an authorization is held, and captured at once
        when its captureMode is AUTOMATIC (the capture is returned)."""
        if not payment.is_authorization:
            payment.succeed(now)
            uow.payments.save(payment)
            self.payment_result(uow, payment)
            return None
        payment.authorize(now)
        uow.payments.save(payment)
        self.payment_result(uow, payment)
        if payment.capture_mode == CaptureMode.MANUAL.value:
            return None
        capture_id = new_capture_id(now)
        # Antom generates the request id of an automatic capture; ours is the capture id.
        return self.capture(uow, payment, capture_id, capture_id, payment.amount, now, True)

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
    ) -> Capture:
        """Capture an authorization (the caller checked the amount). Raises
        ``LookupError`` if ``capture_request_id`` was taken meanwhile (nothing changed)."""
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
        self.notifier.enqueue(
            uow,
            client_id=payment.client_id,
            notify_type=NotifyType.CAPTURE_RESULT,
            subject_id=capture.capture_id,
            payment_id=payment.payment_id,
            url=payment.notify_url,
            body=capture_notification_body(capture),
        )
        return capture
