"""Purchases in headless Chromium: shop -> hosted cashier -> shop result page.

WEB (desktop): the cashier's QR page; its code value is opened in the wallet simulator
on a phone, and the desktop page notices and returns to the shop. WAP (phone): the H5
wallet pages. Each purchase checks how the shop learned the order was paid: the
notification, or (notifications dropped) its own inquiryPayment polling.
"""

from __future__ import annotations

import re
import time

from playwright.sync_api import Browser, BrowserContext, Page, Route, expect

from openams.sdk import Client
from tests.shop.browser import PHONE, chromium, contexts
from tests.shop.conftest import DESKTOP_UA, RunningShop

__all__ = ["chromium", "contexts"]  # fixtures, used below

PHONE_UA = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Chrome/124.0 Mobile Safari/537.36"
)
CHAOS_PATH = "/ams/api/v1/testHelpers/notificationChaos"


def open_context(opened: list[BrowserContext], browser: Browser, **options: object) -> Page:
    context = browser.new_context(**options)  # type: ignore[arg-type]
    context.set_default_timeout(10_000)
    opened.append(context)
    page = context.new_page()
    page.on("dialog", lambda dialog: dialog.dismiss())
    return page


def buy_tea(page: Page, shop: RunningShop, method: str = "ALIPAY_HK") -> str:
    """Catalogue -> cart -> checkout -> pay with ``method``; returns the order id."""
    page.goto(shop.url + "/")
    page.get_by_test_id("product-tea").get_by_role("button", name="Add to cart").click()
    page.wait_for_url("**/cart")
    page.get_by_role("button", name="Checkout").click()
    page.wait_for_url(re.compile(r".*/orders/\w+/checkout$"))
    order_id = page.url.rsplit("/", 2)[-2]
    page.get_by_test_id(f"method-{method}").click()
    page.get_by_role("button", name="Pay").click()
    return order_id


def scan_and_confirm(phone: Page, code_value: str) -> None:
    """The wallet simulator: what a wallet app does after scanning the QR code."""
    phone.goto(code_value)
    phone.get_by_test_id("account").fill("buyer@example.com")
    phone.get_by_test_id("password").fill("secret")
    phone.get_by_test_id("login").click()
    phone.get_by_test_id("confirm").click()
    expect(phone.get_by_test_id("result")).to_have_attribute("data-state", "PAID")


class HeldReturn:
    """Holds the buyer's return to the shop's result page until :meth:`release`.

    In production the notification and the buyer's return race; a test that asserts
    "paid by the notification" lets the gateway's dispatcher run first, then lets the
    browser in (else the result page's own inquiry could get there first).
    """

    def __init__(self, page: Page, shop_url: str) -> None:
        self.page = page
        self.pattern = re.compile(re.escape(shop_url) + r"/orders/\w+/result.*")
        self.routes: list[Route] = []
        page.route(self.pattern, self._hold)

    def _hold(self, route: Route) -> None:
        self.routes.append(route)

    def release(self) -> None:
        deadline = time.monotonic() + 10
        while not self.routes:  # the desktop page has to notice the payment first
            assert time.monotonic() < deadline, "the cashier page never returned to the shop"
            self.page.wait_for_timeout(50)
        for route in self.routes:
            route.continue_()
        self.page.unroute(self.pattern)


def paid_via(shop: RunningShop, order_id: str) -> str | None:
    order = shop.shop.order(order_id)
    assert order is not None and order["status"] == "PAID", order
    paying = shop.shop.payment(order["paid_by"])
    assert paying is not None
    return paying["result_source"]  # type: ignore[no-any-return]


def test_web_purchase_paid_by_the_notification(
    chromium: Browser, running_shop: RunningShop, contexts: list[BrowserContext]
) -> None:
    desktop = open_context(contexts, chromium, user_agent=DESKTOP_UA)
    phone = open_context(contexts, chromium, user_agent=PHONE_UA, **PHONE)
    order_id = buy_tea(desktop, running_shop)
    desktop.wait_for_url(re.compile(re.escape(running_shop.gateway.url) + r"/cashier/[\w-]+$"))
    code_value = desktop.get_by_test_id("code-value").get_attribute("href")
    assert code_value
    held = HeldReturn(desktop, running_shop.url)

    scan_and_confirm(phone, code_value)
    assert running_shop.gateway.deliver_notifications() >= 1
    assert paid_via(running_shop, order_id) == "notification"
    held.release()  # the desktop QR page noticed by itself and returns to the shop

    desktop.wait_for_url(re.compile(rf".*/orders/{order_id}/result.*"))
    expect(desktop.get_by_test_id("status")).to_have_text("Paid. Thank you!")
    acknowledged = [d for d in running_shop.gateway.deliveries if d.acknowledged]
    assert [d.url for d in acknowledged] == [running_shop.settings.notify_url]


def test_web_purchase_with_notifications_dropped_is_paid_by_inquiry(
    chromium: Browser,
    running_shop: RunningShop,
    contexts: list[BrowserContext],
    openams_client: Client,
) -> None:
    chaos = openams_client.request(CHAOS_PATH, {"dropFirst": 7})
    assert chaos["result"]["resultStatus"] == "S" and chaos["dropFirst"] == 7
    desktop = open_context(contexts, chromium, user_agent=DESKTOP_UA)
    phone = open_context(contexts, chromium, user_agent=PHONE_UA, **PHONE)
    order_id = buy_tea(desktop, running_shop)
    desktop.wait_for_url(re.compile(re.escape(running_shop.gateway.url) + r"/cashier/[\w-]+$"))
    code_value = desktop.get_by_test_id("code-value").get_attribute("href")
    assert code_value

    scan_and_confirm(phone, code_value)
    assert running_shop.gateway.deliver_notifications() >= 1  # ... and lost on the way
    order = running_shop.shop.order(order_id)
    assert order is not None and order["status"] == "OPEN"

    desktop.wait_for_url(re.compile(rf".*/orders/{order_id}/result.*"))
    expect(desktop.get_by_test_id("status")).to_have_text("Paid. Thank you!")
    assert paid_via(running_shop, order_id) == "inquiry"
    deliveries = running_shop.gateway.deliveries
    assert deliveries and {d.kind for d in deliveries} == {"dropped"}
    assert not [d for d in deliveries if d.acknowledged]


def test_wap_purchase_paid_by_the_notification(
    chromium: Browser, running_shop: RunningShop, contexts: list[BrowserContext]
) -> None:
    page = open_context(contexts, chromium, user_agent=PHONE_UA, **PHONE)
    order_id = buy_tea(page, running_shop)
    # WAP: the applinkUrl; no app installed, so the cashier continues with H5 pages.
    page.wait_for_url(re.compile(r".*/cashier/[\w-]+$"))
    held = HeldReturn(page, running_shop.url)
    page.get_by_test_id("account").fill("buyer@example.com")
    page.get_by_test_id("password").fill("secret")
    page.get_by_test_id("login").click()
    page.get_by_test_id("confirm").click()
    page.get_by_test_id("pay-password").fill("123456")
    page.get_by_test_id("pay").click()
    expect(page.get_by_test_id("result")).to_have_attribute("data-state", "PAID")

    assert running_shop.gateway.deliver_notifications() >= 1
    assert paid_via(running_shop, order_id) == "notification"
    held.release()
    page.wait_for_url(re.compile(rf".*/orders/{order_id}/result.*"))
    expect(page.get_by_test_id("status")).to_have_text("Paid. Thank you!")
