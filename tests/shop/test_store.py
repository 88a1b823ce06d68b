"""The shop's database: columns added since a database file was made appear on start."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

from openams.shop.store import create_engine


def test_a_database_from_before_the_result_source_gets_the_new_columns(tmp_path: Path) -> None:
    path = tmp_path / "old-shop.db"
    old = sa.create_engine(f"sqlite:///{path}")
    with old.begin() as db:
        db.execute(
            sa.text(
                "CREATE TABLE shop_payments (payment_request_id VARCHAR(64) PRIMARY KEY, "
                "order_id VARCHAR(64) NOT NULL, payment_id VARCHAR(64), method VARCHAR(64) "
                "NOT NULL, terminal VARCHAR(8) NOT NULL, status VARCHAR(16) NOT NULL, "
                "result_code VARCHAR(64), created_at FLOAT NOT NULL, last_inquiry_at FLOAT)"
            )
        )
        db.execute(
            sa.text(
                "INSERT INTO shop_payments VALUES ('PAY1', 'ORDER1', NULL, 'ALIPAY_HK', 'WEB', "
                "'SUCCESS', 'SUCCESS', 1.0, NULL)"
            )
        )
    old.dispose()
    engine = create_engine(path)
    try:
        columns = {c["name"] for c in sa.inspect(engine).get_columns("shop_payments")}
        assert {"result_source", "paid_at"} <= columns
        with engine.connect() as db:
            row = db.execute(sa.text("SELECT status, result_source FROM shop_payments")).one()
        assert tuple(row) == ("SUCCESS", None)
        create_engine(path).dispose()  # a second start changes nothing
    finally:
        engine.dispose()
