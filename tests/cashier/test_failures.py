"""Every sandbox failure in Chromium: risk amount, test buyer accounts, failure test cards,
3-D Secure failures and the decline button of each page; and processing-then-success."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.ams_client import AmsClient
from tests.cashier.conftest import REDIRECT_URL, Browsing
from tests.cashier.helpers import code_value, inquiry, pay

NEXT_YEAR = f"{(datetime.now(UTC).year + 1) % 100:02d}"


def h5_pay(page: Page, account: str) -> None:
    page.get_by_test_id("account").fill(account)
    page.get_by_test_id("password").fill("pw")
    page.get_by_test_id("login").click()
    page.get_by_test_id("confirm").click()
    page.get_by_test_id("pay-password").fill("000000")
    page.get_by_test_id("pay").click()


def assert_failed(page: Page, ams: AmsClient, body: dict[str, Any], code: str) -> None:
    """The result page names the failure, then returns to the merchant without it."""
    result = page.get_by_test_id("result")
    assert result.get_attribute("data-state") == "FAILED"
    assert page.get_by_test_id("result-code").inner_text() == code
    page.wait_for_url(REDIRECT_URL)
    assert page.url == REDIRECT_URL
    answer = inquiry(ams, body["paymentId"])
    assert (answer["paymentStatus"], answer["paymentResultCode"]) == ("FAIL", code)


@pytest.mark.parametrize(
    ("value", "account", "code"),
    [
        ("11", "any-buyer", "RISK_REJECT"),
        ("100", "sandbox_nobalance", "USER_BALANCE_NOT_ENOUGH"),
        ("100", "SANDBOX_ABNORMAL@wallet.test", "USER_STATUS_ABNORMAL"),
    ],
)
def test_wallet_failures(
    ams: AmsClient, browsing: Browsing, value: str, account: str, code: str
) -> None:
    body = pay(ams, terminal="WAP", os_type="ANDROID", value=value)
    phone = browsing.phone()
    phone.goto(body["normalUrl"])
    h5_pay(phone, account)
    browsing.shot(phone, code.lower())
    assert_failed(phone, ams, body, code)


#: A button's text and border colours, as the page paints them.
NEUTRAL = ("rgb(28, 36, 48)", "rgb(201, 209, 220)")
DANGER = ("rgb(161, 42, 42)", "rgb(227, 180, 180)")


def expect_colours(button: Locator, colours: tuple[str, str]) -> None:
    """Text and border colour, once the page's stylesheet applies (an element can be
    visible before it does: CI saw a challenge page's button still in black)."""
    text, border = colours
    expect(button).to_have_css("color", text)
    expect(button).to_have_css("border-top-color", border)


def test_processing_then_success_account(ams: AmsClient, browsing: Browsing) -> None:
    body = pay(ams, terminal="WEB")
    desktop = browsing.page()
    desktop.goto(body["normalUrl"])
    phone = browsing.phone()
    phone.goto(code_value(body))
    phone.get_by_test_id("account").fill("sandbox_processing")
    phone.get_by_test_id("password").fill("pw")
    phone.get_by_test_id("login").click()
    phone.get_by_test_id("confirm").click()
    expect(phone.get_by_test_id("processing")).to_be_visible()  # waits for the page after the POST
    # "Check again" is a neutral secondary button, not the red of a decline.
    expect_colours(phone.get_by_test_id("check-again"), NEUTRAL)
    browsing.shot(phone, "processing")
    assert inquiry(ams, body["paymentId"])["paymentStatus"] == "PROCESSING"
    assert desktop.url == body["normalUrl"]  # nothing final yet
    # A few seconds later the payment succeeds and both pages move on.
    assert phone.get_by_test_id("result").get_attribute("data-state", timeout=15_000) == "PAID"
    desktop.wait_for_url(REDIRECT_URL)
    assert inquiry(ams, body["paymentId"])["paymentStatus"] == "SUCCESS"


def fill_card(page: Page, number: str) -> None:
    page.get_by_test_id("card-number").fill(number)
    page.get_by_test_id("expiry-month").fill("11")
    page.get_by_test_id("expiry-year").fill(NEXT_YEAR)
    page.get_by_test_id("cvv").fill("4242"[: 4 if number.startswith("37") else 3])


@pytest.mark.parametrize(
    ("number", "value", "otp", "code"),
    [
        ("4000 0000 0000 0002", "1000", None, "PROCESS_FAIL"),
        ("4000 0000 0000 0119", "1000", None, "DO_NOT_HONOR"),
        ("4000 0000 0000 0150", "1000", None, "INVALID_EXPIRATION_DATE"),
        ("4000 0000 0000 9995", "1000", None, "USER_BALANCE_NOT_ENOUGH"),
        ("4100 0000 0000 0019", "1000", None, "RISK_REJECT"),
        ("4111 1111 1111 1111", "11", None, "RISK_REJECT"),
        ("4000 0000 0000 3063", "1000", "123456", "USER_PAYMENT_VERIFICATION_FAILED"),
        ("4000 0000 0000 3220", "1000", "999999", "USER_PAYMENT_VERIFICATION_FAILED"),
    ],
)
def test_card_failures(
    ams: AmsClient, browsing: Browsing, number: str, value: str, otp: str | None, code: str
) -> None:
    body = pay(ams, method="CARD", currency="USD", value=value)
    page = browsing.page()
    page.goto(body["normalUrl"])
    fill_card(page, number)
    page.get_by_test_id("pay").click()
    if otp is not None:
        page.get_by_test_id("otp").fill(otp)
        page.get_by_test_id("verify").click()
    browsing.shot(page, code.lower())
    assert_failed(page, ams, body, code)


def test_bank_transfer_risk_amount(ams: AmsClient, browsing: Browsing) -> None:
    body = pay(ams, method="ONLINEBANKING_FPX", currency="MYR", value="11")
    page = browsing.page()
    page.goto(body["normalUrl"])
    page.get_by_test_id("simulate-transfer").click()
    assert_failed(page, ams, body, "RISK_REJECT")


DECLINE_CASES: dict[str, dict[str, Any]] = {
    "qr": {"terminal": "WEB"},
    "wallet": {"terminal": "WAP", "os_type": "IOS"},
    "card": {"method": "CARD", "currency": "USD", "value": "1000"},
    "bank": {"method": "BCABANK_VA", "currency": "IDR", "value": "1000000"},
    "3ds": {"method": "CARD", "currency": "USD", "value": "1000"},
}


@pytest.mark.parametrize("where", list(DECLINE_CASES))
def test_decline_button_on_every_page(ams: AmsClient, browsing: Browsing, where: str) -> None:
    body = pay(ams, **DECLINE_CASES[where])
    page = browsing.phone() if where == "wallet" else browsing.page()
    page.goto(body["normalUrl"])
    if where == "3ds":
        fill_card(page, "4000 0000 0000 3220")
        page.get_by_test_id("pay").click()
        page.get_by_test_id("otp").wait_for()
    expect_colours(page.get_by_test_id("decline"), DANGER)
    page.get_by_test_id("decline").click()
    browsing.shot(page, f"declined-{where}")
    assert_failed(page, ams, body, "PROCESS_FAIL")


def test_decline_in_the_wallet_simulator_moves_the_desktop_on(
    ams: AmsClient, browsing: Browsing
) -> None:
    body = pay(ams, terminal="WEB")
    desktop = browsing.page()
    desktop.goto(body["normalUrl"])
    phone = browsing.phone()
    phone.goto(code_value(body))
    phone.get_by_test_id("decline").click()
    assert phone.get_by_test_id("result").get_attribute("data-state") == "FAILED"
    desktop.wait_for_url(REDIRECT_URL)
    assert inquiry(ams, body["paymentId"])["paymentResultCode"] == "PROCESS_FAIL"


def test_pending_then_success_account(ams: AmsClient, browsing: Browsing) -> None:
    """``sandbox_pending``: the buyer pays, the payment reads PENDING (PAYMENT_PENDING is
    sent) and the result page says the payment was received; it succeeds later."""
    body = pay(ams, terminal="WAP", os_type="ANDROID")
    phone = browsing.phone()
    phone.goto(body["normalUrl"])
    h5_pay(phone, "sandbox_pending")
    result = phone.get_by_test_id("result")
    assert result.get_attribute("data-state") == "PENDING"
    assert "HKD 1.00" in phone.inner_text("main")
    browsing.shot(phone, "pending")
    answer = inquiry(ams, body["paymentId"])
    assert (answer["paymentStatus"], answer["paymentResultCode"]) == (
        "PENDING",
        "PAYMENT_IN_PROCESS",
    )
    phone.wait_for_url(REDIRECT_URL)  # the buyer's part is over: back to the merchant
    desktop = browsing.page()  # the same result page at 1280x800: nothing scrolls sideways
    for page in (phone, desktop):
        page.goto(body["normalUrl"].rstrip("/") + "/result?via=scan")
        assert page.get_by_test_id("result").get_attribute("data-state") == "PENDING"
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    browsing.shot(desktop, "pending-desktop")
