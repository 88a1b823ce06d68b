"""Captures, refunds and saved cards in SQL."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Connection, Row, func, insert, select, update

from openams.gateway.domain.cards import CardResult
from openams.gateway.domain.transactions import Capture, Refund, TransactionStatus
from openams.gateway.domain.vault import SavedCard
from openams.gateway.store.merchant_time import due_on_merchant_clock, with_merchant_offset
from openams.gateway.store.repositories import insert_if_absent
from openams.gateway.store.tables import captures, card_tokens, refunds
from openams.protocol.money import Money


def _capture(row: Row[Any]) -> Capture:
    return Capture(
        capture_id=row.capture_id,
        client_id=row.client_id,
        payment_id=row.payment_id,
        capture_request_id=row.capture_request_id,
        amount=Money(row.currency, row.amount_value),
        status=TransactionStatus(row.status),
        created_at=row.created_at,
        captured_at=row.captured_at,
        automatic=bool(row.automatic),
        settle_at=row.settle_at,
        result_code=row.result_code,
        result_message=row.result_message,
    )


class SqlCaptureRepository:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def get_by_request_id(self, client_id: str, capture_request_id: str) -> Capture | None:
        row = self._conn.execute(
            select(captures).where(
                captures.c.client_id == client_id,
                captures.c.capture_request_id == capture_request_id,
            )
        ).first()
        return None if row is None else _capture(row)

    def add_if_absent(self, capture: Capture) -> bool:
        return insert_if_absent(
            self._conn,
            captures,
            {
                "capture_id": capture.capture_id,
                "client_id": capture.client_id,
                "payment_id": capture.payment_id,
                "capture_request_id": capture.capture_request_id,
                "currency": capture.amount.currency,
                "amount_value": capture.amount.value,
                "status": capture.status.value,
                "automatic": int(capture.automatic),
                "created_at": capture.created_at,
                "captured_at": capture.captured_at,
                "settle_at": capture.settle_at,
                "result_code": capture.result_code,
                "result_message": _message(capture.result_message),
            },
        )

    def get(self, client_id: str, capture_id: str) -> Capture | None:
        row = self._conn.execute(
            select(captures).where(
                captures.c.client_id == client_id, captures.c.capture_id == capture_id
            )
        ).first()
        return None if row is None else _capture(row)

    def save(self, capture: Capture) -> None:
        """Store a capture's outcome (status, time, deadline, failure reason)."""
        self._conn.execute(
            update(captures)
            .where(
                captures.c.client_id == capture.client_id,
                captures.c.capture_id == capture.capture_id,
            )
            .values(
                status=capture.status.value,
                captured_at=capture.captured_at,
                settle_at=capture.settle_at,
                result_code=capture.result_code,
                result_message=_message(capture.result_message),
            )
        )

    def due(self, now: int, limit: int, client_id: str | None = None) -> list[tuple[str, str, int]]:
        """(client id, capture id, the merchant's now) of PROCESSING captures whose settle
        time passed on their merchant's clock (``now`` is real time)."""
        stmt = (
            with_merchant_offset(select(captures.c.client_id, captures.c.capture_id), captures)
            .where(
                captures.c.status == TransactionStatus.PROCESSING.value,
                due_on_merchant_clock(captures.c.settle_at, now),
            )
            .order_by(captures.c.settle_at)
            .limit(limit)
        )
        if client_id is not None:
            stmt = stmt.where(captures.c.client_id == client_id)
        rows = self._conn.execute(stmt)
        return [(row.client_id, row.capture_id, now + row.clock_offset_ms) for row in rows]

    def count_open(self, client_id: str) -> int:
        """The merchant's PROCESSING captures that settle by themselves."""
        return int(
            self._conn.execute(
                select(func.count()).where(
                    captures.c.client_id == client_id,
                    captures.c.status == TransactionStatus.PROCESSING.value,
                    captures.c.settle_at.is_not(None),
                )
            ).scalar_one()
        )

    def for_payment(self, client_id: str, payment_id: str) -> list[Capture]:
        rows = self._conn.execute(
            select(captures)
            .where(captures.c.client_id == client_id, captures.c.payment_id == payment_id)
            .order_by(captures.c.created_at, captures.c.capture_id)
        )
        return [_capture(row) for row in rows]


def _refund(row: Row[Any]) -> Refund:
    return Refund(
        refund_id=row.refund_id,
        client_id=row.client_id,
        payment_id=row.payment_id,
        refund_request_id=row.refund_request_id,
        amount=Money(row.currency, row.amount_value),
        status=TransactionStatus(row.status),
        created_at=row.created_at,
        refunded_at=row.refunded_at,
        reference_refund_id=row.reference_refund_id,
        reason=row.reason,
        notify_url=row.notify_url,
        settle_at=row.settle_at,
        result_code=row.result_code,
        result_message=row.result_message,
    )


class SqlRefundRepository:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def get(self, client_id: str, refund_id: str) -> Refund | None:
        row = self._conn.execute(
            select(refunds).where(
                refunds.c.client_id == client_id, refunds.c.refund_id == refund_id
            )
        ).first()
        return None if row is None else _refund(row)

    def get_by_request_id(self, client_id: str, refund_request_id: str) -> Refund | None:
        row = self._conn.execute(
            select(refunds).where(
                refunds.c.client_id == client_id,
                refunds.c.refund_request_id == refund_request_id,
            )
        ).first()
        return None if row is None else _refund(row)

    def add_if_absent(self, refund: Refund) -> bool:
        return insert_if_absent(
            self._conn,
            refunds,
            {
                "refund_id": refund.refund_id,
                "client_id": refund.client_id,
                "payment_id": refund.payment_id,
                "refund_request_id": refund.refund_request_id,
                "currency": refund.amount.currency,
                "amount_value": refund.amount.value,
                "status": refund.status.value,
                "reference_refund_id": refund.reference_refund_id,
                "reason": refund.reason[:256] if refund.reason else None,
                "notify_url": refund.notify_url,
                "created_at": refund.created_at,
                "refunded_at": refund.refunded_at,
                "settle_at": refund.settle_at,
                "result_code": refund.result_code,
                "result_message": _message(refund.result_message),
            },
        )

    def save(self, refund: Refund) -> None:
        """Store a refund's outcome (status, time, deadline, failure reason)."""
        self._conn.execute(
            update(refunds)
            .where(refunds.c.client_id == refund.client_id, refunds.c.refund_id == refund.refund_id)
            .values(
                status=refund.status.value,
                refunded_at=refund.refunded_at,
                settle_at=refund.settle_at,
                result_code=refund.result_code,
                result_message=_message(refund.result_message),
            )
        )

    def due(self, now: int, limit: int, client_id: str | None = None) -> list[tuple[str, str, int]]:
        """(client id, refund id, the merchant's now) of PROCESSING refunds whose settle
        time passed on their merchant's clock (``now`` is real time)."""
        stmt = (
            with_merchant_offset(select(refunds.c.client_id, refunds.c.refund_id), refunds)
            .where(
                refunds.c.status == TransactionStatus.PROCESSING.value,
                due_on_merchant_clock(refunds.c.settle_at, now),
            )
            .order_by(refunds.c.settle_at)
            .limit(limit)
        )
        if client_id is not None:
            stmt = stmt.where(refunds.c.client_id == client_id)
        rows = self._conn.execute(stmt)
        return [(row.client_id, row.refund_id, now + row.clock_offset_ms) for row in rows]

    def count_open(self, client_id: str) -> int:
        """The merchant's PROCESSING refunds that settle by themselves."""
        return int(
            self._conn.execute(
                select(func.count()).where(
                    refunds.c.client_id == client_id,
                    refunds.c.status == TransactionStatus.PROCESSING.value,
                    refunds.c.settle_at.is_not(None),
                )
            ).scalar_one()
        )

    def for_payment(self, client_id: str, payment_id: str) -> list[Refund]:
        rows = self._conn.execute(
            select(refunds)
            .where(refunds.c.client_id == client_id, refunds.c.payment_id == payment_id)
            .order_by(refunds.c.created_at, refunds.c.refund_id)
        )
        return [_refund(row) for row in rows]

    def total_refunded(self, client_id: str, payment_id: str, *, in_process: bool = True) -> int:
        statuses = [TransactionStatus.SUCCESS.value]
        if in_process:
            statuses.append(TransactionStatus.PROCESSING.value)
        total = self._conn.execute(
            select(func.coalesce(func.sum(refunds.c.amount_value), 0)).where(
                refunds.c.client_id == client_id,
                refunds.c.payment_id == payment_id,
                refunds.c.status.in_(statuses),
            )
        ).scalar_one()
        return int(total)

    def count_refunds(self, client_id: str, payment_id: str) -> int:
        """How many of the payment's refunds succeeded or are in process."""
        count = self._conn.execute(
            select(func.count()).where(
                refunds.c.client_id == client_id,
                refunds.c.payment_id == payment_id,
                refunds.c.status.in_(
                    [TransactionStatus.SUCCESS.value, TransactionStatus.PROCESSING.value]
                ),
            )
        ).scalar_one()
        return int(count)


def _message(message: str | None) -> str | None:
    return message[:256] if message else None


class SqlCardVault:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def add(self, card: SavedCard) -> None:
        self._conn.execute(
            insert(card_tokens).values(
                card_token=card.card_token,
                client_id=card.client_id,
                card_json=json.dumps(card.card.to_dict(), separators=(",", ":")),
                three_ds=int(card.three_ds),
                decline_code=card.decline_code,
                decline_message=card.decline_message[:256] if card.decline_message else None,
                created_at=card.created_at,
            )
        )

    def get(self, client_id: str, card_token: str) -> SavedCard | None:
        row = self._conn.execute(
            select(card_tokens).where(
                card_tokens.c.client_id == client_id, card_tokens.c.card_token == card_token
            )
        ).first()
        if row is None:
            return None
        return SavedCard(
            card_token=row.card_token,
            client_id=row.client_id,
            card=CardResult.from_dict(json.loads(row.card_json)),
            created_at=row.created_at,
            three_ds=bool(row.three_ds),
            decline_code=row.decline_code,
            decline_message=row.decline_message,
        )
