"""The console's sandbox clock: an advance shows what it did, the list agrees with it at
once, and the payment's timeline records the shift; Expires never reads before Created."""

from __future__ import annotations

import re

import httpx
import pytest
from playwright.sync_api import expect

from openams.gateway.app import Gateway
from openams.gateway.domain.clock import parse_datetime
from tests.ams_client import AmsClient
from tests.chromium import chromium_browser
from tests.console.conftest import sign_in_page
from tests.console.test_pages import BASE, notice, pay, post


def row_of(listing: str, payment_id: str) -> str:
    rows = [row for row in listing.split("<tr") if payment_id in row]
    assert len(rows) == 1, listing
    return rows[0]


def fact(page: str, label: str) -> str:
    found = re.search(rf"{label}</dt>\s*<dd[^>]*>([^<]+)</dd>", page)
    assert found is not None, page
    return found.group(1).strip()


def test_an_advance_closes_the_payment_before_the_list_shows_it(
    console: httpx.Client, ams: AmsClient
) -> None:
    payment_id = pay(ams)
    listing = f"{BASE}/payments"
    assert "PROCESSING" in row_of(console.get(listing).text, payment_id)
    text = notice(console, post(console, listing, f"{BASE}/advance-clock", seconds="900"))
    assert "advanced 900 s" in text and "1 payments expired" in text
    row = row_of(text, payment_id)
    assert "PROCESSING" not in row and "FAIL" in row


def test_the_timeline_shows_the_shift_and_expires_follows_created(
    console: httpx.Client, ams: AmsClient, gateway: Gateway
) -> None:
    payment_id = pay(ams)
    listing = f"{BASE}/payments"
    notice(console, post(console, listing, f"{BASE}/advance-clock", seconds="90"))
    page = console.get(f"{BASE}/payments/{payment_id}").text  # still open: Expires shows
    created, expires = (parse_datetime(fact(page, label)) for label in ("Created", "Expires"))
    assert created < expires
    notice(console, post(console, listing, f"{BASE}/advance-clock", seconds="900"))
    page = console.get(f"{BASE}/payments/{payment_id}").text
    assert "sandbox clock advanced 1 min 30 s" in page
    assert "sandbox clock advanced 15 min" in page
    detail = gateway.console.detail(ams.client_id, payment_id)
    assert detail is not None
    kinds = [entry.kind for entry in detail.timeline]
    # oldest first: made, the two shifts, closed at its expiry, its notification queued
    assert kinds[:3] == ["created", "clock", "clock"]
    assert "closed" in kinds[3:]
    shifts = [entry for entry in detail.timeline if entry.kind == "clock"]
    assert shifts[1].at - shifts[0].at >= 90_000


def test_a_payment_made_after_an_advance_has_no_earlier_shift(
    console: httpx.Client, ams: AmsClient, gateway: Gateway
) -> None:
    listing = f"{BASE}/payments"
    notice(console, post(console, listing, f"{BASE}/advance-clock", seconds="600"))
    payment_id = pay(ams)
    detail = gateway.console.detail(ams.client_id, payment_id)
    assert detail is not None
    assert "clock" not in [entry.kind for entry in detail.timeline]
    assert detail.payment.created_at < detail.payment.expires_at


@pytest.mark.parametrize("viewport", [(390, 844), (1280, 800)], ids=["390x844", "1280x800"])
def test_the_clock_form_in_chromium(
    http: httpx.Client, console_user: str, ams: AmsClient, viewport: tuple[int, int]
) -> None:
    """The form's answer is the service's message, and it wraps inside the page."""
    payment_id = pay(ams)
    width, height = viewport
    with chromium_browser() as browser:
        context = browser.new_context(
            base_url=str(http.base_url), viewport={"width": width, "height": height}
        )
        try:
            page = context.new_page()
            sign_in_page(page)
            page.goto(f"{BASE}/payments")
            page.locator("input[name=seconds]").fill("900")
            page.get_by_role("button", name="Advance clock").click()
            status = page.get_by_role("status")
            expect(status).to_contain_text("1 payments expired")
            expect(status).to_contain_text("notifications due now, queued for delivery")
            assert status.evaluate("e => e.scrollWidth <= e.clientWidth")
            expect(page.locator("tr", has_text=payment_id)).to_contain_text("FAIL")
        finally:
            context.close()
