"""The notification outbox and its delivery log, in SQL."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from sqlalchemy import Connection, Row, bindparam, insert, select, update

from openams.gateway import compact_json
from openams.gateway.domain.notification import (
    DeliveryAttempt,
    DeliveryStatus,
    Notification,
    NotifyType,
)
from openams.gateway.store.tables import notification_attempts, notifications


def _values(n: Notification) -> dict[str, Any]:
    return {
        "notification_id": n.notification_id,
        "client_id": n.client_id,
        "notify_type": n.notify_type.value,
        "subject_id": n.subject_id,
        "payment_id": n.payment_id,
        "url": n.url,
        "body_json": compact_json.dumps(n.body),  # quotePrice: an exact JSON number
        "status": n.status.value,
        "attempts": n.attempts,
        "created_at": n.created_at,
        "next_attempt_at": n.next_attempt_at,
        "delivered_at": n.delivered_at,
        "last_error": n.last_error[:512] if n.last_error else None,
    }


def _notification(row: Row[Any]) -> Notification:
    return Notification(
        notification_id=row.notification_id,
        client_id=row.client_id,
        notify_type=NotifyType(row.notify_type),
        subject_id=row.subject_id,
        payment_id=row.payment_id,
        url=row.url,
        body=compact_json.loads(row.body_json),  # numbers back as Decimal
        created_at=row.created_at,
        next_attempt_at=row.next_attempt_at,
        status=DeliveryStatus(row.status),
        attempts=row.attempts,
        delivered_at=row.delivered_at,
        last_error=row.last_error,
    )


def _attempt(row: Row[Any]) -> DeliveryAttempt:
    return DeliveryAttempt(
        notification_id=row.notification_id,
        attempt_number=row.attempt_number,
        attempted_at=row.attempted_at,
        kind=row.kind,
        http_status=row.http_status,
        latency_ms=row.latency_ms,
        response_excerpt=row.response_excerpt,
        error=row.error,
        acknowledged=bool(row.acknowledged),
    )


# Built once: values go in as parameters, so SQLAlchemy does not rebuild the statement
# and walk every value for its cache key on each call.
_INSERT = insert(notifications)
_INSERT_ATTEMPT = insert(notification_attempts)
_SAVE = update(notifications).where(
    notifications.c.notification_id == bindparam("where_notification_id")
)


class SqlNotificationRepository:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def add(self, notification: Notification) -> None:
        self._conn.execute(_INSERT, _values(notification))

    def get(self, notification_id: str) -> Notification | None:
        row = self._conn.execute(
            select(notifications).where(notifications.c.notification_id == notification_id)
        ).first()
        return None if row is None else _notification(row)

    def for_payment(self, client_id: str, payment_id: str) -> list[Notification]:
        rows = self._conn.execute(
            select(notifications)
            .where(notifications.c.client_id == client_id, notifications.c.payment_id == payment_id)
            .order_by(notifications.c.created_at, notifications.c.notification_id)
        )
        return [_notification(row) for row in rows]

    def for_client(self, client_id: str | None, limit: int) -> list[Notification]:
        stmt = select(notifications).order_by(notifications.c.created_at.desc()).limit(limit)
        if client_id is not None:
            stmt = stmt.where(notifications.c.client_id == client_id)
        return [_notification(row) for row in self._conn.execute(stmt)]

    def claim_due(
        self,
        now: int,
        limit: int,
        owner: str,
        lease_ms: int,
        exclude_clients: Collection[str] = (),
    ) -> list[Notification]:
        """Lease up to ``limit`` due notifications to ``owner``; others skip them.

        ``exclude_clients``: merchants the dispatcher is already busy with (at their
        concurrency limit); their rows are left for later.

        PostgreSQL: ``FOR UPDATE SKIP LOCKED`` lets several dispatchers share the table.
        SQLite: the caller's writer transaction (BEGIN IMMEDIATE) already serialises claims.
        """
        due = (
            select(notifications.c.notification_id)
            .where(
                notifications.c.status == DeliveryStatus.PENDING.value,
                notifications.c.next_attempt_at <= now,
                (notifications.c.lease_until.is_(None)) | (notifications.c.lease_until < now),
            )
            .order_by(notifications.c.next_attempt_at)
            .limit(limit)
        )
        if exclude_clients:
            due = due.where(notifications.c.client_id.not_in(list(exclude_clients)))
        if self._conn.dialect.name == "postgresql":
            due = due.with_for_update(skip_locked=True)
        ids = [row.notification_id for row in self._conn.execute(due)]
        if not ids:
            return []
        self._conn.execute(
            update(notifications)
            .where(notifications.c.notification_id.in_(ids))
            .values(lease_owner=owner, lease_until=now + lease_ms)
        )
        rows = self._conn.execute(
            select(notifications)
            .where(notifications.c.notification_id.in_(ids))
            .order_by(notifications.c.next_attempt_at)
        )
        return [_notification(row) for row in rows]

    def release(self, notification_ids: Collection[str], owner: str) -> None:
        """Give back leases ``owner`` holds, unchanged: the rows are due again at once."""
        if not notification_ids:
            return
        self._conn.execute(
            update(notifications)
            .where(
                notifications.c.notification_id.in_(list(notification_ids)),
                notifications.c.lease_owner == owner,
            )
            .values(lease_owner=None, lease_until=None)
        )

    def save(self, notification: Notification) -> None:
        """Store the new status/attempts/schedule and release any lease."""
        values = _values(notification)
        values["where_notification_id"] = values.pop("notification_id")
        self._conn.execute(_SAVE, {**values, "lease_owner": None, "lease_until": None})

    def record_attempt(self, attempt: DeliveryAttempt) -> None:
        self._conn.execute(
            _INSERT_ATTEMPT,
            dict(
                notification_id=attempt.notification_id,
                attempt_number=attempt.attempt_number,
                attempted_at=attempt.attempted_at,
                kind=attempt.kind,
                http_status=attempt.http_status,
                latency_ms=attempt.latency_ms,
                response_excerpt=attempt.response_excerpt,
                error=attempt.error[:512] if attempt.error else None,
                acknowledged=int(attempt.acknowledged),
            ),
        )

    def attempts(self, notification_id: str) -> list[DeliveryAttempt]:
        rows = self._conn.execute(
            select(notification_attempts)
            .where(notification_attempts.c.notification_id == notification_id)
            .order_by(notification_attempts.c.attempt_id)
        )
        return [_attempt(row) for row in rows]

    def shift_pending(self, client_id: str, ms: int) -> int:
        """Bring the merchant's pending attempts ``ms`` closer (sandbox advanceClock)."""
        result = self._conn.execute(
            update(notifications)
            .where(
                notifications.c.client_id == client_id,
                notifications.c.status == DeliveryStatus.PENDING.value,
            )
            .values(next_attempt_at=notifications.c.next_attempt_at - ms)
        )
        return int(result.rowcount or 0)
