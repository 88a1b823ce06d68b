"""One purchase in headless Chromium: shop -> hosted cashier (H5 wallet) -> shop result page."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect, sync_playwright

from tests.shop.conftest import RunningShop

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PHONE_UA = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Chrome/124.0 Mobile Safari/537.36"
)


# Module scope: Playwright's sync API keeps an asyncio loop running in this thread while
# it is open, which other modules' asyncio tests must not find.
@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (apt-get install chromium)")
    with sync_playwright() as driver:
        launched = driver.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


def test_wap_purchase_through_the_hosted_cashier(
    browser: Browser, running_shop: RunningShop
) -> None:
    context = browser.new_context(
        user_agent=PHONE_UA, viewport={"width": 390, "height": 844}, is_mobile=True
    )
    context.set_default_timeout(15_000)
    try:
        page = context.new_page()
        page.on("dialog", lambda dialog: dialog.dismiss())
        page.goto(running_shop.url + "/")
        page.get_by_test_id("product-tea").get_by_role("button", name="Add to cart").click()
        page.wait_for_url("**/cart")
        page.get_by_role("button", name="Checkout").click()
        page.wait_for_url(re.compile(r".*/orders/\w+/checkout$"))
        order_id = page.url.rsplit("/", 2)[-2]
        page.get_by_test_id("method-ALIPAY_HK").click()
        page.get_by_role("button", name="Pay").click()
        # WAP: the applinkUrl; no app installed, so the cashier continues with H5 pages.
        page.wait_for_url(re.compile(r".*/cashier/[\w-]+$"))
        page.get_by_test_id("account").fill("buyer@example.com")
        page.get_by_test_id("password").fill("secret")
        page.get_by_test_id("login").click()
        page.get_by_test_id("confirm").click()
        page.get_by_test_id("pay-password").fill("123456")
        page.get_by_test_id("pay").click()
        page.wait_for_url(re.compile(rf".*/orders/{order_id}/result.*"))
        expect(page.get_by_test_id("status")).to_have_text("Paid. Thank you!")
    finally:
        context.close()
    running_shop.gateway.deliver_notifications()
    acknowledged = [d for d in running_shop.gateway.deliveries if d.acknowledged]
    assert acknowledged and acknowledged[0].url == running_shop.settings.notify_url
