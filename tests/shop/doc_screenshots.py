"""Regenerate the shop screenshots of docs/shop.md (docs/img/shop-*.png).

    .venv/bin/python -m tests.shop.doc_screenshots

Runs a throw-away sandbox gateway and the shop on temporary SQLite files, buys through
the pages in Debian's Chromium, reconciles the gateway's transaction file, and saves one
small PNG (at most 800 px wide) per page. Not a test.
"""

from __future__ import annotations

import io
import re
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from click.testing import CliRunner
from PIL import Image
from playwright.sync_api import Page, sync_playwright

from openams.cli import main as openams_cli
from openams.shop import ShopSettings, create_shop_app
from openams.testing import (
    SandboxGateway,
    SandboxKeys,
    SandboxMerchant,
    complete_payment,
    sandbox_settings,
    start_gateway,
)
from openams.testing._server import LiveServer, bind_local, socket_url
from tests.chromium import CHROMIUM, CHROMIUM_ARGS

OUT = Path(__file__).resolve().parents[2] / "docs" / "img"
MAX_WIDTH = 800
ADMIN_SECRET = "docs"


def save(page: Page, name: str) -> None:
    image = Image.open(io.BytesIO(page.screenshot(full_page=True))).convert("RGB")
    if image.width > MAX_WIDTH:
        image = image.resize((MAX_WIDTH, round(image.height * MAX_WIDTH / image.width)))
    image = image.quantize(colors=64)
    image.save(OUT / f"shop-{name}.png", optimize=True)
    print(f"docs/img/shop-{name}.png")


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        keys = SandboxKeys.generate(folder)
        gateway = start_gateway(sandbox_settings(folder / "gateway.db", keys))
        merchant = gateway.add_merchant(keys.merchant, name="openams shop")
        (folder / "private_key.pem").write_text(keys.merchant.private_pem)
        (folder / "gateway_public_key.pem").write_text(gateway.public_key_pem)
        sock = bind_local()
        settings = ShopSettings(
            _env_prefix="OPENAMS_SHOP_TESTING_UNUSED_",
            gateway_url=gateway.url,
            client_id=merchant.client_id,
            private_key_file=folder / "private_key.pem",
            gateway_public_key_file=folder / "gateway_public_key.pem",
            public_url=socket_url(sock),
            database_path=folder / "shop.db",
            processing_after_seconds=0.5,
            admin_secret=ADMIN_SECRET,
        )
        app = create_shop_app(settings, background_poll=False)
        server = LiveServer(app, sock, name="openams-shop").start()
        gateway.set_notify_url(merchant.client_id, settings.notify_url)
        try:
            with sync_playwright() as driver:
                browser = driver.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                try:
                    page = browser.new_context(viewport={"width": 900, "height": 600}).new_page()
                    capture(page, server.url, gateway, merchant, folder)
                    phone = browser.new_context(
                        viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True
                    ).new_page()
                    capture_phone(phone, server.url)
                finally:
                    browser.close()
        finally:
            server.stop()
            app.state.shop.client.close()
            app.state.shop.engine.dispose()
            gateway.close()


def capture(
    page: Page, shop_url: str, gateway: SandboxGateway, merchant: SandboxMerchant, folder: Path
) -> None:
    page.goto(shop_url + "/")
    save(page, "catalogue")
    page.get_by_test_id("product-tea").get_by_role("button", name="Add to cart").click()
    page.wait_for_url("**/cart")
    page.goto(shop_url + "/")
    page.get_by_test_id("product-mug").get_by_role("button", name="Add to cart").click()
    page.wait_for_url("**/cart")
    save(page, "cart")
    page.get_by_role("button", name="Checkout").click()
    page.wait_for_url(re.compile(r".*/orders/\w+/checkout$"))
    order_id = page.url.rsplit("/", 2)[-2]
    save(page, "checkout")
    page.get_by_test_id("method-ALIPAY_HK").click()
    page.get_by_role("button", name="Pay").click()
    page.wait_for_url(re.compile(r".*/cashier/[\w-]+$"))

    # The buyer comes back before paying: the result page says "processing".
    page.goto(f"{shop_url}/orders/{order_id}/result")
    page.get_by_text("Your payment is processing").wait_for()
    save(page, "result-processing")
    status = page.request.get(f"{shop_url}/orders/{order_id}/status").json()
    with merchant.client() as client:
        complete_payment(client, status["payments"][-1]["paymentRequestId"])
    gateway.deliver_notifications()
    page.get_by_text("Paid. Thank you!").wait_for()
    save(page, "result-paid")

    # The merchant refunds part of the order from its admin page.
    page.goto(f"{shop_url}/admin/orders/{order_id}")
    page.get_by_label("Admin secret").fill(ADMIN_SECRET)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"**/admin/orders/{order_id}")
    page.get_by_test_id("refund-amount").fill("20")
    page.get_by_test_id("refund").click()
    page.get_by_test_id("done").wait_for()
    save(page, "order-refunded")

    day = datetime.now(UTC).date().isoformat()
    result = CliRunner().invoke(
        openams_cli,
        [
            *("reports", "settlement", "--date", day, "--client-id", merchant.client_id),
            *("--out", str(folder), "--database-url", gateway.settings.database_url),
        ],
    )
    assert result.exit_code == 0, result.output
    page.goto(f"{shop_url}/admin/login")
    page.get_by_label("Admin secret").fill(ADMIN_SECRET)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/admin/reconciliation")
    transactions = folder / f"transactions-{merchant.client_id}-{day.replace('-', '')}.csv"
    # One line the shop never saw, so the page has a mismatch to show.
    with transactions.open("a", encoding="utf-8") as file:
        file.write(
            transactions.read_text()
            .splitlines()[1]
            .replace(order_id, "PHONE-ORDER-7")
            .replace("PAY", "PHONE", 1)
            + "\r\n"
        )
    page.get_by_test_id("file").set_input_files(str(transactions))
    page.get_by_role("button", name="Reconcile").click()
    page.get_by_test_id("counts").wait_for()
    save(page, "reconciliation")


def capture_phone(page: Page, shop_url: str) -> None:
    """The catalogue and a checkout on a 390 px phone screen."""
    page.goto(shop_url + "/")
    save(page, "phone-catalogue")
    page.get_by_test_id("product-kettle").get_by_role("button", name="Add to cart").click()
    page.wait_for_url("**/cart")
    page.get_by_role("button", name="Checkout").click()
    page.wait_for_url(re.compile(r".*/orders/\w+/checkout$"))
    save(page, "phone-checkout")


if __name__ == "__main__":
    main()
