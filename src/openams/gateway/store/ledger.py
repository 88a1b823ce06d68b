"""The settled transactions of a merchant in a time range, with their locked settlement."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Row, and_, literal, select, union_all

from openams.gateway.domain.disputes import DisputeStatus, DisputeType
from openams.gateway.domain.fx import SettlementKind
from openams.gateway.domain.ledger import LedgerEntry
from openams.gateway.domain.transactions import TransactionStatus
from openams.gateway.domain.transitions import PaymentStatus
from openams.gateway.store.fx import settlement_of, transaction_settlements
from openams.gateway.store.tables import captures, disputes, payments, refunds
from openams.protocol.money import Money

_SETTLEMENT_COLUMNS = (
    "quote_id",
    "base_currency",
    "quote_currency",
    "quote_price",
    "quote_start_at",
    "quote_expiry_at",
)


class SqlLedger:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def entries(self, client_id: str, start_ms: int, end_ms: int) -> list[LedgerEntry]:
        """PAYMENT, CAPTURE, REFUND and DISPUTE entries with ``start_ms <= time < end_ms``."""
        p, c, r, s = payments.c, captures.c, refunds.c, transaction_settlements.c

        def settled(kind: SettlementKind, transaction_id: Any) -> Any:
            return and_(
                s.client_id == client_id,
                s.transaction_type == kind.value,
                s.transaction_id == transaction_id,
            )

        def shape(kind: SettlementKind, source: Any, ids: tuple[Any, Any], at: Any) -> Any:
            return [
                literal(kind.value).label("kind"),
                ids[0].label("transaction_id"),
                ids[1].label("request_id"),
                p.payment_id.label("payment_id"),
                at.label("at"),
                source.currency.label("currency"),
                source.amount_value.label("amount_value"),
                p.settlement_currency.label("settlement_currency"),
                p.method_type.label("method_type"),
                p.product_code.label("product_code"),
                p.reference_order_id.label("reference_order_id"),
                s.currency.label("s_currency"),
                s.amount_value.label("s_amount_value"),
                s.created_at.label("s_created_at"),
                *(s[name].label(name) for name in _SETTLEMENT_COLUMNS),
            ]

        sales = (
            select(
                *shape(SettlementKind.PAYMENT, p, (p.payment_id, p.payment_request_id), p.paid_at)
            )
            .select_from(
                payments.outerjoin(
                    transaction_settlements, settled(SettlementKind.PAYMENT, p.payment_id)
                )
            )
            .where(
                p.client_id == client_id,
                p.status == PaymentStatus.SUCCESS.value,
                p.is_authorization == 0,
                p.paid_at >= start_ms,
                p.paid_at < end_ms,
            )
        )

        def of_payment(
            kind: SettlementKind, table: Any, ids: tuple[Any, Any], at: Any, moved: Any = None
        ) -> Any:
            """A capture's, refund's or dispute's rows: money moved, of this merchant, in
            the day."""
            source = table.c
            if moved is None:
                moved = source.status == TransactionStatus.SUCCESS.value
            return (
                select(*shape(kind, source, ids, at))
                .select_from(
                    table.join(
                        payments,
                        and_(p.client_id == source.client_id, p.payment_id == source.payment_id),
                    ).outerjoin(transaction_settlements, settled(kind, ids[0]))
                )
                .where(
                    source.client_id == client_id,
                    moved,
                    at >= start_ms,
                    at < end_ms,
                )
            )

        captured = of_payment(
            SettlementKind.CAPTURE, captures, (c.capture_id, c.capture_request_id), c.captured_at
        )
        refunded = of_payment(
            SettlementKind.REFUND, refunds, (r.refund_id, r.refund_request_id), r.refunded_at
        )
        d = disputes.c
        debited = of_payment(
            SettlementKind.DISPUTE,
            disputes,
            (d.dispute_id, d.dispute_id),
            d.judged_at,
            and_(
                d.dispute_type == DisputeType.CHARGEBACK.value,
                d.status.in_([DisputeStatus.ACCEPTED.value, DisputeStatus.LOST.value]),
            ),
        )
        query = union_all(sales, captured, refunded, debited)
        rows = self._conn.execute(query).all()
        entries = [_entry(client_id, row) for row in rows]
        return sorted(entries, key=lambda e: (e.at, e.kind.value, e.transaction_id))


def _entry(client_id: str, row: Row[Any]) -> LedgerEntry:
    kind = SettlementKind(row.kind)
    settlement = None
    if row.quote_id is not None:
        settlement = settlement_of(
            _Settled(
                client_id=client_id,
                transaction_id=row.transaction_id,
                payment_id=row.payment_id,
                transaction_type=kind.value,
                currency=row.s_currency,
                amount_value=row.s_amount_value,
                created_at=row.s_created_at,
                **{name: getattr(row, name) for name in _SETTLEMENT_COLUMNS},
            )
        )
    return LedgerEntry(
        kind=kind,
        transaction_id=row.transaction_id,
        request_id=row.request_id,
        payment_id=row.payment_id,
        at=int(row.at),
        amount=Money(row.currency, int(row.amount_value)),
        settlement_currency=row.settlement_currency,
        method_type=row.method_type,
        product_code=row.product_code,
        reference_order_id=row.reference_order_id,
        settlement=settlement,
    )


class _Settled:
    """Attribute access over the joined settlement columns (what ``settlement_of`` reads)."""

    def __init__(self, **values: Any) -> None:
        self.__dict__.update(values)
