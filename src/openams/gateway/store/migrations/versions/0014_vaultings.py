"""vaultings: cards vaulted before a payment (vaultPaymentMethod, createVaultingSession)

One row per ``vaultingRequestId`` of a merchant: its state, what is kept of the card
(brand, BIN, last four, expiry, holder, cardToken; never the number or the CVV) and the
request as stored (card number masked, no CVV).

Revision ID: 0014
Revises: 0013
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "vaultings",
        sa.Column("vaulting_id", sa.String(length=64), nullable=False),
        sa.Column("client_id", sa.String(length=64), nullable=False),
        sa.Column("vaulting_request_id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("request_key", sa.Text(), nullable=False),
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column("notify_url", sa.String(length=2048), nullable=True),
        sa.Column("redirect_url", sa.String(length=2048), nullable=True),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("expires_at", sa.BigInteger(), nullable=False),
        sa.Column("completed_at", sa.BigInteger(), nullable=True),
        sa.Column("request_json", sa.Text(), nullable=False),
        sa.Column("card_json", sa.Text(), nullable=True),
        sa.Column("challenge", sa.Integer(), nullable=False),
        sa.Column("pending_code", sa.String(length=64), nullable=True),
        sa.Column("pending_message", sa.String(length=256), nullable=True),
        sa.Column("three_ds_card", sa.Integer(), nullable=False),
        sa.Column("force_three_ds", sa.Integer(), nullable=False),
        sa.Column("result_code", sa.String(length=64), nullable=True),
        sa.Column("result_message", sa.String(length=256), nullable=True),
        sa.PrimaryKeyConstraint("vaulting_id"),
        sa.UniqueConstraint("token"),
        sa.UniqueConstraint("client_id", "vaulting_request_id", name="uq_vaultings_client_request"),
    )
    op.create_index("ix_vaultings_client_created", "vaultings", ["client_id", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_vaultings_client_created", table_name="vaultings")
    op.drop_table("vaultings")
