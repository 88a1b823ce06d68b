"""merchant key rotation

``merchant_keys.activated_at``: when the version was made the merchant's active one
(the active version is the non-retired one activated last). ``retired_at``: when it
was retired; requests signed with a retired version are refused (KEY_NOT_FOUND).
Existing keys count as activated when they were added, so the newest stays active.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("merchant_keys") as batch:
        batch.add_column(sa.Column("activated_at", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("retired_at", sa.BigInteger(), nullable=True))
    op.execute("UPDATE merchant_keys SET activated_at = created_at")


def downgrade() -> None:
    with op.batch_alter_table("merchant_keys") as batch:
        batch.drop_column("retired_at")
        batch.drop_column("activated_at")
