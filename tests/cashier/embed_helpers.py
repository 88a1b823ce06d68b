"""A merchant's page using openams-checkout.js, served by a real server on its own origin.

The page is served at ``http://127.0.0.1:<port>``, the same site as the gateway under
test (another port), as ``openams dev`` runs the shop beside the gateway.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from typing import Any

from playwright.sync_api import FrameLocator, Page
from starlette.responses import HTMLResponse
from starlette.types import Receive, Scope, Send

from tests.ams_client import AmsClient
from tests.gateway.integration.payloads import session_body
from tests.live_server import live_server

FRAME = "iframe[data-openams-frame]"

MOUNTS = {
    "AMSCheckoutPage": "sdk.mountComponent({sessionData: DATA}, '#payment')",
    "AMSElement": "sdk.mount({type: 'payment', appearance: {theme: 'default'}}, '#payment')",
    "AMSCashierPayment": "sdk.mountComponent({sessionData: DATA}, '#payment')",
}


def merchant_html(gateway_url: str, cls: str, session_data: str, options: str = "") -> str:
    """The merchant's checkout page: the SDK from the gateway, mounted into #payment.
    Every event the SDK reports is kept in ``window.events`` for the test to read."""
    data = json.dumps(session_data)
    construct = (
        "{environment: 'sandbox', locale: 'en_US', sessionData: DATA, "
        f"onEventCallback: (e) => window.events.push(e){options}}}"
    )
    mount = MOUNTS[cls]
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Tea shop checkout</title>
<style>body{{font-family:system-ui,sans-serif;margin:0;padding:1rem;background:#f6f3ee}}
main{{max-width:30rem;margin:auto}}
#payment{{background:#fff;border-radius:12px;padding:.5rem}}</style>
</head><body><main>
<h1>Tea shop: checkout</h1>
<p>Oolong tea, HKD 1.00</p>
<div id="payment"></div>
<p><button id="place" type="button">Place order</button></p>
</main>
<script src="{gateway_url}/sdk/ams-checkout.js"></script>
<script>
window.events = [];
const DATA = {data};
const sdk = new {cls}({construct});
window.sdk = sdk;
window.mounted = {mount};
</script></body></html>"""


@dataclass
class MerchantSite:
    """The merchant's web server (real, on 127.0.0.1): the pages the test sets."""

    origin: str
    pages: dict[str, str]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        html = self.pages.get(scope["path"], "<!doctype html><h1>Merchant page</h1>")
        await HTMLResponse(html)(scope, receive, send)


@contextmanager
def merchant_sites(count: int) -> Iterator[list[MerchantSite]]:
    """``count`` merchant sites, each on its own port (its own origin)."""
    with ExitStack() as stack:
        sites = []
        for _ in range(count):
            site = MerchantSite("", {})
            site.origin = stack.enter_context(live_server(site)).rstrip("/")
            sites.append(site)
        yield sites


def hkd_session(ams: AmsClient, redirect: str, **extra: Any) -> dict[str, Any]:
    """A createPaymentSession for HKD 1.00, bought on a phone (the wallet's H5 pages);
    productScene CHECKOUT_PAYMENT unless ``extra`` says otherwise."""
    extra.setdefault("productScene", "CHECKOUT_PAYMENT")
    body = session_body(
        paymentAmount={"currency": "HKD", "value": "100"},
        order={
            "referenceOrderId": "ORDER-EMBED",
            "orderDescription": "Oolong tea",
            "orderAmount": {"currency": "HKD", "value": "100"},
        },
        paymentRedirectUrl=redirect,
        env={"terminalType": "WAP", "osType": "ANDROID"},
        **extra,
    )
    reply = ams.call("payments/createPaymentSession", body)
    assert reply.code == "SUCCESS", reply.result
    return {**reply.body, "paymentRequestId": body["paymentRequestId"]}


def events(page: Page) -> list[str]:
    return [str(code) for code in page.evaluate("() => window.events.map((e) => e.code)")]


def wait_for_event(page: Page, code: str) -> dict[str, Any]:
    page.wait_for_function(
        "(code) => window.events.some((e) => e.code === code)", arg=code, timeout=20_000
    )
    found = page.evaluate("(code) => window.events.find((e) => e.code === code)", code)
    return dict(found)


def frame(page: Page) -> FrameLocator:
    return page.frame_locator(FRAME)


def wallet_pay(inside: FrameLocator, account: str = "embedded-buyer") -> None:
    """The wallet's H5 pages inside the frame: log in, confirm, payment password."""
    inside.get_by_test_id("account").fill(account)
    inside.get_by_test_id("password").fill("any-password")
    inside.get_by_test_id("login").click()
    inside.get_by_test_id("confirm").click()
    inside.get_by_test_id("pay-password").fill("000000")
    inside.get_by_test_id("pay").click()


def card_pay(inside: FrameLocator, number: str) -> None:
    """The card form inside the frame: a valid expiry and CVV, then Pay."""
    inside.get_by_test_id("card-number").fill(number)
    inside.get_by_test_id("expiry-month").fill("12")
    inside.get_by_test_id("expiry-year").fill("39")
    inside.get_by_test_id("cvv").fill("123")
    inside.get_by_test_id("pay").click()
