"""The console's disputes: the list and a dispute's page with its timeline and actions, in
headless Chromium at a phone's and a laptop's size (nothing scrolls sideways), and the
forms' CSRF protection."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from openams.gateway.app import Gateway
from tests.ams_client import AmsClient
from tests.chromium import chromium_browser
from tests.conftest import UNUSED_TLS
from tests.console.conftest import csrf_of, sign_in_page
from tests.console.test_browser import shot
from tests.gateway.integration.card_payloads import card_meta, card_pay_body

BASE = "/console/m/SANDBOX_TEST_MERCHANT/disputes"
SIZES = {"phone": (390, 844), "laptop": (1280, 800)}


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium_browser() as launched:
        yield launched


def signed_in(browser: Browser, http: httpx.Client, size: tuple[int, int]) -> Page:
    width, height = size
    context = browser.new_context(
        base_url=str(http.base_url), viewport={"width": width, "height": height}
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    return sign_in_page(page)


def no_sideways_scroll(page: Page) -> None:
    overflow = page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, f"the page scrolls sideways by {overflow}px at {page.viewport_size}"


def disputed_payment(ams: AmsClient, value: str = "2500") -> tuple[str, str]:
    paid = ams.call("payments/pay", card_pay_body(card_meta(), value=value)).body
    opened = ams.call("testHelpers/openDispute", {"paymentId": paid["paymentId"]})
    assert opened.code == "SUCCESS", opened.result
    return paid["paymentId"], opened.body["disputeId"]


@pytest.mark.parametrize("size", sorted(SIZES))
def test_disputes_pages_and_actions(
    browser: Browser,
    http: httpx.Client,
    console_user: str,
    ams: AmsClient,
    gateway: Gateway,
    size: str,
) -> None:
    _payment_id, accepted_id = disputed_payment(ams)
    _other_payment, lost_id = disputed_payment(ams, value="1999")
    page = signed_in(browser, http, SIZES[size])
    try:
        page.goto(BASE.replace("/disputes", "/payments"))
        page.get_by_role("link", name="Disputes").click()
        expect(page.get_by_role("heading", name="Disputes")).to_be_visible()
        listing = page.get_by_test_id("disputes")
        expect(listing.get_by_role("listitem")).to_have_count(2)
        expect(listing).to_contain_text("USD 25.00")
        no_sideways_scroll(page)
        shot(page, f"disputes-{size}", docs=False)

        page.get_by_role("link", name=accepted_id).click()
        expect(page.get_by_test_id("dispute-status")).to_have_text("OPEN")
        expect(page.get_by_test_id("dispute-amount")).to_have_text("USD 25.00")
        expect(page.get_by_test_id("dispute-timeline")).to_contain_text("DISPUTE_CREATED")
        no_sideways_scroll(page)
        shot(page, f"dispute-{size}")
        page.get_by_role("button", name="Accept dispute").click()
        expect(page.get_by_role("status")).to_have_text("dispute accepted")
        expect(page.get_by_test_id("dispute-status")).to_have_text("ACCEPTED (MERCHANT_ACCEPTED)")
        expect(page.get_by_test_id("dispute-timeline")).to_contain_text(
            "DISPUTE_JUDGED ACCEPT_BY_MERCHANT"
        )
        expect(page.get_by_role("button", name="Accept dispute")).to_have_count(0)
        no_sideways_scroll(page)

        page.goto(f"{BASE}/{lost_id}")
        page.get_by_role("button", name="Resolve: lost").click()
        expect(page.get_by_role("status")).to_have_text("dispute resolved: LOST")
        expect(page.get_by_test_id("dispute-status")).to_have_text("LOST")

        # a test dispute from the list page; a wallet payment is refused with the reason
        fresh = ams.call("payments/pay", card_pay_body(card_meta())).body["paymentId"]
        page.goto(BASE)
        page.get_by_label("Payment id (a paid card payment)").fill(fresh)
        page.get_by_role("button", name="Open a test dispute").click()
        expect(page.get_by_role("status")).to_contain_text("opened")
        expect(page.get_by_test_id("disputes").get_by_role("listitem")).to_have_count(3)
        page.get_by_label("Payment id (a paid card payment)").fill(fresh)
        page.get_by_role("button", name="Open a test dispute").click()
        expect(page.get_by_role("alert")).to_contain_text("ORDER_STATUS_INVALID")
        no_sideways_scroll(page)
    finally:
        page.context.close()
    with gateway.store() as uow:
        statuses = {
            d.dispute_id: d.status.value for d in uow.disputes.for_client(ams.client_id, 10)
        }
    assert statuses[accepted_id] == "ACCEPTED" and statuses[lost_id] == "LOST"


def test_dispute_forms_need_the_csrf_token(
    console: httpx.Client, ams: AmsClient, gateway: Gateway
) -> None:
    _payment_id, dispute_id = disputed_payment(ams)
    page = console.get(f"{BASE}/{dispute_id}")
    assert page.status_code == 200 and "DISPUTE_CREATED" in page.text
    refused = console.post(f"{BASE}/{dispute_id}/accept", data={"csrf_token": "forged"})
    assert refused.status_code == 403
    with gateway.store() as uow:
        found = uow.disputes.get(ams.client_id, dispute_id)
    assert found is not None and found.status.value == "OPEN"
    accepted = console.post(f"{BASE}/{dispute_id}/accept", data={"csrf_token": csrf_of(page.text)})
    assert accepted.status_code == 303
    assert console.get(f"{BASE}/unknown").status_code == 404
    # signed out: back to the sign-in page
    with httpx.Client(base_url=str(console.base_url), verify=UNUSED_TLS) as anonymous:
        assert anonymous.get(BASE).status_code == 303
