"""Console payments-list page load time at 1k and 1M payments (keyset pagination).

Not a test. Run: .venv/bin/python bench/bench_console.py [--rows 1000 1000000]
                 [--database-url URL]
Each size gets a fresh SQLite file (or the given database, emptied of nothing: use a
fresh one), seeded with one merchant's payments; the page is fetched in-process
(Starlette TestClient) signed in, first page and a page deep in the list, median of 20.
"""

from __future__ import annotations

import argparse
import re
import statistics
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

from sqlalchemy import insert

with warnings.catch_warnings():  # Starlette nudges towards httpx2; httpx works
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

from openams.gateway.app import build_gateway, create_app
from openams.gateway.settings import Settings
from openams.gateway.store.console import payments_page_query
from openams.gateway.store.tables import payments
from openams.protocol.keys import generate_key_pair

CLIENT_ID = "SANDBOX_BENCH"
START = 1_700_000_000_000
PASSWORD = "bench-password"
BATCH = 20_000


def seed(gateway: Any, rows: int) -> None:
    with gateway.engine.begin() as conn:
        for first in range(0, rows, BATCH):
            conn.execute(
                insert(payments),
                [
                    {
                        "payment_id": f"P{n:010d}",
                        "client_id": CLIENT_ID,
                        "payment_request_id": f"R{n:010d}",
                        "status": ("PROCESSING", "SUCCESS", "FAIL")[n % 3],
                        "currency": "HKD",
                        "amount_value": 100 + n % 1000,
                        "product_code": "CASHIER_PAYMENT",
                        "method_type": ("ALIPAY_HK", "GCASH")[n % 2],
                        "fingerprint": "f",
                        "token": f"T{n:010d}",
                        "created_at": START + n * 1000,
                        "expires_at": START + 10**12,
                        "request_json": "{}",
                    }
                    for n in range(first, min(rows, first + BATCH))
                ],
            )


def explain(gateway: Any, stmt: Any) -> str:
    with gateway.engine.connect() as conn:
        sql = str(stmt.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True}))
        prefix = "EXPLAIN QUERY PLAN " if conn.dialect.name == "sqlite" else "EXPLAIN "
        return " | ".join(str(row[-1]) for row in conn.exec_driver_sql(prefix + sql))


def timed(client: TestClient, url: str, runs: int = 20) -> float:
    samples = []
    for _ in range(runs):
        began = time.perf_counter()
        reply = client.get(url)
        samples.append(time.perf_counter() - began)
        assert reply.status_code == 200, reply.text[:200]
    return statistics.median(samples) * 1000


def bench(rows: int, database_url: str | None) -> None:
    with tempfile.TemporaryDirectory() as folder:
        url = database_url or f"sqlite:///{Path(folder) / 'bench.db'}"
        gateway = build_gateway(Settings(database_url=url))
        gateway.merchants.add(CLIENT_ID, generate_key_pair().public_pem)
        began = time.perf_counter()
        seed(gateway, rows)
        seeded = time.perf_counter() - began
        gateway.console.set_password("admin", PASSWORD)
        plan = explain(gateway, payments_page_query(CLIENT_ID, limit=51))
        assert "ix_payments_client_created" in plan, plan
        with TestClient(create_app(gateway=gateway)) as client:
            token = re.search(
                r'name="csrf_token" value="([^"]+)"', client.get("/console/login").text
            )
            assert token is not None
            client.post(
                "/console/login",
                data={"username": "admin", "password": PASSWORD, "csrf_token": token.group(1)},
                follow_redirects=False,
            )
            base = f"/console/m/{CLIENT_ID}/payments"
            middle = rows // 2
            deep = f"{base}?after={START + middle * 1000}.P{middle:010d}"
            first_ms, deep_ms = timed(client, base), timed(client, deep)
            filtered_ms = timed(client, f"{base}?status=SUCCESS&method=GCASH")
        gateway.engine.dispose()
    print(f"{rows:>9} payments: plan {plan}")
    print(
        f"{rows:>9} payments (seeded in {seeded:.1f} s): first page {first_ms:.1f} ms, "
        f"page at row {rows // 2} {deep_ms:.1f} ms, filtered {filtered_ms:.1f} ms (median of 20)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, nargs="+", default=[1_000, 1_000_000])
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    for rows in args.rows:
        bench(rows, args.database_url)


if __name__ == "__main__":
    main()
