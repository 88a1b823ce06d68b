"""merchant clock offset

``merchants.clock_offset_ms``: how far a sandbox merchant's clock runs ahead of real time
(``testHelpers/advanceClock`` adds to it; stored deadlines are never rewritten). Its
index lets the sweeps read the largest offset without reading every merchant.
``clock_shifts``: each advance, in the merchant's time before and after it, for the
console's timelines.

Revision ID: 0016
Revises: 0015
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("merchants") as batch:
        batch.add_column(
            sa.Column("clock_offset_ms", sa.BigInteger(), nullable=False, server_default="0")
        )
    op.create_index("ix_merchants_clock_offset", "merchants", ["clock_offset_ms"])
    op.create_table(
        "clock_shifts",
        sa.Column("shift_id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("client_id", sa.String(length=64), nullable=False),
        sa.Column("real_at", sa.BigInteger(), nullable=False),
        sa.Column("from_ms", sa.BigInteger(), nullable=False),
        sa.Column("to_ms", sa.BigInteger(), nullable=False),
    )
    op.create_index("ix_clock_shifts_client", "clock_shifts", ["client_id", "to_ms"])


def downgrade() -> None:
    op.drop_index("ix_clock_shifts_client", table_name="clock_shifts")
    op.drop_table("clock_shifts")
    op.drop_index("ix_merchants_clock_offset", table_name="merchants")
    with op.batch_alter_table("merchants") as batch:
        batch.drop_column("clock_offset_ms")
