"""payments.card_json: what the hosted card page keeps of a card

Brand, BIN, last four digits, expiry and (when the buyer saves it) the card token.
Never the card number, never the CVV.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("payments", sa.Column("card_json", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("payments") as batch:
        batch.drop_column("card_json")
