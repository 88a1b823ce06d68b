"""`openams serve` delivers notifications by itself (the dispatcher runs inside it)."""

from __future__ import annotations

import time
from pathlib import Path

from tests.gateway.integration.payloads import pay_body
from tests.gateway.integration.test_cli import run, running, signed_call
from tests.notify.receiver import receiver
from tests.ports import free_port


def test_serve_delivers_notifications(tmp_path: Path, database_url: str) -> None:
    run("keys", "generate", "--out", str(tmp_path))
    run(
        "merchants",
        "add",
        "--client-id",
        "SANDBOX_SERVE",
        "--public-key-file",
        str(tmp_path / "public_key.pem"),
        "--database-url",
        database_url,
    )
    gateway_pem = run("gateway-key", "--database-url", database_url)
    private = (tmp_path / "private_key.pem").read_text()
    port = free_port()
    env = {"OPENAMS_NOTIFY_INITIAL_DELAY_MS": "0", "OPENAMS_DISPATCHER_POLL_SECONDS": "0.1"}
    with (
        receiver() as merchant,
        running(["serve", "--port", str(port), "--database-url", database_url], port, env=env),
    ):
        base = f"http://127.0.0.1:{port}"
        body = pay_body(paymentNotifyUrl=merchant.url)
        signed_call(
            base, "SANDBOX_SERVE", private, gateway_pem, "/ams/sandbox/api/v1/payments/pay", body
        )
        signed_call(
            base,
            "SANDBOX_SERVE",
            private,
            gateway_pem,
            "/ams/sandbox/api/v1/testHelpers/completePayment",
            {"paymentRequestId": body["paymentRequestId"], "outcome": "SUCCESS"},
        )
        deadline = time.monotonic() + 20
        while not merchant.received:
            assert time.monotonic() < deadline, "serve did not deliver the notification"
            time.sleep(0.1)
    assert merchant.received[0].json["paymentRequestId"] == body["paymentRequestId"]
