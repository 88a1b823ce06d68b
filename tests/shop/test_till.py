"""The store's till in Chromium: the cashier charges by order code (the buyer scans it in the
wallet simulator) or by the buyer's payment code (read from a photo of the wallet's QR code
by the vendored jsQR, or typed); the order page follows the payment, and the desk cancels
an order nobody pays once the till's time is over."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
import zxingcpp
from PIL import Image
from playwright.sync_api import Browser, BrowserContext, Page, expect

from openams.gateway.domain.payment_codes import CONFIRM_FROM_VALUE
from openams.shop.entry_code import EntryCodeDesk
from openams.shop.till import PaymentCodeInputError, payment_code_of
from tests.shop.browser import chromium, contexts, screenshot
from tests.shop.conftest import RunningShop
from tests.wallet_pages import no_sideways_scroll, show_payment_code, wait_for_the_wallet_to_open

__all__ = ["chromium", "contexts"]

PHONE: dict[str, Any] = {
    "viewport": {"width": 390, "height": 844},
    "is_mobile": True,
    "has_touch": True,
}
DESKTOP: dict[str, Any] = {"viewport": {"width": 1280, "height": 800}}


def open_page(chromium: Browser, contexts: list[BrowserContext], device: dict[str, Any]) -> Page:
    context = chromium.new_context(**device)
    context.set_default_timeout(20_000)
    contexts.append(context)
    return context.new_page()


def order_id_of(page: Page) -> str:
    page.wait_for_url("**/till-orders/*")
    return page.url.rsplit("/", 1)[-1]


@pytest.mark.parametrize("device", ["phone", "desktop"])
def test_order_code_at_the_till(
    chromium: Browser, contexts: list[BrowserContext], running_shop: RunningShop, device: str
) -> None:
    gateway = running_shop.gateway
    till = open_page(chromium, contexts, PHONE if device == "phone" else DESKTOP)
    till.goto(f"{running_shop.url}/till")
    assert no_sideways_scroll(till)
    screenshot(till, f"shop-till-{device}")
    till.get_by_test_id("till-amount").fill("12.50")
    till.get_by_test_id("till-order-code").click()
    order_id_of(till)
    expect(till.get_by_test_id("till-total")).to_have_text("HKD 12.50")
    expect(till.get_by_test_id("status")).to_have_text("Waiting for the buyer to scan and pay…")
    shown = till.get_by_test_id("till-code-value").inner_text()
    qr = Image.open(io.BytesIO(till.get_by_test_id("till-qr").screenshot()))
    assert [r.text for r in zxingcpp.read_barcodes(qr)] == [shown]
    assert no_sideways_scroll(till)
    screenshot(till, f"shop-till-order-code-{device}")

    wallet = open_page(chromium, contexts, PHONE)
    wallet.goto(f"{gateway.url}/wallet/scan")
    wallet.get_by_test_id("scan-code").fill(shown)
    wallet.get_by_test_id("scan-open").click()
    wait_for_the_wallet_to_open(wallet, shown)
    wallet.get_by_test_id("account").fill("alice")
    wallet.get_by_test_id("password").fill("any")
    wallet.get_by_test_id("login").click()
    wallet.get_by_test_id("confirm").click()
    expect(wallet.get_by_test_id("result")).to_have_attribute("data-state", "PAID")
    expect(till.get_by_test_id("status")).to_have_text("Paid. Thank you!")
    expect(till.get_by_test_id("till-qr")).to_be_hidden()


def test_payment_code_read_from_a_photo(
    chromium: Browser,
    contexts: list[BrowserContext],
    running_shop: RunningShop,
    tmp_path: Path,
) -> None:
    wallet = open_page(chromium, contexts, PHONE)
    code = show_payment_code(wallet, running_shop.gateway.url, "alice")
    photo = tmp_path / "payment-code.png"
    wallet.get_by_test_id("paycode-qr").screenshot(path=str(photo))

    till = open_page(chromium, contexts, DESKTOP)
    till.goto(f"{running_shop.url}/till")
    till.get_by_test_id("till-amount").fill("5")
    till.get_by_test_id("till-photo").set_input_files(str(photo))
    expect(till.get_by_test_id("till-scan-status")).to_have_text(f"Payment code read: {code}")
    expect(till.get_by_test_id("till-code")).to_have_value(code)
    till.get_by_test_id("till-charge").click()
    order_id = order_id_of(till)
    expect(till.get_by_test_id("status")).to_have_text("Paid. Thank you!")
    assert running_shop.shop.order(order_id)["status"] == "PAID"  # type: ignore[index]
    wallet.wait_for_url("**/result?via=scan")  # the wallet moved on by itself


def test_payment_code_the_buyer_confirms_on_the_phone(
    chromium: Browser, contexts: list[BrowserContext], running_shop: RunningShop
) -> None:
    wallet = open_page(chromium, contexts, PHONE)
    code = show_payment_code(wallet, running_shop.gateway.url, "bob")
    till = open_page(chromium, contexts, PHONE)
    till.goto(f"{running_shop.url}/till")
    till.get_by_test_id("till-amount").fill(f"{CONFIRM_FROM_VALUE // 100}.00")
    till.get_by_test_id("till-code").fill(code)
    till.get_by_test_id("till-charge").click()
    order_id_of(till)
    expect(till.get_by_test_id("status")).to_have_text(
        "Waiting for the buyer to confirm on the phone…"
    )
    assert no_sideways_scroll(till)
    screenshot(till, "shop-till-waiting")
    wallet.get_by_test_id("confirm").click()
    expect(wallet.get_by_test_id("result")).to_have_attribute("data-state", "PAID")
    expect(till.get_by_test_id("status")).to_have_text("Paid. Thank you!")


def test_an_order_nobody_pays_is_cancelled_when_the_time_is_over(
    chromium: Browser, contexts: list[BrowserContext], running_shop: RunningShop
) -> None:
    till = open_page(chromium, contexts, DESKTOP)
    till.goto(f"{running_shop.url}/till")
    till.get_by_test_id("till-amount").fill("3")
    till.get_by_test_id("till-order-code").click()
    order_id = order_id_of(till)
    desk = EntryCodeDesk(running_shop.shop)
    [payment] = running_shop.shop.payments_of(order_id)
    desk.settle(order_id, now=payment["created_at"] + desk.timeout_seconds - 1)
    assert running_shop.shop.order(order_id)["status"] == "OPEN"  # type: ignore[index]
    desk.settle(order_id, now=payment["created_at"] + desk.timeout_seconds)
    expect(till.get_by_test_id("status")).to_have_text("Not paid: the payment was cancelled.")
    [payment] = running_shop.shop.payments_of(order_id)
    assert payment["status"] == "CANCELLED"
    answer = running_shop.shop.client.inquiry_payment(
        {"paymentRequestId": payment["payment_request_id"]}
    )
    assert answer.payment_status == "CANCELLED"


def test_a_used_or_mistyped_code_is_refused_at_the_till(
    chromium: Browser, contexts: list[BrowserContext], running_shop: RunningShop
) -> None:
    till = open_page(chromium, contexts, DESKTOP)
    till.goto(f"{running_shop.url}/till")
    till.get_by_test_id("till-amount").fill("2")
    till.get_by_test_id("till-code").fill("280000000000000000")
    till.get_by_test_id("till-charge").click()
    expect(till.get_by_test_id("till-error")).to_contain_text("Refused: INVALID_PAYMENT_CODE")
    expect(till.get_by_test_id("till-amount")).to_have_value("2")
    till.get_by_test_id("till-code").fill("12-34")
    till.get_by_test_id("till-charge").click()
    expect(till.get_by_test_id("till-error")).to_have_text("A payment code is 10 to 32 digits.")


def test_payment_code_input_rules() -> None:
    assert payment_code_of(" 2812 3456 7890 1234 56 ") == "281234567890123456"
    for bad in ("", "   ", "abc", "1" * 9, "1" * 33):
        with pytest.raises(PaymentCodeInputError):
            payment_code_of(bad)
