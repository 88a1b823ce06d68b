"""console users' session epoch

``console_users.session_epoch``: every console session cookie carries the epoch of its
user at sign-in, and is refused once the stored epoch differs. Signing out and setting
a password add one, which ends the user's sessions on the server. Existing users start
at 0; cookies signed before this migration carry no epoch and are refused once.

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("console_users") as batch:
        batch.add_column(
            sa.Column("session_epoch", sa.Integer(), nullable=False, server_default="0")
        )


def downgrade() -> None:
    with op.batch_alter_table("console_users") as batch:
        batch.drop_column("session_epoch")
