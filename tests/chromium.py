"""Debian's headless Chromium for the browser tests (never a downloaded browser).

Fixtures that open it must be package or module scoped, never session scoped:
Playwright's sync API keeps an asyncio loop running in the thread while it is open,
which later ``asyncio.run`` tests must not find.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Playwright, sync_playwright

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@contextmanager
def playwright_driver() -> Iterator[Playwright]:
    """Playwright, failing (not skipping) when Debian's chromium is missing."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (apt-get install chromium)")
    with sync_playwright() as driver:
        yield driver


def launch(driver: Playwright) -> Browser:
    return driver.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)


@contextmanager
def chromium_browser() -> Iterator[Browser]:
    with playwright_driver() as driver:
        browser = launch(driver)
        try:
            yield browser
        finally:
            browser.close()
