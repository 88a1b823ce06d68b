"""Every console page in headless Chromium at a phone's (390x844) and a laptop's
(1280x800) size: the document is never wider than the window (wide tables scroll inside
their own box), "Sign out" is on screen, and form controls carry the shared style.

Screenshots go to test-artifacts/screenshots/console/ and, with
``OPENAMS_DOC_SCREENSHOTS=1``, to docs/img/ (``console-<page>.png`` at 1280 px,
``console-<page>-phone.png`` at 390 px, for the pages docs/console.md shows).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from openams.gateway.app import Gateway
from openams.gateway.domain.fx import FxRate
from openams.gateway.services.fx import FxService
from tests.ams_client import AmsClient
from tests.chromium import chromium_browser
from tests.console.conftest import sign_in_page
from tests.console.test_browser import shot
from tests.gateway.integration.card_payloads import card_meta, card_pay_body
from tests.gateway.integration.payloads import new_id, pay_body
from tests.gateway.integration.vaulting_payloads import vault_body

CLIENT = "SANDBOX_TEST_MERCHANT"
BASE = f"/console/m/{CLIENT}"
SIZES = {"phone": (390, 844), "laptop": (1280, 800)}
#: pages docs/console.md shows: name -> the sizes to keep
DOC_SHOTS = {
    "payments": ("laptop", "phone"),
    "payment": ("laptop", "phone"),
    "payment-card": ("laptop",),
    "reports": ("laptop", "phone"),
    "merchants": ("laptop",),
    "keys": ("laptop",),
    "key-retire": ("laptop",),
    "settings": ("laptop",),
    "vaulted-cards": ("laptop",),
    "login": ("laptop",),
}


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium_browser() as launched:
        yield launched


def _long_day_of_calls(ams: AmsClient, gateway: Gateway) -> dict[str, str]:
    """Payments in every state, a refund, a card payment settled in KWD, a dispute, a
    vaulted card, notifications; the ids the pages need."""
    today = datetime.fromtimestamp(gateway.clock() / 1000, tz=UTC).date()
    FxService(gateway.store, gateway.clock).set(FxRate.parse("USD", "KWD", "0.3075", today))
    ids: dict[str, str] = {}
    long_order = {
        "orderDescription": "A very long order description " * 4,
        "orderAmount": {"currency": "HKD", "value": "880000"},
        "referenceOrderId": "ORDER-" + "9" * 50,
    }
    for n in range(6):
        ams.call("payments/pay", pay_body(value=str(1000 * (n + 1)), order=long_order))
    ids["processing"] = str(ams.call("payments/pay", pay_body(value="880000")).body["paymentId"])
    paid = str(ams.call("payments/pay", pay_body(value="8800")).body["paymentId"])
    ams.call("testHelpers/completePayment", {"paymentId": paid, "outcome": "SUCCESS"})
    ams.call(
        "payments/refund",
        {
            "refundRequestId": new_id("RF"),
            "paymentId": paid,
            "refundAmount": {"currency": "HKD", "value": "3000"},
        },
    )
    ids["paid"] = paid
    failed = str(
        ams.call("payments/pay", pay_body(method="PAYPAY", currency="JPY")).body["paymentId"]
    )
    ams.call("testHelpers/completePayment", {"paymentId": failed, "outcome": "FAIL"})
    ids["failed"] = failed
    card = ams.call(
        "payments/pay",
        card_pay_body(card_meta(), settlementStrategy={"settlementCurrency": "KWD"}),
    )
    ids["card"] = str(card.body["paymentId"])
    disputed = ams.call("payments/pay", card_pay_body(card_meta(), value="2500"))
    opened = ams.call("testHelpers/openDispute", {"paymentId": disputed.body["paymentId"]})
    ids["dispute"] = str(opened.body["disputeId"])
    ams.call("vaults/vaultPaymentMethod", vault_body())
    ams.call("payments/inquiryPayment", {"paymentRequestId": "PR_" + "X" * 60})
    worker = gateway.dispatcher()
    try:
        worker.drain()
    finally:
        worker.close()
    gateway.recorder.flush()
    with gateway.store() as uow:
        ids["notification"] = uow.outbox.for_payment(CLIENT, paid)[0].notification_id
        ids["request"] = str(uow.request_log.for_payment(CLIENT, paid, "")[0].log_id)
    return ids


def _fits(page: Page, name: str, size: str) -> None:
    width = page.evaluate("() => window.innerWidth")
    scroll = page.evaluate("() => document.documentElement.scrollWidth")
    assert scroll <= width, f"{name} at {size}: the page is {scroll}px wide in a {width}px window"
    sign_out = page.get_by_role("button", name="Sign out")
    if sign_out.count():
        box = sign_out.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width, (
            f"{name} at {size}: Sign out is off screen ({box})"
        )
    if name in DOC_SHOTS and size in DOC_SHOTS[name]:
        shot(page, name if size == "laptop" else f"{name}-phone")


def _styled_controls(page: Page) -> None:
    """Inputs, selects and buttons have the shared style, not the browser's."""
    for selector in ("main input:not([type=hidden])", "main select", "main button"):
        controls = page.locator(selector)
        for index in range(controls.count()):
            radius = controls.nth(index).evaluate("e => getComputedStyle(e).borderTopLeftRadius")
            assert radius not in ("", "0px"), f"{selector} #{index} is unstyled"


@pytest.mark.parametrize("size", list(SIZES))
def test_every_console_page_fits_the_window(
    browser: Browser,
    http: httpx.Client,
    console_user: str,
    ams: AmsClient,
    gateway: Gateway,
    size: str,
) -> None:
    ids = _long_day_of_calls(ams, gateway)
    width, height = SIZES[size]
    context = browser.new_context(
        base_url=str(http.base_url), viewport={"width": width, "height": height}
    )
    try:
        context.set_default_timeout(10_000)
        page = context.new_page()
        page.goto("/console/login")
        _fits(page, "login", size)
        _styled_controls(page)
        sign_in_page(page)
        _fits(page, "merchants", size)

        pages = {
            "payments": f"{BASE}/payments",
            "payments-filter-error": f"{BASE}/payments?from=2026-02-31",
            "payment": f"{BASE}/payments/{ids['paid']}",
            "payment-processing": f"{BASE}/payments/{ids['processing']}",
            "payment-failed": f"{BASE}/payments/{ids['failed']}",
            "payment-card": f"{BASE}/payments/{ids['card']}",
            "notifications": f"{BASE}/notifications",
            "notification": f"{BASE}/notifications/{ids['notification']}",
            "requests": f"{BASE}/requests",
            "request": f"{BASE}/requests/{ids['request']}",
            "disputes": f"{BASE}/disputes",
            "dispute": f"{BASE}/disputes/{ids['dispute']}",
            "reports": f"{BASE}/reports",
            "keys": f"{BASE}/keys",
            "key-retire": f"{BASE}/keys/retire?version=1",
            "settings": f"{BASE}/settings",
            "vaulted-cards": f"{BASE}/vaulted-cards",
            "test-notification": f"{BASE}/test-notification",
            "not-found": f"{BASE}/payments/NOPE",
        }
        for name, url in pages.items():
            page.goto(url)
            expect(page.get_by_role("heading", level=1)).to_be_visible()
            _fits(page, name, size)
            _styled_controls(page)
        page.goto(f"{BASE}/payments/{ids['card']}")
        expect(page.get_by_test_id("card")).to_contain_text(re.compile(r"VISA •••• 1111"))
        expect(page.get_by_test_id("settlement")).to_contain_text(re.compile(r"KWD \d+\.\d{3} "))
        page.get_by_role("button", name="Sign out").click()
        expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    finally:
        context.close()
