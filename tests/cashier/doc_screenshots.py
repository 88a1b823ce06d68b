"""Regenerate the page screenshots of docs/sandbox.md (docs/img/cashier-*.png).

    .venv/bin/python -m tests.cashier.doc_screenshots

Runs a throw-away gateway on a temporary SQLite file, pays through each page in Debian's
Chromium and saves one small PNG (at most 800 px wide) per page. Not a test.
"""

from __future__ import annotations

import io
import re
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from PIL import Image
from playwright.sync_api import Browser, Page, sync_playwright

from openams.gateway.app import build_gateway, create_app
from openams.gateway.settings import Settings
from openams.protocol.keys import generate_key_pair
from tests.ams_client import AmsClient
from tests.cashier.conftest import REDIRECT_URL
from tests.chromium import CHROMIUM, CHROMIUM_ARGS
from tests.gateway.integration.payloads import new_id, pay_body
from tests.live_server import live_server
from tests.ports import free_port

OUT = Path(__file__).resolve().parents[2] / "docs" / "img"
MAX_WIDTH = 800
NEXT_YEAR = f"{(datetime.now(UTC).year + 1) % 100:02d}"


def save(page: Page, name: str) -> None:
    image = Image.open(io.BytesIO(page.screenshot(full_page=True))).convert("RGB")
    if image.width > MAX_WIDTH:
        image = image.resize((MAX_WIDTH, round(image.height * MAX_WIDTH / image.width)))
    image = image.quantize(colors=64)
    image.save(OUT / f"cashier-{name}.png", optimize=True)
    print(f"docs/img/cashier-{name}.png")


def shop_order(**extra: Any) -> dict[str, Any]:
    body = pay_body(paymentRedirectUrl=REDIRECT_URL, **extra)
    body["order"]["orderDescription"] = "Trail running shoes, size 42"
    body["order"]["merchant"] = {"merchantName": "Demo Sports Shop"}
    return body


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    port = free_port()
    with tempfile.TemporaryDirectory() as folder:
        settings = Settings(
            database_url=f"sqlite:///{folder}/docs.db",
            public_url=f"http://127.0.0.1:{port}",
            run_dispatcher=False,
        )
        gateway = build_gateway(settings)
        keys = generate_key_pair()
        gateway.merchants.add("SANDBOX_DOCS", keys.public_pem, name="Demo Sports Shop")
        with (
            live_server(create_app(gateway=gateway), port=port) as url,
            httpx.Client(base_url=url) as http,
            sync_playwright() as driver,
        ):
            ams = AmsClient(http, "SANDBOX_DOCS", keys.private_key, gateway.key_pair.public_key)
            browser = driver.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                capture(browser, lambda **o: ams.call("payments/pay", shop_order(**o)).body, ams)
            finally:
                browser.close()
        gateway.close()


def capture(browser: Browser, pay: Callable[..., dict[str, Any]], ams: AmsClient) -> None:
    desktop = browser.new_context(viewport={"width": 1100, "height": 640})
    phone = browser.new_context(viewport={"width": 400, "height": 720}, is_mobile=True)
    for context in (desktop, phone):
        context.route("http://merchant.test/**", lambda route: route.fulfill(body="merchant"))

    page = desktop.new_page()
    page.goto(pay(terminal="WEB")["normalUrl"])
    save(page, "qr")

    h5 = phone.new_page()
    body = pay(terminal="WAP", os_type="ANDROID")
    h5.goto(body["normalUrl"])
    save(h5, "wallet-login")
    h5.get_by_test_id("account").fill("buyer@example.com")
    h5.get_by_test_id("password").fill("x")
    h5.get_by_test_id("login").click()
    save(h5, "wallet-confirm")
    h5.get_by_test_id("confirm").click()
    save(h5, "wallet-password")
    h5.get_by_test_id("pay-password").fill("000000")
    h5.get_by_test_id("pay").click()
    h5.get_by_test_id("result").wait_for()
    save(h5, "result-paid")

    h5 = phone.new_page()
    h5.goto(pay(terminal="WAP", os_type="ANDROID", value="11")["normalUrl"])
    h5.get_by_test_id("account").fill("buyer")
    h5.get_by_test_id("password").fill("x")
    h5.get_by_test_id("login").click()
    h5.get_by_test_id("confirm").click()
    h5.get_by_test_id("pay-password").fill("1")
    h5.get_by_test_id("pay").click()
    h5.get_by_test_id("result").wait_for()
    save(h5, "result-failed")

    h5 = phone.new_page()
    h5.goto(pay(terminal="WAP", os_type="ANDROID")["normalUrl"])
    h5.get_by_test_id("account").fill("sandbox_pending")
    h5.get_by_test_id("password").fill("x")
    h5.get_by_test_id("login").click()
    h5.get_by_test_id("confirm").click()
    h5.get_by_test_id("pay-password").fill("1")
    h5.get_by_test_id("pay").click()
    h5.get_by_test_id("result").wait_for()
    save(h5, "result-pending")

    h5 = phone.new_page()
    h5.goto(pay(terminal="WAP", os_type="ANDROID")["normalUrl"])
    h5.get_by_test_id("account").fill("sandbox_processing")
    h5.get_by_test_id("password").fill("x")
    h5.get_by_test_id("login").click()
    h5.get_by_test_id("confirm").click()
    h5.get_by_test_id("pay-password").fill("1")
    h5.get_by_test_id("pay").click()
    h5.get_by_test_id("processing").wait_for()
    save(h5, "processing")

    h5 = phone.new_page()
    app = pay(terminal="APP", os_type="IOS")
    # Hold the page before it moves on to the H5 page.
    h5.route(re.compile(r"/cashier/[\w-]+$"), lambda route: route.abort())
    h5.goto(app["applinkUrl"])
    save(h5, "app-launch")

    card = desktop.new_page()
    request = shop_order(method="CARD", currency="USD", value="12900")
    request["order"]["buyer"] = {"referenceBuyerId": "buyer-1"}
    request["paymentFactor"] = {"storePaymentMethodForBuyer": True}
    card.goto(ams.call("payments/pay", request).body["normalUrl"])
    save(card, "card")
    card.get_by_test_id("card-number").fill("4000 0000 0000 3220")
    card.get_by_test_id("expiry-month").fill("12")
    card.get_by_test_id("expiry-year").fill(NEXT_YEAR)
    card.get_by_test_id("cvv").fill("123")
    card.get_by_test_id("pay").click()
    card.get_by_test_id("otp").wait_for()
    save(card, "3ds")

    bank = desktop.new_page()
    bank.goto(pay(method="BCABANK_VA", currency="IDR", value="150000000")["normalUrl"])
    save(bank, "bank")

    checkout = desktop.new_page()
    session = {
        "productCode": "CASHIER_PAYMENT",
        "paymentRequestId": new_id(),
        "order": {
            "referenceOrderId": new_id("O"),
            "orderDescription": "Trail running shoes, size 42",
            "orderAmount": {"currency": "EUR", "value": "12900"},
            "merchant": {"merchantName": "Demo Sports Shop"},
        },
        "paymentAmount": {"currency": "EUR", "value": "12900"},
        "paymentRedirectUrl": REDIRECT_URL,
        "settlementStrategy": {"settlementCurrency": "EUR"},
    }
    checkout.goto(ams.call("payments/createPaymentSession", session).body["normalUrl"])
    save(checkout, "checkout")

    gone = desktop.new_page()
    cancelled = pay(terminal="WEB")
    ams.call("payments/cancel", {"paymentId": cancelled["paymentId"]})
    gone.goto(cancelled["normalUrl"])
    save(gone, "link-error")


if __name__ == "__main__":
    main()
