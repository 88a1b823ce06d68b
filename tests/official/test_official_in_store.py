"""The official SDK's in-store request classes end to end, against ``openams serve`` on :443.

OrderCodePaymentRequest: the SDK reads the orderCodeForm, the buyer scans its code value
with the wallet simulator in Chromium and pays. UserPresentedCodePaymentRequest: the
buyer shows a payment code in the wallet simulator, the till sends it; a small amount
succeeds at once, a large one waits until the buyer confirms on the phone. Each result
reaches the merchant as a notification the SDK's ``check_signature`` accepts and as the
SDK's inquiryPayment; a payment nobody finishes is cancelled after the merchant's
timeout, with the sandbox's virtual clock.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest
from playwright.sync_api import Browser, BrowserContext, Page

from openams.gateway.domain.payment_codes import CONFIRM_FROM_VALUE
from tests.chromium import chromium_browser
from tests.notify.receiver import Received, Receiver, receiver
from tests.official.conftest import PUBLIC_URL, OfficialGateway, OfficialSDK, webhook_check
from tests.wallet_pages import show_payment_code, wait_for_the_wallet_to_open

pytestmark = pytest.mark.official

PHONE: dict[str, Any] = {
    "viewport": {"width": 390, "height": 844},
    "is_mobile": True,
    "has_touch": True,
    "ignore_https_errors": True,  # the throwaway CA of the TLS front
}
#: Notifications leave 3 to 5 s after the final state; a generous bound on waiting.
NOTIFY_DEADLINE_SECONDS = 60


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium_browser() as opened:
        yield opened


@pytest.fixture
def phone(browser: Browser) -> Iterator[Page]:
    context: BrowserContext = browser.new_context(**PHONE)
    context.set_default_timeout(20_000)
    yield context.new_page()
    context.close()


class Till:
    """A merchant's till on the official SDK: every call is one driver run."""

    def __init__(self, sdk: OfficialSDK, gateway: OfficialGateway, notify_url: str) -> None:
        self.sdk = sdk
        self.gateway = gateway
        self.notify_url = notify_url

    def run(self, api: str, params: dict[str, Any]) -> dict[str, Any]:
        [result] = self.sdk.run([self.gateway.call(api, params)], env=self.gateway.env)
        assert "error" not in result, result
        return result

    def params(self, value: int, **extra: Any) -> dict[str, Any]:
        request_id = f"INSTORE_{uuid.uuid4().hex}"
        return {
            "paymentRequestId": request_id,
            "paymentAmount": {"currency": "USD", "value": str(value)},
            "orderDescription": "coffee and cake",
            "referenceOrderId": f"ORDER_{request_id}",
            "paymentNotifyUrl": self.notify_url,
            **extra,
        }

    def pay_order_code(self, value: int) -> dict[str, Any]:
        return self.run("orderCodePay", self.params(value))

    def pay_payment_code(self, value: int, code: str) -> dict[str, Any]:
        terminal = {"storeTerminalId": "TILL-1", "storeTerminalRequestTime": "2026-12-06T12:00:00Z"}
        return self.run("paymentCodePay", self.params(value, paymentCode=code, **terminal))

    def inquiry(self, payment_id: str) -> dict[str, Any]:
        return dict(self.run("inquiryPayment", {"paymentId": payment_id})["parsed"])

    def cancel(self, payment_id: str) -> dict[str, Any]:
        return dict(self.run("cancel", {"paymentId": payment_id})["parsed"])

    def helper(self, name: str, body: dict[str, Any]) -> dict[str, Any]:
        raw = self.run("raw", {"path": f"/ams/api/v1/testHelpers/{name}", "body": body})["raw"]
        assert raw["result"]["resultStatus"] == "S", raw
        return dict(raw)


@pytest.fixture
def merchant() -> Iterator[Receiver]:
    with receiver() as endpoint:
        yield endpoint


@pytest.fixture
def till(official_sdk: OfficialSDK, official_gateway: OfficialGateway, merchant: Receiver) -> Till:
    return Till(official_sdk, official_gateway, merchant.url)


def notification_of(merchant: Receiver, payment_id: str) -> Received:
    deadline = time.monotonic() + NOTIFY_DEADLINE_SECONDS
    while time.monotonic() < deadline:
        for message in list(merchant.received):
            if message.json.get("paymentId") == payment_id:
                return message
        time.sleep(0.2)
    raise AssertionError(f"no notification for {payment_id}: {merchant.received}")


def check_signature(till: Till, message: Received) -> bool:
    [result] = till.sdk.run([webhook_check(message, till.gateway.gateway_public_key)])
    return bool(result.get("valid"))


def scan_in_wallet(page: Page, code_value: str, account: str) -> None:
    """The buyer scans the till's order code with the wallet simulator and pays."""
    page.goto(f"{PUBLIC_URL}/wallet/scan")
    page.get_by_test_id("scan-code").fill(code_value)
    page.get_by_test_id("scan-open").click()
    wait_for_the_wallet_to_open(page, code_value)
    page.get_by_test_id("account").fill(account)
    page.get_by_test_id("password").fill("any")
    page.get_by_test_id("login").click()
    page.get_by_test_id("confirm").click()


# ------------------------------------------------------------------------------ order code


def test_order_code_scanned_and_paid_in_the_wallet(
    till: Till, merchant: Receiver, phone: Page
) -> None:
    answer = till.pay_order_code(1250)
    parsed = answer["parsed"]
    assert parsed["result"]["resultCode"] == "PAYMENT_IN_PROCESS"
    assert parsed["normalUrl"] is None  # the code is all the till gets
    form = parsed["orderCodeForm"]
    text = next(d for d in form["codeDetails"] if d["displayType"] == "TEXT")
    assert text["codeValue"].startswith(f"{PUBLIC_URL}/code/")
    assert form["expireTime"]
    payment_id = parsed["paymentId"]

    scan_in_wallet(phone, text["codeValue"], "alice")
    assert phone.get_by_test_id("result").get_attribute("data-state") == "PAID"

    notice = notification_of(merchant, payment_id)
    assert notice.json["result"]["resultStatus"] == "S"
    assert check_signature(till, notice)
    assert till.inquiry(payment_id)["paymentStatus"] == "SUCCESS"


def test_order_code_nobody_scans_is_cancelled_after_the_timeout(till: Till, phone: Page) -> None:
    parsed = till.pay_order_code(800)["parsed"]
    payment_id = parsed["paymentId"]
    assert till.inquiry(payment_id)["paymentStatus"] == "PROCESSING"
    # the till polls; its own timeout (here 150 s, before the 3 minutes) passes
    till.helper("advanceClock", {"seconds": 150})
    assert till.inquiry(payment_id)["paymentStatus"] == "PROCESSING"
    assert till.cancel(payment_id)["result"]["resultCode"] == "SUCCESS"
    assert till.inquiry(payment_id)["paymentStatus"] == "CANCELLED"
    text = next(d for d in parsed["orderCodeForm"]["codeDetails"] if d["displayType"] == "TEXT")
    phone.goto(f"{PUBLIC_URL}/wallet/open?url={quote(text['codeValue'], safe='')}")
    wait_for_the_wallet_to_open(phone, text["codeValue"])
    assert "cancelled" in phone.locator("h1").inner_text().lower()


# ---------------------------------------------------------------------------- payment code


def test_payment_code_small_amount_succeeds_at_once(
    till: Till, merchant: Receiver, phone: Page
) -> None:
    code = show_payment_code(phone, PUBLIC_URL, "alice")
    parsed = till.pay_payment_code(CONFIRM_FROM_VALUE - 1, code)["parsed"]
    assert parsed["result"] == {
        "resultCode": "SUCCESS",
        "resultStatus": "S",
        "resultMessage": "success",
    }
    assert parsed["paymentTime"]
    payment_id = parsed["paymentId"]
    assert check_signature(till, notification_of(merchant, payment_id))
    assert till.inquiry(payment_id)["paymentStatus"] == "SUCCESS"
    # the code paid once: the wallet page moved on to the result
    phone.wait_for_url("**/result?via=scan")
    again = till.pay_payment_code(100, code)["parsed"]
    assert again["result"]["resultCode"] == "INVALID_PAYMENT_CODE"


def test_payment_code_large_amount_is_confirmed_on_the_phone(
    till: Till, merchant: Receiver, phone: Page
) -> None:
    code = show_payment_code(phone, PUBLIC_URL, "bob")
    parsed = till.pay_payment_code(CONFIRM_FROM_VALUE * 3, code)["parsed"]
    assert (parsed["result"]["resultStatus"], parsed["result"]["resultCode"]) == (
        "U",
        "PAYMENT_IN_PROCESS",
    )
    payment_id = parsed["paymentId"]
    assert till.inquiry(payment_id)["paymentStatus"] == "PROCESSING"
    # the wallet page turns into the confirmation by itself
    phone.get_by_test_id("confirm").click()
    assert phone.get_by_test_id("result").get_attribute("data-state") == "PAID"
    notice = notification_of(merchant, payment_id)
    assert notice.json["result"]["resultCode"] == "SUCCESS"
    assert check_signature(till, notice)
    assert till.inquiry(payment_id)["paymentStatus"] == "SUCCESS"


def test_payment_code_declined_on_the_phone(till: Till, merchant: Receiver, phone: Page) -> None:
    code = show_payment_code(phone, PUBLIC_URL, "carol")
    payment_id = till.pay_payment_code(CONFIRM_FROM_VALUE, code)["parsed"]["paymentId"]
    phone.get_by_test_id("decline").click()
    assert phone.get_by_test_id("result").get_attribute("data-state") == "FAILED"
    notice = notification_of(merchant, payment_id)
    assert notice.json["result"] == {
        "resultCode": "PROCESS_FAIL",
        "resultStatus": "F",
        "resultMessage": notice.json["result"]["resultMessage"],
    }
    assert till.inquiry(payment_id)["paymentResultCode"] == "PROCESS_FAIL"


def test_payment_code_unconfirmed_is_cancelled_after_the_timeout(till: Till, phone: Page) -> None:
    code = show_payment_code(phone, PUBLIC_URL, "dave")
    payment_id = till.pay_payment_code(CONFIRM_FROM_VALUE, code)["parsed"]["paymentId"]
    phone.get_by_test_id("confirm").wait_for()
    till.helper("advanceClock", {"seconds": 9 * 60})
    assert till.inquiry(payment_id)["paymentStatus"] == "PROCESSING"
    assert till.cancel(payment_id)["result"]["resultCode"] == "SUCCESS"
    assert till.inquiry(payment_id)["paymentStatus"] == "CANCELLED"
    phone.get_by_test_id("confirm").click()  # too late: the merchant cancelled
    assert phone.get_by_test_id("result").get_attribute("data-state") == "CANCELLED"
