"""Console payments-list page load time at 1k and 1M payments (keyset pagination).

Not a test. Run: .venv/bin/python bench/bench_console.py [--rows 1000 1000000]
                 [--runs 50] [--database-url URL]
Each size gets a fresh SQLite file (or the given database, which must be fresh: one
database URL serves one size only), seeded with one merchant's payments. The gateway
runs on a real uvicorn server on 127.0.0.1; a signed-in httpx client times the full
HTTP round trip of the first page, a keyset page in the middle of the list and a
filtered page (median of --runs, the sizes interleaved round by round, after 3
warm-ups), then prints a Markdown table with the ratio of the largest size to the
smallest.
"""

from __future__ import annotations

import argparse
import re
import statistics
import tempfile
import time
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import insert

from openams.gateway.app import build_gateway, create_app
from openams.gateway.settings import Settings
from openams.gateway.store.console import payments_page_query
from openams.gateway.store.tables import payments
from openams.protocol.keys import generate_key_pair
from openams.testing._server import serve

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


def sign_in(client: httpx.Client) -> None:
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/console/login").text)
    assert token is not None
    reply = client.post(
        "/console/login",
        data={"username": "admin", "password": PASSWORD, "csrf_token": token.group(1)},
    )
    assert reply.status_code == 303, reply.text[:200]


def fetch_ms(client: httpx.Client, url: str) -> float:
    """One full HTTP round trip (request out, whole page in), in ms."""
    began = time.perf_counter()
    reply = client.get(url)
    elapsed = (time.perf_counter() - began) * 1000
    assert reply.status_code == 200, reply.text[:200]
    assert reply.text.count("<tr>") == 51, "expected a full page of 50 payments"
    return elapsed


@dataclass
class Size:
    """One seeded database served on its own port, with a signed-in client."""

    rows: int
    seeded_s: float
    plan: str
    client: httpx.Client
    samples: dict[str, list[float]] = field(default_factory=dict)

    def urls(self) -> dict[str, str]:
        base = f"/console/m/{CLIENT_ID}/payments"
        middle = self.rows // 2
        return {
            "first": base,
            "deep": f"{base}?after={START + middle * 1000}.P{middle:010d}",
            "filtered": f"{base}?status=SUCCESS&method=GCASH",
        }

    def median(self, name: str) -> float:
        return statistics.median(self.samples[name])


def prepare(stack: ExitStack, rows: int, database_url: str | None) -> Size:
    folder = stack.enter_context(tempfile.TemporaryDirectory())
    url = database_url or f"sqlite:///{Path(folder) / 'bench.db'}"
    gateway = build_gateway(Settings(database_url=url, run_dispatcher=False))
    stack.callback(gateway.engine.dispose)
    gateway.merchants.add(CLIENT_ID, generate_key_pair().public_pem)
    began = time.perf_counter()
    seed(gateway, rows)
    seeded = time.perf_counter() - began
    gateway.console.set_password("admin", PASSWORD)
    plan = explain(gateway, payments_page_query(CLIENT_ID, limit=51))
    assert "ix_payments_client_created" in plan, plan
    server = serve(create_app(gateway=gateway), name="bench-console")
    stack.callback(server.stop)
    base_url = server.url
    client = stack.enter_context(httpx.Client(base_url=base_url))
    sign_in(client)
    print(f"{rows:>9} payments (seeded in {seeded:.1f} s): plan {plan}", flush=True)
    return Size(rows, seeded, plan, client)


def measure(sizes: list[Size], runs: int) -> None:
    """Interleaved: each round fetches every page of every size once, so a busy moment
    of the machine lands on all sizes alike instead of on whichever ran then."""
    for _ in range(3):  # warm-up
        for size in sizes:
            for url in size.urls().values():
                fetch_ms(size.client, url)
    for _ in range(runs):
        for size in sizes:
            for name, url in size.urls().items():
                size.samples.setdefault(name, []).append(fetch_ms(size.client, url))


def table(sizes: list[Size], runs: int) -> str:
    lines = [
        "| Payments | first page | page at the middle | filtered (status + method) |",
        "|---:|---:|---:|---:|",
    ]
    names = ("first", "deep", "filtered")
    for size in sizes:
        cells = " | ".join(f"{size.median(n):.1f} ms" for n in names)
        lines.append(f"| {size.rows:,} | {cells} |")
    if len(sizes) > 1:
        small, big = sizes[0], sizes[-1]
        cells = " | ".join(f"{big.median(n) / small.median(n):.2f}" for n in names)
        lines.append(f"| ratio {big.rows:,} / {small.rows:,} | {cells} |")
    return (
        "\n".join(lines) + f"\n\n(median of {runs} signed-in GETs per cell over HTTP, sizes "
        "interleaved, after 3 warm-ups)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, nargs="+", default=[1_000, 1_000_000])
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    if args.database_url and len(args.rows) > 1:
        parser.error("--database-url holds one size: pass a single --rows value")
    with ExitStack() as stack:
        sizes = [prepare(stack, rows, args.database_url) for rows in args.rows]
        measure(sizes, args.runs)
        print(table(sizes, args.runs))


if __name__ == "__main__":
    main()
