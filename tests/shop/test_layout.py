"""Every shop page in Chromium at 390x844 and 1280x800: nothing scrolls sideways
(document.documentElement.scrollWidth <= window.innerWidth), long ids included; and the
entry-code amount page opened through the gateway's wallet simulator in a plain browser."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from openams.testing import complete_payment
from tests.shop.browser import chromium, contexts
from tests.shop.conftest import RunningShop, ShopStarter
from tests.shop.test_reconciliation_page import settlement_files

__all__ = ["chromium", "contexts"]  # fixtures, used below

ADMIN_SECRET = "layout"
VIEWPORTS = {"phone": (390, 844), "desktop": (1280, 800)}
PHONE_UA = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Chrome/124.0 Mobile Safari/537.36"
)


def open_page(
    chromium: Browser, contexts: list[BrowserContext], size: tuple[int, int], **options: object
) -> Page:
    width, height = size
    context = chromium.new_context(viewport={"width": width, "height": height}, **options)  # type: ignore[arg-type]
    context.set_default_timeout(10_000)
    contexts.append(context)
    return context.new_page()


def assert_fits(page: Page, name: str) -> None:
    page.wait_for_load_state("load")
    width = page.evaluate("document.documentElement.scrollWidth")
    inner = page.evaluate("window.innerWidth")
    # On a phone (is_mobile) Chromium widens the layout viewport to fit a page that
    # overflows, so the window must also keep the screen's width.
    screen = page.viewport_size["width"] if page.viewport_size else inner
    assert width <= inner == screen, f"{name} ({page.url}) is {width} px wide on {screen} px"
    assert page.evaluate("getComputedStyle(document.body).fontFamily.includes('system-ui')"), (
        f"{name}: the shop's stylesheet did not load"
    )
    unlabelled = page.evaluate(UNLABELLED)
    assert unlabelled == [], f"{name}: form controls without a label: {unlabelled}"


#: Visible form controls with no accessible name (a <label>, aria-label or, for a
#: button, its text).
UNLABELLED = """
[...document.querySelectorAll("input:not([type=hidden]), select, textarea, button")]
  .filter((el) => el.offsetParent !== null)
  .filter((el) => !(el.labels && el.labels.length) && !el.getAttribute("aria-label")
                  && !(el.tagName === "BUTTON" && el.textContent.trim()))
  .map((el) => el.outerHTML.slice(0, 80))
"""


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_no_shop_page_scrolls_sideways(
    viewport: str,
    start_shop: ShopStarter,
    chromium: Browser,
    contexts: list[BrowserContext],
    tmp_path: Path,
) -> None:
    shop = start_shop(admin_secret=ADMIN_SECRET, processing_after_seconds=0.0)
    size = VIEWPORTS[viewport]
    extra = (
        {"user_agent": PHONE_UA, "is_mobile": True, "has_touch": True}
        if viewport == "phone"
        else {}
    )
    page = open_page(chromium, contexts, size, **extra)
    checked: list[str] = []

    def check(name: str, url: str | None = None) -> None:
        if url is not None:
            page.goto(url)
        assert_fits(page, name)
        checked.append(name)

    check("catalogue", shop.url + "/")
    page.get_by_test_id("product-tea").get_by_role("button", name="Add to cart").click()
    page.wait_for_url("**/cart")
    check("cart")
    page.get_by_role("button", name="Checkout").click()
    page.wait_for_url(re.compile(r".*/orders/\w+/checkout$"))
    order_id = page.url.rsplit("/", 2)[-2]
    check("checkout")
    page.get_by_test_id("embedded-checkout").click()
    page.get_by_test_id("embedded-payment").wait_for()
    check("embedded checkout")
    page.goto(f"{shop.url}/orders/{order_id}/checkout")
    page.get_by_test_id("method-ALIPAY_HK").click()
    page.get_by_role("button", name="Pay").click()
    page.wait_for_url(re.compile(re.escape(shop.gateway.url) + r"/.*"))
    page.goto(f"{shop.url}/orders/{order_id}/result")
    expect(page.get_by_test_id("status")).to_contain_text("processing")
    check("result, processing")
    request_id = shop.shop.payments_of(order_id)[-1]["payment_request_id"]
    with shop.merchant.client() as client:
        complete_payment(client, request_id)
    shop.gateway.deliver_notifications()
    expect(page.get_by_test_id("status")).to_have_text("Paid. Thank you!")
    check("result, paid")
    check("unknown order", f"{shop.url}/orders/NO-SUCH-ORDER-{'X' * 40}/result")

    check("entry code", f"{shop.url}/store")
    check("entry amount", f"{shop.url}/stores/S0001/pay")
    page.get_by_test_id("amount").fill("1.234")
    page.get_by_test_id("pay").click()
    expect(page.get_by_test_id("error")).to_be_visible()
    check("entry amount, refused")
    check("unknown store", f"{shop.url}/stores/S9999/pay")
    check("till", f"{shop.url}/till")
    page.get_by_test_id("till-amount").fill("20")
    page.get_by_test_id("till-order-code").click()
    page.get_by_test_id("till-qr").wait_for()
    check("till order code")
    check("entry-code result", page.url.replace("/till-orders/", "/store-orders/"))

    check("admin sign-in", f"{shop.url}/admin/orders")
    page.get_by_label("Admin secret").fill("wrong")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_test_id("error")).to_be_visible()
    check("admin sign-in, wrong secret")
    page.get_by_label("Admin secret").fill(ADMIN_SECRET)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/admin/orders")
    check("admin orders")
    check("admin order", f"{shop.url}/admin/orders/{order_id}")
    page.get_by_test_id("refund-amount").fill("10")
    page.get_by_test_id("refund").click()
    expect(page.get_by_test_id("done")).to_be_visible()
    check("admin order, refunded")
    check("admin unknown order", f"{shop.url}/admin/orders/NO-SUCH-ORDER")
    day = datetime.now(UTC).date().isoformat()
    transactions = settlement_files(shop, day, tmp_path)
    with transactions.open("a", encoding="utf-8") as file:  # one row the shop never saw
        line = transactions.read_text().splitlines()[1]
        file.write(line.replace(order_id, "PHONE-ORDER-7").replace("PAY", "PHONE", 1) + "\r\n")
    check("reconciliation", f"{shop.url}/admin/reconciliation")
    page.get_by_test_id("file").set_input_files(str(transactions))
    page.get_by_role("button", name="Reconcile").click()
    page.get_by_test_id("mismatches").wait_for()
    check("reconciliation report")
    assert len(checked) == 22


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_the_admin_off_page_fits(
    viewport: str, running_shop: RunningShop, chromium: Browser, contexts: list[BrowserContext]
) -> None:
    page = open_page(chromium, contexts, VIEWPORTS[viewport])
    page.goto(f"{running_shop.url}/admin/reconciliation")
    expect(page.get_by_test_id("admin-off")).to_contain_text("OPENAMS_SHOP_ADMIN_SECRET")
    assert_fits(page, "admin off")


def test_the_amount_page_knows_the_wallet_simulator_opened_it(
    running_shop: RunningShop, chromium: Browser, contexts: list[BrowserContext]
) -> None:
    """A plain phone browser (no wallet token in its User-Agent) runs /wallet/scan."""
    gateway = running_shop.gateway
    page = open_page(chromium, contexts, VIEWPORTS["phone"], user_agent=PHONE_UA, is_mobile=True)
    page.goto(f"{running_shop.url}/store")
    scan = page.get_by_test_id("wallet-scan")
    expect(scan).to_have_attribute("href", f"{gateway.url}/wallet/scan")
    entry_url = page.get_by_test_id("entry-url").inner_text()
    # Opened directly, not by a wallet: the page says so.
    page.goto(entry_url)
    expect(page.get_by_test_id("wallet")).to_contain_text("Not opened in a wallet")
    page.goto(f"{running_shop.url}/store")
    scan.click()
    page.get_by_test_id("scan-code").fill(entry_url)
    page.get_by_test_id("scan-open").click()
    page.wait_for_url(entry_url)
    expect(page.get_by_test_id("wallet")).to_have_text(
        "Opened in your wallet (the openams wallet simulator)."
    )
    # A refused amount shows the page again, still known to be in the wallet.
    page.get_by_test_id("amount").fill("0")
    page.get_by_test_id("pay").click()
    expect(page.get_by_test_id("error")).to_be_visible()
    expect(page.get_by_test_id("wallet")).to_contain_text("Opened in your wallet")
