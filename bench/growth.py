"""Growth: inquiryPayment latency with many stored payments, and expiring many at once.

``inquiry``: the same merchant's payments are seeded in bulk (1k, then 1M, each in a
fresh database), ``openams serve`` runs pinned to one CPU, and pre-signed inquiryPayment
requests for random stored payments (half by paymentId, half by paymentRequestId) go
one at a time; p50/p99 latency per size and the ratio of the largest to the smallest.

``expiry``: N PROCESSING payments whose expiry has passed are seeded, then the
dispatcher's passes (the expiry sweeper, then delivery) run until every one is closed
with its PAYMENT_RESULT notification in the outbox; reports the time and rate.

Reproduce::

    .venv/bin/python bench/growth.py inquiry --sizes 1000,1000000
    .venv/bin/python bench/growth.py expiry --count 100000
    # either with --database-url postgresql+psycopg://postgres@127.0.0.1:5432/test
"""

from __future__ import annotations

import argparse
import json
import random
import secrets
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from loadgen import (
    closed_loop,
    database_label,
    http_request,
    new_loop,
    pin,
    serve,
    temporary_database,
)
from sqlalchemy import Engine, func, select

from openams.gateway.app import build_gateway
from openams.gateway.domain.notification import DeliveryStatus
from openams.gateway.settings import Settings
from openams.gateway.store.tables import notifications, payments
from openams.protocol.keys import generate_key_pair
from openams.protocol.signing import build_signature_header, sign

CLIENT_ID = "SANDBOX_GROWTH"
REQUEST_TIME = "2026-01-01T00:00:00+00:00"
DAY_MS = 86_400_000


def _request_json(request_id: str) -> str:
    return json.dumps(
        {
            "productCode": "CASHIER_PAYMENT",
            "paymentRequestId": request_id,
            "paymentAmount": {"currency": "HKD", "value": "100"},
            "paymentMethod": {"paymentMethodType": "ALIPAY_HK"},
            "paymentRedirectUrl": "https://merchant.example/return",
            "paymentNotifyUrl": "https://merchant.example/notify",
            "env": {"terminalType": "WEB", "clientIp": "114.121.121.01"},
            "order": {
                "orderAmount": {"currency": "HKD", "value": "100"},
                "referenceOrderId": "ORDER_" + request_id,
                "orderDescription": "openams growth benchmark order",
            },
        },
        separators=(",", ":"),
    )


COLUMNS = [
    "payment_id", "client_id", "payment_request_id", "status", "currency", "amount_value",
    "product_code", "method_type", "fingerprint", "terminal_type", "reference_order_id",
    "order_description", "redirect_url", "notify_url", "token", "created_at", "expires_at",
    "request_json", "version", "is_authorization",
]  # fmt: skip


def rows(count: int, now_ms: int, expires_at: int) -> Iterator[tuple[Any, ...]]:
    """Stored payments shaped like the ones pay writes (same sizes, same indexes hit)."""
    fingerprint = "CASHIER_PAYMENT|HKD|100|ALIPAY_HK||"
    for i in range(count):
        request_id = f"GROW_{i:012d}"
        created = now_ms - (count - i) * 10
        yield (
            f"20260101{i:026d}", CLIENT_ID, request_id, "PROCESSING", "HKD", 100,
            "CASHIER_PAYMENT", "ALIPAY_HK", fingerprint, "WEB", "ORDER_" + request_id,
            "openams growth benchmark order", "https://merchant.example/return",
            None, secrets.token_urlsafe(24), created, expires_at,
            _request_json(request_id), 1, 0,
        )  # fmt: skip


def seed(engine: Engine, count: int, *, expires_at: int, now_ms: int) -> float:
    """Bulk-load ``count`` payments: COPY on PostgreSQL, executemany on SQLite."""
    started = time.perf_counter()
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        if engine.dialect.name == "postgresql":
            with cursor.copy(f"COPY payments ({', '.join(COLUMNS)}) FROM STDIN") as copy:
                for row in rows(count, now_ms, expires_at):
                    copy.write_row(row)
        else:
            marks = ", ".join("?" for _ in COLUMNS)
            sql = f"INSERT INTO payments ({', '.join(COLUMNS)}) VALUES ({marks})"
            batch: list[tuple[Any, ...]] = []
            for row in rows(count, now_ms, expires_at):
                batch.append(row)
                if len(batch) == 50_000:
                    cursor.executemany(sql, batch)
                    batch.clear()
            cursor.executemany(sql, batch)
        raw.commit()
        if engine.dialect.name == "postgresql":
            raw.cursor().execute("ANALYZE payments")
            raw.commit()
    finally:
        raw.close()
    return time.perf_counter() - started


def inquiry(args: argparse.Namespace) -> dict[str, Any]:
    sizes = [int(s) for s in args.sizes.split(",")]
    merchant, gateway_key = generate_key_pair(), generate_key_pair()
    path = "/ams/api/v1/payments/inquiryPayment"
    results: dict[str, Any] = {"database": database_label(args.database_url), "sizes": {}}
    for size in sizes:
        picks = random.Random(size).choices(range(size), k=args.requests + args.warmup)
        requests = []
        for n, i in enumerate(picks):
            ref = (
                {"paymentId": f"20260101{i:026d}"}
                if n % 2
                else {"paymentRequestId": f"GROW_{i:012d}"}
            )
            body = json.dumps(ref).encode()
            signature = sign("POST", path, CLIENT_ID, REQUEST_TIME, body, merchant.private_key)
            headers = {
                "Content-Type": "application/json; charset=UTF-8",
                "client-id": CLIENT_ID,
                "Request-Time": REQUEST_TIME,
                "Signature": build_signature_header(signature),
            }
            requests.append(http_request(path, headers, body))
        with (
            tempfile.TemporaryDirectory() as tmp,
            temporary_database(args.database_url, Path(tmp)) as url,
        ):
            key_file = Path(tmp) / "gateway.pem"
            key_file.write_text(gateway_key.private_pem)
            gateway = build_gateway(Settings(database_url=url, gateway_private_key_file=key_file))
            gateway.merchants.add(CLIENT_ID, merchant.public_pem)
            now = gateway.clock()
            seconds = seed(gateway.engine, size, expires_at=now + 365 * DAY_MS, now_ms=now)
            gateway.engine.dispose()
            server_cpus = {int(args.server_cpu)}
            with serve(url, key_file, cpus=server_cpus) as server:
                pin({int(args.client_cpu)})
                loop = new_loop()
                try:
                    loop.run_until_complete(
                        closed_loop(
                            server.port,
                            requests[: args.warmup],
                            1,
                            120,
                            b'"resultCode":"SUCCESS"',
                        )
                    )
                    run = loop.run_until_complete(
                        closed_loop(
                            server.port,
                            requests[args.warmup :],
                            1,
                            600,
                            b'"resultCode":"SUCCESS"',
                        )
                    )
                finally:
                    loop.close()
        results["sizes"][size] = {
            "seed_seconds": round(seconds, 1),
            "requests": run.sent,
            "failures": run.failures,
            "p50_ms": round(run.percentile(50) * 1000, 3),
            "p99_ms": round(run.percentile(99) * 1000, 3),
            "mean_ms": round(sum(run.latencies) / len(run.latencies) * 1000, 3),
        }
        print(size, results["sizes"][size], file=sys.stderr)
    small, large = results["sizes"][sizes[0]], results["sizes"][sizes[-1]]
    results["p50_ratio"] = round(large["p50_ms"] / small["p50_ms"], 3)
    results["mean_ratio"] = round(large["mean_ms"] / small["mean_ms"], 3)
    return results


def expiry(args: argparse.Namespace) -> dict[str, Any]:
    merchant, gateway_key = generate_key_pair(), generate_key_pair()
    with (
        tempfile.TemporaryDirectory() as tmp,
        temporary_database(args.database_url, Path(tmp)) as url,
    ):
        key_file = Path(tmp) / "gateway.pem"
        key_file.write_text(gateway_key.private_pem)
        gateway = build_gateway(
            Settings(database_url=url, gateway_private_key_file=key_file,
                     notify_initial_delay_ms=0)
        )  # fmt: skip
        gateway.merchants.add(CLIENT_ID, merchant.public_pem)
        now = gateway.clock()
        seed_seconds = seed(gateway.engine, args.count, expires_at=now - 1000, now_ms=now)
        dispatcher = gateway.dispatcher()
        started = time.perf_counter()
        passes = 0
        while True:
            passes += 1
            dispatcher.run_once()
            with gateway.engine.connect() as conn:
                left = conn.execute(
                    select(func.count())
                    .select_from(payments)
                    .where(payments.c.status == "PROCESSING")
                ).scalar_one()
            if not left:
                break
        seconds = time.perf_counter() - started
        with gateway.engine.connect() as conn:
            written = conn.execute(
                select(func.count())
                .select_from(notifications)
                .where(notifications.c.status == DeliveryStatus.NO_URL.value)
            ).scalar_one()
        dispatcher.close()
        gateway.engine.dispose()
    return {
        "database": database_label(args.database_url),
        "payments": args.count,
        "seed_seconds": round(seed_seconds, 1),
        "expire_seconds": round(seconds, 2),
        "expired_per_second": round(args.count / seconds),
        "dispatcher_passes": passes,
        "notifications_written": written,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("what", choices=["inquiry", "expiry"])
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--sizes", default="1000,1000000")
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--warmup", type=int, default=300)
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--server-cpu", default="0")
    parser.add_argument("--client-cpu", default="1")
    args = parser.parse_args()
    result = inquiry(args) if args.what == "inquiry" else expiry(args)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
