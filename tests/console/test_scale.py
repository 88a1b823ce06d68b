"""The payments list walks ix_payments_client_created: checked with EXPLAIN on 50k rows.

(1M rows is for bench/; the plan is the same, the index is what keeps it flat.)
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, insert

from openams.gateway.app import Gateway
from openams.gateway.services.console import PaymentFilters
from openams.gateway.store.console import payments_page_query
from openams.gateway.store.tables import payments

ROWS = 50_000
MERCHANTS = ("SANDBOX_BIG", "SANDBOX_SMALL")
START = 1_700_000_000_000


def _rows() -> list[dict[str, Any]]:
    rows = []
    for n in range(ROWS):
        rows.append(
            {
                "payment_id": f"P{n:09d}",
                "client_id": MERCHANTS[n % 10 == 0],
                "payment_request_id": f"R{n:09d}",
                "status": ("PROCESSING", "SUCCESS", "FAIL")[n % 3],
                "currency": "HKD",
                "amount_value": 100 + n % 1000,
                "product_code": "CASHIER_PAYMENT",
                "method_type": ("ALIPAY_HK", "GCASH")[n % 2],
                "fingerprint": "f",
                "token": f"T{n:09d}",
                "created_at": START + (n // 3) * 1000,  # three payments per second: ties
                "expires_at": START + 10**9,
                "request_json": "{}",
            }
        )
    return rows


def _plan(conn: Connection, stmt: Any) -> str:
    sql = str(stmt.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True}))
    if conn.dialect.name == "sqlite":
        return "\n".join(str(row[-1]) for row in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + sql))
    return "\n".join(str(row[0]) for row in conn.exec_driver_sql("EXPLAIN " + sql))


def test_list_query_uses_the_client_created_index(gateway: Gateway) -> None:
    with gateway.engine.begin() as conn:
        conn.execute(insert(payments), _rows())
        conn.exec_driver_sql("ANALYZE" if conn.dialect.name == "sqlite" else "ANALYZE payments")
    queries = [
        payments_page_query("SANDBOX_BIG", limit=51),
        payments_page_query("SANDBOX_BIG", after=(START + 5_000_000, "P000015000"), limit=51),
        payments_page_query("SANDBOX_SMALL", status="SUCCESS", method_type="ALIPAY_HK", limit=51),
        payments_page_query(
            "SANDBOX_BIG", created_from=START, created_to=START + 3_600_000, limit=51
        ),
    ]
    with gateway.engine.connect() as conn:
        for stmt in queries:
            plan = _plan(conn, stmt)
            assert "ix_payments_client_created" in plan, plan
            assert "SCAN payments\n" not in plan + "\n", plan  # SQLite: no full table scan
            assert "Seq Scan" not in plan, plan  # PostgreSQL: no sequential scan

    # the pages the service hands out are complete, ordered and disjoint
    seen: list[tuple[int, str]] = []
    after = None
    for _ in range(3):
        page = gateway.console.payments("SANDBOX_SMALL", PaymentFilters(), after, limit=200)
        seen += [(p.created_at, p.payment_id) for p in page.payments]
        after = page.next_after
    assert seen == sorted(seen, reverse=True)
    assert len(set(seen)) == len(seen) == 600
