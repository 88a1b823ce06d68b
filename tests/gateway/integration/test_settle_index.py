"""ix_payments_status_settle holds only payments with a settle_at (migration 0017), and
the sweep that settles PENDING payments still reads it: checked on a million rows."""

from __future__ import annotations

from sqlalchemy import Connection, select

from openams.gateway.app import Gateway
from openams.gateway.store.merchant_time import with_merchant_offset
from openams.gateway.store.repositories import SqlPaymentRepository, _due
from openams.gateway.store.tables import payments
from openams.protocol.keys import KeyPair
from tests.seeded_payments import ROWS, START, query_plan, seed_payments

#: Seeded payments made PENDING, their result due at START.
PENDING = [f"P{n:09d}" for n in range(3, 3000, 300)]


def _index_size(conn: Connection, name: str) -> int:
    """Entries (SQLite: ANALYZE's count) or bytes (PostgreSQL) of an index."""
    if conn.dialect.name == "sqlite":
        stat = conn.exec_driver_sql(
            "SELECT stat FROM sqlite_stat1 WHERE idx = ?", (name,)
        ).scalar_one()
        return int(stat.split()[0])
    return int(conn.exec_driver_sql(f"SELECT pg_relation_size('{name}')").scalar_one())


def test_only_payments_with_a_settle_at_are_in_the_index(
    gateway: Gateway, merchant_keys: KeyPair
) -> None:
    for client_id in ("SANDBOX_BIG", "SANDBOX_SMALL"):  # the seeded payments' merchants
        gateway.merchants.add(client_id, merchant_keys.public_pem)
    with gateway.engine.begin() as conn:
        seed_payments(conn)
        conn.execute(
            payments.update()
            .where(payments.c.payment_id.in_(PENDING))
            .values(status="PENDING", settle_at=START)
        )
        conn.exec_driver_sql("ANALYZE" if conn.dialect.name == "sqlite" else "ANALYZE payments")
    with gateway.engine.connect() as conn:
        settle = _index_size(conn, "ix_payments_status_settle")
        expires = _index_size(conn, "ix_payments_status_expires")
        if conn.dialect.name == "sqlite":
            assert (settle, expires) == (len(PENDING), ROWS)
        else:  # a few pages against tens of megabytes
            assert settle * 100 < expires, (settle, expires)

        # the sweep's query reads it, and finds the PENDING payments due
        due = with_merchant_offset(select(payments.c.payment_id), payments).where(_due(START))
        plan = query_plan(conn, due)
        assert "ix_payments_status_settle" in plan, plan
        assert "SCAN payments\n" not in plan + "\n", plan  # SQLite: no full table scan
        assert "Seq Scan on payments" not in plan, plan  # PostgreSQL: no sequential scan
        found = SqlPaymentRepository(conn).due_for_expiry(START, limit=100)
        assert sorted(found) == PENDING
