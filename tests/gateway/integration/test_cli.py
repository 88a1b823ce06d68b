"""The `openams` command line, run as a newcomer would run it."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from openams.protocol.keys import load_private_key, load_public_key
from openams.protocol.signing import build_signature_header, sign
from tests.ams_client import AmsClient, now_iso
from tests.conftest import UNUSED_TLS
from tests.gateway.integration.payloads import pay_body
from tests.ports import free_port
from tests.shop.helpers import csrf_of, place_order, start_payment

OPENAMS = str(Path(sys.executable).with_name("openams"))


def run(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None) -> str:
    done = subprocess.run(
        [OPENAMS, *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **(env or {})},
        cwd=cwd,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


class Served:
    """A running `openams` server process; ``output`` is its stdout once it has stopped."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.process = process
        self.output = ""
        self.errors = ""  # stderr: uvicorn's and the gateway's log lines


@contextmanager
def running(
    args: list[str], port: int, cwd: Path | None = None, env: dict[str, str] | None = None
) -> Iterator[Served]:
    process = subprocess.Popen(
        [OPENAMS, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=cwd,
        env={**os.environ, **(env or {})},
    )
    served = Served(process)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                health = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1, verify=UNUSED_TLS)
                if health.status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert process.poll() is None, process.communicate()[1]
            assert time.monotonic() < deadline, "server did not start"
            time.sleep(0.2)
        yield served
    finally:
        process.send_signal(signal.SIGINT)
        try:
            served.output, served.errors = process.communicate(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            served.output, served.errors = process.communicate()


def signed_call(
    base: str,
    client_id: str,
    private_pem: str,
    gateway_pem: str,
    path: str,
    body: dict[str, object],
) -> dict[str, object]:
    raw = json.dumps(body).encode()
    when = now_iso()
    key = load_private_key(private_pem)
    signature = sign("POST", path, client_id, when, raw, key)
    response = httpx.post(
        base + path,
        content=raw,
        headers={
            "Content-Type": "application/json",
            "Request-Time": when,
            "client-id": client_id,
            "Signature": build_signature_header(signature),
        },
    )
    with httpx.Client() as http:
        client = AmsClient(http, client_id, key, load_public_key(gateway_pem))
        return client.check_signed(
            path, response.status_code, dict(response.headers), response.content
        ).body


def test_keys_merchants_gateway_key_and_serve(tmp_path: Path, database_url: str) -> None:
    out = tmp_path / "keys"
    assert "private_key.pem" in run("keys", "generate", "--out", str(out))
    private = (out / "private_key.pem").read_text()
    assert "BEGIN RSA PRIVATE KEY" in private
    assert "BEGIN PUBLIC KEY" in (out / "public_key.pem").read_text()
    again = subprocess.run(
        [OPENAMS, "keys", "generate", "--out", str(out)], capture_output=True, text=True
    )
    assert again.returncode != 0 and "refusing" in again.stderr
    env = {"OPENAMS_DATABASE_URL": database_url}
    run(
        "merchants",
        "add",
        "--client-id",
        "SANDBOX_CLI",
        "--public-key-file",
        str(out / "public_key.pem"),
        "--notify-url",
        "http://127.0.0.1:9/notify",
        env=env,
    )
    gateway_pem = run("gateway-key", "--database-url", database_url)
    assert gateway_pem.startswith("-----BEGIN PUBLIC KEY-----")
    assert run("gateway-key", env=env) == gateway_pem  # kept in the database
    port = free_port()
    with running(["serve", "--port", str(port)], port, env=env) as served:
        body = signed_call(
            f"http://127.0.0.1:{port}",
            "SANDBOX_CLI",
            private,
            gateway_pem,
            "/ams/sandbox/api/v1/payments/pay",
            pay_body(),
        )
    assert body["result"]["resultCode"] == "PAYMENT_IN_PROCESS"  # type: ignore[index]
    assert str(body["normalUrl"]).startswith(f"http://127.0.0.1:{port}/cashier/")
    # the gateway's own line per AMS call names its result (every AMS answer is HTTP 200)
    assert re.search(
        r"/ams/sandbox/api/v1/payments/pay client=SANDBOX_CLI U PAYMENT_IN_PROCESS [0-9.]+ ms",
        served.errors,
    ), served.errors
    (logged,) = [json.loads(line) for line in run("logs", "--json", env=env).splitlines()]
    assert logged["resultCode"] == "PAYMENT_IN_PROCESS" and logged["clientId"] == "SANDBOX_CLI"


def test_second_key_version_via_cli(tmp_path: Path, database_url: str) -> None:
    for name in ("v1", "v2"):
        run("keys", "generate", "--out", str(tmp_path / name))
    for version in ("1", "2"):
        run(
            "merchants",
            "add",
            "--client-id",
            "SANDBOX_ROTATE",
            "--public-key-file",
            str(tmp_path / f"v{version}" / "public_key.pem"),
            "--key-version",
            version,
            "--database-url",
            database_url,
        )
    clash = subprocess.run(
        [
            OPENAMS,
            "merchants",
            "add",
            "--client-id",
            "SANDBOX_ROTATE",
            "--public-key-file",
            str(tmp_path / "v2" / "public_key.pem"),
            "--key-version",
            "1",
            "--database-url",
            database_url,
        ],
        capture_output=True,
        text=True,
    )
    assert clash.returncode == 2 and "different key" in clash.stderr


def test_gateway_key_file_in_settings_overrides_the_stored_key(
    tmp_path: Path, database_url: str
) -> None:
    run("keys", "generate", "--out", str(tmp_path))
    stored = run("gateway-key", "--database-url", database_url)
    env = {"OPENAMS_GATEWAY_PRIVATE_KEY_FILE": str(tmp_path / "private_key.pem")}
    overridden = run("gateway-key", "--database-url", database_url, env=env)
    assert overridden == (tmp_path / "public_key.pem").read_text()
    assert overridden != stored


def test_dev_provisions_a_sandbox_merchant_and_prints_what_to_use(
    tmp_path: Path, database_url: str
) -> None:
    port, shop_port = free_port(), free_port()
    args = ["dev", "--port", str(port), "--shop-port", str(shop_port)]
    args += ["--database-url", database_url]
    with running(args, port, cwd=tmp_path) as served:
        shop = f"http://127.0.0.1:{shop_port}"
        deadline = time.monotonic() + 30
        while True:  # the shop starts in a thread beside the gateway
            try:
                home = httpx.get(shop + "/", timeout=2, verify=UNUSED_TLS)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "the shop did not start"
                time.sleep(0.2)
        assert home.status_code == 200 and "openams shop" in home.text
        assert 'name="csrf"' in home.text
        key_dir = tmp_path / "var" / "sandbox-merchant"
        private = (key_dir / "private_key.pem").read_text()
        gateway_pem = (key_dir / "gateway_public_key.pem").read_text()
        body = signed_call(
            f"http://127.0.0.1:{port}",
            "SANDBOX_OPENAMS_DEMO",
            private,
            gateway_pem,
            "/ams/sandbox/api/v1/payments/pay",
            pay_body(),
        )
        assert body["result"]["resultCode"] == "PAYMENT_IN_PROCESS"  # type: ignore[index]
        # A newcomer buys something in the shop and sees it paid.
        with httpx.Client(base_url=shop, trust_env=False, timeout=30) as browser:
            order_id = place_order(browser)
            location = start_payment(browser, order_id)
            assert location.startswith(f"http://127.0.0.1:{port}/cashier/")
            status = browser.get(f"/orders/{order_id}/status").json()
            request_id = status["payments"][0]["paymentRequestId"]
            done = signed_call(
                f"http://127.0.0.1:{port}",
                "SANDBOX_OPENAMS_DEMO",
                private,
                gateway_pem,
                "/ams/sandbox/api/v1/testHelpers/completePayment",
                {"paymentRequestId": request_id, "outcome": "SUCCESS"},
            )
            assert done["result"]["resultStatus"] == "S"  # type: ignore[index]
            deadline = time.monotonic() + 30
            while status["status"] != "PAID":
                assert time.monotonic() < deadline, status
                time.sleep(0.5)
                status = browser.get(f"/orders/{order_id}/status").json()
            # The shop's embedded checkout may frame the session pages (issue 17).
            again = place_order(browser)
            embedded = browser.post(
                f"/orders/{again}/embedded", data={"csrf": csrf_of(browser.get("/").text)}
            )
            # paymentSessionData in the page's script: its && are written \u0026\u0026
            sid = re.search(r"(?:&&|\\u0026\\u0026)([0-9a-f]{32})(?:&&|\\u0026)", embedded.text)
            assert embedded.status_code == 200 and sid, embedded.text
            framed = httpx.get(f"http://127.0.0.1:{port}/checkout/{sid.group(1)}")
            assert f"frame-ancestors {shop};" in framed.headers["content-security-policy"]
            # The shop's admin is on with no secret set: sign in first (issue 16).
            admin = browser.get("/admin/orders")
            assert admin.status_code == 303 and admin.headers["location"].startswith("/admin/login")
    output = served.output
    assert f"{shop}/admin/orders" in output
    printed = re.search(r"admin secret\s+(\S+)\s+\(new at each start", output)
    assert printed and len(printed.group(1)) >= 16, output
    assert "testHelpers/completePayment client=SANDBOX_OPENAMS_DEMO S SUCCESS" in served.errors
    assert re.search(rf"http://127\.0\.0\.1:{port}", output)
    assert "SANDBOX_OPENAMS_DEMO" in output
    assert str(key_dir.resolve() / "private_key.pem") in output
    assert re.search(rf"openams shop\s+http://127\.0\.0\.1:{shop_port}", output)
    assert f"http://127.0.0.1:{shop_port}/notify" in output
    assert (tmp_path / "var" / "shop.db").exists()


def test_dev_help_tells_how_the_shop_admin_is_turned_on() -> None:
    shown = subprocess.run([OPENAMS, "dev", "--help"], capture_output=True, text=True, check=True)
    assert "--shop-admin-secret" in shown.stdout and "OPENAMS_SHOP_ADMIN_SECRET" in shown.stdout
    assert "reconciliation" in shown.stdout
