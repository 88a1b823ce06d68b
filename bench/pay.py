"""Signed ``pay`` requests per second against ``openams serve``, against the crypto bound.

One run:

1. the crypto bound: one RSA-2048 verification plus one RSA-2048 signature (what the
   gateway must do per request) in a loop, with ``cryptography``, pinned to the CPU the
   server runs on, before and after the load (the mean of the two is used);
2. ``openams serve`` in a subprocess pinned to that CPU (``--workers`` to scale out);
3. pre-signed pay requests (every one a new paymentRequestId) sent by an asyncio
   HTTP/1.1 client pinned to the other CPU: a closed loop for the peak, then an open
   loop at half the peak for p50/p99 latency.

Throughput is reported per wall-clock second and per CPU-second of the server process
(the steadier figure on a shared machine); the ratios compare each with the crypto
bound measured the same way. Reproduce::

    .venv/bin/python bench/pay.py
    .venv/bin/python bench/pay.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/test
    .venv/bin/python bench/pay.py --database-url ... --workers 2 --server-cpus 0,1
    .venv/bin/python bench/pay.py --loop-first false  # every AMS request on a thread
    .venv/bin/python bench/pay.py --api-threads 0     # AMS requests inline on the loop
    .venv/bin/python bench/pay.py --request-log both  # the request log off, then on
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
import uuid
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from loadgen import (
    closed_loop,
    database_label,
    http_request,
    new_loop,
    open_loop,
    pay_body,
    pin,
    serve,
    temporary_database,
)

from openams.protocol.keys import generate_key_pair, load_private_key
from openams.protocol.signing import build_signature_header, sign, signed_content

CLIENT_ID = "SANDBOX_BENCH"
PATH = "/ams/api/v1/payments/pay"
REQUEST_TIME = "2026-01-01T00:00:00+00:00"
EXPECT = b'"resultCode":"PAYMENT_IN_PROCESS"'


def _sign_chunk(args: tuple[str, list[str]]) -> list[bytes]:
    pem, ids = args
    key = load_private_key(pem.encode())
    out = []
    for request_id in ids:
        body = pay_body(request_id)
        signature = sign("POST", PATH, CLIENT_ID, REQUEST_TIME, body, key)
        headers = {
            "Content-Type": "application/json; charset=UTF-8",
            "client-id": CLIENT_ID,
            "Request-Time": REQUEST_TIME,
            "Signature": build_signature_header(signature),
        }
        out.append(http_request(PATH, headers, body))
    return out


def presign(pem: str, count: int) -> list[bytes]:
    ids = [f"BENCH_{uuid.uuid4().hex[:24]}" for _ in range(count)]
    chunks = [(pem, ids[i : i + 2000]) for i in range(0, count, 2000)]
    with ProcessPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        return [request for chunk in pool.map(_sign_chunk, chunks) for request in chunk]


def crypto_bound(seconds: float, cpus: set[int] | None) -> dict[str, float]:
    """Verify one merchant signature and sign one response, as fast as one CPU can: the
    bare RSA-2048 operations of ``cryptography``, nothing of the gateway's around them."""
    previous = os.sched_getaffinity(0)
    pin(cpus)
    try:
        merchant, gateway = generate_key_pair(), generate_key_pair()
        scheme, digest = padding.PKCS1v15(), hashes.SHA256()
        request = signed_content("POST", PATH, CLIENT_ID, REQUEST_TIME, pay_body("BENCH_CRYPTO"))
        signature = merchant.private_key.sign(request, scheme, digest)
        verify, sign_answer = merchant.public_key.verify, gateway.private_key.sign
        answer = b'{"result":{"resultCode":"PAYMENT_IN_PROCESS"}}' + b" " * 600
        count = 0
        wall, cpu = time.perf_counter(), time.process_time()
        while time.perf_counter() - wall < seconds:
            verify(signature, request, scheme, digest)  # raises if it does not match
            sign_answer(answer, scheme, digest)
            count += 1
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    finally:
        os.sched_setaffinity(0, previous)
    return {"per_wall_second": count / wall, "per_cpu_second": count / cpu}


def register(database_url: str, key_file: Path, public_pem: str) -> None:
    from openams.gateway.app import build_gateway
    from openams.gateway.settings import Settings

    gateway = build_gateway(Settings(database_url=database_url, gateway_private_key_file=key_file))
    gateway.merchants.add(CLIENT_ID, public_pem)
    gateway.engine.dispose()


def run(args: argparse.Namespace) -> dict[str, Any]:
    server_cpus = {int(c) for c in args.server_cpus.split(",")} if args.server_cpus else None
    client_cpus = {int(c) for c in args.client_cpus.split(",")} if args.client_cpus else None
    bound = crypto_bound(args.crypto_seconds, server_cpus)
    merchant, gateway_key = generate_key_pair(), generate_key_pair()
    count = int(bound["per_wall_second"] * args.seconds * 1.7 * args.workers) + args.warmup
    requests = presign(merchant.private_pem, count)
    with (
        tempfile.TemporaryDirectory() as tmp,
        temporary_database(args.database_url, Path(tmp)) as url,
    ):
        key_file = Path(tmp) / "gateway.pem"
        key_file.write_text(gateway_key.private_pem)
        register(url, key_file, merchant.public_pem)
        env = {} if args.api_threads is None else {"OPENAMS_API_THREADS": args.api_threads}
        if args.loop_first is not None:
            env["OPENAMS_API_LOOP_FIRST"] = args.loop_first
        env["OPENAMS_REQUEST_LOG"] = args.request_log
        with serve(url, key_file, cpus=server_cpus, workers=args.workers, env=env) as server:
            pin(client_cpus)
            loop = new_loop()
            try:
                warm = loop.run_until_complete(
                    closed_loop(server.port, requests[: args.warmup], 16, 60, EXPECT)
                )
                rest = requests[args.warmup :]
                cpu_before = server.cpu_seconds()
                peak = loop.run_until_complete(
                    closed_loop(server.port, rest, args.connections, args.seconds, EXPECT)
                )
                server_cpu = server.cpu_seconds() - cpu_before
                half = loop.run_until_complete(
                    open_loop(server.port, rest[peak.sent :], peak.rate / 2, args.seconds, EXPECT)
                )
            finally:
                loop.close()
    # the bound again, after the load: on a shared machine the CPU's speed drifts
    after = crypto_bound(args.crypto_seconds, server_cpus)
    bound = {key: (bound[key] + after[key]) / 2 for key in bound}
    failures = warm.failures + peak.failures + half.failures
    if failures:
        print("unexpected answers:", peak.bodies, file=sys.stderr)
    per_cpu = peak.sent / server_cpu if server_cpu else float("nan")
    return {
        "database": database_label(args.database_url),
        "workers": args.workers,
        "api_threads": args.api_threads or "default",
        "api_loop_first": args.loop_first or "default",
        "request_log": args.request_log,
        "crypto_bound_per_s": round(bound["per_wall_second"]),
        "crypto_bound_per_cpu_s": round(bound["per_cpu_second"]),
        "pay_per_s": round(peak.rate),
        "pay_per_server_cpu_s": round(per_cpu),
        "ratio_wall": round(peak.rate / bound["per_wall_second"], 3),
        "ratio_cpu": round(per_cpu / bound["per_cpu_second"], 3),
        "server_cpu_utilisation": round(server_cpu / peak.seconds, 2),
        "half_rate_per_s": round(half.rate),
        "p50_ms_at_half": round(half.percentile(50) * 1000, 2),
        "p99_ms_at_half": round(half.percentile(99) * 1000, 2),
        "requests": peak.sent + half.sent + warm.sent,
        "failures": failures,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", default=None, help="PostgreSQL URL; default SQLite")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--crypto-seconds", type=float, default=3.0)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--warmup", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument(
        "--api-threads", default=None, help="OPENAMS_API_THREADS for the server (0 = inline)"
    )
    parser.add_argument(
        "--loop-first",
        choices=["true", "false"],
        default=None,
        help="OPENAMS_API_LOOP_FIRST for the server (default: on for SQLite)",
    )
    parser.add_argument(
        "--request-log",
        choices=["true", "false", "both"],
        default="true",
        help="OPENAMS_REQUEST_LOG for the server; both: off then on, in one run, compared",
    )
    parser.add_argument("--server-cpus", default="0", help="CPUs for the server ('' = any)")
    parser.add_argument("--client-cpus", default="1", help="CPUs for the load generator")
    args = parser.parse_args()
    if args.request_log != "both":
        print(json.dumps(run(args), indent=2))
        return
    results = {}
    for setting in ("false", "true", "false", "true"):  # alternated: the CPU's speed drifts
        measured = run(argparse.Namespace(**{**vars(args), "request_log": setting}))
        results.setdefault(setting, []).append(measured)
    off = sum(r["pay_per_server_cpu_s"] for r in results["false"]) / 2
    on = sum(r["pay_per_server_cpu_s"] for r in results["true"]) / 2
    summary = {
        "runs": results,
        "pay_per_server_cpu_s_log_off": round(off),
        "pay_per_server_cpu_s_log_on": round(on),
        "log_on_over_off": round(on / off, 3),
    }
    print(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
