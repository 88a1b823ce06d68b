"""The notification outbox and its delivery log, in SQL."""

from __future__ import annotations

import json
import re
from collections.abc import Collection, Sequence
from typing import Any

import orjson
from sqlalchemy import (
    BigInteger,
    Connection,
    Integer,
    Row,
    Update,
    bindparam,
    func,
    insert,
    select,
    update,
)

from openams.gateway import compact_json
from openams.gateway.domain.notification import (
    ClaimedNotification,
    DeliveryAttempt,
    DeliveryStatus,
    Notification,
    NotifyType,
)
from openams.gateway.store.merchant_time import due_on_merchant_clock, with_merchant
from openams.gateway.store.tables import notification_attempts, notifications

#: Number texts that do not read back as they were written: a float in exponent form
#: (orjson writes ``1e-07``; read back as a Decimal it is written ``0.0000001``) and a
#: negative zero without a fraction (read back as the integer 0). A string that merely
#: looks so costs one needless round trip, nothing else.
_NOT_A_FIXED_POINT = re.compile(rb"[0-9][eE]|-0[,}\]]")


def stored_body(body: dict[str, Any]) -> str:
    """The body as stored, and as sent on every attempt: compact JSON (``quotePrice``
    an exact number) that reads back (``compact_json.loads``) into a dict which encodes
    to the same bytes again. So the bytes the dispatcher sends, straight from the row,
    are the bytes ``compact_json.dumps_bytes`` gives for the stored body as read."""
    text = compact_json.dumps_bytes(body)
    if _NOT_A_FIXED_POINT.search(text):
        text = compact_json.dumps_bytes(compact_json.loads(text))
    return text.decode("utf-8")


def _values(n: Notification) -> dict[str, Any]:
    return {
        "notification_id": n.notification_id,
        "client_id": n.client_id,
        "notify_type": n.notify_type.value,
        "subject_id": n.subject_id,
        "payment_id": n.payment_id,
        "url": n.url,
        "body_json": stored_body(n.body),  # quotePrice: an exact JSON number
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
        url=row.url,
        request_headers=json.loads(row.request_headers) if row.request_headers else None,
    )


# Built once: values go in as parameters, so SQLAlchemy does not rebuild the statement
# and walk every value for its cache key on each call.
_INSERT = insert(notifications)
# The claim, one statement built once per dialect: lease the due rows (on their
# merchant's clock, skipping the excluded merchants) and return what a delivery needs.
_CLAIMED_COLUMNS = (
    notifications.c.notification_id,
    notifications.c.client_id,
    notifications.c.notify_type,
    notifications.c.url,
    notifications.c.body_json,
    notifications.c.created_at,
    notifications.c.next_attempt_at,
    notifications.c.attempts,
)


def _claim_statement(skip_locked: bool) -> Update:
    now = bindparam("now", type_=BigInteger)
    due = (
        with_merchant(select(notifications.c.notification_id), notifications)
        .where(
            notifications.c.status == DeliveryStatus.PENDING.value,
            due_on_merchant_clock(notifications.c.next_attempt_at, now),
            notifications.c.lease_until.is_(None) | (notifications.c.lease_until < now),
            notifications.c.client_id.not_in(bindparam("skip", expanding=True)),
        )
        .order_by(notifications.c.next_attempt_at)
        .limit(bindparam("claim_limit", type_=Integer))
    )
    if skip_locked:
        # several dispatchers: each takes rows no other holds, without waiting
        due = due.with_for_update(skip_locked=True, of=notifications)
    return (
        update(notifications)
        .where(notifications.c.notification_id.in_(due.scalar_subquery()))
        .values(lease_owner=bindparam("owner"), lease_until=bindparam("until", type_=BigInteger))
        .returning(*_CLAIMED_COLUMNS)
    )


_CLAIM = {False: _claim_statement(False), True: _claim_statement(True)}
#: ``NotifyType(value)`` without the enum's call machinery (a claimed row each).
_NOTIFY_TYPES = {member.value: member for member in NotifyType}


# Written per attempt, so as plain driver SQL: sqlite3's executemany ...
_SAVE_PROGRESS_SQL = (
    "UPDATE notifications SET status = ?, attempts = ?, next_attempt_at = ?,"
    " delivered_at = ?, last_error = ?, lease_owner = NULL, lease_until = NULL"
    " WHERE notification_id = ?"
)
_ATTEMPT_COLUMNS = (
    "notification_id, attempt_number, attempted_at, kind, http_status, latency_ms,"
    " response_excerpt, error, acknowledged, url, request_headers"
)
_RECORD_ATTEMPT_SQL = (
    f"INSERT INTO notification_attempts ({_ATTEMPT_COLUMNS})"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
# ... and on PostgreSQL COPY, which psycopg writes in C: its executemany binds and sends
# every row in Python, about 9 µs of the dispatcher's core per row against 2.
_RECORD_ATTEMPTS_COPY = f"COPY notification_attempts ({_ATTEMPT_COLUMNS}) FROM STDIN"
_PROGRESS_COLUMNS = "status, attempts, next_attempt_at, delivered_at, last_error, notification_id"
_PROGRESS_TABLE = (
    "CREATE TEMPORARY TABLE IF NOT EXISTS notification_progress (status varchar(16),"
    " attempts integer, next_attempt_at bigint, delivered_at bigint, last_error"
    " varchar(512), notification_id varchar(32)) ON COMMIT DELETE ROWS"
)
_SAVE_PROGRESS_COPY = f"COPY notification_progress ({_PROGRESS_COLUMNS}) FROM STDIN"
_SAVE_PROGRESS_FROM_COPY = (
    "UPDATE notifications AS n SET status = p.status, attempts = p.attempts,"
    " next_attempt_at = p.next_attempt_at, delivered_at = p.delivered_at,"
    " last_error = p.last_error, lease_owner = NULL, lease_until = NULL"
    " FROM notification_progress AS p WHERE n.notification_id = p.notification_id"
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

    def latest_status(
        self, client_id: str, payment_ids: Collection[str]
    ) -> dict[str, DeliveryStatus]:
        """The status of each payment's (or vaulting's) latest notification, in one
        query; a payment without notifications is absent."""
        if not payment_ids:
            return {}
        rows = self._conn.execute(
            select(notifications.c.payment_id, notifications.c.status)
            .where(
                notifications.c.client_id == client_id,
                notifications.c.payment_id.in_(list(payment_ids)),
            )
            .order_by(notifications.c.created_at, notifications.c.notification_id)
        )
        return {payment_id: DeliveryStatus(status) for payment_id, status in rows}

    def for_client(self, client_id: str | None, limit: int) -> list[Notification]:
        stmt = select(notifications).order_by(notifications.c.created_at.desc()).limit(limit)
        if client_id is not None:
            stmt = stmt.where(notifications.c.client_id == client_id)
        return [_notification(row) for row in self._conn.execute(stmt)]

    def search(
        self,
        client_id: str | None,
        *,
        notify_types: Collection[str] = (),
        created_from: int | None = None,
        created_to: int | None = None,
        before: str | None = None,
        after: str | None = None,
        payment_id: str | None = None,
        limit: int,
    ) -> list[Notification]:
        """Newest first (notification ids sort by creation); ``before`` is the keyset
        cursor, a notification id. With ``after`` instead: the ones just newer than it,
        oldest first."""
        stmt = select(notifications)
        if client_id is not None:
            stmt = stmt.where(notifications.c.client_id == client_id)
        if notify_types:
            stmt = stmt.where(notifications.c.notify_type.in_(list(notify_types)))
        if created_from is not None:
            stmt = stmt.where(notifications.c.created_at >= created_from)
        if created_to is not None:
            stmt = stmt.where(notifications.c.created_at <= created_to)
        if before is not None:
            stmt = stmt.where(notifications.c.notification_id < before)
        if payment_id is not None:
            stmt = stmt.where(notifications.c.payment_id == payment_id)
        if after is not None:
            stmt = stmt.where(notifications.c.notification_id > after)
        order = notifications.c.notification_id
        stmt = stmt.order_by(order.asc() if after is not None else order.desc()).limit(limit)
        return [_notification(row) for row in self._conn.execute(stmt)]

    def claim_due(
        self,
        now: int,
        limit: int,
        owner: str,
        lease_ms: int,
        exclude_clients: Collection[str] = (),
    ) -> list[ClaimedNotification]:
        """Lease up to ``limit`` due notifications to ``owner``; others skip them.

        ``now`` is real time: a notification is due when its ``next_attempt_at`` has
        passed on its merchant's clock (real time plus the merchant's offset); leases
        run on real time.

        ``exclude_clients``: merchants the dispatcher is already busy with (at their
        concurrency limit); their rows are left for later.

        PostgreSQL: ``FOR UPDATE SKIP LOCKED`` lets several dispatchers share the table.
        SQLite: the caller's writer transaction (BEGIN IMMEDIATE) already serialises claims.
        One statement (UPDATE ... RETURNING): the rows come back unordered, their body
        as the stored bytes.
        """
        postgresql = self._conn.dialect.name == "postgresql"
        if postgresql:
            # Walk ix_notifications_due in order even when the table's statistics are
            # behind (a sudden backlog autovacuum has not analyzed yet): planned from
            # them, the claim would read, join and sort every pending row instead.
            self._conn.exec_driver_sql("SET LOCAL enable_sort = off")
        rows = self._conn.execute(
            _CLAIM[postgresql],
            {
                "now": now,
                "skip": list(exclude_clients),
                "claim_limit": limit,
                "owner": owner,
                "until": now + lease_ms,
            },
        ).all()  # one fetchall: row by row, psycopg spends about 6 µs a row checking
        if postgresql:
            self._conn.exec_driver_sql("SET LOCAL enable_sort TO DEFAULT")
        return [
            ClaimedNotification(
                notification_id,
                client_id,
                _NOTIFY_TYPES[notify_type],
                url,
                body_json.encode("utf-8"),
                created_at,
                next_attempt_at,
                attempts,
            )
            for (
                notification_id,
                client_id,
                notify_type,
                url,
                body_json,
                created_at,
                next_attempt_at,
                attempts,
            ) in rows
        ]

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

    def save_progress(self, notifications: Sequence[Notification | ClaimedNotification]) -> None:
        """After attempts: store each one's status, attempts, schedule and last error
        (nothing else changes) and release its lease, in one go for all."""
        if not notifications:
            return
        # the last state of each (an UPDATE ... FROM applies one row per notification)
        latest = {n.notification_id: n for n in notifications}.values()
        rows = [
            (
                n.status.value,
                n.attempts,
                n.next_attempt_at,
                n.delivered_at,
                n.last_error[:512] if n.last_error else None,
                n.notification_id,
            )
            for n in latest
        ]
        if self._conn.dialect.name != "postgresql":
            self._conn.exec_driver_sql(_SAVE_PROGRESS_SQL, rows)
            return
        self._copy_rows(_SAVE_PROGRESS_COPY, rows, before=_PROGRESS_TABLE)
        self._conn.exec_driver_sql(_SAVE_PROGRESS_FROM_COPY)

    def record_attempt(self, attempt: DeliveryAttempt) -> None:
        self.record_attempts([attempt])

    def record_attempts(self, attempts: Sequence[DeliveryAttempt]) -> None:
        """One statement for all (the driver's, without SQLAlchemy's work per row)."""
        if not attempts:
            return
        rows = [
            (
                a.notification_id,
                a.attempt_number,
                a.attempted_at,
                a.kind,
                a.http_status,
                a.latency_ms,
                a.response_excerpt,
                a.error[:512] if a.error else None,
                int(a.acknowledged),
                a.url,
                None
                if a.request_headers is None
                else orjson.dumps(a.request_headers).decode("utf-8"),
            )
            for a in attempts
        ]
        if self._conn.dialect.name != "postgresql":
            self._conn.exec_driver_sql(_RECORD_ATTEMPT_SQL, rows)
            return
        self._copy_rows(_RECORD_ATTEMPTS_COPY, rows)

    def _copy_rows(self, copy_sql: str, rows: list[tuple[Any, ...]], *, before: str = "") -> None:
        """PostgreSQL: ``rows`` by COPY (``before`` run first), on psycopg's own cursor in
        this unit of work's transaction."""
        if not self._conn.in_transaction():
            self._conn.begin()
        cursor = self._conn.connection.driver_connection.cursor()
        if before:
            cursor.execute(before)
        with cursor.copy(copy_sql) as copy:
            for row in rows:
                copy.write_row(row)

    def attempts(self, notification_id: str) -> list[DeliveryAttempt]:
        rows = self._conn.execute(
            select(notification_attempts)
            .where(notification_attempts.c.notification_id == notification_id)
            .order_by(notification_attempts.c.attempt_id)
        )
        return [_attempt(row) for row in rows]

    def count_pending(self, client_id: str, *, due_by: int | None = None) -> int:
        """The merchant's notifications waiting for an attempt; with ``due_by`` (the
        merchant's time) only those due by then."""
        stmt = select(func.count()).where(
            notifications.c.client_id == client_id,
            notifications.c.status == DeliveryStatus.PENDING.value,
        )
        if due_by is not None:
            stmt = stmt.where(notifications.c.next_attempt_at <= due_by)
        return int(self._conn.execute(stmt).scalar_one())
