"""Bad links get a clear page (never a 500); CSRF on every form; merchant text escaped;
unguessable links; the redirect back never carries the result."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest

from tests.ams_client import AmsClient
from tests.cashier.conftest import REDIRECT_URL, Browsing
from tests.cashier.helpers import code_value, inquiry, pay, token_of
from tests.conftest import ShiftableClock
from tests.gateway.integration.payloads import pay_body


def csrf_of(page: httpx.Response) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert found, "the page has no CSRF field"
    return found.group(1)


@pytest.mark.parametrize(
    "path",
    [
        "/cashier/not-a-real-token-0000000000",
        "/cashier/short",
        "/cashier/" + "x" * 5000,
        "/cashier/%00abcdefghijklmnopqrstuvwxyz",
        "/cashier/%F0%9F%92%B3abcdefghijklmnopq",
        "/code/not-a-real-token-0000000000",
        "/app/alipay_hk/not-a-real-token-0000000000",
        "/alipaycn/pc/cashier",
        "/alipaycn/pc/cashier?parameters=%7Bbroken",
        '/alipaycn/h5/cashier?parameters={"token":"nope-nope-nope-nope"}',
        "/checkout/0123456789abcdef0123456789abcdef",
        "/checkout/%27%20OR%201%3D1",
        "/cashier/not-a-real-token-0000000000/result",
    ],
)
def test_unknown_links_get_a_clear_not_found_page(http: httpx.Client, path: str) -> None:
    page = http.get(path)
    assert page.status_code == 404
    assert "not found" in page.text.lower() and "Traceback" not in page.text


def test_unknown_link_images_and_status(http: httpx.Client) -> None:
    assert http.get("/cashier/not-a-real-token-0000000000/qr.png").status_code == 404
    status = http.get("/cashier/not-a-real-token-0000000000/status")
    assert status.status_code == 404 and status.json()["state"] == "NOT_FOUND"


def test_the_payment_id_is_not_a_link(ams: AmsClient, http: httpx.Client) -> None:
    body = pay(ams)
    assert body["paymentId"] not in body["normalUrl"]
    assert http.get(f"/cashier/{body['paymentId']}").status_code == 404
    token = token_of(body["normalUrl"])
    assert len(token) >= 32 and token != body["paymentId"]


def test_expired_cancelled_paid_and_failed_links(
    ams: AmsClient, base_url: str, clock: ShiftableClock, browsing: Browsing
) -> None:
    page = browsing.page()
    paid = pay(ams)
    ams.call("testHelpers/completePayment", {"paymentId": paid["paymentId"], "outcome": "SUCCESS"})
    failed = pay(ams)
    ams.call("testHelpers/completePayment", {"paymentId": failed["paymentId"], "outcome": "FAIL"})
    cancelled = pay(ams)
    assert ams.call("payments/cancel", {"paymentId": cancelled["paymentId"]}).code == "SUCCESS"
    expired = pay(ams)
    clock.advance(15 * 60)

    cases = [
        (paid, 409, "already complete"),
        (failed, 410, "did not go through"),
        (cancelled, 410, "cancelled"),
        (expired, 410, "expired"),
    ]
    for body, status, words in cases:
        for url in (body["normalUrl"], code_value(body)):
            response = page.goto(url)
            assert response is not None and response.status == status, (url, words)
            assert words in page.get_by_test_id("link-error").inner_text()
            assert page.get_by_test_id("return").get_attribute("href") == REDIRECT_URL
        browsing.shot(page, words.replace(" ", "-"))
    response = page.goto(f"{base_url}/cashier/not-a-real-token-0000000000")
    assert response is not None and response.status == 404
    browsing.shot(page, "not-found")
    # The expired payment is still closed for a buyer who acts on a page left open.
    assert inquiry(ams, expired["paymentId"])["paymentStatus"] == "FAIL"


def test_a_page_left_open_past_expiry_cannot_pay(
    ams: AmsClient, http: httpx.Client, clock: ShiftableClock
) -> None:
    body = pay(ams, terminal="WAP", os_type="ANDROID")
    page = http.get(body["normalUrl"])
    clock.advance(15 * 60)
    posted = http.post(
        f"/cashier/{token_of(body['normalUrl'])}/login",
        data={"csrf_token": csrf_of(page), "account": "a", "password": "b"},
    )
    assert posted.status_code == 303
    result = http.get(posted.headers["location"])
    assert 'data-state="EXPIRED"' in result.text
    answer = inquiry(ams, body["paymentId"])
    assert (answer["paymentStatus"], answer["paymentResultCode"]) == ("FAIL", "ORDER_IS_CLOSED")


def test_every_form_needs_its_csrf_token(ams: AmsClient, http: httpx.Client, base_url: str) -> None:
    body = pay(ams)
    other = pay(ams)
    token = token_of(body["normalUrl"])
    page = http.get(body["normalUrl"])
    cookie = page.cookies["openams_csrf"]
    assert "httponly" in page.headers["set-cookie"].lower()
    assert "samesite=lax" in page.headers["set-cookie"].lower()
    good = csrf_of(page)
    other_token = csrf_of(http.get(other["normalUrl"]))  # same cookie, other payment
    for action in ("decline", "login", "confirm", "password", "settle", "card", "3ds", "transfer"):
        url = f"/cashier/{token}/{action}"
        assert http.post(url, data={}).status_code == 403
        assert http.post(url, data={"csrf_token": "forged"}).status_code == 403
        assert http.post(url, data={"csrf_token": other_token}).status_code == 403
        bare = httpx.post(f"{base_url}{url}", data={"csrf_token": good})
        assert bare.status_code == 403  # right field, but no cookie: another site's form
    assert inquiry(ams, body["paymentId"])["paymentStatus"] == "PROCESSING"
    session_form = http.post("/checkout/0123456789abcdef0123456789abcdef", data={})
    assert session_form.status_code == 403
    # With the page's own token the same post goes through.
    declined = http.post(f"/cashier/{token}/decline", data={"csrf_token": good})
    assert declined.status_code == 303 and http.cookies["openams_csrf"] == cookie
    assert inquiry(ams, body["paymentId"])["paymentStatus"] == "FAIL"


def test_security_headers(ams: AmsClient, http: httpx.Client) -> None:
    page = http.get(pay(ams)["normalUrl"])
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    assert page.headers["referrer-policy"] == "no-referrer"
    assert page.headers["x-frame-options"] == "DENY"
    assert page.headers["cache-control"] == "no-store"


HOSTILE = '<script>alert("order")</script><img src=x onerror=alert(1)>'


def test_merchant_text_is_escaped(ams: AmsClient, browsing: Browsing) -> None:
    request: dict[str, Any] = pay_body(paymentRedirectUrl=REDIRECT_URL)
    request["order"]["orderDescription"] = HOSTILE
    request["order"]["merchant"] = {"merchantName": "</title><script>alert(2)</script>Shop"}
    request["order"]["goods"] = [
        {"goodsName": "<b onmouseover=alert(3)>Shoe</b>", "goodsQuantity": "1"}
    ]
    reply = ams.call("payments/pay", request)
    assert reply.code == "PAYMENT_IN_PROCESS", reply.result
    for url in (reply.body["normalUrl"], code_value(reply.body)):
        page = browsing.page()
        page.goto(url)
        text = page.inner_text("body")
        assert "</title><script>alert(2)</script>Shop" in text
        html = page.content()
        assert "<script>alert" not in html and "&lt;script&gt;alert" in html
        assert "<b onmouseover" not in html and HOSTILE not in html
        page.mouse.move(200, 200)
        browsing.shot(page, "escaped")
    assert browsing.dialogs == []


def test_redirect_back_is_the_merchant_url_exactly(ams: AmsClient, http: httpx.Client) -> None:
    body = pay(ams)
    ams.call("testHelpers/completePayment", {"paymentId": body["paymentId"], "outcome": "SUCCESS"})
    result = http.get(f"/cashier/{token_of(body['normalUrl'])}/result")
    refresh = re.search(r'http-equiv="refresh" content="2;url=([^"]+)"', result.text)
    assert refresh and refresh.group(1).replace("&amp;", "&") == REDIRECT_URL


def test_script_redirect_urls_are_never_followed(ams: AmsClient, http: httpx.Client) -> None:
    request = pay_body(paymentRedirectUrl="javascript://merchant.test/%0Aalert(document.domain)")
    reply = ams.call("payments/pay", request)
    if reply.code != "PAYMENT_IN_PROCESS":  # refusing it at pay time would do too
        assert reply.code == "PARAM_ILLEGAL", reply.result
        return
    token = token_of(reply.body["normalUrl"])
    ams.call(
        "testHelpers/completePayment", {"paymentId": reply.body["paymentId"], "outcome": "FAIL"}
    )
    for path in (f"/cashier/{token}/result", f"/cashier/{token}"):
        page = http.get(path)
        assert "javascript:" not in page.text
        assert 'http-equiv="refresh"' not in page.text


def test_a_form_only_works_on_its_own_kind_of_page(ams: AmsClient, http: httpx.Client) -> None:
    card = pay(ams, method="CARD", currency="USD", value="1000")
    token = token_of(card["normalUrl"])
    good = csrf_of(http.get(card["normalUrl"]))
    for action in ("login", "password", "settle", "transfer"):
        posted = http.post(
            f"/cashier/{token}/{action}", data={"csrf_token": good, "account": "a", "password": "b"}
        )
        assert posted.status_code == 404, action
    assert inquiry(ams, card["paymentId"])["paymentStatus"] == "PROCESSING"
