"""Regenerate the screenshots of docs/console.md's "Developers" section
(docs/img/console-requests.png, console-request.png, console-notification.png,
console-test-notification.png).

    .venv/bin/python -m tests.console.developers_screenshots

Runs a throw-away gateway on a temporary SQLite file, makes a few AMS calls and
notifications (one refused by the merchant once), and saves one small PNG (at most
800 px wide) per page from Debian's Chromium. Not a test.
"""

from __future__ import annotations

import io
import tempfile
from pathlib import Path

import httpx
from PIL import Image
from playwright.sync_api import Page, sync_playwright

from openams.gateway.app import Gateway, build_gateway, create_app
from openams.gateway.settings import Settings
from openams.protocol.keys import generate_key_pair
from tests.ams_client import AmsClient
from tests.chromium import CHROMIUM, CHROMIUM_ARGS
from tests.gateway.integration.card_payloads import card_meta, card_pay_body
from tests.gateway.integration.payloads import new_id, pay_body
from tests.live_server import live_server
from tests.notify.receiver import fail_then_ack, receiver
from tests.ports import free_port

OUT = Path(__file__).resolve().parents[2] / "docs" / "img"
MAX_WIDTH = 800
CLIENT_ID = "SANDBOX_DOCS"
BASE = f"/console/m/{CLIENT_ID}"
PASSWORD = "documentation only"


def save(page: Page, name: str, *, full_page: bool = True) -> None:
    image = Image.open(io.BytesIO(page.screenshot(full_page=full_page))).convert("RGB")
    if image.width > MAX_WIDTH:
        image = image.resize((MAX_WIDTH, round(image.height * MAX_WIDTH / image.width)))
    image = image.quantize(colors=64)
    image.save(OUT / f"console-{name}.png", optimize=True)
    print(f"docs/img/console-{name}.png")


def deliver(gateway: Gateway) -> None:
    worker = gateway.dispatcher()
    try:
        worker.drain()
    finally:
        worker.close()


def calls(ams: AmsClient, gateway: Gateway, notify_url: str) -> str:
    """A few calls of a shop's day; the card payment's id."""
    card = ams.call(
        "payments/pay", card_pay_body(card_meta("4111 1111 1111 1111"), paymentNotifyUrl=notify_url)
    )
    wallet = ams.call("payments/pay", pay_body(paymentNotifyUrl=notify_url))
    ams.call("payments/inquiryPayment", {"paymentId": wallet.body["paymentId"]})
    ams.call("payments/inquiryPayment", {"paymentRequestId": "PR_TYPO"})
    ams.call("payments/pay", pay_body(), sign_path="/ams/api/v1/payments/pay")  # wrong path
    ams.call(
        "payments/refund",
        {
            "refundRequestId": new_id("RF"),
            "paymentId": card.body["paymentId"],
            "refundAmount": {"currency": "USD", "value": "300"},
        },
    )
    deliver(gateway)  # refused once by the shop
    merchant = gateway.merchants.get(CLIENT_ID)
    assert merchant is not None
    gateway.sandbox.advance_clock(merchant, 180)
    deliver(gateway)  # acknowledged
    gateway.recorder.flush()
    return str(card.body["paymentId"])


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    port = free_port()
    with tempfile.TemporaryDirectory() as folder:
        settings = Settings(
            database_url=f"sqlite:///{folder}/docs.db",
            public_url=f"http://127.0.0.1:{port}",
            run_dispatcher=False,
            notify_initial_delay_ms=0,
        )
        gateway = build_gateway(settings)
        keys = generate_key_pair()
        gateway.merchants.add(CLIENT_ID, keys.public_pem, name="Demo Sports Shop")
        gateway.console.set_password("admin", PASSWORD)
        with (
            receiver(fail_then_ack(1)) as shop,
            live_server(create_app(gateway=gateway), port=port) as url,
            httpx.Client(base_url=url) as http,
            sync_playwright() as driver,
        ):
            gateway.merchants.set_notify_url(CLIENT_ID, shop.url)
            ams = AmsClient(http, CLIENT_ID, keys.private_key, gateway.key_pair.public_key)
            payment_id = calls(ams, gateway, shop.url)
            browser = driver.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                context = browser.new_context(base_url=url, viewport={"width": 1100, "height": 900})
                page = context.new_page()
                page.goto("/console/login")
                page.get_by_label("Username").fill("admin")
                page.get_by_label("Password").fill(PASSWORD)
                page.get_by_role("button", name="Sign in").click()
                page.get_by_role("heading", name="Merchants").wait_for()

                page.goto(f"{BASE}/requests")
                save(page, "requests")
                page.goto(f"{BASE}/requests?path=payments/pay&id={payment_id}")
                page.get_by_test_id("request-link").first.click()
                page.get_by_test_id("curl").wait_for()
                save(page, "request", full_page=False)

                page.goto(f"{BASE}/payments/{payment_id}")
                page.get_by_test_id("notification-link").first.click()
                page.get_by_test_id("attempts").wait_for()
                save(page, "notification")

                page.goto(f"{BASE}/test-notification?type=REFUND_RESULT")
                save(page, "test-notification")
            finally:
                browser.close()
        gateway.close()


if __name__ == "__main__":
    main()
