"""``openams serve --workers N``: several gateway processes on one port and one database."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from openams.gateway.app import Gateway
from openams.protocol.keys import KeyPair
from tests.ams_client import AmsClient
from tests.conftest import UNUSED_TLS
from tests.gateway.integration.payloads import pay_body
from tests.ports import free_port

OPENAMS = str(Path(sys.executable).with_name("openams"))


def _children(pid: int) -> list[int]:
    found: list[int] = []
    for task in os.listdir(f"/proc/{pid}/task"):
        with open(f"/proc/{pid}/task/{task}/children") as handle:
            found += [int(child) for child in handle.read().split()]
    return found


def test_two_workers_serve_signed_pays_without_access_log(
    gateway: Gateway,
    database_url: str,
    gateway_key_file: Path,
    merchant_keys: KeyPair,
    tmp_path: Path,
) -> None:
    gateway.merchants.add("SANDBOX_WORKERS", merchant_keys.public_pem)
    port = free_port()
    log = tmp_path / "serve.log"
    env = {**os.environ, "OPENAMS_GATEWAY_PRIVATE_KEY_FILE": str(gateway_key_file)}
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [OPENAMS, "serve", "--port", str(port), "--workers", "2",
             "--database-url", database_url],
            env=env, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while len(_children(process.pid)) < 2 or not _up(url):
            assert process.poll() is None, log.read_text()
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.1)
        with httpx.Client(base_url=url, timeout=10) as http:
            ams = AmsClient(
                http, "SANDBOX_WORKERS", merchant_keys.private_key, gateway.key_pair.public_key
            )
            bodies = [pay_body() for _ in range(20)]
            ids = {ams.call("payments/pay", body).body["paymentId"] for body in bodies}
            assert len(ids) == 20
            again = ams.call("payments/pay", bodies[0])  # idempotent across the workers
            assert again.body["paymentId"] in ids
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)
    text = log.read_text()
    assert "Started parent process" in text
    assert "POST /ams" not in text  # no access log unless --access-log


def _up(url: str) -> bool:
    try:
        return httpx.get(url + "/healthz", timeout=1, verify=UNUSED_TLS).status_code == 200
    except httpx.HTTPError:
        return False
