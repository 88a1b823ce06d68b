"""asynchronous refunds and captures

``refunds.settle_at`` / ``captures.settle_at``: when a PROCESSING refund or capture
settles by itself in the sandbox (the dispatcher's sweep finds due ones through
``(status, settle_at)``); ``result_code`` / ``result_message``: why a FAIL one failed,
for its notification and for a resend of the same request. Existing rows are final
(SUCCESS), so they keep NULLs.

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

_TABLES = ("refunds", "captures")


def upgrade() -> None:
    for table in _TABLES:
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("settle_at", sa.BigInteger(), nullable=True))
            batch.add_column(sa.Column("result_code", sa.String(length=64), nullable=True))
            batch.add_column(sa.Column("result_message", sa.String(length=256), nullable=True))
        op.create_index(f"ix_{table}_status_settle", table, ["status", "settle_at"])


def downgrade() -> None:
    for table in _TABLES:
        op.drop_index(f"ix_{table}_status_settle", table_name=table)
        with op.batch_alter_table(table) as batch:
            batch.drop_column("result_message")
            batch.drop_column("result_code")
            batch.drop_column("settle_at")
