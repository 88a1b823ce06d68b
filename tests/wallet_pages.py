"""Browser steps on the gateway's wallet simulator that several test packages take."""

from __future__ import annotations

from playwright.sync_api import Page


def show_payment_code(page: Page, gateway_url: str, buyer: str) -> str:
    """Open the wallet's payment code as ``buyer``; the digits it shows."""
    page.goto(f"{gateway_url}/wallet/paycode")
    page.get_by_test_id("paycode-buyer").fill(buyer)
    page.get_by_test_id("paycode-show").click()
    return page.get_by_test_id("paycode-value").inner_text().strip()


def no_sideways_scroll(page: Page) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"))


def wait_for_the_wallet_to_open(page: Page, link: str) -> None:
    """The wallet frame (``/wallet/open``, after a scan) opens ``link`` by itself a second
    after it shows (a meta refresh); its Continue button does the same at once. A tap can
    race the refresh on a loaded machine (the button is gone when the tap lands), so
    tests wait for the link's page instead of tapping."""
    page.wait_for_url(link)
