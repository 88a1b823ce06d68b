"""FX rates and locked settlement quotes in SQL (migration ``0006``).

Rates and prices are stored as decimal text (``String``), never floats: SQLite has no
exact decimal type, and the text round-trips exactly on both databases.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    Date,
    Index,
    Row,
    String,
    Table,
    delete,
    insert,
    select,
)

from openams.gateway.domain.fx import (
    FxRate,
    SettlementKind,
    SettlementQuote,
    TransactionSettlement,
    format_decimal,
)
from openams.gateway.store.tables import metadata
from openams.protocol.money import Money

fx_rates = Table(
    "fx_rates",
    metadata,
    Column("base_currency", String(3), primary_key=True),
    Column("quote_currency", String(3), primary_key=True),
    Column("day", Date, primary_key=True),
    Column("rate", String(40), nullable=False),
    Column("updated_at", BigInteger, nullable=False),
)

# One row per transaction that settles at a locked quote: the payment (or its
# authorization) when it succeeds, each refund and capture of it later.
transaction_settlements = Table(
    "transaction_settlements",
    metadata,
    Column("client_id", String(64), primary_key=True),
    Column("transaction_type", String(16), primary_key=True),
    Column("transaction_id", String(64), primary_key=True),
    Column("payment_id", String(64), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("amount_value", BigInteger, nullable=False),
    Column("quote_id", String(64), nullable=False),
    Column("base_currency", String(3), nullable=False),
    Column("quote_currency", String(3), nullable=False),
    Column("quote_price", String(40), nullable=False),
    Column("quote_start_at", BigInteger, nullable=False),
    Column("quote_expiry_at", BigInteger, nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Index("ix_transaction_settlements_payment", "client_id", "payment_id"),
)


def _rate(row: Row[Any]) -> FxRate:
    return FxRate(row.base_currency, row.quote_currency, row.day, Decimal(row.rate))


class SqlFxRateRepository:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def latest(self, base: str, quote: str, day: date) -> FxRate | None:
        row = self._conn.execute(
            select(fx_rates)
            .where(
                fx_rates.c.base_currency == base,
                fx_rates.c.quote_currency == quote,
                fx_rates.c.day <= day,
            )
            .order_by(fx_rates.c.day.desc())
            .limit(1)
        ).first()
        return None if row is None else _rate(row)

    def put(self, rate: FxRate, now_ms: int) -> None:
        """Insert or replace the rate of ``rate.pair`` on ``rate.day``."""
        key = (
            fx_rates.c.base_currency == rate.base,
            fx_rates.c.quote_currency == rate.quote,
            fx_rates.c.day == rate.day,
        )
        self._conn.execute(delete(fx_rates).where(*key))
        self._conn.execute(
            insert(fx_rates).values(
                base_currency=rate.base,
                quote_currency=rate.quote,
                day=rate.day,
                rate=format_decimal(rate.rate),
                updated_at=now_ms,
            )
        )

    def all(self, day: date | None = None) -> list[FxRate]:
        """Every stored rate; with ``day``, each pair's rate in force on that day."""
        rows = self._conn.execute(
            select(fx_rates).order_by(
                fx_rates.c.base_currency, fx_rates.c.quote_currency, fx_rates.c.day
            )
        )
        rates = [_rate(row) for row in rows]
        if day is None:
            return rates
        in_force: dict[tuple[str, str], FxRate] = {}
        for rate in rates:
            if rate.day <= day:
                in_force[(rate.base, rate.quote)] = rate
        return list(in_force.values())


def settlement_row(settlement: TransactionSettlement) -> dict[str, Any]:
    quote = settlement.quote
    return {
        "client_id": settlement.client_id,
        "transaction_type": settlement.kind.value,
        "transaction_id": settlement.transaction_id,
        "payment_id": settlement.payment_id,
        "currency": settlement.amount.currency,
        "amount_value": settlement.amount.value,
        "quote_id": quote.quote_id,
        "base_currency": quote.base,
        "quote_currency": quote.quote,
        "quote_price": format_decimal(quote.price),
        "quote_start_at": quote.start_ms,
        "quote_expiry_at": quote.expiry_ms,
        "created_at": settlement.created_at,
    }


def settlement_of(row: Row[Any] | Any) -> TransactionSettlement:
    return TransactionSettlement(
        client_id=row.client_id,
        transaction_id=row.transaction_id,
        payment_id=row.payment_id,
        kind=SettlementKind(row.transaction_type),
        amount=Money(row.currency, row.amount_value),
        quote=SettlementQuote(
            quote_id=row.quote_id,
            base=row.base_currency,
            quote=row.quote_currency,
            price=Decimal(row.quote_price),
            start_ms=row.quote_start_at,
            expiry_ms=row.quote_expiry_at,
        ),
        created_at=row.created_at,
    )


class SqlSettlementRepository:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def add(self, settlement: TransactionSettlement) -> None:
        self._conn.execute(insert(transaction_settlements).values(**settlement_row(settlement)))

    def get(
        self, client_id: str, kind: SettlementKind, transaction_id: str
    ) -> TransactionSettlement | None:
        t = transaction_settlements.c
        row = self._conn.execute(
            select(transaction_settlements).where(
                t.client_id == client_id,
                t.transaction_type == kind.value,
                t.transaction_id == transaction_id,
            )
        ).first()
        return None if row is None else settlement_of(row)

    def for_payment(self, client_id: str, payment_id: str) -> list[TransactionSettlement]:
        t = transaction_settlements.c
        rows = self._conn.execute(
            select(transaction_settlements)
            .where(t.client_id == client_id, t.payment_id == payment_id)
            .order_by(t.created_at, t.transaction_id)
        )
        return [settlement_of(row) for row in rows]


#: The daily rates shipped with openams (loaded by migration 0006).
SHIPPED_RATES_CSV = Path(__file__).with_name("data") / "fx_rates.csv"
