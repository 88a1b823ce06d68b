"""FX rates and transaction settlements

``fx_rates``: daily rates (decimal text), seeded from the table shipped with openams
(``store/data/fx_rates.csv``). ``transaction_settlements``: the settlement amount and
locked quote of each payment, capture and refund whose currency differs from its
settlement currency.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import time

import sqlalchemy as sa
from alembic import op

from openams.gateway.domain.fx import format_decimal, read_rates_csv
from openams.gateway.store.fx import SHIPPED_RATES_CSV

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    fx_rates = op.create_table(
        "fx_rates",
        sa.Column("base_currency", sa.String(length=3), nullable=False),
        sa.Column("quote_currency", sa.String(length=3), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("rate", sa.String(length=40), nullable=False),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("base_currency", "quote_currency", "day"),
    )
    op.create_table(
        "transaction_settlements",
        sa.Column("client_id", sa.String(length=64), nullable=False),
        sa.Column("transaction_type", sa.String(length=16), nullable=False),
        sa.Column("transaction_id", sa.String(length=64), nullable=False),
        sa.Column("payment_id", sa.String(length=64), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("amount_value", sa.BigInteger(), nullable=False),
        sa.Column("quote_id", sa.String(length=64), nullable=False),
        sa.Column("base_currency", sa.String(length=3), nullable=False),
        sa.Column("quote_currency", sa.String(length=3), nullable=False),
        sa.Column("quote_price", sa.String(length=40), nullable=False),
        sa.Column("quote_start_at", sa.BigInteger(), nullable=False),
        sa.Column("quote_expiry_at", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("client_id", "transaction_type", "transaction_id"),
    )
    op.create_index(
        "ix_transaction_settlements_payment",
        "transaction_settlements",
        ["client_id", "payment_id"],
    )
    now = time.time_ns() // 1_000_000
    shipped = read_rates_csv(SHIPPED_RATES_CSV.read_text(encoding="utf-8"))
    op.bulk_insert(
        fx_rates,
        [
            {
                "base_currency": rate.base,
                "quote_currency": rate.quote,
                "day": rate.day,
                "rate": format_decimal(rate.rate),
                "updated_at": now,
            }
            for rate in shipped
        ],
    )


def downgrade() -> None:
    op.drop_index("ix_transaction_settlements_payment", table_name="transaction_settlements")
    op.drop_table("transaction_settlements")
    op.drop_table("fx_rates")
