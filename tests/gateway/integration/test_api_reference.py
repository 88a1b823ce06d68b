"""The API reference at /docs: Swagger UI over /openapi.json, rendered in Chromium with
every asset from the gateway itself (no CDN), at a phone's and a desktop's width."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlsplit

import httpx
import pytest
from playwright.sync_api import Browser, Request, Route

from tests.chromium import chromium_browser

SIZES = [{"width": 390, "height": 844}, {"width": 1280, "height": 800}]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium_browser() as opened:
        yield opened


def test_docs_page_loads_only_local_assets(http: httpx.Client) -> None:
    page = http.get("/docs")
    assert page.status_code == 200
    assert "cdn" not in page.text.lower() and "https://" not in page.text
    assert "default-src 'self'" in page.headers["content-security-policy"]
    for asset in ("/docs/assets/swagger-ui-bundle.js", "/docs/assets/swagger-ui.css"):
        served = http.get(asset)
        assert served.status_code == 200 and len(served.content) > 10_000, asset
    assert http.get("/docs/init.js").headers["content-type"].startswith("text/javascript")


@pytest.mark.parametrize("size", SIZES, ids=["390x844", "1280x800"])
def test_docs_render_every_operation_without_other_hosts(
    http: httpx.Client, browser: Browser, size: dict[str, int]
) -> None:
    base = str(http.base_url).rstrip("/")
    local_host = urlsplit(base).hostname
    elsewhere: list[str] = []

    def refuse_other_hosts(route: Route, request: Request) -> None:
        if urlsplit(request.url).hostname == local_host:
            route.continue_()
        else:
            elsewhere.append(request.url)
            route.abort()

    document = http.get("/openapi.json").json()
    context = browser.new_context(viewport=size)
    try:
        context.route("**/*", refuse_other_hosts)
        page = context.new_page()
        page.goto(f"{base}/docs")
        page.locator(".opblock").first.wait_for()
        shown = {
            path.replace("\u200b", "")
            for path in page.locator(".opblock-summary-path").all_inner_texts()
        }
        assert shown == set(document["paths"]), set(document["paths"]) ^ shown
        assert (
            page.locator(".information-container .title")
            .inner_text()
            .startswith(document["info"]["title"])
        )
        assert page.locator(".try-out__btn").count() == 0  # calls must be signed: no try-out
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    finally:
        context.close()
    assert elsewhere == []
