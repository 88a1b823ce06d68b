"""Browser fixtures: Debian's Chromium driven by Playwright, against a real gateway server.

The gateway's public URL is the live server's own address, so every continuation URL a
pay response carries (normalUrl, the QR code value, applinkUrl) opens in the browser as
is. The merchant's site (``http://merchant.test``) is answered by Playwright itself.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, Route

from openams.gateway.app import Gateway, create_app
from openams.gateway.settings import Settings
from tests.chromium import launch, playwright_driver
from tests.conftest import LOADED_MACHINE_TIMEOUT, UNUSED_TLS
from tests.live_server import live_server
from tests.ports import free_port

MERCHANT = "http://merchant.test"
REDIRECT_URL = f"{MERCHANT}/orders/ORDER-1/result?lang=en"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
#: A phone, for the wallet simulator and the H5 pages.
PHONE: dict[str, Any] = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
    "user_agent": (
        "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 "
        "(KHTML, like Gecko) Chrome/124.0 Mobile Safari/537.36"
    ),
}
DESKTOP: dict[str, Any] = {"viewport": {"width": 1280, "height": 800}}
#: Every page a test screenshots must fit both widths: nothing scrolls sideways.
FIT_VIEWPORTS = ({"width": 390, "height": 844}, {"width": 1280, "height": 800})


@pytest.fixture
def port() -> int:
    return free_port()


@pytest.fixture
def settings(database_url: str, gateway_key_file: Path, port: int) -> Settings:
    """The root fixture, with the live server's address as the public URL."""
    return Settings(
        database_url=database_url,
        public_url=f"http://127.0.0.1:{port}",
        gateway_private_key_file=gateway_key_file,
        run_dispatcher=False,
    )


@pytest.fixture
def http(gateway: Gateway, port: int) -> Iterator[httpx.Client]:
    with (
        live_server(create_app(gateway=gateway), port=port) as url,
        httpx.Client(base_url=url, verify=UNUSED_TLS, timeout=LOADED_MACHINE_TIMEOUT) as client,
    ):
        yield client


@pytest.fixture
def base_url(http: httpx.Client) -> str:
    return str(http.base_url).rstrip("/")


# Package scope, not session: Playwright's sync API keeps an asyncio loop running in this
# thread while it is open, which other packages' asyncio tests must not find.
@pytest.fixture(scope="package")
def playwright() -> Iterator[Playwright]:
    with playwright_driver() as driver:
        yield driver


@pytest.fixture(scope="package")
def browser(playwright: Playwright) -> Iterator[Browser]:
    browser = launch(playwright)
    yield browser
    browser.close()


def _merchant_site(route: Route) -> None:
    route.fulfill(
        status=200,
        content_type="text/html",
        body="<!doctype html><title>Merchant</title><h1>Merchant result page</h1>",
    )


class Browsing:
    """Contexts (a desktop, a phone) that screenshot each step into the artifacts folder."""

    def __init__(self, browser: Browser, folder: Path) -> None:
        self.browser = browser
        self.folder = folder
        self.contexts: list[BrowserContext] = []
        self.count = 0
        self.dialogs: list[str] = []

    def context(self, **options: Any) -> BrowserContext:
        context = self.browser.new_context(**options)
        context.route(re.compile(r"^https?://merchant\.test/"), _merchant_site)
        context.set_default_timeout(15_000)
        self.contexts.append(context)
        return context

    def page(self, device: dict[str, Any] | None = None, **options: Any) -> Page:
        page = self.context(**{**(device or DESKTOP), **options}).new_page()
        page.on("dialog", lambda dialog: (self.dialogs.append(dialog.message), dialog.dismiss()))
        return page

    def phone(self, **options: Any) -> Page:
        return self.page(PHONE, **options)

    def shot(self, page: Page, name: str) -> Path:
        """Screenshot ``page``, then check it fits a phone and a desktop (nothing scrolls
        sideways at either width) and reads no raw timestamp."""
        self.count += 1
        path = self.folder / f"{self.count:02d}-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        assert_fits(page, name)
        return path

    def close(self) -> None:
        for context in self.contexts:
            context.close()


#: An ISO-8601 moment as the wire writes it ("2026-12-06T17:39:00+00:00"): data, not prose.
RAW_TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")


def assert_fits(page: Page, name: str) -> None:
    """``page`` has no horizontal overflow at 390x844 nor at 1280x800, and its visible text
    shows no raw ISO timestamp."""
    original = page.viewport_size
    try:
        for size in FIT_VIEWPORTS:
            page.set_viewport_size(size)
            widths = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
            assert widths[0] <= widths[1], f"{name} ({page.url}) scrolls sideways at {size}"
    finally:
        if original is not None:
            page.set_viewport_size(original)
    text = page.locator("body").inner_text()
    assert not RAW_TIMESTAMP.search(text), f"{name} ({page.url}) shows a raw timestamp"
    assert page.evaluate(PROSE_BROKEN_ANYWHERE) == [], f"{name}: prose may break mid-word"
    assert page.evaluate(SQUEEZED_LOGOS) == [], f"{name}: a logo is not shown at its size"


#: Elements whose own text has words (a space) yet may break inside a word ("sca nning"):
#: only ids, links and codes, which have no spaces, may break anywhere.
PROSE_BROKEN_ANYWHERE = """() => [...document.querySelectorAll("body *")].filter(el => {
  const own = [...el.childNodes].filter(n => n.nodeType === 3).map(n => n.data).join("");
  if (!/\\S\\s+\\S/.test(own)) { return false; }
  const style = getComputedStyle(el);
  return style.wordBreak === "break-all" || style.overflowWrap === "anywhere";
}).map(el => el.outerHTML.slice(0, 80))"""

#: Method logos drawn at one size and shown at another.
SQUEEZED_LOGOS = """() => [...document.querySelectorAll("img.logo")].filter(img =>
  img.complete && (img.clientWidth !== img.naturalWidth || img.clientHeight !== img.naturalHeight)
).map(img => `${img.src} drawn ${img.naturalWidth}x${img.naturalHeight}`
  + ` shown ${img.clientWidth}x${img.clientHeight}`)"""


@pytest.fixture
def browsing(browser: Browser, request: pytest.FixtureRequest) -> Iterator[Browsing]:
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name)
    folder = SCREENSHOTS / name
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True, exist_ok=True)
    session = Browsing(browser, folder)
    yield session
    session.close()


def decode_qr(image: Image.Image) -> list[str]:
    import zxingcpp

    return [result.text for result in zxingcpp.read_barcodes(image)]


@pytest.fixture
def qr_decoder() -> Callable[[Image.Image], list[str]]:
    return decode_qr
