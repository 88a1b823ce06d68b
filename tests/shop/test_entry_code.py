"""Entry-code payments (IN_STORE_PAYMENT / EntryCode / CONNECT_WALLET) at the shop's counter,
over real HTTP against a real sandbox gateway, and once end to end in headless Chromium."""

from __future__ import annotations

import html
import io
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
import sqlalchemy as sa
import zxingcpp
from PIL import Image
from playwright.sync_api import Browser, expect

from openams.sdk import ApiError, BuyerRedirect, Client
from openams.shop import Shop
from openams.shop.entry_code import (
    MERCHANT,
    STORES,
    AmountInputError,
    EntryCodeDesk,
    continuation_of,
    parse_amount,
)
from openams.shop.store import payments
from openams.testing import complete_payment
from tests.shop.browser import PHONE, chromium, screenshot
from tests.shop.conftest import RunningShop
from tests.shop.helpers import csrf_of

#: A phone's browser inside a wallet: its web view adds the wallet's token, as Alipay's
#: adds ``AlipayClient/...`` (seed: entry-code-payment).
WALLET_UA = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0 Mobile Safari/537.36 OpenAMSWallet/1.0 Language/en"
)
STORE = STORES["S0001"]

# Re-exported so pytest finds the module-scoped browser fixture in this module.
__all__ = ["chromium"]


def stored_request(shop: RunningShop, request_id: str) -> dict[str, Any]:
    """The pay request as the gateway stored it."""
    with shop.gateway.gateway.store() as uow:
        payment = uow.payments.get_by_request_id(shop.merchant.client_id, request_id)
        assert payment is not None
        return dict(payment.request)


def pay_at_counter(browser: httpx.Client, amount: str, store_id: str = "S0001") -> httpx.Response:
    csrf = csrf_of(browser.get(f"/stores/{store_id}/pay").text)
    return browser.post(f"/stores/{store_id}/pay", data={"amount": amount, "csrf": csrf})


def order_id_of(shop: RunningShop) -> str:
    return order_of(shop)[0]


def order_of(shop: RunningShop) -> tuple[str, str]:
    """(order id, paymentRequestId) of the one entry-code payment so far."""
    with shop.shop.engine.connect() as db:
        [row] = db.execute(sa.select(payments.c.order_id, payments.c.payment_request_id)).all()
    return row.order_id, row.payment_request_id


def status_of(browser: httpx.Client, order_id: str) -> dict[str, Any]:
    answer = browser.get(f"/store-orders/{order_id}/status")
    assert answer.status_code == 200, answer.text
    data: dict[str, Any] = answer.json()
    return data


@pytest.fixture
def wallet(running_shop: RunningShop) -> Iterator[httpx.Client]:
    with running_shop.browser(WALLET_UA) as client:
        yield client


# ---------------------------------------------------------------- the entry code


def test_the_entry_code_decodes_to_the_stores_amount_page(
    running_shop: RunningShop, wallet: httpx.Client
) -> None:
    page = wallet.get("/store", follow_redirects=True)
    assert page.status_code == 200 and str(page.url).endswith("/stores/S0001/entry-code")
    shown = re.search(r'data-testid="entry-url">([^<]+)<', page.text)
    assert shown
    entry_url = html.unescape(shown.group(1))
    assert entry_url == f"{running_shop.url}/stores/S0001/pay"
    image = wallet.get("/stores/S0001/entry-code.png")
    assert image.status_code == 200 and image.headers["content-type"] == "image/png"
    [code] = zxingcpp.read_barcodes(Image.open(io.BytesIO(image.content)))
    assert code.format == zxingcpp.BarcodeFormat.QRCode and code.text == entry_url
    # The code opens the amount page, which sees that it runs inside a wallet.
    amount_page = wallet.get(urlsplit(code.text).path)
    assert amount_page.status_code == 200
    assert "Opened in your wallet (OpenAMSWallet)" in amount_page.text
    assert 'name="amount"' in amount_page.text
    for missing in ("/stores/S9999/entry-code", "/stores/S9999/pay"):
        answer = wallet.get(missing)
        assert answer.status_code == 404 and "Unknown store" in answer.text
    assert wallet.get("/stores/S9999/entry-code.png").status_code == 404


# ----------------------------------------------------------------- the amount


def test_parse_amount_respects_the_currency_exponent() -> None:
    assert parse_amount("12.5", "HKD") == 1250
    assert parse_amount(" 12,34 ", "HKD") == 1234
    assert parse_amount("7", "HKD") == 700
    assert parse_amount("100", "JPY") == 100
    assert parse_amount("1.234", "KWD") == 1234
    assert parse_amount("15000", "IDR") == 1_500_000
    refused = {
        ("", "HKD"): "Enter the amount",
        ("0", "HKD"): "greater than zero",
        ("0.00", "HKD"): "greater than zero",
        ("-5", "HKD"): "as a number",
        ("1e3", "HKD"): "as a number",
        ("NaN", "HKD"): "as a number",
        ("12.345", "HKD"): "at most 2 decimal places",
        ("100.5", "JPY"): "no minor unit",
        ("2000000", "HKD"): "at most HKD 1,000,000",
        ("1.", "HKD"): "as a number",
    }
    for (text, currency), message in refused.items():
        with pytest.raises(AmountInputError, match=message):
            parse_amount(text, currency)


def test_bad_amounts_show_the_form_again_with_a_message(
    running_shop: RunningShop, wallet: httpx.Client
) -> None:
    for amount, message in [
        ("", "Enter the amount"),
        ("0", "greater than zero"),
        ("-1", "as a number"),
        ("12.345", "at most 2 decimal places"),
        ("<script>", "as a number"),
        ("99999999", "at most HKD 1,000,000"),
    ]:
        answer = pay_at_counter(wallet, amount)
        assert answer.status_code == 400, amount
        text = html.unescape(answer.text)
        assert message in text and 'name="amount"' in text
        assert "<script>" not in answer.text  # echoed escaped
    with running_shop.shop.engine.connect() as db:
        assert db.execute(sa.select(sa.func.count()).select_from(payments)).scalar() == 0
    csrf = csrf_of(wallet.get("/stores/S0001/pay").text)
    forged = wallet.post("/stores/S0001/pay", data={"amount": "5", "csrf": csrf[::-1]})
    assert forged.status_code == 403


# ---------------------------------------------------------------------- paying


def test_pay_sends_what_the_sdk_entry_code_builder_requires(
    running_shop: RunningShop, wallet: httpx.Client, openams_client: Client
) -> None:
    answer = pay_at_counter(wallet, "12.34")
    assert answer.status_code == 303, answer.text
    # The continuation is normalUrl: the gateway's H5 wallet page, opened in the wallet.
    location = answer.headers["location"]
    assert re.fullmatch(rf"{running_shop.gateway.url}/cashier/[\w-]+", location)
    order_id, request_id = order_of(running_shop)
    sent = stored_request(running_shop, request_id)
    amount = {"currency": "HKD", "value": "1234"}
    assert sent["productCode"] == "IN_STORE_PAYMENT"
    assert sent["paymentFactor"] == {"inStorePaymentScenario": "EntryCode"}
    assert sent["paymentMethod"] == {"paymentMethodType": "CONNECT_WALLET"}
    assert sent["paymentAmount"] == amount
    order = sent["order"]
    assert order["orderAmount"] == amount and order["referenceOrderId"] == order_id
    assert order["orderDescription"] == f"In-store payment at {STORE.name}"
    assert order["merchant"] == {
        **MERCHANT,
        "store": {"referenceStoreId": "S0001", "storeName": STORE.name, "storeMCC": STORE.mcc},
    }
    assert order["env"]["userAgent"] == WALLET_UA
    assert sent["paymentNotifyUrl"] == running_shop.settings.notify_url
    assert sent["paymentRedirectUrl"] == f"{running_shop.url}/store-orders/{order_id}"
    assert sent["settlementStrategy"] == {"settlementCurrency": "HKD"}
    inquiry = openams_client.inquiry_payment({"paymentRequestId": request_id})
    assert inquiry.payment_status == "PROCESSING"
    assert inquiry.payment_amount is not None and inquiry.payment_amount.value == "1234"
    # The buyer's normalUrl is the wallet login (H5), not a desktop QR page.
    login = httpx.get(location, headers={"User-Agent": WALLET_UA}, trust_env=False)
    assert 'data-testid="login"' in login.text and "HKD 12.34" in login.text
    # Only the session that entered the amount sees the order.
    with running_shop.browser(WALLET_UA) as stranger:
        assert stranger.get(f"/store-orders/{order_id}").status_code == 404
    assert wallet.get(f"/store-orders/{order_id}").status_code == 200
    # What the gateway answers such a pay: normalUrl (also as a GET redirectActionForm),
    # no app links; the shop follows normalUrl.
    body = EntryCodeDesk(running_shop.shop).pay_body(
        "ORDER-DIRECT", "PAY-DIRECT-1", STORE, 500, "direct", WALLET_UA
    )
    direct = openams_client.pay(body)
    assert direct.result.result_code == "PAYMENT_IN_PROCESS" and direct.normal_url
    assert direct.redirect_action_form is not None
    assert direct.redirect_action_form.redirect_url == direct.normal_url
    assert direct.scheme_url is None and direct.applink_url is None
    assert continuation_of(direct) == BuyerRedirect(direct.normal_url)


def test_the_notification_marks_the_order_paid(
    running_shop: RunningShop, wallet: httpx.Client, openams_client: Client
) -> None:
    assert pay_at_counter(wallet, "8").status_code == 303
    order_id, request_id = order_of(running_shop)
    complete_payment(openams_client, request_id)
    assert running_shop.gateway.deliver_notifications() >= 1
    assert running_shop.shop.order(order_id)["status"] == "PAID"  # type: ignore[index]
    assert status_of(wallet, order_id)["status"] == "PAID"
    # A paid order is not cancelled by a late "cancel" from the page.
    csrf = csrf_of(wallet.get(f"/store-orders/{order_id}").text)
    wallet.post(f"/store-orders/{order_id}/cancel", data={"csrf": csrf})
    assert status_of(wallet, order_id)["status"] == "PAID"
    inquiry = openams_client.inquiry_payment({"paymentRequestId": request_id})
    assert inquiry.payment_status == "SUCCESS"


# --------------------------------------------------------------------- closing


def test_a_declined_payment_closes_the_order(
    running_shop: RunningShop, wallet: httpx.Client, openams_client: Client
) -> None:
    assert pay_at_counter(wallet, "9.90").status_code == 303
    order_id, request_id = order_of(running_shop)
    complete_payment(
        openams_client, request_id, outcome="FAIL", result_code="USER_BALANCE_NOT_ENOUGH"
    )
    running_shop.gateway.deliver_notifications()
    assert running_shop.shop.order(order_id)["status"] == "OPEN"  # type: ignore[index]
    EntryCodeDesk(running_shop.shop).sweep()  # what the background sweeper does
    assert running_shop.shop.order(order_id)["status"] == "CANCELLED"  # type: ignore[index]
    status = status_of(wallet, order_id)
    assert status == {
        "orderId": order_id,
        "status": "CANCELLED",
        "paymentStatus": "FAIL",
        "resultCode": "USER_BALANCE_NOT_ENOUGH",
    }


def test_the_buyer_abandoning_cancels_at_the_gateway(
    running_shop: RunningShop, wallet: httpx.Client, openams_client: Client
) -> None:
    assert pay_at_counter(wallet, "15").status_code == 303
    order_id, request_id = order_of(running_shop)
    result_page = wallet.get(f"/store-orders/{order_id}")
    assert 'data-testid="cancel"' in result_page.text
    cancelled = wallet.post(
        f"/store-orders/{order_id}/cancel", data={"csrf": csrf_of(result_page.text)}
    )
    assert cancelled.status_code == 303
    inquiry = openams_client.inquiry_payment({"paymentRequestId": request_id})
    assert inquiry.payment_status == "CANCELLED"
    assert status_of(wallet, order_id)["status"] == "CANCELLED"
    assert status_of(wallet, order_id)["paymentStatus"] == "CANCELLED"
    # The wallet link no longer takes a payment.
    token_link = stored_link(running_shop, request_id)
    assert httpx.get(token_link, trust_env=False).status_code == 410


def stored_link(shop: RunningShop, request_id: str) -> str:
    with shop.gateway.gateway.store() as uow:
        payment = uow.payments.get_by_request_id(shop.merchant.client_id, request_id)
        assert payment is not None
        return f"{shop.gateway.url}/cashier/{payment.token}"


def test_an_unanswered_payment_is_cancelled_when_its_time_is_over(
    running_shop: RunningShop, wallet: httpx.Client, openams_client: Client
) -> None:
    assert pay_at_counter(wallet, "20").status_code == 303
    order_id, request_id = order_of(running_shop)
    assert status_of(wallet, order_id)["status"] == "OPEN"  # inquired: still PROCESSING
    desk = EntryCodeDesk(running_shop.shop)
    desk.settle(order_id, now=desk.shop.payments_of(order_id)[0]["created_at"] + 179)
    assert running_shop.shop.order(order_id)["status"] == "OPEN"  # type: ignore[index]
    desk.settle(order_id, now=desk.shop.payments_of(order_id)[0]["created_at"] + 180)
    assert openams_client.inquiry_payment({"paymentRequestId": request_id}).payment_status == (
        "CANCELLED"
    )
    assert status_of(wallet, order_id)["status"] == "CANCELLED"


def test_a_refused_pay_closes_the_order(running_shop: RunningShop) -> None:
    # CONNECT_WALLET does not take BRL: the gateway answers F.
    settings = running_shop.settings.model_copy(update={"currency": "BRL"})
    desk = EntryCodeDesk(Shop(settings, running_shop.shop.engine, running_shop.shop.client))
    with pytest.raises(ApiError) as refused:
        desk.start("s" * 32, STORE, 500, WALLET_UA)
    assert refused.value.result_status == "F"
    order_id, _ = order_of(running_shop)
    assert running_shop.shop.order(order_id)["status"] == "CANCELLED"  # type: ignore[index]
    [payment] = running_shop.shop.payments_of(order_id)
    assert payment["status"] == "FAIL" and payment["result_code"] == refused.value.result_code


# ------------------------------------------------------------------ end to end


def test_entry_code_payment_in_the_browser(chromium: Browser, running_shop: RunningShop) -> None:
    """Counter screen -> scan in the wallet simulator -> amount -> wallet confirm -> Paid."""
    gateway = running_shop.gateway
    context = chromium.new_context(user_agent=WALLET_UA, **PHONE)
    context.set_default_timeout(15_000)
    try:
        page = context.new_page()
        page.goto(f"{running_shop.url}/store")
        entry_url = page.get_by_test_id("entry-url").inner_text()
        screenshot(page, "shop-entry-code")
        page.goto(f"{gateway.url}/wallet/scan")
        page.get_by_test_id("scan-code").fill(entry_url)
        page.get_by_test_id("scan-open").click()
        expect(page.get_by_test_id("open-url")).to_have_text(entry_url)
        page.wait_for_url(entry_url)  # the wallet frame moves on to the merchant by itself
        expect(page.get_by_test_id("wallet")).to_contain_text("OpenAMSWallet")
        page.get_by_test_id("amount").fill("12.5")
        screenshot(page, "shop-entry-amount")
        page.get_by_test_id("pay").click()
        page.wait_for_url(re.compile(rf"{re.escape(gateway.url)}/cashier/[\w-]+$"))
        expect(page.get_by_test_id("amount")).to_have_text("HKD 12.50")
        page.get_by_test_id("account").fill("buyer@example.com")
        page.get_by_test_id("password").fill("secret")
        page.get_by_test_id("login").click()
        page.get_by_test_id("confirm").click()
        page.get_by_test_id("pay-password").fill("123456")
        page.get_by_test_id("pay").click()
        # The wallet says how it ended; the notification reaches the shop before the
        # buyer is back there, so the order is PAID without the shop asking inquiry.
        expect(page.get_by_test_id("result")).to_have_attribute("data-state", "PAID")
        gateway.deliver_notifications()
        [payment] = running_shop.shop.payments_of(order_id_of(running_shop))
        assert payment["status"] == "SUCCESS" and payment["last_inquiry_at"] is None
        page.wait_for_url(re.compile(rf"{re.escape(running_shop.url)}/store-orders/\w+$"))
        order_id = page.url.rsplit("/", 1)[-1]
        expect(page.get_by_test_id("status")).to_have_text("Paid. Thank you!")
        screenshot(page, "shop-entry-paid")
    finally:
        context.close()
    assert running_shop.shop.order(order_id)["status"] == "PAID"  # type: ignore[index]
    delivered = [d for d in gateway.deliveries if d.acknowledged]
    assert delivered and delivered[0].url == running_shop.settings.notify_url
