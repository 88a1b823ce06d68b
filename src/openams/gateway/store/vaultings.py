"""Card vaultings in SQL (migration ``0014``). Never a card number, never a CVV."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    Index,
    Integer,
    Row,
    String,
    Table,
    Text,
    UniqueConstraint,
    select,
    update,
)

from openams.gateway.domain.cards import CardResult
from openams.gateway.domain.vaulting import Vaulting, VaultingKind, VaultingStatus
from openams.gateway.store.repositories import insert_if_absent
from openams.gateway.store.tables import metadata

vaultings = Table(
    "vaultings",
    metadata,
    Column("vaulting_id", String(64), primary_key=True),
    Column("client_id", String(64), nullable=False),
    Column("vaulting_request_id", String(64), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("status", String(16), nullable=False),
    Column("request_key", Text, nullable=False),
    Column("token", String(64), nullable=False, unique=True),
    Column("notify_url", String(2048)),
    Column("redirect_url", String(2048)),
    Column("created_at", BigInteger, nullable=False),
    Column("expires_at", BigInteger, nullable=False),
    Column("completed_at", BigInteger),
    Column("request_json", Text, nullable=False),
    # brand, BIN, last four, expiry, holder and (once vaulted) the cardToken
    Column("card_json", Text),
    Column("challenge", Integer, nullable=False),
    Column("pending_code", String(64)),
    Column("pending_message", String(256)),
    Column("three_ds_card", Integer, nullable=False),
    Column("force_three_ds", Integer, nullable=False),
    Column("result_code", String(64)),
    Column("result_message", String(256)),
    UniqueConstraint("client_id", "vaulting_request_id", name="uq_vaultings_client_request"),
    Index("ix_vaultings_client_created", "client_id", "created_at"),
)


def _text(value: str | None) -> str | None:
    return value[:256] if value else None


def _row(v: Vaulting) -> dict[str, Any]:
    return {
        "vaulting_id": v.vaulting_id,
        "client_id": v.client_id,
        "vaulting_request_id": v.vaulting_request_id,
        "kind": v.kind.value,
        "status": v.status.value,
        "request_key": v.key,
        "token": v.token,
        "notify_url": v.notify_url,
        "redirect_url": v.redirect_url,
        "created_at": v.created_at,
        "expires_at": v.expires_at,
        "completed_at": v.completed_at,
        "request_json": json.dumps(v.request, separators=(",", ":")),
        "card_json": None
        if v.card is None
        else json.dumps(v.card.to_dict(), separators=(",", ":")),
        "challenge": int(v.challenge),
        "pending_code": v.pending_code,
        "pending_message": _text(v.pending_message),
        "three_ds_card": int(v.three_ds_card),
        "force_three_ds": int(v.force_three_ds),
        "result_code": v.result_code,
        "result_message": _text(v.result_message),
    }


def _vaulting(row: Row[Any]) -> Vaulting:
    return Vaulting(
        vaulting_id=row.vaulting_id,
        client_id=row.client_id,
        vaulting_request_id=row.vaulting_request_id,
        kind=VaultingKind(row.kind),
        status=VaultingStatus(row.status),
        key=row.request_key,
        token=row.token,
        notify_url=row.notify_url,
        redirect_url=row.redirect_url,
        created_at=row.created_at,
        expires_at=row.expires_at,
        completed_at=row.completed_at,
        request=json.loads(row.request_json),
        card=None if row.card_json is None else CardResult.from_dict(json.loads(row.card_json)),
        challenge=bool(row.challenge),
        pending_code=row.pending_code,
        pending_message=row.pending_message,
        three_ds_card=bool(row.three_ds_card),
        force_three_ds=bool(row.force_three_ds),
        result_code=row.result_code,
        result_message=row.result_message,
    )


class SqlVaultingRepository:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def add_if_absent(self, vaulting: Vaulting) -> bool:
        """Insert unless (client_id, vaultingRequestId) exists; True when inserted."""
        return insert_if_absent(self._conn, vaultings, _row(vaulting))

    def _one(self, *where: Any, for_update: bool = False) -> Vaulting | None:
        stmt = select(vaultings).where(*where)
        if for_update:
            stmt = stmt.with_for_update()
        row = self._conn.execute(stmt).first()
        return None if row is None else _vaulting(row)

    def get_by_request_id(
        self, client_id: str, vaulting_request_id: str, *, for_update: bool = False
    ) -> Vaulting | None:
        return self._one(
            vaultings.c.client_id == client_id,
            vaultings.c.vaulting_request_id == vaulting_request_id,
            for_update=for_update,
        )

    def get_by_token(self, token: str, *, for_update: bool = False) -> Vaulting | None:
        """Any merchant's vaulting by its page token: for the hosted form only."""
        return self._one(vaultings.c.token == token, for_update=for_update)

    def save(self, vaulting: Vaulting) -> None:
        values = _row(vaulting)
        for key in ("vaulting_id", "client_id", "vaulting_request_id", "token", "created_at"):
            values.pop(key)
        self._conn.execute(
            update(vaultings).where(vaultings.c.vaulting_id == vaulting.vaulting_id).values(values)
        )

    def for_client(self, client_id: str, limit: int) -> list[Vaulting]:
        """The merchant's vaultings, newest first."""
        rows = self._conn.execute(
            select(vaultings)
            .where(vaultings.c.client_id == client_id)
            .order_by(vaultings.c.created_at.desc(), vaultings.c.vaulting_id.desc())
            .limit(limit)
        )
        return [_vaulting(row) for row in rows]
