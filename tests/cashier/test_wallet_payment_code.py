"""The wallet simulator's payment code in Chromium: a barcode and a QR code that a scanner
reads back as the digits shown, a new code every minute, the page that turns into the
buyer's confirmation, at phone and desktop sizes without sideways scrolling."""

from __future__ import annotations

import io
from collections.abc import Callable

import httpx
import pytest
from PIL import Image
from playwright.sync_api import Page

from openams.gateway.domain.payment_codes import CONFIRM_FROM_VALUE
from tests.ams_client import AmsClient
from tests.cashier.conftest import DESKTOP, PHONE, Browsing
from tests.conftest import ShiftableClock
from tests.gateway.integration.payloads import in_store_body
from tests.wallet_pages import no_sideways_scroll, show_payment_code

SIZES = {"phone": PHONE, "desktop": {**DESKTOP, "viewport": {"width": 1280, "height": 800}}}


def read(page: Page, test_id: str, decode: Callable[[Image.Image], list[str]]) -> list[str]:
    shot = page.get_by_test_id(test_id).screenshot()
    return decode(Image.open(io.BytesIO(shot)).convert("RGB"))


@pytest.mark.parametrize("size", sorted(SIZES))
def test_the_code_reads_back_as_its_digits(
    browsing: Browsing,
    base_url: str,
    qr_decoder: Callable[[Image.Image], list[str]],
    size: str,
) -> None:
    page = browsing.page(SIZES[size])
    code = show_payment_code(page, base_url, "alice")
    assert len(code) == 18 and code.isdigit()
    assert page.get_by_test_id("paycode-account").inner_text() == "alice"
    assert read(page, "paycode-qr", qr_decoder) == [code]
    assert read(page, "paycode-barcode", qr_decoder) == [code]
    assert no_sideways_scroll(page)
    browsing.shot(page, f"paycode-{size}")


def test_a_new_code_every_minute_and_the_old_one_expires(
    browsing: Browsing, base_url: str, ams: AmsClient, clock: ShiftableClock
) -> None:
    page = browsing.phone()
    first = show_payment_code(page, base_url, "alice")
    clock.advance(61)
    page.reload()
    second = page.get_by_test_id("paycode-value").inner_text().strip()
    assert second != first
    old = ams.call("payments/pay", in_store_body("PaymentCode", code=first))
    assert old.code == "EXPIRED_CODE"
    assert ams.call("payments/pay", in_store_body("PaymentCode", code=second)).code == "SUCCESS"


def test_the_page_becomes_the_confirmation_then_the_result(
    browsing: Browsing, base_url: str, ams: AmsClient
) -> None:
    page = browsing.phone()
    code = show_payment_code(page, base_url, "alice")
    body = in_store_body("PaymentCode", code=code, value=str(CONFIRM_FROM_VALUE))
    reply = ams.call("payments/pay", body)
    assert reply.code == "PAYMENT_IN_PROCESS"
    confirm = page.get_by_test_id("confirm")
    confirm.wait_for()
    assert page.get_by_test_id("account-name").inner_text() == "alice"
    assert page.get_by_test_id("amount").inner_text() == "USD 100.00"
    assert no_sideways_scroll(page)
    browsing.shot(page, "paycode-confirm")
    confirm.click()
    assert page.get_by_test_id("result").get_attribute("data-state") == "PAID"
    status = ams.call("payments/inquiryPayment", {"paymentId": reply.body["paymentId"]})
    assert status.body["paymentStatus"] == "SUCCESS"


def test_bad_buyers_and_handles_get_pages_not_errors(http: httpx.Client) -> None:
    blank = http.get("/wallet/paycode/new", params={"buyer": "   "})
    assert blank.status_code == 400 and "buyer" in blank.text
    long = http.get("/wallet/paycode/new", params={"buyer": "x" * 65})
    assert long.status_code == 400
    for handle in ("nope", "A" * 32, "../../etc"):
        page = http.get(f"/wallet/paycode/{handle}")
        assert page.status_code == 404, handle
        assert http.get(f"/wallet/paycode/{handle}/qr.png").status_code == 404
    start = http.get("/wallet/paycode")
    assert start.status_code == 200
    assert "default-src 'self'" in start.headers["content-security-policy"]
