"""docs/web-sdk.md's samples, run as written: the server's create_session (Python, with
openams.sdk) and the merchant's page (HTML), paid by wallet in Chromium."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect
from starlette.responses import HTMLResponse, JSONResponse
from starlette.types import Receive, Scope, Send

from openams.gateway.app import Gateway
from openams.protocol.keys import KeyPair
from openams.sdk import Client
from tests.cashier.conftest import Browsing
from tests.cashier.embed_helpers import FRAME
from tests.live_server import live_server

DOC = Path(__file__).resolve().parents[2] / "docs" / "web-sdk.md"
DOC_GATEWAY = "http://127.0.0.1:8080"  # openams dev's address, as the sample writes it


def sample(language: str) -> str:
    (found,) = re.findall(rf"```{language}\n(.*?)```", DOC.read_text(), flags=re.DOTALL)
    return str(found)


class DocMerchant:
    """The merchant's site: GET /checkout is the doc's page, POST /session calls the
    doc's create_session."""

    def __init__(self, client: Client, gateway_url: str) -> None:
        namespace: dict[str, Any] = {}
        exec(sample("python"), namespace)  # the documented function, as written
        self.create_session = namespace["create_session"]
        self.client = client
        self.page = sample("html").replace(DOC_GATEWAY, gateway_url)
        self.origin = ""
        self.count = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        if scope["path"] == "/session" and scope["method"] == "POST":
            self.count += 1
            data = self.create_session(
                self.client,
                f"ORDER-DOC-{self.count}",
                100,
                f"{self.origin}/orders/result",
                f"{self.origin}/notify",
            )
            await JSONResponse({"paymentSessionData": data})(scope, receive, send)
        elif scope["path"] == "/checkout":
            await HTMLResponse(self.page)(scope, receive, send)
        else:
            await HTMLResponse("<h1>Merchant result page</h1>")(scope, receive, send)


@pytest.fixture
def doc_merchant(
    gateway: Gateway, merchant: str, merchant_keys: KeyPair, base_url: str
) -> Iterator[DocMerchant]:
    client = Client(
        client_id=merchant,
        private_key=merchant_keys.private_pem,
        gateway_public_key=gateway.key_pair.public_pem,
        base_url=base_url,
    )
    site = DocMerchant(client, base_url)
    with live_server(site) as url:
        site.origin = url.rstrip("/")
        gateway.frame_origins.replace(merchant, [site.origin])
        yield site
    client.close()


def test_the_documented_page_pays(doc_merchant: DocMerchant, browsing: Browsing) -> None:
    page = browsing.page()
    page.goto(f"{doc_merchant.origin}/checkout")
    message = page.get_by_role("status")
    expect(message).to_have_text("SDK_END_OF_LOADING")
    inside = page.frame_locator(FRAME)
    inside.locator("input[value=ALIPAY_HK]").check()
    inside.get_by_test_id("continue").click()
    code_value = inside.get_by_test_id("code-value").get_attribute("href")
    assert code_value
    phone = browsing.phone()
    phone.goto(code_value)  # the wallet simulator: the buyer scans the QR code
    phone.get_by_test_id("account").fill("doc-buyer")
    phone.get_by_test_id("password").fill("secret")
    phone.get_by_test_id("login").click()
    phone.get_by_test_id("confirm").click()
    expect(message).to_have_text("SDK_PAYMENT_SUCCESSFUL", timeout=20_000)
    page.wait_for_url(f"{doc_merchant.origin}/orders/result")
