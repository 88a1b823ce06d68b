"""The shop's embedded checkout (issue 17): openams-checkout.js in the shop's own page.

The buyer pays inside the frame; the SDK's callbacks move the shop's page on, and the
order's state comes from the notification (or inquiryPayment), never from the callback.
Each case checks the callbacks the page saw and the gateway's own record of the payment.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, BrowserContext, FrameLocator, Locator, Page, expect

from openams.gateway.domain.simulation import THREE_DS_CODE
from openams.sdk import ApiError, Client
from tests.cashier.embed_helpers import FRAME, card_pay, wallet_pay
from tests.shop.browser import PHONE, chromium, screenshot
from tests.shop.conftest import DESKTOP_UA, RunningShop
from tests.shop.test_browser import PHONE_UA, HeldReturn, contexts, open_context, paid_via

__all__ = ["chromium", "contexts"]  # fixtures shared with test_browser.py, used below


@pytest.fixture
def shop(running_shop: RunningShop) -> RunningShop:
    """The shop, its origin registered with the gateway (as ``openams dev`` does)."""
    running_shop.gateway.gateway.frame_origins.add(
        running_shop.merchant.client_id, [running_shop.url]
    )
    return running_shop


def embedded_checkout(page: Page, shop: RunningShop) -> tuple[str, FrameLocator]:
    """Catalogue -> cart -> checkout -> "Embedded checkout": (order id, the frame)."""
    page.goto(shop.url + "/")
    page.get_by_test_id("product-tea").get_by_role("button", name="Add to cart").click()
    page.wait_for_url("**/cart")
    page.get_by_role("button", name="Checkout").click()
    page.wait_for_url(re.compile(r".*/orders/\w+/checkout$"))
    order_id = page.url.rsplit("/", 2)[-2]
    page.get_by_test_id("embedded-checkout").click()
    expect(page.get_by_test_id("sdk-events")).to_contain_text("SDK_END_OF_LOADING")
    return order_id, page.frame_locator(FRAME)


def sideways(where: Page | Locator) -> bool:
    """Whether the page (or the framed page) scrolls sideways."""
    script = "() => document.documentElement.scrollWidth > document.documentElement.clientWidth"
    return bool(where.evaluate(script))


def callbacks(page: Page) -> list[str]:
    return page.get_by_test_id("sdk-events").locator("li").all_inner_texts()


def attempt(shop: RunningShop, order_id: str) -> str:
    """The paymentRequestId of the order's (one) embedded payment."""
    (payment,) = shop.shop.payments_of(order_id)
    return str(payment["payment_request_id"])


def gateway_status(client: Client, request_id: str) -> str | None:
    return client.inquiry_payment({"paymentRequestId": request_id}).payment_status


def choose(frame: FrameLocator, method: str) -> None:
    frame.locator(f"input[value={method}]").check()
    frame.get_by_test_id("continue").click()


def test_embedded_wallet_payment_is_paid_by_the_notification(
    chromium: Browser, shop: RunningShop, contexts: list[BrowserContext], openams_client: Client
) -> None:
    page = open_context(contexts, chromium, user_agent=PHONE_UA, **PHONE)
    order_id, frame = embedded_checkout(page, shop)
    screenshot(page, "embedded-checkout-phone")
    assert not sideways(page) and not sideways(page.frame_locator(FRAME).locator("html"))
    held = HeldReturn(page, shop.url)
    choose(frame, "ALIPAY_HK")
    wallet_pay(frame)
    expect(page.get_by_test_id("sdk-events")).to_contain_text("SDK_PAYMENT_SUCCESSFUL")
    screenshot(page, "embedded-checkout-paid")
    assert not sideways(page.frame_locator(FRAME).locator("html"))
    # The callback alone changed nothing: the order waits for the gateway's word.
    order = shop.shop.order(order_id)
    assert order is not None and order["status"] == "OPEN"
    request_id = attempt(shop, order_id)
    assert gateway_status(openams_client, request_id) == "SUCCESS"
    assert shop.gateway.deliver_notifications() >= 1
    assert paid_via(shop, order_id) == "notification"
    held.release()
    page.wait_for_url(re.compile(rf".*/orders/{order_id}/result.*"))
    expect(page.get_by_test_id("status")).to_have_text("Paid. Thank you!")
    acknowledged = [d for d in shop.gateway.deliveries if d.acknowledged]
    assert [d.url for d in acknowledged] == [shop.settings.notify_url]


def test_embedded_card_payment_with_3ds(
    chromium: Browser, shop: RunningShop, contexts: list[BrowserContext], openams_client: Client
) -> None:
    page = open_context(contexts, chromium, user_agent=DESKTOP_UA)
    order_id, frame = embedded_checkout(page, shop)
    screenshot(page, "embedded-checkout-desktop")
    choose(frame, "CARD")
    card_pay(frame, "4000 0000 0000 3220")
    frame.get_by_test_id("otp").fill(THREE_DS_CODE)
    screenshot(page, "embedded-checkout-3ds")
    frame.get_by_test_id("verify").click()
    expect(page.get_by_test_id("sdk-events")).to_contain_text("SDK_PAYMENT_SUCCESSFUL")
    page.wait_for_url(re.compile(rf".*/orders/{order_id}/result.*"))
    expect(page.get_by_test_id("status")).to_have_text("Paid. Thank you!")
    request_id = attempt(shop, order_id)
    inquiry = openams_client.inquiry_payment({"paymentRequestId": request_id})
    assert inquiry.payment_status == "SUCCESS"
    assert inquiry.payment_result_info is not None
    three_ds = inquiry.payment_result_info.three_ds_result
    assert three_ds is not None and three_ds.challenged is True
    assert paid_via(shop, order_id) in ("notification", "inquiry")


def test_embedded_card_decline(
    chromium: Browser, shop: RunningShop, contexts: list[BrowserContext], openams_client: Client
) -> None:
    page = open_context(contexts, chromium, user_agent=DESKTOP_UA)
    order_id, frame = embedded_checkout(page, shop)
    choose(frame, "CARD")
    card_pay(frame, "4000 0000 0000 0002")
    expect(page.get_by_test_id("sdk-events")).to_contain_text("SDK_PAYMENT_FAIL")
    assert "SDK_PAYMENT_SUCCESSFUL" not in callbacks(page)
    page.wait_for_url(re.compile(rf".*/orders/{order_id}/result.*"))
    expect(page.get_by_test_id("status")).to_contain_text("did not go through")
    request_id = attempt(shop, order_id)
    assert gateway_status(openams_client, request_id) == "FAIL"
    assert shop.gateway.deliver_notifications() >= 1
    failed = [d for d in shop.gateway.deliveries if d.acknowledged]
    assert len(failed) == 1
    order = shop.shop.order(order_id)
    assert order is not None and order["status"] == "OPEN"  # it may be paid again


def test_embedded_checkout_cancelled_by_the_buyer(
    chromium: Browser, shop: RunningShop, contexts: list[BrowserContext], openams_client: Client
) -> None:
    page = open_context(contexts, chromium, user_agent=DESKTOP_UA)
    order_id, frame = embedded_checkout(page, shop)
    frame.get_by_test_id("embed-cancel").click()
    expect(page.get_by_test_id("sdk-events")).to_contain_text("SDK_PAYMENT_CANCEL")
    expect(page.get_by_test_id("sdk-message")).to_have_text(
        "You left the payment. Your order is still open."
    )
    assert page.locator(FRAME).count() == 0  # unmounted
    screenshot(page, "embedded-checkout-cancelled")
    # Nothing was paid or even started at the gateway, and the order stays open.
    with pytest.raises(ApiError) as missing:
        openams_client.inquiry_payment({"paymentRequestId": attempt(shop, order_id)})
    assert missing.value.result_code == "ORDER_NOT_EXIST"
    assert shop.gateway.deliver_notifications() == 0
    order = shop.shop.order(order_id)
    assert order is not None and order["status"] == "OPEN"
    page.get_by_test_id("choose-again").click()
    page.wait_for_url(re.compile(rf".*/orders/{order_id}/checkout$"))
