"""payment_codes: sandbox buyers' payment codes (user-presented mode)

One row per code the wallet simulator or ``testHelpers/issuePaymentCode`` issued: the
SHA-256 of the code (never the code), the wallet page's handle it is derived from, the
buyer, its one-minute validity and, once used, the payment it paid.

Revision ID: 0013
Revises: 0012
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "payment_codes",
        sa.Column("code_hash", sa.String(64), primary_key=True),
        sa.Column("code_id", sa.String(64), nullable=False, unique=True),
        sa.Column("buyer", sa.String(64), nullable=False),
        sa.Column("issued_at", sa.BigInteger(), nullable=False),
        sa.Column("expires_at", sa.BigInteger(), nullable=False),
        sa.Column("used_at", sa.BigInteger(), nullable=True),
        sa.Column("client_id", sa.String(64), nullable=True),
        sa.Column("payment_id", sa.String(64), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("payment_codes")
