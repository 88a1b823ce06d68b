"""Antom's own Web SDK (npm ``@alipay/ams-checkout``) accepts openams's paymentSessionData.

Its UMD build runs in Chromium on a merchant page; every request it makes to anywhere
(Antom's hosts, trackers, fingerprinting) is refused, so what is tested is its decode
path: the session data is split on ``&&``, the fourth field decoded and its
``paymentSessionConfig`` turned into a component. openams's former three-field value
fails exactly there, as issue 17 reports; the value openams sends now gets past it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, Route

from tests.ams_client import AmsClient
from tests.cashier.antom_npm import ensure_antom_sdk
from tests.gateway.integration.payloads import session_body

MERCHANT_PAGE = "http://merchant.test/antom-sdk.html"
OLD_FORMAT = "c29tZSByYW5kb20gYnl0ZXM=&&openams&&0123456789abcdef0123456789abcdef"

# Each call waits for the SDK's own first answer: an event, or its promise settling.
CASHIER_CREATE = """async (sessionData) => {
  const events = [];
  let first;
  const seen = new Promise((resolve) => { first = resolve; });
  const sdk = new AMSCashierPayment({environment: 'sandbox', locale: 'en_US',
    onEventCallback: (event) => { events.push(event); first(); }});
  const settled = sdk.createComponent({sessionData}).then(
    (value) => ({resolved: value === undefined ? null : value}),
    (error) => ({rejected: error}));
  const outcome = await Promise.race([settled, seen.then(() => ({event: true}))]);
  return {outcome: JSON.parse(JSON.stringify(outcome)), events: events.map((e) => e.code)};
}"""
ELEMENT_MOUNT = """async (sessionData) => {
  const events = [];
  const element = new AMSElement({environment: 'sandbox', locale: 'en_US', sessionData,
    onEventCallback: (event) => events.push(event)});
  const mounted = await element.mount({type: 'payment'}, '#element');
  return {error: mounted && mounted.error ? mounted.error.code : null,
          events: events.map((e) => e.code)};
}"""


@pytest.fixture(scope="module")
def antom_sdk() -> bytes:
    return ensure_antom_sdk().read_bytes()


@pytest.fixture
def merchant_page(browser: Browser, antom_sdk: bytes) -> Iterator[Page]:
    context = browser.new_context()
    refused: list[str] = []

    def answer(route: Route) -> None:
        url = route.request.url
        if url == "http://merchant.test/ams-checkout.min.js":
            route.fulfill(status=200, content_type="text/javascript", body=antom_sdk)
        elif url == MERCHANT_PAGE:
            route.fulfill(
                status=200,
                content_type="text/html",
                body="<!doctype html><div id=element></div>"
                "<script src=/ams-checkout.min.js></script>",
            )
        else:
            refused.append(url)
            route.abort()

    context.route(re.compile(r".*"), answer)
    context.set_default_timeout(30_000)
    page = context.new_page()
    page.goto(MERCHANT_PAGE)
    yield page
    context.close()


def session_data(ams: AmsClient, **extra: Any) -> str:
    reply = ams.call("payments/createPaymentSession", session_body(**extra))
    assert reply.code == "SUCCESS", reply.result
    return str(reply.body["paymentSessionData"])


def test_the_former_three_field_value_is_what_antoms_sdk_rejected(merchant_page: Page) -> None:
    """The test can fail: Antom's SDK refuses a value it cannot decode."""
    cashier = merchant_page.evaluate(CASHIER_CREATE, OLD_FORMAT)
    assert cashier["outcome"]["rejected"]["code"] == "SDK_CREATEPAYMENT_PARAMETER_ERROR"
    element = merchant_page.evaluate(ELEMENT_MOUNT, OLD_FORMAT)
    assert element["error"] == "PARAM_INVALID"
    assert "SDK_CREATEPAYMENT_PARAMETER_ERROR" in element["events"]


def test_cashier_payment_session_decodes_in_antoms_sdk(ams: AmsClient, merchant_page: Page) -> None:
    data = session_data(ams, paymentMethod={"paymentMethodType": "CARD"})
    result = merchant_page.evaluate(CASHIER_CREATE, data)
    # Decoded, a component chosen (CASHIER_PAYMENT_CARD), and loading started: only then
    # does it reach for the network, which the test refuses.
    assert "rejected" not in result["outcome"], result
    assert result["events"][0] == "SDK_START_OF_LOADING"
    assert "SDK_CREATEPAYMENT_PARAMETER_ERROR" not in result["events"]


def test_element_session_decodes_in_antoms_sdk(ams: AmsClient, merchant_page: Page) -> None:
    data = session_data(ams, productScene="ELEMENT_PAYMENT")
    result = merchant_page.evaluate(ELEMENT_MOUNT, data)
    # It decoded the value and went on to call Antom's servers (refused here), so its
    # error, if any, is about the network, not the session data.
    assert "SDK_CREATEPAYMENT_PARAMETER_ERROR" not in result["events"], result
    assert result["error"] != "PARAM_INVALID", result


def test_checkout_page_session_decodes_in_antoms_sdk(ams: AmsClient, merchant_page: Page) -> None:
    """A CHECKOUT_PAYMENT session goes through the same decode path (productScene read
    from the fourth field) when handed to the cashier component: it gets past it."""
    data = session_data(ams, productScene="CHECKOUT_PAYMENT")
    result = merchant_page.evaluate(CASHIER_CREATE, data)
    assert "SDK_CREATEPAYMENT_PARAMETER_ERROR" not in result["events"], result
    rejected = result["outcome"].get("rejected") or {}
    assert rejected.get("code") != "SDK_CREATEPAYMENT_PARAMETER_ERROR", result
