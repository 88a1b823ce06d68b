"""merchants' frame origins

``merchants.frame_origins_json``: the web origins (JSON list) that may frame the
merchant's payment-session pages (the Web SDK's embedded checkout). NULL: none, the
pages refuse every frame like all other pages.

Revision ID: 0012
Revises: 0011
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("merchants") as batch:
        batch.add_column(sa.Column("frame_origins_json", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("merchants") as batch:
        batch.drop_column("frame_origins_json")
