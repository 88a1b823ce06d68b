"""Sandbox buyers' payment codes: issue, look up, and use each at most once."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, delete, insert, select, update

from openams.gateway.domain.payment_codes import PaymentCode
from openams.gateway.store.tables import payment_codes


def _code(row: Any) -> PaymentCode:
    return PaymentCode(
        code_id=row.code_id,
        code_hash=row.code_hash,
        buyer=row.buyer,
        issued_at=row.issued_at,
        expires_at=row.expires_at,
        used_at=row.used_at,
        client_id=row.client_id,
        payment_id=row.payment_id,
    )


class SqlPaymentCodeRepository:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def add(self, code: PaymentCode) -> None:
        self._conn.execute(
            insert(payment_codes).values(
                code_hash=code.code_hash,
                code_id=code.code_id,
                buyer=code.buyer,
                issued_at=code.issued_at,
                expires_at=code.expires_at,
            )
        )

    def get(self, code_hash: str) -> PaymentCode | None:
        row = self._conn.execute(
            select(payment_codes).where(payment_codes.c.code_hash == code_hash)
        ).first()
        return None if row is None else _code(row)

    def get_by_id(self, code_id: str) -> PaymentCode | None:
        row = self._conn.execute(
            select(payment_codes).where(payment_codes.c.code_id == code_id)
        ).first()
        return None if row is None else _code(row)

    def use(self, code_hash: str, now_ms: int, client_id: str, payment_id: str) -> bool:
        """Mark an unused, unexpired code used by this payment; False when another use won
        (one conditional update, so two pays can never both use a code)."""
        done = self._conn.execute(
            update(payment_codes)
            .where(
                payment_codes.c.code_hash == code_hash,
                payment_codes.c.used_at.is_(None),
                payment_codes.c.expires_at > now_ms,
            )
            .values(used_at=now_ms, client_id=client_id, payment_id=payment_id)
        )
        return done.rowcount == 1

    def prune_unused(self, expired_before: int) -> int:
        done = self._conn.execute(
            delete(payment_codes).where(
                payment_codes.c.used_at.is_(None), payment_codes.c.expires_at < expired_before
            )
        )
        return done.rowcount
