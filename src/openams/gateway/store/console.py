"""Queries of the merchant console: merchants, one page of payments, console users."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Select, func, insert, or_, select, update

from openams.gateway.domain.merchant import Merchant
from openams.gateway.domain.payment import Payment
from openams.gateway.store.keyset import newest_first_page
from openams.gateway.store.repositories import _payment, insert_if_absent
from openams.gateway.store.tables import console_users, merchants, payments


def payments_page_query(
    client_id: str,
    *,
    status: str | None = None,
    method_type: str | None = None,
    created_from: int | None = None,
    created_to: int | None = None,
    search_id: str | None = None,
    before: tuple[int, str] | None = None,
    after: tuple[int, str] | None = None,
    limit: int = 50,
) -> Select[Any]:
    """One page of a merchant's payments, newest first, older than the keyset
    ``before``; or with ``after``, the ones just newer than it, oldest first.

    Ordered by (created_at, payment_id) and bounded on created_at, so the database walks
    ``ix_payments_client_created`` instead of sorting the merchant's rows.
    """
    stmt = select(payments).where(payments.c.client_id == client_id)
    if status:
        stmt = stmt.where(payments.c.status == status)
    if method_type:
        stmt = stmt.where(payments.c.method_type == method_type)
    if created_from is not None:
        stmt = stmt.where(payments.c.created_at >= created_from)
    if created_to is not None:
        stmt = stmt.where(payments.c.created_at < created_to)
    if search_id:
        stmt = stmt.where(
            or_(
                payments.c.payment_id == search_id,
                payments.c.payment_request_id == search_id,
                payments.c.reference_order_id == search_id,
            )
        )
    return newest_first_page(
        stmt, payments.c.created_at, payments.c.payment_id, before=before, after=after, limit=limit
    )


class SqlConsoleRepository:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def list_merchants(self) -> list[Merchant]:
        rows = self._conn.execute(select(merchants).order_by(merchants.c.client_id))
        return [
            Merchant(r.client_id, r.name, r.notify_url, r.created_at, r.clock_offset_ms)
            for r in rows
        ]

    def list_payments(
        self,
        client_id: str,
        *,
        status: str | None = None,
        method_type: str | None = None,
        created_from: int | None = None,
        created_to: int | None = None,
        search_id: str | None = None,
        before: tuple[int, str] | None = None,
        after: tuple[int, str] | None = None,
        limit: int = 50,
    ) -> list[Payment]:
        stmt = payments_page_query(
            client_id,
            status=status,
            method_type=method_type,
            created_from=created_from,
            created_to=created_to,
            search_id=search_id,
            before=before,
            after=after,
            limit=limit,
        )
        return [_payment(row) for row in self._conn.execute(stmt)]

    def get_password_hash(self, username: str) -> str | None:
        stmt = select(console_users.c.password_hash).where(console_users.c.username == username)
        value = self._conn.execute(stmt).scalar_one_or_none()
        return None if value is None else str(value)

    def count_users(self) -> int:
        return int(self._conn.execute(select(func.count()).select_from(console_users)).scalar_one())

    def add_user_if_absent(self, username: str, password_hash: str, now: int) -> bool:
        values = {
            "username": username,
            "password_hash": password_hash,
            "created_at": now,
            "updated_at": now,
        }
        return insert_if_absent(self._conn, console_users, values)

    def get_session_epoch(self, username: str) -> int | None:
        stmt = select(console_users.c.session_epoch).where(console_users.c.username == username)
        value = self._conn.execute(stmt).scalar_one_or_none()
        return None if value is None else int(value)

    def bump_session_epoch(self, username: str, now: int) -> None:
        self._conn.execute(
            update(console_users)
            .where(console_users.c.username == username)
            .values(session_epoch=console_users.c.session_epoch + 1, updated_at=now)
        )

    def set_password_hash(self, username: str, password_hash: str, now: int) -> None:
        """Set the hash; an existing user's sessions end (its session epoch moves on)."""
        values = {"password_hash": password_hash, "updated_at": now}
        done = self._conn.execute(
            update(console_users)
            .where(console_users.c.username == username)
            .values({**values, "session_epoch": console_users.c.session_epoch + 1})
        )
        if not done.rowcount:
            self._conn.execute(
                insert(console_users).values(username=username, created_at=now, **values)
            )
