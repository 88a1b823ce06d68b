"""request log, and what each notification attempt sent

``request_log``: one row per AMS call (headers and bodies as received and as answered,
card data scrubbed), kept within the retention settings. ``notification_attempts`` gains
the URL and the signed headers of each attempt (the body is the notification's own).

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "request_log",
        sa.Column("log_id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("client_id", sa.String(64), nullable=False),
        sa.Column("path", sa.String(256), nullable=False),
        sa.Column("payment_request_id", sa.String(64)),
        sa.Column("payment_id", sa.String(64)),
        sa.Column("refund_request_id", sa.String(64)),
        sa.Column("capture_request_id", sa.String(64)),
        sa.Column("result_status", sa.String(1)),
        sa.Column("result_code", sa.String(64)),
        sa.Column("result_message", sa.String(512)),
        sa.Column("http_status", sa.Integer(), nullable=False),
        sa.Column("latency_us", sa.Integer(), nullable=False),
        sa.Column("signature_check", sa.Text()),
        sa.Column("request_headers", sa.Text(), nullable=False),
        sa.Column("request_body", sa.Text(), nullable=False),
        sa.Column("response_headers", sa.Text(), nullable=False),
        sa.Column("response_body", sa.Text(), nullable=False),
    )
    op.create_index("ix_request_log_client", "request_log", ["client_id", "log_id"])
    op.create_index("ix_request_log_created", "request_log", ["created_at"])
    op.create_index("ix_request_log_payment", "request_log", ["client_id", "payment_id"])
    op.create_index(
        "ix_request_log_payment_request", "request_log", ["client_id", "payment_request_id"]
    )
    # the console's and inquireNotificationList's keyset pages of a merchant's notifications
    op.create_index("ix_notifications_client_id", "notifications", ["client_id", "notification_id"])
    with op.batch_alter_table("notification_attempts") as batch:
        batch.add_column(sa.Column("url", sa.String(2048)))
        batch.add_column(sa.Column("request_headers", sa.Text()))


def downgrade() -> None:
    with op.batch_alter_table("notification_attempts") as batch:
        batch.drop_column("request_headers")
        batch.drop_column("url")
    op.drop_index("ix_notifications_client_id", table_name="notifications")
    op.drop_table("request_log")
