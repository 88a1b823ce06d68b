"""Writing notifications into the outbox, inside the caller's unit of work."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from openams.gateway.domain.clock import Clock, iso
from openams.gateway.domain.notification import (
    DeliveryAttempt,
    DeliveryStatus,
    Notification,
    NotifyType,
    new_notification_id,
)
from openams.gateway.domain.payment import Payment
from openams.gateway.domain.ports import UnitOfWork
from openams.gateway.domain.transitions import PaymentStatus
from openams.gateway.services.merchant_time import merchant_now
from openams.gateway.services.presenters import card_fields, customs_fields, payment_ids
from openams.protocol.results import result


def antom_initial_delay() -> int:
    """Antom sends the first notification 3 to 5 seconds after the final state."""
    return random.randint(3000, 5000)


def payment_notify_type(payment: Payment) -> NotifyType:
    pending = payment.status is PaymentStatus.PENDING
    return NotifyType.PAYMENT_PENDING if pending else NotifyType.PAYMENT_RESULT


def payment_result_body(payment: Payment) -> dict[str, Any]:
    """notifyPayment body (spec §5.2): S on success, F with the failure's code otherwise;
    PAYMENT_PENDING with S when the buyer has paid and the final result follows."""
    if payment.status is PaymentStatus.SUCCESS:
        outcome = result("SUCCESS", "success")
    elif payment.status is PaymentStatus.PENDING:
        outcome = result("SUCCESS", payment.result_message)
    else:
        outcome = result(payment.result_code or "PROCESS_FAIL", payment.result_message)
    body: dict[str, Any] = {
        "notifyType": payment_notify_type(payment).value,
        "result": outcome,
        **payment_ids(payment),
        "paymentMethodType": payment.method_type,
    }
    if payment.status is PaymentStatus.SUCCESS and payment.paid_at is not None:
        body["paymentTime"] = iso(payment.paid_at)
    body.update(customs_fields(payment))
    body.update(card_fields(payment))
    return body


@dataclass
class Notifier:
    clock: Clock
    initial_delay_ms: Callable[[], int] = field(default=antom_initial_delay)

    def enqueue(
        self,
        uow: UnitOfWork,
        *,
        client_id: str,
        notify_type: NotifyType,
        subject_id: str,
        payment_id: str,
        url: str | None,
        body: dict[str, Any],
    ) -> Notification:
        """Add a notification to the outbox; the merchant's default URL when none is given."""
        if not url:
            merchant = uow.merchants.get(client_id)
            url = merchant.notify_url if merchant is not None else None
        chaos = uow.merchants.get_chaos(client_id)
        now = merchant_now(uow, self.clock, client_id)
        notification = Notification(
            notification_id=new_notification_id(),
            client_id=client_id,
            notify_type=notify_type,
            subject_id=subject_id,
            payment_id=payment_id,
            url=url or None,
            body=body,
            created_at=now,
            next_attempt_at=now + self.initial_delay_ms(),
        )
        if notification.url is None:
            notification.status = DeliveryStatus.NO_URL
        elif chaos.delay_seconds:
            notification.next_attempt_at += chaos.delay_seconds * 1000
        uow.outbox.add(notification)
        if chaos.delay_seconds and notification.url is not None:
            uow.outbox.record_attempt(
                DeliveryAttempt(
                    notification_id=notification.notification_id,
                    attempt_number=0,
                    attempted_at=now,
                    kind="delayed",
                    http_status=None,
                    latency_ms=None,
                    response_excerpt=None,
                    error=f"chaos: held back {chaos.delay_seconds} s",
                    acknowledged=False,
                )
            )
        return notification

    def payment_result(self, uow: UnitOfWork, payment: Payment) -> Notification:
        """PAYMENT_RESULT for a final state; PAYMENT_PENDING for a PENDING payment."""
        return self.enqueue(
            uow,
            client_id=payment.client_id,
            notify_type=payment_notify_type(payment),
            subject_id=payment.payment_id,
            payment_id=payment.payment_id,
            url=payment.notify_url,
            body=payment_result_body(payment),
        )
