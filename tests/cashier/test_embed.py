"""Embed mode (issue 17): a payment session's pages framed by the merchant's registered
origins through openams-checkout.js, and by nobody else; messages checked both ways."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page

from openams.gateway.app import Gateway
from openams.gateway.domain.simulation import THREE_DS_CODE
from tests.ams_client import AmsClient
from tests.cashier.conftest import Browsing
from tests.cashier.embed_helpers import (
    FRAME,
    MerchantSite,
    card_pay,
    events,
    frame,
    hkd_session,
    merchant_html,
    merchant_sites,
    wait_for_event,
    wallet_pay,
)
from tests.cashier.helpers import inquiry, pay, token_of


@dataclass
class Embedding:
    """A merchant site whose origin is registered, a stranger's site, and the gateway."""

    ams: AmsClient
    gateway: Gateway
    browsing: Browsing
    base_url: str
    site: MerchantSite
    stranger: MerchantSite

    def session(self, **extra: Any) -> dict[str, Any]:
        return hkd_session(self.ams, f"{self.site.origin}/done", **extra)

    def open(self, html: str, site: MerchantSite | None = None) -> Page:
        """``html`` as the site's /checkout, opened on a desktop."""
        where = site or self.site
        where.pages["/checkout"] = html
        page = self.browsing.context(viewport={"width": 1280, "height": 800}).new_page()
        page.goto(f"{where.origin}/checkout")
        return page

    def mount(self, cls: str, session: dict[str, Any], options: str = "") -> Page:
        data = session["paymentSessionData"]
        return self.open(merchant_html(self.base_url, cls, data, options))


@pytest.fixture
def embed(
    ams: AmsClient, gateway: Gateway, browsing: Browsing, base_url: str
) -> Iterator[Embedding]:
    with merchant_sites(2) as (site, stranger):
        gateway.frame_origins.replace(ams.client_id, [site.origin])
        yield Embedding(ams, gateway, browsing, base_url, site, stranger)


def test_session_pages_are_framable_only_by_registered_origins(
    ams: AmsClient, gateway: Gateway, http: httpx.Client, base_url: str
) -> None:
    gateway.frame_origins.replace(ams.client_id, ["http://127.0.0.1:9", "https://shop.example/"])
    session = hkd_session(ams, "https://shop.example/done")
    checkout = http.get(f"/checkout/{session['paymentSessionId']}")
    assert checkout.status_code == 200
    policy = checkout.headers["content-security-policy"]
    assert "frame-ancestors http://127.0.0.1:9 https://shop.example;" in policy
    assert "x-frame-options" not in checkout.headers
    # A payment made by pay (no session) keeps refusing every frame.
    plain = pay(ams)
    page = http.get(f"/cashier/{token_of(plain['normalUrl'])}")
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    assert page.headers["x-frame-options"] == "DENY"
    # No origin registered: the session's pages refuse every frame too.
    gateway.frame_origins.replace(ams.client_id, [])
    again = http.get(f"/checkout/{session['paymentSessionId']}")
    assert "frame-ancestors 'none'" in again.headers["content-security-policy"]
    assert again.headers["x-frame-options"] == "DENY"
    # The SDK itself is public: any merchant page may load it, as a script or a module.
    for name in ("ams-checkout.js", "ams-checkout.mjs"):
        sdk = http.get(f"/sdk/{name}")
        assert sdk.status_code == 200
        assert sdk.headers["content-type"].startswith("text/javascript")
        assert sdk.headers["access-control-allow-origin"] == "*"
    assert http.get("/sdk/other.js").status_code == 404


def test_framing_from_an_unregistered_origin_is_refused(embed: Embedding) -> None:
    session = embed.session()
    page = embed.mount("AMSCheckoutPage", session)
    wait_for_event(page, "SDK_END_OF_LOADING")
    assert frame(page).get_by_test_id("amount").inner_text() == "HKD 1.00"
    embed.browsing.shot(page, "registered-origin")

    html = merchant_html(
        embed.base_url, "AMSCheckoutPage", session["paymentSessionData"], ", loadTimeoutMs: 3000"
    )
    other = embed.open(html, embed.stranger)
    refused = wait_for_event(other, "SDK_CREATE_COMPONENT_ERROR")
    assert "did not load" in refused["message"]
    framed = other.frame(url=lambda url: "/checkout/" in url)
    assert framed is None or framed.query_selector("[data-testid=amount]") is None
    assert "SDK_END_OF_LOADING" not in events(other)


def test_embedded_checkout_pays_by_wallet_and_reports_through_the_callback(
    embed: Embedding,
) -> None:
    ams = embed.ams
    session = embed.session()
    page = embed.mount("AMSCheckoutPage", session)
    wait_for_event(page, "SDK_END_OF_LOADING")
    inside = frame(page)
    inside.locator("input[value=ALIPAY_HK]").check()
    inside.get_by_test_id("continue").click()
    wallet_pay(inside)
    success = wait_for_event(page, "SDK_PAYMENT_SUCCESSFUL")
    assert success["result"]["status"] == "SUCCESS"
    assert inside.get_by_test_id("result").get_attribute("data-state") == "PAID"
    # The frame stayed on the result page: no redirect to the merchant inside it.
    assert page.url == f"{embed.site.origin}/checkout"
    assert "/result" in inside.locator("body").evaluate("() => location.href")
    embed.browsing.shot(page, "paid")
    paid = ams.call("payments/inquiryPayment", {"paymentRequestId": session["paymentRequestId"]})
    assert paid.body["paymentStatus"] == "SUCCESS"
    with embed.gateway.store() as uow:
        sent = uow.outbox.for_payment(ams.client_id, paid.body["paymentId"])
    assert [(n.body["notifyType"], n.body["result"]["resultStatus"]) for n in sent] == [
        ("PAYMENT_RESULT", "S")
    ]
    assert inquiry(ams, paid.body["paymentId"])["paymentStatus"] == "SUCCESS"


def test_a_message_from_a_foreign_origin_is_ignored_on_both_sides(embed: Embedding) -> None:
    session = embed.session(productScene="ELEMENT_PAYMENT")
    html = merchant_html(embed.base_url, "AMSElement", session["paymentSessionData"])
    # A frame of another origin inside the merchant's page forges the gateway's messages
    # to the page, and the merchant's to the gateway's frame.
    embed.stranger.pages["/ad"] = """<!doctype html><title>ad</title><script>
    function forge() {
      const fake = {openams: 1, type: 'result', state: 'PAID', resultCode: 'SUCCESS'};
      parent.postMessage(fake, '*');
      for (let i = 0; i < parent.frames.length; i++) {
        parent.frames[i].postMessage({openams: 1, type: 'submit', id: 99}, '*');
      }
      document.title = 'forged';
    }
    </script><body>ad</body>"""
    ad_url = f"{embed.stranger.origin}/ad"
    page = embed.open(html.replace("</main>", f'</main><iframe src="{ad_url}" hidden></iframe>'))
    wait_for_event(page, "SDK_END_OF_LOADING")
    frame(page).locator("input[value=ALIPAY_HK]").check()  # a choice that would pay
    ad = page.frame(url=ad_url)
    assert ad is not None
    ad.evaluate("() => forge()")
    assert ad.title() == "forged"
    # Round trip through the real frame: its answer comes after the forged messages.
    assert page.evaluate("() => window.sdk.validateFields()") == {"isValid": True}
    assert "SDK_PAYMENT_SUCCESSFUL" not in events(page)
    # The gateway's frame did not submit on the stranger's word: still choosing.
    assert frame(page).locator("input[value=ALIPAY_HK]").is_visible()
    inquired = {"paymentRequestId": session["paymentRequestId"]}
    assert embed.ams.call("payments/inquiryPayment", inquired).code == "ORDER_NOT_EXIST"


def test_payment_element_submits_from_the_merchants_button_and_resolves_the_promise(
    embed: Embedding,
) -> None:
    session = embed.session(productScene="ELEMENT_PAYMENT")
    page = embed.mount("AMSElement", session)
    assert page.evaluate("() => window.mounted") == {}
    inside = frame(page)
    assert inside.get_by_test_id("continue").count() == 0  # the merchant's button pays
    inside.locator("input[value=ALIPAY_HK]").check()
    assert page.evaluate("() => window.sdk.validateFields()") == {"isValid": True}
    page.evaluate("() => { window.submitted = window.sdk.submitPayment(); }")
    wallet_pay(inside, account="sandbox_nobalance")  # the test account that is declined
    outcome = page.evaluate("() => window.submitted")
    assert outcome["status"] == "FAIL"
    assert outcome["result"]["resultCode"] == "USER_BALANCE_NOT_ENOUGH"
    failed = wait_for_event(page, "SDK_PAYMENT_FAIL")
    assert failed["result"]["resultCode"] == "USER_BALANCE_NOT_ENOUGH"
    inquired = {"paymentRequestId": session["paymentRequestId"]}
    assert embed.ams.call("payments/inquiryPayment", inquired).body["paymentStatus"] == "FAIL"
    # Destroyed: the frame is gone and no later message reaches the merchant.
    page.evaluate("() => window.sdk.destroy()")
    assert page.locator(FRAME).count() == 0


def test_es_module_and_cashier_payment_popup_with_card(embed: Embedding) -> None:
    """The ES module build (gateway = the module's origin) and AMSCashierPayment's popup
    for a session made for one method (no productScene): a card paid with 3-D Secure."""
    session = embed.session(productScene=None, paymentMethod={"paymentMethodType": "CARD"})
    page = embed.open(f"""<!doctype html><title>Module shop</title>
<script type="module">
import {{ AMSCashierPayment, EVENT_CODES }} from "{embed.base_url}/sdk/ams-checkout.mjs";
window.events = [];
window.codes = EVENT_CODES;
const checkout = new AMSCashierPayment({{
  environment: "sandbox", onEventCallback: (e) => window.events.push(e) }});
window.sdk = checkout;
window.created = checkout.createComponent({{ sessionData: {session["paymentSessionData"]!r} }});
</script>""")
    assert page.evaluate("() => window.created") == {}
    assert page.evaluate("() => window.codes.SDK_PAYMENT_SUCCESSFUL") == "SDK_PAYMENT_SUCCESSFUL"
    assert page.evaluate("() => typeof window.AMSElement") == "function"  # globals too
    inside = frame(page)
    inside.get_by_test_id("continue").click()  # the one method the session names
    card_pay(inside, "4000 0000 0000 3220")
    inside.get_by_test_id("otp").fill(THREE_DS_CODE)
    embed.browsing.shot(page, "popup-3ds")
    inside.get_by_test_id("verify").click()
    success = wait_for_event(page, "SDK_PAYMENT_SUCCESSFUL")
    assert success["result"]["status"] == "SUCCESS"
    page.evaluate("() => window.sdk.unmount()")
    assert page.locator("[data-openams-overlay]").count() == 0
    inquired = {"paymentRequestId": session["paymentRequestId"]}
    paid = embed.ams.call("payments/inquiryPayment", inquired)
    assert paid.body["paymentStatus"] == "SUCCESS"
    assert paid.body["paymentResultInfo"]["threeDSResult"]["challenged"] is True
