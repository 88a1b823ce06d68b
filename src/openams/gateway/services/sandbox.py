"""Sandbox controls: move a merchant's clock forward, resend notifications, and
notification chaos.

(Settling a payment, refund or capture is its own service's ``complete``.)"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from openams.gateway.domain.chaos import ChaosSettings
from openams.gateway.domain.clock import iso
from openams.gateway.domain.errors import DomainError, param_illegal
from openams.gateway.domain.merchant import Merchant
from openams.gateway.domain.notification import Notification, NotifyType
from openams.gateway.domain.ports import UnitOfWork, UnitOfWorkFactory
from openams.gateway.services.captures import CaptureService
from openams.gateway.services.disputes import DisputeService
from openams.gateway.services.notifications import Notifier
from openams.gateway.services.pay_rules import notify_url_problem
from openams.gateway.services.payments import ClosedPayments, PaymentService
from openams.gateway.services.refunds import RefundService
from openams.protocol.results import result

#: advanceClock moves at most a week at a time.
MAX_ADVANCE_SECONDS = 7 * 24 * 3600
#: A test notification's URL, at most (as a stored notification's, and the API's field).
MAX_TEST_URL = 2048
#: Rows one pass of an advance's due work takes.
_BATCH = 100


@dataclass(frozen=True)
class _Waiting:
    notifications: int
    payments: int
    refunds: int
    captures: int
    disputes: int


@dataclass
class _Done:
    payments: ClosedPayments
    refunds: int = 0
    captures: int = 0
    disputes: int = 0


def _until_done(one_pass: Callable[[], int]) -> int:
    """Run ``one_pass`` (a sweep of up to ``_BATCH`` rows) until a pass finds fewer."""
    total = 0
    while True:
        moved = one_pass()
        total += moved
        if moved < _BATCH:
            return total


@dataclass
class SandboxService:
    uow: UnitOfWorkFactory
    payments: PaymentService
    notifier: Notifier
    #: the due work an advance runs before answering (the dispatcher's sweeps, for the
    #: one merchant); disputes are wired after construction (``Gateway``)
    refunds: RefundService | None = None
    captures: CaptureService | None = None
    disputes: DisputeService | None = None
    #: told the client id of a merchant whose clock moved (drops cached merchants)
    clock_moved: Callable[[str], None] = field(default=lambda _client_id: None)

    def advance_clock(self, merchant: Merchant, seconds: int) -> dict[str, Any]:
        """Move the merchant's clock ``seconds`` ahead of where it was: its own offset
        from real time grows; no stored time is rewritten. Then do what became due on
        its clock (expire and settle payments, settle refunds and captures, apply
        dispute deadlines, each with its notification) before answering, so every read
        after the answer agrees with it. Notifications that are due are queued for the
        dispatcher, which delivers them on its next pass."""
        if not 0 < seconds <= MAX_ADVANCE_SECONDS:
            raise param_illegal(f"seconds must be between 1 and {MAX_ADVANCE_SECONDS}")
        client_id = merchant.client_id
        with self.uow(write=True) as uow:
            waiting = _Waiting(
                notifications=uow.outbox.count_pending(client_id),
                payments=uow.payments.count_open(client_id),
                refunds=uow.refunds.count_open(client_id),
                captures=uow.captures.count_open(client_id),
                disputes=uow.disputes.count_active(client_id),
            )
            shift = uow.merchants.advance_clock(client_id, seconds * 1000, self.payments.clock())
            uow.commit()
        self.clock_moved(client_id)
        done = self._run_due(client_id)
        with self.uow() as uow:
            now = self.payments.now_for(uow, client_id)
            due_notifications = uow.outbox.count_pending(client_id, due_by=now)
            queued_notifications = uow.outbox.count_pending(client_id)
        offset_seconds = (shift.to_ms - shift.real_at) // 1000
        message = (
            f"advanced {seconds} s (the clock of {client_id} now reads {iso(now)}, "
            f"{offset_seconds} s ahead of real time): {done.payments.expired} payments "
            f"expired, {done.payments.settled} settled, {done.refunds} refunds and "
            f"{done.captures} captures settled, {done.disputes} disputes moved; "
            f"{due_notifications} notifications due now, queued for delivery "
            f"({queued_notifications} waiting in all)"
        )
        return {
            "result": result("SUCCESS", "success"),
            "advancedSeconds": seconds,
            # what was waiting on the merchant's clock, so came closer
            "pendingNotifications": waiting.notifications,
            "pendingPayments": waiting.payments,
            "pendingRefunds": waiting.refunds,
            "pendingCaptures": waiting.captures,
            "pendingDisputes": waiting.disputes,
            # the clock, and what the advance did before answering
            "clockOffsetSeconds": offset_seconds,
            "merchantTime": iso(now),
            "expiredPayments": done.payments.expired,
            "settledPayments": done.payments.settled,
            "settledRefunds": done.refunds,
            "settledCaptures": done.captures,
            "movedDisputes": done.disputes,
            "dueNotifications": due_notifications,
            "queuedNotifications": queued_notifications,
            "message": message,
        }

    def _run_due(self, client_id: str) -> _Done:
        """The dispatcher's sweeps, for one merchant, until nothing is left due."""
        done = _Done(ClosedPayments())
        while True:
            closed = self.payments.close_due(_BATCH, client_id)
            done.payments.expired += closed.expired
            done.payments.settled += closed.settled
            if closed.total < _BATCH:
                break
        if self.refunds is not None:
            done.refunds = _until_done(partial(self.refunds.settle_due, _BATCH, client_id))
        if self.captures is not None:
            done.captures = _until_done(partial(self.captures.settle_due, _BATCH, client_id))
        if self.disputes is not None:
            done.disputes = _until_done(partial(self.disputes.settle_due, _BATCH, client_id))
        return done

    def resend(
        self,
        merchant: Merchant,
        payment_id: str | None,
        payment_request_id: str | None,
        notification_id: str | None = None,
    ) -> dict[str, Any]:
        """Queue a notification again, as a new delivery: the one named, or the payment's
        latest."""
        with self.uow(write=True) as uow:
            if notification_id:
                latest = uow.outbox.get(notification_id)
                if latest is None or latest.client_id != merchant.client_id:
                    raise DomainError(
                        "ORDER_NOT_EXIST", f"no notification {notification_id!r} of yours"
                    )
            else:
                latest = self._latest(uow, merchant, payment_id, payment_request_id)
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

    def _latest(
        self,
        uow: UnitOfWork,
        merchant: Merchant,
        payment_id: str | None,
        payment_request_id: str | None,
    ) -> Notification:
        payment = self.payments.find(uow, merchant.client_id, payment_id, payment_request_id)
        previous = uow.outbox.for_payment(merchant.client_id, payment.payment_id)
        if not previous:
            raise DomainError(
                "ORDER_STATUS_INVALID",
                f"payment {payment.payment_id} has no notification yet "
                f"(status {payment.status.value})",
            )
        return previous[-1]

    def send_test_notification(
        self,
        merchant: Merchant,
        notify_type: str,
        body: dict[str, Any] | None = None,
        url: str | None = None,
    ) -> dict[str, Any]:
        """Queue a notification of ``notify_type`` with ``body`` (default: a sample of
        that type), signed and delivered like any other, to ``url`` or the merchant's
        notify URL."""
        try:
            kind = NotifyType(notify_type)
        except ValueError:
            names = ", ".join(TEST_NOTIFICATION_TYPES)
            raise param_illegal(f"notifyType must be one of {names}") from None
        if kind.value not in TEST_NOTIFICATION_TYPES:
            raise param_illegal(f"notifyType must be one of {', '.join(TEST_NOTIFICATION_TYPES)}")
        if url is not None:
            if len(url) > MAX_TEST_URL:
                raise param_illegal(f"url has more than {MAX_TEST_URL} characters")
            problem = notify_url_problem(url)
            if problem:
                raise param_illegal(f"url {problem}")
        now = merchant.now(self.notifier.clock())
        sent = dict(body) if body is not None else sample_notification(kind, now)
        sent["notifyType"] = kind.value
        subject = str(sent.get("refundId") or sent.get("captureId") or sent.get("paymentId") or "")
        with self.uow(write=True) as uow:
            notification = self.notifier.enqueue(
                uow,
                client_id=merchant.client_id,
                notify_type=kind,
                subject_id=(subject or "TEST")[:64],
                payment_id=str(sent.get("paymentId") or "TEST")[:64],
                url=url,
                body=sent,
            )
            uow.commit()
        return {
            "result": result("SUCCESS", "success"),
            **notification_view(notification),
            "url": notification.url,
        }

    def set_chaos(self, merchant: Merchant, chaos: ChaosSettings) -> dict[str, Any]:
        with self.uow(write=True) as uow:
            uow.merchants.set_chaos(merchant.client_id, chaos)
            uow.commit()
        return {"result": result("SUCCESS", "success"), **chaos_view(chaos)}


#: The notification types a test notification can have.
TEST_NOTIFICATION_TYPES = ("PAYMENT_RESULT", "REFUND_RESULT", "CAPTURE_RESULT")


def sample_notification(kind: NotifyType, now: int) -> dict[str, Any]:
    """A notification body of ``kind`` with made-up TEST ids, shaped as openams sends it."""
    amount = {"currency": "USD", "value": "1000"}
    success = result("SUCCESS", "success")
    stamp = iso(now)
    if kind is NotifyType.REFUND_RESULT:
        return {
            "notifyType": kind.value,
            "result": success,
            "refundId": "TEST_REFUND_ID",
            "refundRequestId": "TEST_REFUND_REQUEST_ID",
            "paymentId": "TEST_PAYMENT_ID",
            "refundAmount": amount,
            "refundStatus": "SUCCESS",
            "refundTime": stamp,
        }
    if kind is NotifyType.CAPTURE_RESULT:
        return {
            "notifyType": kind.value,
            "result": success,
            "captureId": "TEST_CAPTURE_ID",
            "captureRequestId": "TEST_CAPTURE_REQUEST_ID",
            "paymentId": "TEST_PAYMENT_ID",
            "captureAmount": amount,
            "captureTime": stamp,
        }
    return {
        "notifyType": kind.value,
        "result": success,
        "paymentRequestId": "TEST_PAYMENT_REQUEST_ID",
        "paymentId": "TEST_PAYMENT_ID",
        "paymentAmount": amount,
        "paymentCreateTime": stamp,
        "paymentTime": stamp,
    }


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
