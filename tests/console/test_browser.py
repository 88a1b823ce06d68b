"""The console in headless Chromium (Debian's /usr/bin/chromium): sign in, each page,
each action. Screenshots go to test-artifacts/screenshots/console/ (docs/img/'s come from
test_every_page_fits.py and test_disputes_console.py).

The Playwright driver is module-scoped and closed at the module's end: while it runs
it keeps an asyncio loop alive, which later ``asyncio.run`` tests must not meet.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from PIL import Image
from playwright.sync_api import Browser, Page, expect

from openams.gateway.app import Gateway
from openams.protocol.keys import generate_key_pair
from tests.ams_client import AmsClient
from tests.chromium import chromium_browser
from tests.console.conftest import sign_in_page
from tests.gateway.integration.payloads import pay_body

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "test-artifacts" / "screenshots" / "console"
BASE = "/console/m/SANDBOX_TEST_MERCHANT"


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium_browser() as launched:
        yield launched


@pytest.fixture
def page(browser: Browser, http: httpx.Client, console_user: str) -> Iterator[Page]:
    context = browser.new_context(
        base_url=str(http.base_url), viewport={"width": 1280, "height": 860}
    )
    try:
        context.set_default_timeout(10_000)
        opened = context.new_page()
        yield sign_in_page(opened)
    finally:
        context.close()


def shot(page: Page, name: str, *, docs: bool = True) -> None:
    """``console-<name>.png`` in test-artifacts, and a copy in docs/img (64 colours,
    small) with OPENAMS_DOC_SCREENSHOTS=1 unless ``docs`` is False."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"console-{name}.png"
    page.screenshot(path=str(path), full_page=True)
    if docs and os.environ.get("OPENAMS_DOC_SCREENSHOTS") == "1":
        image = Image.open(path).convert("RGB").quantize(colors=64)
        image.save(ROOT / "docs" / "img" / path.name, optimize=True)


def test_sign_in_page_and_wrong_password(
    browser: Browser, http: httpx.Client, console_user: str
) -> None:
    context = browser.new_context(base_url=str(http.base_url))
    try:
        login = context.new_page()
        login.goto("/console/login")
        shot(login, "login", docs=False)
        login.get_by_label("Password").fill("wrong password")
        login.get_by_role("button", name="Sign in").click()
        expect(login.get_by_role("alert")).to_have_text("Wrong username or password.")
    finally:
        context.close()


def test_pages_and_actions(page: Page, ams: AmsClient, gateway: Gateway) -> None:
    for n in range(3):
        ams.call("payments/pay", pay_body(value=str(100 * (n + 1))))
    body = pay_body(value="1234")
    payment_id = str(ams.call("payments/pay", body).body["paymentId"])
    page.reload()
    shot(page, "merchants", docs=False)

    page.get_by_role("link", name="SANDBOX_TEST_MERCHANT").first.click()
    expect(page.get_by_role("heading", name="Payments")).to_be_visible()
    expect(page.get_by_test_id("payments").get_by_role("row")).to_have_count(5)
    shot(page, "payments", docs=False)
    page.get_by_label("Id").fill(str(body["paymentRequestId"]))
    page.get_by_role("button", name="Filter").click()
    expect(page.get_by_test_id("payments").get_by_role("row")).to_have_count(2)

    page.get_by_role("link", name=payment_id).click()
    expect(page.get_by_test_id("status")).to_have_text("PROCESSING")
    page.get_by_role("button", name="Simulate success").click()
    expect(page.get_by_role("status")).to_have_text("payment completed: SUCCESS")
    expect(page.get_by_test_id("status")).to_have_text("SUCCESS")

    page.get_by_label("Refund amount (HKD)").fill("2.34")
    page.get_by_role("button", name="Refund").click()
    expect(page.get_by_role("status")).to_contain_text("of HKD 2.34 accepted")
    expect(page.get_by_test_id("timeline")).to_contain_text(": HKD 2.34 SUCCESS")

    page.get_by_role("button", name="Resend notification").click()
    expect(page.get_by_role("status")).to_have_text("notification queued again")
    shot(page, "payment", docs=False)

    # partly refunded: Cancel is not offered (the rest can still be refunded)
    expect(page.get_by_role("button", name="Cancel payment")).to_have_count(0)
    expect(page.get_by_label("Refund amount (HKD)")).to_have_value("10.00")

    page.get_by_role("link", name="Payments").click()
    page.get_by_label("Advance by").fill("900")
    page.get_by_role("button", name="Advance clock").click()
    expect(page.get_by_role("status")).to_contain_text("advanced 900 s")

    page.get_by_role("link", name="Keys").click()
    expect(page.get_by_test_id("gateway-key")).to_contain_text("BEGIN PUBLIC KEY")

    page.get_by_role("link", name="Settings").click()
    page.get_by_label("Default notify URL").fill("https://shop.example/notify")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_have_text("settings saved")
    shot(page, "settings", docs=False)
    merchant = gateway.merchants.get("SANDBOX_TEST_MERCHANT")
    assert merchant is not None and merchant.notify_url == "https://shop.example/notify"

    page.get_by_role("link", name="Reports").click()
    expect(page.get_by_role("heading", name="Settlement report")).to_be_visible()
    summary = page.get_by_test_id("settlement-summary")
    expect(summary).to_contain_text(str(body["paymentAmount"]["currency"]))
    shot(page, "reports", docs=False)
    with page.expect_download() as download:
        page.get_by_test_id("download-transactions").click()
    lines = Path(download.value.path()).read_text().splitlines()
    assert "transactionType" in lines[0]
    assert {
        line.split(",")[lines[0].split(",").index("transactionType")] for line in lines[1:]
    } == {
        "PAYMENT",
        "REFUND",
    }

    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()


def test_key_rotation(page: Page, gateway: Gateway, merchant: str) -> None:
    new = generate_key_pair()
    page.goto(f"{BASE}/keys")
    page.get_by_label("Key version").fill("2")
    page.get_by_label("Public key (PEM or base64)").fill(new.public_pem)
    page.get_by_role("button", name="Add key").click()
    expect(page.get_by_role("status")).to_have_text("key version 2 added")
    expect(page.get_by_test_id("key-status-1")).to_have_text("active")
    expect(page.get_by_test_id("key-status-2")).to_have_text("valid")

    page.get_by_role("button", name="Make key version 2 active").click()
    expect(page.get_by_role("status")).to_have_text("key version 2 is now the active one")
    expect(page.get_by_test_id("key-status-2")).to_have_text("active")

    page.get_by_role("link", name="Retire key version 1").click()
    expect(page.get_by_role("heading", name="Retire key version 1?")).to_be_visible()
    shot(page, "key-retire", docs=False)
    page.get_by_role("link", name="Keep it").click()
    expect(page.get_by_test_id("key-status-1")).to_have_text("valid")

    page.get_by_role("link", name="Retire key version 1").click()
    page.get_by_role("button", name="Retire key version 1").click()
    expect(page.get_by_role("status")).to_contain_text("key version 1 retired")
    expect(page.get_by_test_id("key-status-1")).to_contain_text("retired")
    expect(page.get_by_role("link", name="Retire key version 1")).to_have_count(0)
    shot(page, "keys", docs=False)
    assert [s.status for s in gateway.console.keys(merchant)] == ["retired", "active"]
