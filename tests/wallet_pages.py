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
