"""Disputes in SQL."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Row, func, insert, select, update

from openams.gateway.domain.disputes import Dispute, DisputeStatus, DisputeType
from openams.gateway.store.keyset import newest_first_page
from openams.gateway.store.merchant_time import due_on_merchant_clock, with_merchant_offset
from openams.gateway.store.tables import disputes
from openams.protocol.money import Money

_ACTIVE = (DisputeStatus.OPEN.value, DisputeStatus.DEFENDED.value)
_DEBITED = (DisputeStatus.ACCEPTED.value, DisputeStatus.LOST.value)
#: Everything but the document: lists and the sweep never need it.
_SUMMARY = [column for column in disputes.c if column.name != "evidence"]


def _dispute(row: Row[Any]) -> Dispute:
    mapping = row._mapping
    return Dispute(
        dispute_id=row.dispute_id,
        client_id=row.client_id,
        payment_id=row.payment_id,
        payment_request_id=row.payment_request_id,
        dispute_type=DisputeType(row.dispute_type),
        amount=Money(row.currency, row.amount_value),
        reason_code=row.reason_code,
        status=DisputeStatus(row.status),
        created_at=row.created_at,
        defense_due_at=row.defense_due_at,
        alerted=bool(row.alerted),
        defended_at=row.defended_at,
        judged_at=row.judged_at,
        accept_reason=row.accept_reason,
        evidence=bytes(mapping["evidence"]) if mapping.get("evidence") is not None else None,
        evidence_format=row.evidence_format,
    )


class SqlDisputeRepository:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def add(self, dispute: Dispute) -> None:
        self._conn.execute(insert(disputes).values(**self._values(dispute), **self._keys(dispute)))

    def save(self, dispute: Dispute) -> None:
        """Its state; its document only when it carries one (a dispute read without it,
        as ``get`` reads by default, keeps the stored document)."""
        values = self._values(dispute)
        if dispute.evidence is None:
            del values["evidence"]
        self._conn.execute(
            update(disputes)
            .where(
                disputes.c.client_id == dispute.client_id,
                disputes.c.dispute_id == dispute.dispute_id,
            )
            .values(**values)
        )

    @staticmethod
    def _keys(dispute: Dispute) -> dict[str, Any]:
        return {
            "dispute_id": dispute.dispute_id,
            "client_id": dispute.client_id,
            "payment_id": dispute.payment_id,
            "payment_request_id": dispute.payment_request_id,
            "dispute_type": dispute.dispute_type.value,
            "currency": dispute.amount.currency,
            "amount_value": dispute.amount.value,
            "reason_code": dispute.reason_code,
            "created_at": dispute.created_at,
        }

    @staticmethod
    def _values(dispute: Dispute) -> dict[str, Any]:
        return {
            "status": dispute.status.value,
            "defense_due_at": dispute.defense_due_at,
            "alerted": int(dispute.alerted),
            "defended_at": dispute.defended_at,
            "judged_at": dispute.judged_at,
            "accept_reason": dispute.accept_reason,
            "evidence": dispute.evidence,
            "evidence_format": dispute.evidence_format,
        }

    def get(
        self, client_id: str, dispute_id: str, *, with_evidence: bool = False
    ) -> Dispute | None:
        columns = list(disputes.c) if with_evidence else _SUMMARY
        row = self._conn.execute(
            select(*columns).where(
                disputes.c.client_id == client_id, disputes.c.dispute_id == dispute_id
            )
        ).first()
        return None if row is None else _dispute(row)

    def for_client(
        self,
        client_id: str,
        limit: int,
        *,
        before: tuple[int, str] | None = None,
        after: tuple[int, str] | None = None,
    ) -> list[Dispute]:
        """Newest first, older than the keyset ``before`` (created_at, dispute_id); or
        with ``after``, the ones just newer than it, oldest first."""
        stmt = newest_first_page(
            select(*_SUMMARY).where(disputes.c.client_id == client_id),
            disputes.c.created_at,
            disputes.c.dispute_id,
            before=before,
            after=after,
            limit=limit,
        )
        return [_dispute(row) for row in self._conn.execute(stmt)]

    def held(self, client_id: str, payment_id: str) -> int:
        """What the payment's chargebacks hold (open, defended) or took (accepted, lost)."""
        return self._chargebacks(client_id, payment_id, _ACTIVE + _DEBITED)

    def debited(self, client_id: str, payment_id: str) -> int:
        """What the payment's accepted and lost chargebacks took back."""
        return self._chargebacks(client_id, payment_id, _DEBITED)

    def _chargebacks(self, client_id: str, payment_id: str, statuses: tuple[str, ...]) -> int:
        total = self._conn.execute(
            select(func.coalesce(func.sum(disputes.c.amount_value), 0)).where(
                disputes.c.client_id == client_id,
                disputes.c.payment_id == payment_id,
                disputes.c.dispute_type == DisputeType.CHARGEBACK.value,
                disputes.c.status.in_(statuses),
            )
        ).scalar_one()
        return int(total)

    def has_active(self, client_id: str, payment_id: str) -> bool:
        return (
            self._conn.execute(
                select(disputes.c.dispute_id)
                .where(
                    disputes.c.client_id == client_id,
                    disputes.c.payment_id == payment_id,
                    disputes.c.status.in_(_ACTIVE),
                )
                .limit(1)
            ).first()
            is not None
        )

    def due(
        self, now: int, alert_ms: int, limit: int, client_id: str | None = None
    ) -> list[tuple[str, str, int]]:
        """(client id, dispute id, the merchant's now) of open or defended disputes whose
        deadline passed, or open ones not yet alerted whose alert time (deadline -
        ``alert_ms``) passed, on their merchant's clock (``now`` is real time)."""
        stmt = (
            with_merchant_offset(select(disputes.c.client_id, disputes.c.dispute_id), disputes)
            .where(
                disputes.c.status.in_(_ACTIVE),
                due_on_merchant_clock(disputes.c.defense_due_at, now)
                | (
                    (disputes.c.alerted == 0)
                    & (disputes.c.status == DisputeStatus.OPEN.value)
                    & due_on_merchant_clock(disputes.c.defense_due_at - alert_ms, now)
                ),
            )
            .order_by(disputes.c.defense_due_at)
            .limit(limit)
        )
        if client_id is not None:
            stmt = stmt.where(disputes.c.client_id == client_id)
        rows = self._conn.execute(stmt)
        return [(row.client_id, row.dispute_id, now + row.clock_offset_ms) for row in rows]

    def count_active(self, client_id: str) -> int:
        """The merchant's open and defended disputes (each with a deadline ahead)."""
        return int(
            self._conn.execute(
                select(func.count()).where(
                    disputes.c.client_id == client_id, disputes.c.status.in_(_ACTIVE)
                )
            ).scalar_one()
        )
