"""Sandbox controls: move time forward, resend notifications, and notification chaos.

(Settling a payment, refund or capture is its own service's ``complete``.)"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from openams.gateway.domain.chaos import ChaosSettings
from openams.gateway.domain.errors import DomainError, param_illegal
from openams.gateway.domain.merchant import Merchant
from openams.gateway.domain.notification import Notification
from openams.gateway.domain.ports import UnitOfWorkFactory
from openams.gateway.services.notifications import Notifier
from openams.gateway.services.payments import PaymentService
from openams.protocol.results import result

#: advanceClock moves at most a week at a time.
MAX_ADVANCE_SECONDS = 7 * 24 * 3600


@dataclass
class SandboxService:
    uow: UnitOfWorkFactory
    payments: PaymentService
    notifier: Notifier

    def advance_clock(self, merchant: Merchant, seconds: int) -> dict[str, Any]:
        """Bring the merchant's pending deadlines (retries, expiries, asynchronous refunds
        and captures settling) ``seconds`` closer."""
        if not 0 < seconds <= MAX_ADVANCE_SECONDS:
            raise param_illegal(f"seconds must be between 1 and {MAX_ADVANCE_SECONDS}")
        with self.uow(write=True) as uow:
            notifications = uow.outbox.shift_pending(merchant.client_id, seconds * 1000)
            payments = uow.payments.shift_expiry(merchant.client_id, seconds * 1000)
            refunds = uow.refunds.shift_settle(merchant.client_id, seconds * 1000)
            captures = uow.captures.shift_settle(merchant.client_id, seconds * 1000)
            uow.commit()
        return {
            "result": result("SUCCESS", "success"),
            "advancedSeconds": seconds,
            "pendingNotifications": notifications,
            "pendingPayments": payments,
            "pendingRefunds": refunds,
            "pendingCaptures": captures,
        }

    def resend(
        self, merchant: Merchant, payment_id: str | None, payment_request_id: str | None
    ) -> dict[str, Any]:
        """Queue the payment's latest notification again, as a new delivery."""
        with self.uow(write=True) as uow:
            payment = self.payments.find(uow, merchant.client_id, payment_id, payment_request_id)
            previous = uow.outbox.for_payment(merchant.client_id, payment.payment_id)
            if not previous:
                raise DomainError(
                    "ORDER_STATUS_INVALID",
                    f"payment {payment.payment_id} has no notification yet "
                    f"(status {payment.status.value})",
                )
            latest = previous[-1]
            copy = self.notifier.enqueue(
                uow,
                client_id=latest.client_id,
                notify_type=latest.notify_type,
                subject_id=latest.subject_id,
                payment_id=latest.payment_id,
                url=latest.url,
                body=latest.body,
            )
            uow.commit()
        return {"result": result("SUCCESS", "success"), **notification_view(copy)}

    def set_chaos(self, merchant: Merchant, chaos: ChaosSettings) -> dict[str, Any]:
        with self.uow(write=True) as uow:
            uow.merchants.set_chaos(merchant.client_id, chaos)
            uow.commit()
        return {"result": result("SUCCESS", "success"), **chaos_view(chaos)}


def chaos_view(chaos: ChaosSettings) -> dict[str, Any]:
    return {
        "duplicate": chaos.duplicate,
        "delaySeconds": chaos.delay_seconds,
        "outOfOrder": chaos.out_of_order,
        "dropFirst": chaos.drop_first,
    }


def notification_view(notification: Notification) -> dict[str, Any]:
    return {
        "notificationId": notification.notification_id,
        "notifyType": notification.notify_type.value,
        "paymentId": notification.payment_id,
        "status": notification.status.value,
    }
