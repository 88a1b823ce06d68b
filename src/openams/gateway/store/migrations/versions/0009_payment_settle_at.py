"""pending payments' settle time

``payments.settle_at``: when a PENDING payment (the buyer paid, the final result
follows) succeeds by itself in the sandbox; the sweep finds due ones through
``(status, settle_at)``. Its ``expires_at`` keeps the payment's own expiry, which the
pay answer's continuation data shows. Existing rows are not PENDING, so they keep NULL.

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("payments") as batch:
        batch.add_column(sa.Column("settle_at", sa.BigInteger(), nullable=True))
    op.create_index("ix_payments_status_settle", "payments", ["status", "settle_at"])


def downgrade() -> None:
    op.drop_index("ix_payments_status_settle", table_name="payments")
    with op.batch_alter_table("payments") as batch:
        batch.drop_column("settle_at")
