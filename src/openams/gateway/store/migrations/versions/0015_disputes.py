"""disputes

``disputes``: chargebacks and retrieval requests opened on paid card payments (sandbox
``testHelpers/openDispute``), with their defense deadline, whether the DEFENSE_DUE_ALERT
went out, the outcome, and the merchant's last defense document. The dispatcher's sweep
finds disputes whose deadline passed through ``(status, defense_due_at)``.

Revision ID: 0015
Revises: 0014
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "disputes",
        sa.Column("dispute_id", sa.String(length=64), primary_key=True),
        sa.Column("client_id", sa.String(length=64), nullable=False),
        sa.Column("payment_id", sa.String(length=64), nullable=False),
        sa.Column("payment_request_id", sa.String(length=64), nullable=False),
        sa.Column("dispute_type", sa.String(length=32), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("amount_value", sa.BigInteger(), nullable=False),
        sa.Column("reason_code", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("defense_due_at", sa.BigInteger(), nullable=False),
        sa.Column("alerted", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("defended_at", sa.BigInteger(), nullable=True),
        sa.Column("judged_at", sa.BigInteger(), nullable=True),
        sa.Column("accept_reason", sa.String(length=32), nullable=True),
        sa.Column("evidence", sa.LargeBinary(), nullable=True),
        sa.Column("evidence_format", sa.String(length=8), nullable=True),
    )
    op.create_index("ix_disputes_payment", "disputes", ["client_id", "payment_id"])
    op.create_index("ix_disputes_client_created", "disputes", ["client_id", "created_at"])
    op.create_index("ix_disputes_status_due", "disputes", ["status", "defense_due_at"])


def downgrade() -> None:
    op.drop_index("ix_disputes_status_due", table_name="disputes")
    op.drop_index("ix_disputes_client_created", table_name="disputes")
    op.drop_index("ix_disputes_payment", table_name="disputes")
    op.drop_table("disputes")
