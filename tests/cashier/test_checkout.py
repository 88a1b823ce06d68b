"""The hosted checkout of createPaymentSession: the buyer picks a method, the session becomes
a payment through the pay rules, and the buyer pays on that method's page."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx

from tests.ams_client import AmsClient
from tests.cashier.conftest import REDIRECT_URL, Browsing
from tests.cashier.helpers import inquiry, token_of
from tests.conftest import ShiftableClock
from tests.gateway.integration.payloads import new_id

NEXT_YEAR = f"{(datetime.now(UTC).year + 1) % 100:02d}"


def session_body(**extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "productCode": "CASHIER_PAYMENT",
        "paymentRequestId": new_id(),
        "order": {
            "referenceOrderId": new_id("O"),
            "orderDescription": "Running shoes",
            "orderAmount": {"currency": "USD", "value": "4200"},
            "goods": [
                {
                    "goodsName": "Running shoes",
                    "goodsQuantity": "1",
                    "goodsUnitAmount": {"currency": "USD", "value": "4200"},
                }
            ],
        },
        "paymentAmount": {"currency": "USD", "value": "4200"},
        "paymentRedirectUrl": REDIRECT_URL,
        "settlementStrategy": {"settlementCurrency": "USD"},
    }
    body.update(extra)
    return body


def test_checkout_page_turns_the_session_into_a_card_payment(
    ams: AmsClient, browsing: Browsing
) -> None:
    request = session_body()
    created = ams.call("payments/createPaymentSession", request)
    assert created.code == "SUCCESS", created.result
    page = browsing.page()
    page.goto(created.body["normalUrl"])
    assert page.get_by_test_id("amount").inner_text() == "USD 42.00"
    methods = page.locator('input[name="method"]')
    offered = [methods.nth(i).get_attribute("value") for i in range(methods.count())]
    assert "CARD" in offered and "ALIPAY_HK" not in offered  # HKD only
    browsing.shot(page, "checkout")
    page.locator('input[value="CARD"]').check()
    page.get_by_test_id("continue").click()
    page.get_by_test_id("card-number").wait_for()
    browsing.shot(page, "checkout-card")
    page.get_by_test_id("card-number").fill("4111 1111 1111 1111")
    page.get_by_test_id("expiry-month").fill("10")
    page.get_by_test_id("expiry-year").fill(NEXT_YEAR)
    page.get_by_test_id("cvv").fill("321")
    page.get_by_test_id("pay").click()
    page.wait_for_url(REDIRECT_URL)

    paid = ams.call(
        "payments/inquiryPayment", {"paymentRequestId": request["paymentRequestId"]}
    ).body
    assert (paid["paymentStatus"], paid["paymentMethodType"]) == ("SUCCESS", "CARD")
    # The checkout link now leads to that payment, which is complete.
    response = page.goto(created.body["normalUrl"])
    assert response is not None and response.status == 409
    assert "already complete" in page.get_by_test_id("link-error").inner_text()


def test_checkout_with_a_preset_wallet_goes_to_its_qr_page(
    ams: AmsClient, http: httpx.Client, browsing: Browsing
) -> None:
    request = session_body(paymentMethod={"paymentMethodType": "ALIPAY_HK"})
    request["paymentAmount"] = request["order"]["orderAmount"] = {"currency": "HKD", "value": "990"}
    created = ams.call("payments/createPaymentSession", request)
    assert created.code == "SUCCESS", created.result
    page = browsing.page()
    page.goto(created.body["normalUrl"])
    assert page.locator('input[name="method"]').count() == 1
    page.get_by_test_id("continue").click()
    page.get_by_test_id("qr").wait_for()
    token = token_of(page.url)
    assert http.get(f"/cashier/{token}/status").json()["state"] == "OPEN"
    page.get_by_test_id("decline").click()
    page.wait_for_url(REDIRECT_URL)
    answer = ams.call(
        "payments/inquiryPayment", {"paymentRequestId": request["paymentRequestId"]}
    ).body
    assert answer["paymentStatus"] == "FAIL"
    assert inquiry(ams, answer["paymentId"])["paymentResultCode"] == "PROCESS_FAIL"


def test_checkout_refuses_a_method_it_did_not_offer(ams: AmsClient, http: httpx.Client) -> None:
    created = ams.call("payments/createPaymentSession", session_body())
    url = created.body["normalUrl"]
    page = http.get(url)
    csrf = page.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    refused = http.post(url, data={"csrf_token": csrf, "method": "ALIPAY_HK"})
    assert refused.status_code == 400 and "Choose one of the payment methods" in refused.text


def test_expired_checkout(ams: AmsClient, http: httpx.Client, clock: ShiftableClock) -> None:
    created = ams.call("payments/createPaymentSession", session_body())
    clock.advance(61 * 60)
    page = http.get(created.body["normalUrl"])
    assert page.status_code == 410 and "expired" in page.text
