"""Notifications per second that one dispatcher delivers to a local receiver.

Not a test. Run: .venv/bin/python bench/bench_notifications.py [--count 3000] [--database-url URL]
The receiver is a separate uvicorn process on 127.0.0.1 that acknowledges everything.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx

from openams.gateway.app import build_gateway
from openams.gateway.domain.notification import NotifyType
from openams.gateway.settings import Settings
from openams.protocol.keys import generate_key_pair

RECEIVER = """
import json
ACK = json.dumps({"result": {"resultCode": "SUCCESS", "resultStatus": "S",
                             "resultMessage": "success"}}).encode()
async def app(scope, receive, send):
    while (await receive()).get("more_body"):
        pass
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"application/json")]})
    await send({"type": "http.response.body", "body": ACK})
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=3000)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="openams-bench-"))
    (workdir / "receiver.py").write_text(RECEIVER)
    port = free_port()
    receiver = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "receiver:app",
            "--port",
            str(port),
            "--log-level",
            "warning",
            "--no-access-log",
        ],
        cwd=workdir,
        env={**os.environ, "PYTHONPATH": str(workdir)},
    )
    try:
        for _ in range(100):
            try:
                httpx.post(f"http://127.0.0.1:{port}/", content=b"{}")
                break
            except httpx.TransportError:
                time.sleep(0.1)
        url = args.database_url or f"sqlite:///{workdir / 'bench.db'}"
        gateway = build_gateway(Settings(database_url=url, notify_initial_delay_ms=0))
        client_id = f"SANDBOX_BENCH_{uuid.uuid4().hex[:8]}"
        gateway.merchants.add(client_id, generate_key_pair().public_pem)
        notifier = gateway.payments.notifier
        with gateway.store(write=True) as uow:
            for i in range(args.count):
                notifier.enqueue(
                    uow,
                    client_id=client_id,
                    notify_type=NotifyType.PAYMENT_RESULT,
                    subject_id=f"P{i:08d}",
                    payment_id=f"P{i:08d}",
                    url=f"http://127.0.0.1:{port}/notify",
                    body={
                        "notifyType": "PAYMENT_RESULT",
                        "paymentId": f"P{i:08d}",
                        "result": {
                            "resultCode": "SUCCESS",
                            "resultStatus": "S",
                            "resultMessage": "success",
                        },
                        "paymentAmount": {"currency": "USD", "value": "100"},
                    },
                )
            uow.commit()
        dispatcher = gateway.dispatcher(concurrency=args.concurrency)
        started = time.perf_counter()
        delivered = dispatcher.drain(max_passes=10_000)
        elapsed = time.perf_counter() - started
        dispatcher.close()
        backend = url.split(":", 1)[0]
        print(
            f"database={backend} notifications={delivered} seconds={elapsed:.2f} "
            f"rate={delivered / elapsed:.0f}/s concurrency={args.concurrency}"
        )
    finally:
        receiver.terminate()
        receiver.wait()


if __name__ == "__main__":
    main()
