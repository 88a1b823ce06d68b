"""The merchant duties of Antom's guides that issue 22 found missing, each on a real
sandbox gateway: an unclear pay result is never a failure, every answer must match the
order's amount and currency, an open attempt is settled before paying again, and a
double submit makes one payment."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
import sqlalchemy as sa

from openams.gateway.store.tables import payments as gateway_payments
from openams.sdk import Client
from openams.shop.store import orders
from openams.testing import SandboxGateway, SandboxKeys, complete_payment
from tests.shop.conftest import APP_UA, RunningShop, ShopStarter
from tests.shop.faulty_link import FaultyLink, faulty_link
from tests.shop.helpers import pay_form_fields, place_order, start_payment, stored_pay_request
from tests.shop.test_shop import _signed_notification, order_status, payments

#: The shop waits this long for each answer; the faulty link holds answers longer.
SHOP_TIMEOUT = 2.0
HOLD = 4.5
#: Long enough that an unclear attempt is not cancelled while the test pays it.
NEVER = 3600.0


@pytest.fixture
def link(openams_gateway: SandboxGateway) -> Iterator[FaultyLink]:
    with faulty_link(openams_gateway.url, hold_seconds=HOLD) as hop:
        yield hop


def shop_behind(start_shop: ShopStarter, link: FaultyLink, cancel_after: float) -> RunningShop:
    return start_shop(
        gateway_url=link.url,
        gateway_timeout_seconds=SHOP_TIMEOUT,
        unclear_cancel_after_seconds=cancel_after,
    )


def only_attempt(browser: httpx.Client, order_id: str) -> dict[str, str]:
    (attempt,) = payments(order_status(browser, order_id))
    return attempt


def gateway_status(client: Client, request_id: str) -> str | None:
    return client.inquiry_payment({"paymentRequestId": request_id}).payment_status


def unclear_pay(browser: httpx.Client, order_id: str) -> str:
    """Press Pay while the link loses or holds the answer: the buyer lands on the result
    page (no error), the attempt stays open. Returns its paymentRequestId."""
    answer = browser.post(
        f"/orders/{order_id}/pay", data=pay_form_fields(browser, order_id, "ALIPAY_HK")
    )
    assert answer.status_code == 303, answer.text
    assert answer.headers["location"].startswith(f"/orders/{order_id}/result")
    assert browser.get(answer.headers["location"]).status_code == 200
    attempt = only_attempt(browser, order_id)
    assert attempt["status"] == "PENDING"  # never FAIL: nobody knows yet
    return attempt["paymentRequestId"]


# ------------------------------------------------------- 1. unclear is never a failure


@pytest.mark.parametrize("fault", ["lose", "hold"])
def test_unclear_pay_then_paid_ends_paid(
    start_shop: ShopStarter, link: FaultyLink, fault: str
) -> None:
    """``lose``: the pay reached the gateway, its answer was lost (HTTP 503 after the
    retries). ``hold``: the answer came after the shop's timeout, every retry. The buyer
    pays meanwhile: the order ends paid, by the notification, nothing lost."""
    shop = shop_behind(start_shop, link, cancel_after=NEVER)
    link.pay_fault = fault  # type: ignore[assignment]
    with shop.browser() as browser, shop.merchant.client() as client:
        order_id = place_order(browser)
        request_id = unclear_pay(browser, order_id)
        assert link.pays == 3  # the first pay and the SDK's two identical resends
        assert gateway_status(client, request_id) == "PROCESSING"
        complete_payment(client, request_id)  # the buyer pays
        assert shop.gateway.deliver_notifications() >= 1
        assert shop.gateway.deliveries[-1].acknowledged
        status = order_status(browser, order_id)
    assert status["status"] == "PAID" and status["paidBy"] == request_id


def test_unclear_pay_that_stays_unclear_is_cancelled(
    start_shop: ShopStarter, link: FaultyLink
) -> None:
    shop = shop_behind(start_shop, link, cancel_after=0.0)
    link.pay_fault = "hold"
    with shop.browser() as browser, shop.merchant.client() as client:
        order_id = place_order(browser)
        answer = browser.post(
            f"/orders/{order_id}/pay", data=pay_form_fields(browser, order_id, "ALIPAY_HK")
        )
        assert answer.status_code == 303
        attempt = only_attempt(browser, order_id)
        assert attempt["status"] == "CANCELLED"
        assert gateway_status(client, attempt["paymentRequestId"]) == "CANCELLED"
        status = order_status(browser, order_id)
    assert status["status"] == "OPEN" and status["canPayAgain"] is True
    assert not any(p["status"] == "PENDING" for p in shop.shop.payments_of(order_id))


def test_a_pay_that_never_reached_the_gateway_is_not_polled_for_ever(
    start_shop: ShopStarter, link: FaultyLink
) -> None:
    shop = shop_behind(start_shop, link, cancel_after=NEVER)
    link.pay_fault = "drop"
    with shop.browser() as browser:
        order_id = place_order(browser)
        answer = browser.post(
            f"/orders/{order_id}/pay", data=pay_form_fields(browser, order_id, "ALIPAY_HK")
        )
        assert answer.status_code == 303
        attempt = only_attempt(browser, order_id)
    # inquiry: ORDER_NOT_EXIST; cancel: ORDER_NOT_EXIST. Closed, so no poll asks again.
    assert (attempt["status"], attempt["resultCode"]) == ("FAIL", "ORDER_NOT_EXIST")
    order = shop.shop.order(order_id)
    assert order is not None and order["status"] == "OPEN"


def test_a_late_success_for_an_attempt_the_shop_closed_still_pays_the_order(
    start_shop: ShopStarter, link: FaultyLink, openams_keys: SandboxKeys
) -> None:
    """The shop closed an attempt because no payment existed when it asked (an embedded
    checkout's session has no payment until the buyer pays in it). A SUCCESS for it that
    arrives later is the gateway's word: the order is paid, nothing lost."""
    shop = shop_behind(start_shop, link, cancel_after=NEVER)
    link.pay_fault = "drop"
    with shop.browser() as browser:
        order_id = place_order(browser)
        browser.post(
            f"/orders/{order_id}/pay", data=pay_form_fields(browser, order_id, "ALIPAY_HK")
        )
        attempt = only_attempt(browser, order_id)
        assert attempt["status"] == "FAIL"
        order = shop.shop.order(order_id)
        assert order is not None
        body = {
            "notifyType": "PAYMENT_RESULT",
            "result": {"resultCode": "SUCCESS", "resultStatus": "S", "resultMessage": "ok"},
            "paymentRequestId": attempt["paymentRequestId"],
            "paymentId": "P_LATE",
            "paymentAmount": {"currency": order["currency"], "value": str(order["amount"])},
            "paymentTime": "2026-11-22T03:00:00+00:00",
        }
        raw, headers = _signed_notification(openams_keys, shop.merchant.client_id, "/notify", body)
        assert browser.post("/notify", content=raw, headers=headers).status_code == 200
        status = order_status(browser, order_id)
    assert status["status"] == "PAID" and status["paidBy"] == attempt["paymentRequestId"]


# ------------------------------------------------- 3. the amount and currency must match


def test_a_signed_success_for_another_amount_is_refused(
    running_shop: RunningShop, openams_keys: SandboxKeys, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="openams.shop")
    with running_shop.browser() as browser:
        order_id = place_order(browser)
        start_payment(browser, order_id)
        request_id = only_attempt(browser, order_id)["paymentRequestId"]
        body = {
            "notifyType": "PAYMENT_RESULT",
            "result": {"resultCode": "SUCCESS", "resultStatus": "S", "resultMessage": "ok"},
            "paymentRequestId": request_id,
            "paymentId": "P_FORGED",
            "paymentAmount": {"currency": "USD", "value": "1"},
            "paymentTime": "2026-11-22T03:00:00+00:00",
        }
        raw, headers = _signed_notification(
            openams_keys, running_shop.merchant.client_id, "/notify", body
        )
        answer = browser.post("/notify", content=raw, headers=headers)
        assert answer.status_code != 200
        assert "SUCCESS" not in answer.text
        order = running_shop.shop.order(order_id)
        assert order is not None and order["status"] == "OPEN"
        assert running_shop.shop.payment(request_id)["status"] == "PENDING"  # type: ignore[index]
    assert any("refused" in r.getMessage() and request_id in r.getMessage() for r in caplog.records)


def test_an_inquiry_answer_for_another_amount_does_not_pay_the_order(
    running_shop: RunningShop,
) -> None:
    shop = running_shop.shop
    with running_shop.browser() as browser, running_shop.merchant.client() as client:
        order_id = place_order(browser)
        start_payment(browser, order_id)
        request_id = only_attempt(browser, order_id)["paymentRequestId"]
        complete_payment(client, request_id)
        # the order was changed after the pay was sent: the gateway's amount differs now
        with shop.engine.begin() as db:
            db.execute(orders.update().where(orders.c.order_id == order_id).values(amount=1))
        status = order_status(browser, order_id)  # inquires
    assert status["status"] == "OPEN"
    assert payments(status)[0]["status"] == "PENDING"


# --------------------------------------------------- 2. settle the open attempt first


def test_paying_again_cancels_the_processing_attempt_first(running_shop: RunningShop) -> None:
    with running_shop.browser() as browser, running_shop.merchant.client() as client:
        order_id = place_order(browser)
        start_payment(browser, order_id)
        first = only_attempt(browser, order_id)["paymentRequestId"]
        assert order_status(browser, order_id)["canPayAgain"] is False  # no "Pay again"
        start_payment(browser, order_id)  # e.g. back to the checkout page, Pay again
        attempts = payments(order_status(browser, order_id))
        assert attempts[0]["paymentRequestId"] == first
        by_id = {a["paymentRequestId"]: a["status"] for a in attempts}
        second = next(key for key in by_id if key != first)
        assert by_id == {first: "CANCELLED", second: "PENDING"}
        assert gateway_status(client, first) == "CANCELLED"
        assert gateway_status(client, second) == "PROCESSING"


def test_paying_again_finds_the_open_attempt_paid_and_stops(running_shop: RunningShop) -> None:
    with running_shop.browser() as browser, running_shop.merchant.client() as client:
        order_id = place_order(browser)
        start_payment(browser, order_id)
        first = only_attempt(browser, order_id)["paymentRequestId"]
        complete_payment(client, first)  # paid; its notification has not arrived yet
        location = start_payment(browser, order_id)
        assert location.startswith(f"/orders/{order_id}/result")
        status = order_status(browser, order_id)
    assert status["status"] == "PAID" and status["paidBy"] == first
    assert [p["paymentRequestId"] for p in payments(status)] == [first]


# -------------------------------------------------------------- 5. one press, one payment


def test_a_double_submit_makes_one_payment(
    start_shop: ShopStarter, link: FaultyLink, openams_gateway: SandboxGateway
) -> None:
    """Two presses of one Pay button, overlapping for real: the first press's pay waits at
    the hop until the second press's pay arrives there (if the shop lets it through)."""
    running_shop = start_shop(gateway_url=link.url)
    link.pay_fault = "gate"
    with running_shop.browser() as browser:
        order_id = place_order(browser)
        fields = pay_form_fields(browser, order_id, "ALIPAY_HK")
        cookies = dict(browser.cookies)

    def press() -> httpx.Response:
        with running_shop.browser() as tab:
            tab.cookies.update(cookies)
            return tab.post(f"/orders/{order_id}/pay", data=fields)

    with ThreadPoolExecutor(max_workers=2) as pool:
        answers = list(pool.map(lambda _: press(), range(2)))
    assert [a.status_code for a in answers] == [303, 303]
    # both presses go on to the cashier of the same payment (each answer has its own link)
    cashier = f"{openams_gateway.url}/cashier/"
    assert all(a.headers["location"].startswith(cashier) for a in answers)
    (attempt,) = running_shop.shop.payments_of(order_id)
    with openams_gateway.gateway.engine.connect() as db:
        made = db.execute(
            sa.select(sa.func.count()).where(gateway_payments.c.reference_order_id == order_id)
        ).scalar_one()
    assert made == 1
    assert json.loads(attempt["pay_request"])["paymentRequestId"] == attempt["payment_request_id"]


# ------------------------------------------------------------------- smaller duties


def test_a_capture_notification_is_checked_and_recorded(
    running_shop: RunningShop, openams_keys: SandboxKeys
) -> None:
    """The card guide: a CAPTURE_RESULT is verified, checked against the order, and
    updates it; one for another amount is refused like a payment result."""
    shop = running_shop.shop
    with running_shop.browser() as browser, running_shop.merchant.client() as client:
        order_id = place_order(browser)
        start_payment(browser, order_id)
        request_id = only_attempt(browser, order_id)["paymentRequestId"]
        complete_payment(client, request_id)
        running_shop.gateway.deliver_notifications()
        attempt = shop.payment(request_id)
        order = shop.order(order_id)
        assert attempt is not None and order is not None and order["status"] == "PAID"

        def capture(value: str) -> httpx.Response:
            body = {
                "notifyType": "CAPTURE_RESULT",
                "result": {"resultCode": "SUCCESS", "resultStatus": "S", "resultMessage": "ok"},
                "captureRequestId": f"CAP{request_id}",
                "captureId": f"C{value}",
                "paymentId": attempt["payment_id"],
                "captureAmount": {"currency": order["currency"], "value": value},
                "captureTime": "2026-11-22T03:00:00+00:00",
            }
            raw, headers = _signed_notification(
                openams_keys, running_shop.merchant.client_id, "/notify", body
            )
            return browser.post("/notify", content=raw, headers=headers)

        assert capture("1").status_code == 409  # not this order's amount: refused
        assert payments(order_status(browser, order_id))[0]["captureStatus"] is None
        assert capture(str(order["amount"])).status_code == 200
        assert payments(order_status(browser, order_id))[0]["captureStatus"] == "SUCCESS"


def test_the_notify_url_must_be_https_outside_the_sandbox() -> None:
    from pydantic import ValidationError

    from openams.shop import ShopSettings

    def settings(client_id: str, public_url: str) -> ShopSettings:
        return ShopSettings(
            _env_prefix="OPENAMS_SHOP_TESTING_UNUSED_", client_id=client_id, public_url=public_url
        )

    with pytest.raises(ValidationError, match="HTTPS"):
        settings("LIVE_SHOP_1", "http://shop.example")
    assert settings("LIVE_SHOP_1", "https://shop.example").notify_url == (
        "https://shop.example/notify"
    )
    assert settings("SANDBOX_SHOP_1", "http://127.0.0.1:8081").notify_url.startswith("http://")


def test_the_shop_signs_with_its_configured_key_version(start_shop: ShopStarter) -> None:
    shop = start_shop(key_version="9")  # the gateway knows key version 1 only
    with shop.browser() as browser:
        order_id = place_order(browser)
        page = browser.get(f"/orders/{order_id}/checkout").text
    assert "KEY_NOT_FOUND" in page


def test_no_chinese_characters_in_the_request_fields(running_shop: RunningShop) -> None:
    """The APM guide's FAQ: no Chinese characters in the request (QRIS and Mastercard
    refuse them). The description and the buyer's user agent are the free text the shop
    sends; what the gateway stored has none."""
    shop = running_shop.shop
    user_agent = "Mozilla/5.0 (X11; Linux x86_64) Chrome/120.0 浏览器/2.0".encode()
    with running_shop.browser() as browser:
        browser.headers = httpx.Headers({"User-Agent": user_agent})  # UTF-8 bytes
        order_id = place_order(browser)
        with shop.engine.begin() as db:
            db.execute(
                orders.update()
                .where(orders.c.order_id == order_id)
                .values(description="1 x 乌龙茶 Oolong tea\uff0c100 g")  # a full-width comma
            )
        start_payment(browser, order_id)
        request_id = only_attempt(browser, order_id)["paymentRequestId"]
    stored = stored_pay_request(running_shop.gateway, request_id)
    description, agent = stored["order"]["orderDescription"], stored["env"]["userAgent"]
    assert description == "1 x Oolong tea,100 g"
    assert agent == "Mozilla/5.0 (X11; Linux x86_64) Chrome/120.0 /2.0"
    assert (description + agent).isascii()


# ------------------------------------------------------------------ 4. the APP terminal


def test_an_app_payment_returns_to_the_app_and_works_without_the_wallet_app(
    running_shop: RunningShop,
) -> None:
    """The APM guide, APP terminal: paymentRedirectUrl is the app's deep link (back to the
    shop's app, not a browser), and the buyer goes to applinkUrl, which opens the wallet
    app or, when it is missing, its H5 page: the payment can still be made."""
    gateway = running_shop.gateway.url
    with running_shop.browser(APP_UA) as app:
        order_id = place_order(app)
        location = start_payment(app, order_id)
        request_id = only_attempt(app, order_id)["paymentRequestId"]
        stored = stored_pay_request(running_shop.gateway, request_id)
        assert stored["paymentRedirectUrl"] == (
            f"{running_shop.settings.app_return_url}/orders/{order_id}/result?p={request_id}"
        )
        assert location.startswith(f"{gateway}/app/")  # applinkUrl, not schemeUrl
        launch = app.get(location)  # the wallet app is missing: the link's page opens
        assert launch.status_code == 200
        fallback = re.search(r'data-fallback="([^"]+)"', launch.text)
        assert fallback and fallback.group(1).startswith("/cashier/")
        h5 = app.get(gateway + fallback.group(1))
    assert h5.status_code == 200 and "form" in h5.text.lower()
    with running_shop.browser() as web:  # a browser's return is the shop's own page
        order_id = place_order(web)
        start_payment(web, order_id)
        request_id = only_attempt(web, order_id)["paymentRequestId"]
    redirect = stored_pay_request(running_shop.gateway, request_id)["paymentRedirectUrl"]
    assert redirect.startswith(running_shop.url + "/orders/")
