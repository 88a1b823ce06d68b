"""The wallet simulator's scanner: /wallet/scan and /wallet/open (http(s) links only)."""

from __future__ import annotations

import html
import re
from urllib.parse import quote

import httpx
from playwright.sync_api import Route

from tests.ams_client import AmsClient
from tests.cashier.conftest import Browsing
from tests.cashier.helpers import code_value, pay


def opened_url(page: httpx.Response) -> str:
    """The link the wallet frame navigates to (meta refresh), unescaped."""
    found = re.search(r'<meta http-equiv="refresh" content="1;url=([^"]+)">', page.text)
    assert found, page.text
    return html.unescape(found.group(1))


def test_scan_page_has_a_form_that_opens_in_the_wallet(http: httpx.Client) -> None:
    page = http.get("/wallet/scan")
    assert page.status_code == 200
    assert 'action="/wallet/open"' in page.text and 'name="url"' in page.text
    assert "default-src 'self'" in page.headers["content-security-policy"]


OPENED = [
    "http://127.0.0.1:8081/stores/S0001/pay",
    "https://shop.example/stores/S0001/pay?lang=en&x=%22q%22",
    "HTTPS://SHOP.EXAMPLE:8443/a",
]
# One request per case, on one server: a parametrized test would start a gateway each.
REFUSED = [
    ("javascript:alert(1)", "only http and https"),
    ("JaVaScRiPt:alert(document.cookie)", "only http and https"),
    ("data:text/html,<script>alert(1)</script>", "only http and https"),
    ("vbscript:msgbox", "only http and https"),
    ("file:///etc/passwd", "only http and https"),
    ("intent://scan/#Intent;scheme=zxing;end", "only http and https"),
    ("openams-alipay-hk://pay?token=x", "only http and https"),
    ("/stores/S0001/pay", "only http and https"),
    ("//evil.example/x", "only http and https"),
    ("http://", "no host"),
    ("https://shop.example@evil.example/pay", "user name or password"),
    ("http://shop.example/pay\nSet-Cookie:x", "spaces or control"),
    ("http://shop.example/a b", "spaces or control"),
    ("http://shop.example:99999/", "not a valid link"),
    ("https://[::1/", "not a valid link"),
    ("", "Nothing was scanned"),
    ("https://shop.example/" + "a" * 3000, "longer than"),
]


def test_an_http_link_opens_inside_the_wallet_frame(http: httpx.Client) -> None:
    for link in OPENED:
        page = http.get("/wallet/open", params={"url": f"  {link} "})
        assert page.status_code == 200, link
        assert opened_url(page) == link  # exactly as scanned: nothing added
        assert 'data-testid="open-continue"' in page.text
        assert "wallet simulator" in page.text
        # The merchant learns only that the wallet opened it: the origin, no path.
        assert page.headers["referrer-policy"] == "no-referrer"
        assert '<meta name="referrer" content="origin">' in page.text


def test_anything_else_is_refused_with_a_clear_page(http: httpx.Client) -> None:
    for value, reason in REFUSED:
        page = http.get("/wallet/open", params={"url": value})
        assert page.status_code == 400, value
        assert reason in html.unescape(page.text), value
        assert 'http-equiv="refresh"' not in page.text
        assert 'data-testid="open-continue"' not in page.text
        assert "<script>alert" not in page.text  # the value is shown escaped, never run


def test_a_missing_parameter_is_refused_too(http: httpx.Client) -> None:
    page = http.get("/wallet/open")
    assert page.status_code == 400 and "Nothing was scanned" in page.text


def test_scanning_a_payment_code_opens_the_wallet_login(ams: AmsClient, http: httpx.Client) -> None:
    value = code_value(pay(ams))  # the orderCodeForm TEXT value of a WEB payment's QR code
    frame = http.get(f"/wallet/open?url={quote(value, safe='')}")
    assert frame.status_code == 200 and opened_url(frame) == value
    login = http.get(opened_url(frame))
    assert login.status_code == 200
    assert 'data-testid="login"' in login.text and 'name="mode" value="scan"' in login.text


def serve_without_refresh(route: Route) -> None:
    response = route.fetch()
    body = response.text()
    assert 'http-equiv="refresh"' in body
    route.fulfill(response=response, body=body.replace('http-equiv="refresh"', "data-held"))


def test_scanner_pages_fit_a_phone_and_a_desktop(
    ams: AmsClient, browsing: Browsing, base_url: str
) -> None:
    """The scanner, the wallet frame around a long payment link and the payment code's
    first page, in Chromium (each screenshot checks both widths)."""
    value = code_value(pay(ams, terminal="WEB"))
    page = browsing.phone()
    # Hold the wallet frame: its meta refresh opens the link after a second, and an
    # aborted navigation would still replace the page (with Chromium's error page) while
    # it is being measured. Served without the refresh, it stays.
    page.route(re.compile(r"/wallet/open\?"), serve_without_refresh)
    page.goto(f"{base_url}/wallet/scan")
    browsing.shot(page, "wallet-scan")
    page.get_by_test_id("scan-code").fill(value)
    page.get_by_test_id("scan-open").click()
    assert page.get_by_test_id("open-url").inner_text() == value
    browsing.shot(page, "wallet-open")
    assert "/wallet/open?" in page.url  # measured the wallet frame, not what replaced it
    page.goto(f"{base_url}/wallet/paycode")
    browsing.shot(page, "wallet-paycode-start")
