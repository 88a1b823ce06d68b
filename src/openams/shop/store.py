"""The shop's own SQLite tables (SQLAlchemy Core), created on start."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

metadata = sa.MetaData()

orders = sa.Table(
    "shop_orders",
    metadata,
    sa.Column("order_id", sa.String(64), primary_key=True),  # the referenceOrderId
    sa.Column("session_id", sa.String(64), nullable=False, index=True),
    sa.Column("description", sa.String(256), nullable=False),
    sa.Column("currency", sa.String(3), nullable=False),
    sa.Column("amount", sa.BigInteger, nullable=False),  # minor units
    sa.Column("status", sa.String(16), nullable=False),  # OPEN, PAID, CANCELLED
    sa.Column("paid_by", sa.String(64), nullable=True),  # the paymentRequestId that counts
    sa.Column("created_at", sa.Float, nullable=False),
)

order_lines = sa.Table(
    "shop_order_lines",
    metadata,
    sa.Column("order_id", sa.String(64), sa.ForeignKey("shop_orders.order_id"), primary_key=True),
    sa.Column("product_id", sa.String(32), primary_key=True),
    sa.Column("quantity", sa.Integer, nullable=False),
    sa.Column("unit_price", sa.BigInteger, nullable=False),
)

payments = sa.Table(
    "shop_payments",
    metadata,
    sa.Column("payment_request_id", sa.String(64), primary_key=True),
    sa.Column("order_id", sa.String(64), sa.ForeignKey("shop_orders.order_id"), nullable=False),
    sa.Column("payment_id", sa.String(64), nullable=True),
    sa.Column("method", sa.String(64), nullable=False),
    sa.Column("terminal", sa.String(8), nullable=False),
    # PENDING, SUCCESS, FAIL, CANCELLING (extra success being cancelled), CANCELLED
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("result_code", sa.String(64), nullable=True),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("last_inquiry_at", sa.Float, nullable=True),
    # How the final result reached the shop: pay (an S answer), notification or inquiry.
    sa.Column("result_source", sa.String(16), nullable=True),
    # When the buyer paid (the gateway's paymentTime, else when the shop learned it).
    sa.Column("paid_at", sa.Float, nullable=True),
    # The pay body as sent: a double submit resends it unchanged (same paymentRequestId).
    sa.Column("pay_request", sa.Text, nullable=True),
    # When pay ended without a clear answer (U after the retries, a timeout): the
    # attempt is inquired, and cancelled if it stays unclear.
    sa.Column("unclear_since", sa.Float, nullable=True),
    # AlipayCN: what the payment settles as (grossSettlementAmount), in minor units.
    sa.Column("gross_settlement_currency", sa.String(3), nullable=True),
    sa.Column("gross_settlement_value", sa.BigInteger, nullable=True),
    # Cards: the CAPTURE_RESULT's outcome (SUCCESS or FAIL) for this payment.
    sa.Column("capture_status", sa.String(16), nullable=True),
)

refunds = sa.Table(
    "shop_refunds",
    metadata,
    sa.Column("refund_request_id", sa.String(64), primary_key=True),
    sa.Column("order_id", sa.String(64), sa.ForeignKey("shop_orders.order_id"), nullable=False),
    sa.Column("payment_request_id", sa.String(64), nullable=False),
    sa.Column("refund_id", sa.String(64), nullable=True),
    sa.Column("currency", sa.String(3), nullable=False),
    sa.Column("amount", sa.BigInteger, nullable=False),  # minor units
    sa.Column("status", sa.String(16), nullable=False),  # PENDING, SUCCESS, FAIL
    sa.Column("result_code", sa.String(64), nullable=True),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("refunded_at", sa.Float, nullable=True),
)

carts = sa.Table(
    "shop_carts",
    metadata,
    sa.Column("session_id", sa.String(64), primary_key=True),
    sa.Column("product_id", sa.String(32), primary_key=True),
    sa.Column("quantity", sa.Integer, nullable=False),
)


def _add_missing_columns(engine: sa.Engine) -> None:
    """Columns added after a shop database was first made (``create_all`` adds tables only).

    Only nullable columns are ever added, so ``ALTER TABLE ... ADD COLUMN`` is enough.
    """
    inspector = sa.inspect(engine)
    with engine.begin() as db:
        for table in metadata.sorted_tables:
            present = {column["name"] for column in inspector.get_columns(table.name)}
            for column in table.columns:
                if column.name not in present:
                    kind = column.type.compile(engine.dialect)
                    db.execute(
                        sa.text(f'ALTER TABLE {table.name} ADD COLUMN "{column.name}" {kind}')
                    )


def create_engine(path: Path) -> sa.Engine:
    path.parent.mkdir(parents=True, exist_ok=True)
    engine = sa.create_engine(
        f"sqlite:///{path}", connect_args={"check_same_thread": False, "timeout": 30}
    )
    metadata.create_all(engine)
    _add_missing_columns(engine)
    return engine
