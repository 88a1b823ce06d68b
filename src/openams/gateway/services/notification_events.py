"""Notifications looked up: Antom's ``inquireNotificationList`` / ``inquireNotification``,
served from the outbox (docs/developers.md, "Notification inquiry").

An event is one outbox notification: ``eventId`` is its ``notificationId`` and
``notificationData`` the body as sent. Newest first; ``startingAfter`` goes to older ones.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from openams.gateway import compact_json
from openams.gateway.domain.clock import Clock, iso_millis, parse_datetime, to_ms
from openams.gateway.domain.errors import DomainError, param_illegal
from openams.gateway.domain.merchant import Merchant
from openams.gateway.domain.notification import DeliveryAttempt, DeliveryStatus, Notification
from openams.gateway.domain.ports import NotificationRepository, UnitOfWorkFactory
from openams.protocol import models
from openams.protocol.results import result

DAY_MS = 24 * 3600 * 1000
#: Without eventCreateTimeFrom, the list starts this long before eventCreateTimeTo.
DEFAULT_WINDOW_MS = 7 * DAY_MS
#: Events older than this are not listed (Antom's retention boundary).
RETENTION_MS = 30 * DAY_MS
DEFAULT_LIMIT = 10
MAX_LIMIT = 100
#: The event types Antom's request class names (openams sends the payment, capture and
#: refund ones), and openams's own types of the vaulting and dispute notifications.
NOTIFY_TYPES = (
    "PAYMENT_RESULT",
    "PAYMENT_PENDING",
    "CAPTURE_RESULT",
    "REFUND_RESULT",
    "REGISTRATION_STATUS",
    "PAYMENT_METHOD_ACTIVATION_STATUS",
    "PAYMENT_METHOD_DEACTIVATION_STATUS",
    "MERCHANT_RISK_NOTIFICATION",
    "MERCHANT_INFO_UPDATE_RESULT",
    "MERCHANT_RISK_RFI",
    "MERCHANT_INFO_UPDATED",
    "RISK_POST_REVIEW",
    "DISPUTE_CREATED",
    "DISPUTE_CANCELLED",
    "DISPUTE_JUDGED",
    "DISPUTE_ACCEPTED",
    "RDR_RESOLVED",
    "DEFENSE_SUPPLIED",
    "DEFENSE_DUE_ALERT",
    "TRANSFER_RESULT",
    "TRANSFER_REVERSE_RESULT",
    "BALANCE_TRANSACTION_RESULT",
    "PAYOUT_RESULT",
    "VAULTING_RESULT",  # notifyVaulting; not in the request class's list
    "DISPUTE",  # notifyDispute's outbox type; its events carry disputeNotificationType
)
#: The dispute steps of NOTIFY_TYPES: what a notifyDispute's disputeNotificationType says.
DISPUTE_STEPS = frozenset(t for t in NOTIFY_TYPES if t.startswith("DISPUTE_")) | {
    "RDR_RESOLVED",
    "DEFENSE_SUPPLIED",
    "DEFENSE_DUE_ALERT",
}
#: A notification that had no URL to go to was never delivered: FAILED.
_DELIVERY_STATUS = {
    DeliveryStatus.PENDING: "PENDING",
    DeliveryStatus.DELIVERED: "DELIVERED",
    DeliveryStatus.FAILED: "FAILED",
    DeliveryStatus.NO_URL: "FAILED",
}


def zulu(ms: int) -> str:
    """``2026-11-22T01:30:00.123Z``: UTC with a Z suffix, to the millisecond."""
    return iso_millis(ms)[:-6] + "Z"


def event_type(notification: Notification) -> str:
    """Its outbox type; for a notifyDispute, the dispute's step (DISPUTE_CREATED, ...)."""
    kind = notification.notify_type.value
    if kind == "DISPUTE":
        kind = str(notification.body.get("disputeNotificationType") or kind)
    return kind


def event_view(notification: Notification) -> dict[str, Any]:
    return {
        "eventId": notification.notification_id,
        "notifyType": event_type(notification),
        "eventCreateTime": zulu(notification.created_at),
        "deliveryStatus": _DELIVERY_STATUS[notification.status],
        "notificationData": notification.body,
    }


def _matching_events(
    outbox: NotificationRepository,
    client_id: str,
    types: set[str],
    *,
    created_from: int,
    created_to: int,
    before: str | None,
    wanted: int,
) -> list[Notification]:
    """Up to ``wanted`` notifications, newest first, whose event type or outbox type is
    in ``types`` (all of them when empty).

    A dispute's step (DISPUTE_CREATED, ...) is not its outbox type but a member of its
    body, so asking for one reads the DISPUTE rows in batches and keeps those of that step.
    """
    steps = types & DISPUTE_STEPS
    stored = (types - steps) | ({"DISPUTE"} if steps else set())
    found: list[Notification] = []
    while len(found) < wanted:
        batch = outbox.search(
            client_id,
            notify_types=stored,
            created_from=created_from,
            created_to=created_to,
            before=before,
            limit=wanted,
        )
        found.extend(
            n
            for n in batch
            # asked for by its outbox type (DISPUTE: every step) or by its step
            if not types or n.notify_type.value in types or event_type(n) in types
        )
        if len(batch) < wanted:
            break
        before = batch[-1].notification_id
    return found[:wanted]


def _moment(name: str, value: str | None) -> int | None:
    if value is None or not value.strip():
        return None
    try:
        return to_ms(parse_datetime(value, naive_utc=True))
    except ValueError:
        raise param_illegal(f"{name} {value[:40]!r} is not an ISO 8601 time") from None


def find_notification(
    store: UnitOfWorkFactory, notification_id: str, client_id: str | None = None
) -> tuple[Notification, list[DeliveryAttempt]] | None:
    """A notification (of ``client_id``, when given) and its attempts, oldest first."""
    with store() as uow:
        notification = uow.outbox.get(notification_id)
        if notification is None or client_id not in (None, notification.client_id):
            return None
        return notification, uow.outbox.attempts(notification_id)


@dataclass
class NotificationEvents:
    uow: UnitOfWorkFactory
    clock: Clock

    def inquire_list(
        self, merchant: Merchant, request: models.InquireNotificationListRequest
    ) -> dict[str, Any]:
        now = merchant.now(self.clock())  # the notifications carry the merchant's times
        until = _moment("eventCreateTimeTo", request.event_create_time_to) or now
        since = _moment("eventCreateTimeFrom", request.event_create_time_from)
        since = until - DEFAULT_WINDOW_MS if since is None else since
        if since > until:
            raise param_illegal("eventCreateTimeFrom is later than eventCreateTimeTo")
        since = max(since, now - RETENTION_MS)
        limit = DEFAULT_LIMIT if request.limit is None else request.limit
        if not 1 <= limit <= MAX_LIMIT:
            raise param_illegal(f"limit must be between 1 and {MAX_LIMIT}")
        types = [t for t in request.notify_type or [] if t]
        unknown = sorted(set(types) - set(NOTIFY_TYPES))
        if unknown:
            raise param_illegal(f"notifyType {unknown[0]!r} is not an event type")
        cursor = request.starting_after or None
        with self.uow() as uow:
            if cursor is not None:
                start = uow.outbox.get(cursor)
                if start is None or start.client_id != merchant.client_id:
                    raise param_illegal(f"startingAfter {cursor[:64]!r} is not an eventId of yours")
            page = _matching_events(
                uow.outbox,
                merchant.client_id,
                set(types),
                created_from=since,
                created_to=until,
                before=cursor,
                wanted=limit + 1,
            )
        has_more = len(page) > limit
        page = page[:limit]
        body: dict[str, Any] = {
            "result": result("SUCCESS", "success"),
            "notifications": [event_view(n) for n in page],
            "hasMore": has_more,
        }
        if has_more:
            body["nextStartingAfter"] = page[-1].notification_id
        return body

    def inquire(
        self, merchant: Merchant, request: models.InquireNotificationRequest
    ) -> dict[str, Any]:
        if not request.event_id.strip():
            raise param_illegal("eventId is required")
        with self.uow() as uow:
            notification = uow.outbox.get(request.event_id)
        if notification is None or notification.client_id != merchant.client_id:
            raise DomainError(
                "ORDER_NOT_EXIST", f"no notification event {request.event_id!r} of yours"
            )
        return {"result": result("SUCCESS", "success"), "notification": event_view(notification)}


def sent_body(notification: Notification) -> str:
    """The body exactly as every attempt sends it (UTF-8 encoded): compact JSON, a
    ``Decimal`` (``quotePrice``) as an exact JSON number. The dispatcher sends the stored
    bytes as they are; the store keeps them such that this, for the notification as read
    back, gives those very bytes (``store.notifications.stored_body``)."""
    return compact_json.dumps(notification.body)


def notification_summary(notification: Notification) -> dict[str, Any]:
    """One notification for the CLI and the console, JSON-ready."""
    body = notification.body
    view = {
        "notificationId": notification.notification_id,
        "notifyType": notification.notify_type.value,
        "clientId": notification.client_id,
        "paymentId": notification.payment_id,
        "refundId": body.get("refundId"),
        "captureId": body.get("captureId"),
        "status": notification.status.value,
        "attempts": notification.attempts,
        "url": notification.url,
        "createdAt": iso_millis(notification.created_at),
        "deliveredAt": (
            None if notification.delivered_at is None else iso_millis(notification.delivered_at)
        ),
        "lastError": notification.last_error,
    }
    return {key: value for key, value in view.items() if value is not None}


def attempt_view(attempt: DeliveryAttempt) -> dict[str, Any]:
    return {
        "attemptNumber": attempt.attempt_number,
        "kind": attempt.kind,
        "time": iso_millis(attempt.attempted_at),
        "url": attempt.url,
        "requestHeaders": attempt.request_headers,
        "httpStatus": attempt.http_status,
        "latencyMs": attempt.latency_ms,
        "responseExcerpt": attempt.response_excerpt,
        "error": attempt.error,
        "acknowledged": attempt.acknowledged,
    }


def notification_detail(
    notification: Notification, attempts: list[DeliveryAttempt]
) -> dict[str, Any]:
    """A notification, the body every attempt sent, and each attempt."""
    return {
        **notification_summary(notification),
        "body": notification.body,
        "attemptLog": [attempt_view(attempt) for attempt in attempts],
    }
