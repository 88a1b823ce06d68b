"""The reference shop against a real gateway, over real HTTP."""

from __future__ import annotations

import html
import json

import httpx

from openams.protocol.keys import load_private_key
from openams.protocol.signing import build_signature_header, sign
from openams.sdk import Client, notification_ack
from openams.shop import terminal_for
from openams.testing import SandboxKeys, complete_payment
from tests.shop.conftest import APP_UA, DESKTOP_UA, IPHONE_UA, RunningShop
from tests.shop.helpers import csrf_of, place_order, start_payment


def order_status(browser: httpx.Client, order_id: str) -> dict[str, object]:
    response = browser.get(f"/orders/{order_id}/status")
    assert response.status_code == 200
    data: dict[str, object] = response.json()
    return data


def payments(status: dict[str, object]) -> list[dict[str, str]]:
    value = status["payments"]
    assert isinstance(value, list)
    return value


def test_terminal_from_user_agent() -> None:
    assert terminal_for(DESKTOP_UA) == ("WEB", None)
    assert terminal_for(IPHONE_UA) == ("WAP", "IOS")
    assert terminal_for(APP_UA) == ("APP", "ANDROID")


def test_checkout_lists_the_methods_consult_returns(
    running_shop: RunningShop, openams_client: Client
) -> None:
    with running_shop.browser() as browser:
        order_id = place_order(browser, "mug")
        page = html.unescape(browser.get(f"/orders/{order_id}/checkout").text)
    consult = openams_client.consult(
        {
            "productCode": "CASHIER_PAYMENT",
            "paymentAmount": {"currency": "HKD", "value": "12000"},
            "env": {"terminalType": "WEB"},
        }
    )
    offered = [
        o
        for o in consult.payment_options or []
        if o.enabled is not False and "HKD" in (o.supported_currencies or ["HKD"])
    ]
    assert offered
    for option in offered:
        assert f'data-testid="method-{option.payment_method_type}"' in page
        assert option.logo and option.logo.logo_url and option.logo.logo_name
        assert option.logo.logo_url in page and option.logo.logo_name in page
    assert "HKD 120.00" in page


def test_pay_redirects_per_terminal(running_shop: RunningShop) -> None:
    gateway = running_shop.gateway.url
    with running_shop.browser(DESKTOP_UA) as web:
        location = start_payment(web, place_order(web))
    assert location.startswith(f"{gateway}/cashier/")  # WEB: normalUrl
    with running_shop.browser(IPHONE_UA) as wap:
        location = start_payment(wap, place_order(wap))
    assert location.startswith(f"{gateway}/app/")  # WAP: applinkUrl first
    with running_shop.browser(APP_UA) as app:
        location = start_payment(app, place_order(app))
    assert location.startswith(f"{gateway}/app/")  # APP: applinkUrl (opens the app, else H5)


def test_forms_need_the_csrf_token(running_shop: RunningShop) -> None:
    with running_shop.browser() as browser:
        browser.get("/")
        refused = browser.post("/cart/add", data={"product_id": "tea", "csrf": "0" * 64})
        assert refused.status_code == 403
        assert browser.post("/checkout", data={"csrf": "bad"}).status_code == 403


def test_notification_marks_the_order_paid(running_shop: RunningShop) -> None:
    merchant = running_shop.merchant
    with running_shop.browser() as browser, merchant.client() as client:
        order_id = place_order(browser)
        start_payment(browser, order_id)
        before = order_status(browser, order_id)
        assert before["status"] == "OPEN"
        request_id = payments(before)[0]["paymentRequestId"]
        assert "processing" in browser.get(f"/orders/{order_id}/result").text
        complete_payment(client, request_id)
        assert running_shop.gateway.deliver_notifications() >= 1
        deliveries = running_shop.gateway.deliveries
        assert deliveries and deliveries[-1].acknowledged
        assert deliveries[-1].url == running_shop.settings.notify_url
        after = order_status(browser, order_id)
    assert after["status"] == "PAID" and after["paidBy"] == request_id
    assert after["paidVia"] == "notification"


def _signed_notification(
    keys: SandboxKeys, client_id: str, path: str, body: dict[str, object]
) -> tuple[bytes, dict[str, str]]:
    raw = json.dumps(body).encode()
    when = "2026-11-22T03:00:00+00:00"
    signature = sign("POST", path, client_id, when, raw, load_private_key(keys.gateway.private_pem))
    headers = {
        "Content-Type": "application/json",
        "client-id": client_id,
        "request-time": when,
        "signature": build_signature_header(signature),
    }
    return raw, headers


def test_notify_is_idempotent_and_refuses_bad_signatures(
    running_shop: RunningShop, openams_keys: SandboxKeys
) -> None:
    client_id = running_shop.merchant.client_id
    with running_shop.browser() as browser:
        order_id = place_order(browser)
        start_payment(browser, order_id)
        request_id = payments(order_status(browser, order_id))[0]["paymentRequestId"]
        body: dict[str, object] = {
            "notifyType": "PAYMENT_RESULT",
            "result": {"resultCode": "SUCCESS", "resultStatus": "S", "resultMessage": "success"},
            "paymentRequestId": request_id,
            "paymentId": "20261122000000000000000000000001",
            "paymentAmount": {"currency": "HKD", "value": "8800"},
            "paymentCreateTime": "2026-11-22T03:00:00+00:00",
            "paymentTime": "2026-11-22T03:00:01+00:00",
        }
        raw, headers = _signed_notification(openams_keys, client_id, "/notify", body)
        forged = dict(headers, signature=headers["signature"][:-8] + "AAAAAAA=")
        refused = browser.post("/notify", content=raw, headers=forged)
        assert refused.status_code == 401
        assert order_status(browser, order_id)["status"] == "OPEN"
        for _ in range(2):
            answer = browser.post("/notify", content=raw, headers=headers)
            assert answer.status_code == 200
            assert answer.content == notification_ack()
        status = order_status(browser, order_id)
    assert status["status"] == "PAID" and status["paidBy"] == request_id
    assert [p["status"] for p in payments(status)] == ["SUCCESS"]


def test_without_notifications_inquiry_polling_marks_the_order_paid(
    running_shop: RunningShop,
) -> None:
    with running_shop.browser() as browser, running_shop.merchant.client() as client:
        order_id = place_order(browser)
        start_payment(browser, order_id)
        request_id = payments(order_status(browser, order_id))[0]["paymentRequestId"]
        complete_payment(client, request_id)
        # No deliver_notifications(): every notification is "dropped".
        status = order_status(browser, order_id)
    assert status["status"] == "PAID" and status["paidBy"] == request_id
    assert status["paidVia"] == "inquiry" and payments(status)[0]["source"] == "inquiry"
    assert not [d for d in running_shop.gateway.deliveries if d.acknowledged]


def test_background_polling_marks_the_order_paid_with_no_page_open(
    running_shop: RunningShop,
) -> None:
    with running_shop.browser() as browser, running_shop.merchant.client() as client:
        order_id = place_order(browser)
        start_payment(browser, order_id)
        request_id = payments(order_status(browser, order_id))[0]["paymentRequestId"]
        complete_payment(client, request_id)
    running_shop.shop.poll_open_payments()  # one round of the background poller
    order = running_shop.shop.order(order_id)
    assert order is not None and order["status"] == "PAID"


def test_an_extra_success_of_a_paid_order_is_cancelled(running_shop: RunningShop) -> None:
    """Two attempts open side by side (a race the checkout itself avoids, see
    test_paying_again_cancels_the_processing_attempt_first): both succeed, the first
    success to arrive pays the order and the other one is cancelled (refunded)."""
    shop = running_shop.shop
    with running_shop.browser() as browser, running_shop.merchant.client() as client:
        order_id = place_order(browser)
        start_payment(browser, order_id)
        (first,) = (p["paymentRequestId"] for p in payments(order_status(browser, order_id)))
        second, body = shop.new_payment(order_id, "ALIPAY_HK", DESKTOP_UA, None)
        body["paymentMethod"] = {"paymentMethodType": "ALIPAY_HK"}
        client.pay(body)
        complete_payment(client, first)
        complete_payment(client, second)
        running_shop.gateway.deliver_notifications()
        status = order_status(browser, order_id)
        by_id = {p["paymentRequestId"]: p["status"] for p in payments(status)}
        # Notifications may arrive in either order: the first success to arrive pays the
        # order and the other one is cancelled.
        paid_by = status["paidBy"]
        extra = second if paid_by == first else first
        assert status["status"] == "PAID" and paid_by in (first, second)
        assert by_id == {paid_by: "SUCCESS", extra: "CANCELLED"}
        inquiry = client.inquiry_payment({"paymentRequestId": extra})
    assert inquiry.payment_status != "SUCCESS"


def test_result_page_escapes_and_checkout_csrf(running_shop: RunningShop) -> None:
    with running_shop.browser() as browser:
        order_id = place_order(browser)
        page = browser.get(f"/orders/{order_id}/result").text
        assert csrf_of(browser.get("/").text)
        assert browser.get("/orders/<script>/result").status_code == 404
    assert "<script>alert" not in page
    with running_shop.browser() as stranger:
        assert stranger.get(f"/orders/{order_id}/status").status_code == 404
