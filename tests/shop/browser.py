"""Headless Chromium for the shop's browser tests (Debian's chromium, never a download)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page

from tests.chromium import chromium_browser

SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots" / "shop"
#: A phone screen (the user agent is the test's to choose).
PHONE: dict[str, Any] = {
    "viewport": {"width": 390, "height": 700},
    "is_mobile": True,
    "has_touch": True,
}


# Module scope: Playwright's sync API keeps an asyncio loop running in this thread while
# it is open, which other modules' asyncio tests must not find.
@pytest.fixture(scope="module")
def chromium() -> Iterator[Browser]:
    with chromium_browser() as browser:
        yield browser


@pytest.fixture
def contexts(chromium: Browser) -> Iterator[list[BrowserContext]]:
    """Closed after the test; each test appends the contexts it opens."""
    opened: list[BrowserContext] = []
    yield opened
    for context in opened:
        context.close()


def screenshot(page: Page, name: str) -> Path:
    """Save ``name``.png under test-artifacts/screenshots/shop/."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path))
    return path
