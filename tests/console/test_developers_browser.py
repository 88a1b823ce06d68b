"""Console, Developers pages in headless Chromium (Debian's /usr/bin/chromium): the
Requests filters and a call's detail (copy as curl), the links both ways between a
payment, its calls and its notifications, resending a notification, sending a test
notification; every page at 390x844 and 1280x800 without sideways scrolling.

Screenshots go to test-artifacts/screenshots/console/.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from openams.gateway.app import Gateway
from openams.gateway.settings import Settings
from openams.protocol.signing import parse_signature_header, verify
from tests.ams_client import AmsClient
from tests.chromium import chromium_browser
from tests.console.conftest import sign_in_page
from tests.gateway.integration.payloads import pay_body
from tests.notify.receiver import receiver

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "test-artifacts" / "screenshots" / "console"
MERCHANT = "SANDBOX_TEST_MERCHANT"
BASE = f"/console/m/{MERCHANT}"
WIDTHS = ({"width": 390, "height": 844}, {"width": 1280, "height": 800})


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """No background dispatcher: the tests deliver with ``drain()``."""
    return settings.model_copy(update={"run_dispatcher": False})


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium_browser() as launched:
        yield launched


@pytest.fixture
def context(browser: Browser, http: httpx.Client, console_user: str) -> Iterator[BrowserContext]:
    opened = browser.new_context(
        base_url=str(http.base_url), viewport={"width": 1280, "height": 800}
    )
    try:
        opened.set_default_timeout(10_000)
        yield opened
    finally:
        opened.close()


@pytest.fixture
def page(context: BrowserContext, merchant: str) -> Page:
    opened = context.new_page()
    return sign_in_page(opened)


def shot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"console-{name}.png"), full_page=True)


def drain(gateway: Gateway) -> int:
    worker = gateway.dispatcher()
    try:
        return worker.drain()
    finally:
        worker.close()


def paid_with_notification(ams: AmsClient, gateway: Gateway, url: str) -> str:
    """A payment completed by a call, its PAYMENT_RESULT delivered to ``url``."""
    body = pay_body(paymentNotifyUrl=url)
    body["order"]["orderDescription"] = "A very long order description " * 8
    payment_id = str(ams.call("payments/pay", body).body["paymentId"])
    done = ams.call("testHelpers/completePayment", {"paymentId": payment_id, "outcome": "SUCCESS"})
    assert done.code == "SUCCESS"
    assert drain(gateway) == 1
    return payment_id


def test_requests_filters_and_detail(page: Page, ams: AmsClient) -> None:
    body = pay_body()
    payment_id = str(ams.call("payments/pay", body).body["paymentId"])
    assert ams.call("payments/inquiryPayment", {"paymentRequestId": "NOPE"}).code == (
        "ORDER_NOT_EXIST"
    )
    assert ams.call("payments/inquiryPayment", {"paymentId": payment_id}).code == "SUCCESS"

    page.goto(f"{BASE}/payments")
    page.get_by_role("link", name="Requests", exact=True).click()
    rows = page.get_by_test_id("requests").locator("tbody tr")
    expect(rows).to_have_count(3)
    shot(page, "requests")

    page.get_by_label("Result status").select_option("F")
    page.get_by_role("button", name="Filter").click()
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("ORDER_NOT_EXIST")

    page.get_by_role("link", name="Clear").click()
    page.get_by_label("Path").fill("inquiry")
    page.get_by_label("Request id").fill(payment_id)
    page.get_by_role("button", name="Filter").click()
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("S SUCCESS")

    page.get_by_role("link", name="Clear").click()
    page.get_by_label("Result code").fill("payment_in_process")
    page.get_by_role("button", name="Filter").click()
    expect(rows).to_have_count(1)
    rows.first.get_by_test_id("request-link").click()

    expect(page.get_by_role("heading", level=1)).to_contain_text("/payments/pay")
    expect(page.get_by_test_id("signature-check")).to_have_text("verified with key version 1")
    expect(page.get_by_test_id("request-body")).to_contain_text(
        f'"paymentRequestId": "{body["paymentRequestId"]}"'
    )
    expect(page.get_by_test_id("response-body")).to_contain_text('"resultStatus": "U"')
    expect(page.get_by_test_id("curl")).to_contain_text("curl -X POST http://gateway.test/")
    shot(page, "request")

    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.get_by_role("button", name="Copy").click()
    expect(page.get_by_test_id("copied")).to_be_visible()
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied == page.get_by_test_id("curl").text_content()
    assert copied.startswith("curl -X POST ") and "-H 'signature: algorithm=RSA256" in copied

    page.goto(f"{BASE}/requests?status=X")
    expect(page.get_by_role("alert")).to_have_text("result status 'X' is not one of S, F or U")
    expect(page.get_by_test_id("requests")).to_have_count(0)


def test_links_both_ways(page: Page, ams: AmsClient, gateway: Gateway) -> None:
    with receiver() as shop:
        payment_id = paid_with_notification(ams, gateway, shop.url)
    page.goto(f"{BASE}/payments/{payment_id}")
    calls = page.get_by_test_id("payment-requests").locator("tbody tr")
    expect(calls).to_have_count(2)
    expect(calls.nth(0)).to_contain_text("payments/pay")
    expect(calls.nth(1)).to_contain_text("testHelpers/completePayment")
    shot(page, "payment-developers")

    # payment -> request -> payment
    calls.nth(1).get_by_role("link").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("completePayment")
    page.get_by_test_id("payment-link").get_by_role("link").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(payment_id)

    # payment -> notification -> payment
    page.get_by_test_id("notification-link").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Notification")
    expect(page.get_by_test_id("delivery-status")).to_have_text("DELIVERED")
    page.get_by_test_id("payment-link").get_by_role("link", name=payment_id).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(payment_id)

    # request -> notification -> the payment's requests
    calls.nth(0).get_by_role("link").click()
    page.get_by_test_id("request-notifications").get_by_role("link").click()
    expect(page.get_by_test_id("attempts")).to_contain_text("HTTP 200")
    page.get_by_role("link", name="its requests").click()
    expect(page.get_by_test_id("requests").locator("tbody tr")).to_have_count(2)
    expect(page.get_by_label("Request id")).to_have_value(payment_id)


def test_resend_a_notification(page: Page, ams: AmsClient, gateway: Gateway) -> None:
    with receiver() as shop:
        paid_with_notification(ams, gateway, shop.url)
        page.goto(f"{BASE}/notifications")
        rows = page.get_by_test_id("notifications").locator("tbody tr")
        expect(rows).to_have_count(1)
        first_id = rows.first.get_by_role("link").text_content()
        rows.first.get_by_role("link").click()
        page.get_by_role("button", name="Resend this notification").click()
        notice = page.get_by_role("status")
        expect(notice).to_contain_text(f"notification {first_id} queued again as N")
        new_id = (notice.text_content() or "").rsplit(" ", 1)[1]
        expect(page.get_by_role("heading", level=1)).to_contain_text(new_id)
        expect(page.get_by_test_id("delivery-status")).to_have_text("PENDING")
        assert drain(gateway) == 1
        page.reload()
    expect(page.get_by_test_id("delivery-status")).to_have_text("DELIVERED")
    expect(page.get_by_test_id("attempt-body")).to_have_text(shop.received[1].body.decode())
    assert shop.received[1].body == shop.received[0].body
    page.get_by_role("link", name="All notifications").click()
    expect(page.get_by_test_id("notifications").locator("tbody tr")).to_have_count(2)


def test_send_a_test_notification(page: Page, ams: AmsClient, gateway: Gateway) -> None:
    with receiver() as shop:
        gateway.merchants.set_notify_url(MERCHANT, shop.url)
        page.goto(f"{BASE}/notifications")
        page.get_by_role("link", name="Send a test notification").click()
        expect(page.get_by_label("URL")).to_have_value(shop.url)
        page.get_by_label("Type", exact=True).select_option("REFUND_RESULT")
        page.get_by_role("button", name="Load sample").click()
        expect(page.get_by_test_id("notify-type")).to_have_text("REFUND_RESULT")
        body_field = page.get_by_label("Body (JSON)")
        sample = json.loads(body_field.input_value())
        assert sample["refundId"] == "TEST_REFUND_ID"
        shot(page, "test-notification")

        body_field.fill('{"refundId": ')
        page.get_by_role("button", name="Send test notification").click()
        expect(page.get_by_role("alert")).to_contain_text("the body is not JSON")
        expect(body_field).to_have_value('{"refundId": ')

        deep = '{"a":' * 64 + "{}" + "}" * 64  # one level past the limit, on one line
        body_field.fill(deep)
        page.get_by_role("button", name="Send test notification").click()
        expect(page.get_by_role("alert")).to_contain_text("nests more than 64 levels deep")
        for size in WIDTHS:  # the refused body and the message fit both widths
            page.set_viewport_size(size)
            fits = page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
            shot(page, f"test-notification-too-deep-{size['width']}")
            assert fits, f"the refused page scrolls sideways at {size['width']} px"

        url_field = page.get_by_label("URL")
        url_field.fill("http:///" + "x" * 150)  # one long word in the message
        body_field.fill("{}")
        page.get_by_role("button", name="Send test notification").click()
        expect(page.get_by_role("alert")).to_contain_text("has no host")
        for size in WIDTHS:
            page.set_viewport_size(size)
            fits = page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
            shot(page, f"test-notification-no-host-{size['width']}")
            assert fits, f"the refused URL's page scrolls sideways at {size['width']} px"
        url_field.fill(shop.url)

        sample["refundId"] = "REFUND_FROM_CHROMIUM"
        body_field.fill(json.dumps(sample, indent=2))
        page.get_by_role("button", name="Send test notification").click()
        expect(page.get_by_role("status")).to_contain_text(f"queued to {shop.url}")
        expect(page.get_by_role("heading", level=1)).to_contain_text("Notification")
        assert drain(gateway) == 1
        page.reload()
    [arrived] = shop.received
    assert arrived.json["refundId"] == "REFUND_FROM_CHROMIUM"
    header = parse_signature_header(arrived.headers["signature"])
    assert verify(
        "POST",
        arrived.path,
        MERCHANT,
        arrived.headers["request-time"],
        arrived.body,
        header.signature,
        gateway.key_pair.public_key,
    )
    expect(page.get_by_test_id("delivery-status")).to_have_text("DELIVERED")
    expect(page.get_by_test_id("attempt-body")).to_have_text(arrived.body.decode())
    expect(page.get_by_test_id("attempt-headers")).to_contain_text(arrived.headers["signature"])
    shot(page, "notification")


def test_no_sideways_scrolling(
    context: BrowserContext, page: Page, ams: AmsClient, gateway: Gateway
) -> None:
    long_id = "PR_" + "X" * 61
    with receiver() as shop:
        payment_id = paid_with_notification(ams, gateway, shop.url + "?" + "q" * 150)
    ams.call("payments/inquiryPayment", {"paymentRequestId": long_id})
    wide: dict[str, Any] = pay_body(request_id=long_id)
    wide["order"]["orderDescription"] = "W" * 250  # one long unbroken line in the bodies
    ams.call("payments/pay", wide)
    gateway.recorder.flush()
    with gateway.store() as uow:
        [notification] = uow.outbox.search(MERCHANT, limit=1)
    log_id = max(e.log_id or 0 for e in gateway.request_log.for_payment(MERCHANT, "-", long_id))
    pages = {
        "requests": f"{BASE}/requests",
        "request": f"{BASE}/requests/{log_id}",
        "notifications": f"{BASE}/notifications",
        "notification": f"{BASE}/notifications/{notification.notification_id}",
        "test-notification": f"{BASE}/test-notification",
        "payment": f"{BASE}/payments/{payment_id}",
        "filter-error": f"{BASE}/requests?before=" + "x" * 40,
    }
    for size in WIDTHS:
        page.set_viewport_size(size)
        for name, url in pages.items():
            page.goto(url)
            fits = page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
            if size["width"] == 390:
                shot(page, f"developers-{name}-390")
            assert fits, f"{name} scrolls sideways at {size['width']} px"
    assert context.pages == [page]
