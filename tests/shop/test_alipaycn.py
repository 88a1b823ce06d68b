"""ALIPAY_CN from the shop: chinaExtraTransInfo and the settlement currency (spec §8.3, §8.4),
checked in the pay request the gateway stored, and a broken rule shown to the buyer."""

from __future__ import annotations

import html
import json
import re
from urllib.parse import parse_qs, urlsplit

from openams.testing import complete_payment
from tests.shop.conftest import ShopStarter
from tests.shop.helpers import add_to_cart, csrf_of, pay_form, place_order, stored_pay_request


def _attempts(body: dict[str, object]) -> list[dict[str, str]]:
    value = body["payments"]
    assert isinstance(value, list)
    return value


def test_alipaycn_pay_carries_goods_and_settles_in_the_payment_currency(
    start_shop: ShopStarter,
) -> None:
    shop = start_shop()  # HKD prices
    with shop.browser() as browser:
        add_to_cart(browser, "mug")
        add_to_cart(browser, "tea", 2)
        order_id = place_order(browser, "tea")  # tea x 3, mug x 1
        answer = pay_form(browser, order_id, "ALIPAY_CN")
        status = browser.get(f"/orders/{order_id}/status").json()
    # ALIPAY_CN answers with a GET redirectActionForm: the shop sends the buyer to the
    # AlipayCN cashier with its `parameters` in the query, as submitting the form would.
    assert answer.status_code == 303, answer.text
    location = urlsplit(answer.headers["location"])
    assert location._replace(query="").geturl() == f"{shop.gateway.url}/alipaycn/pc/cashier"
    (parameters,) = parse_qs(location.query)["parameters"]
    assert json.loads(parameters)["amountCurrency"] == "HKD"

    request_id = _attempts(status)[0]["paymentRequestId"]
    stored = stored_pay_request(shop.gateway, request_id)
    extend_info = stored["order"]["extendInfo"]
    assert isinstance(extend_info, str)  # a JSON string, as in the real bodies
    assert json.loads(extend_info) == {
        "chinaExtraTransInfo": {
            "businessType": "4",
            "goodsInfo": "Porcelain mug^1|Oolong tea, 100 g^3",
            "totalQuantity": "4",
        }
    }
    assert stored["settlementStrategy"] == {"settlementCurrency": "HKD"}
    assert stored["paymentAmount"] == {"currency": "HKD", "value": str(3 * 8800 + 12000)}


def test_alipaycn_in_cny_settles_in_the_configured_currency_and_gets_paid(
    start_shop: ShopStarter,
) -> None:
    shop = start_shop(currency="CNY", cny_settlement_currency="USD")
    with shop.browser() as browser, shop.merchant.client() as client:
        order_id = place_order(browser, "kettle")
        assert pay_form(browser, order_id, "ALIPAY_CN").status_code == 303
        request_id = _attempts(browser.get(f"/orders/{order_id}/status").json())[0][
            "paymentRequestId"
        ]
        stored = stored_pay_request(shop.gateway, request_id)
        assert stored["settlementStrategy"] == {"settlementCurrency": "USD"}
        assert stored["paymentAmount"] == {"currency": "CNY", "value": "45000"}
        complete_payment(client, request_id)
        shop.gateway.deliver_notifications()
        status = browser.get(f"/orders/{order_id}/status").json()
    assert status["status"] == "PAID" and status["paidVia"] == "notification"


def test_a_broken_settlement_rule_shows_the_gateway_result_on_the_checkout_page(
    start_shop: ShopStarter,
) -> None:
    shop = start_shop(currency="CNY", cny_settlement_currency="CNY")
    with shop.browser() as browser:
        order_id = place_order(browser, "mug")
        answer = pay_form(browser, order_id, "ALIPAY_CN")
        status = browser.get(f"/orders/{order_id}/status").json()
    assert answer.status_code == 402
    page = html.unescape(answer.text)
    alert = re.search(r'<p class="error" role="alert">([^<]+)</p>', page)
    assert alert, page
    assert "SETTLE_CONTRACT_NOT_MATCH" in alert.group(1)
    assert "cannot settle in CNY" in alert.group(1)
    assert _attempts(status)[0]["status"] == "FAIL"
    assert _attempts(status)[0]["resultCode"] == "SETTLE_CONTRACT_NOT_MATCH"
    assert status["status"] == "OPEN"  # the buyer can pick another method


def test_alipaycn_gross_settlement_amount_is_stored_and_shown(start_shop: ShopStarter) -> None:
    """The AlipayCN guide: grossSettlementAmount is what the payment actually settles as
    (USD for a CNY payment); the shop keeps it and shows it on the order's admin page."""
    shop = start_shop(currency="CNY", cny_settlement_currency="USD", admin_secret="s3cret-admin")
    with shop.browser() as browser, shop.merchant.client() as client:
        order_id = place_order(browser, "kettle")
        assert pay_form(browser, order_id, "ALIPAY_CN").status_code == 303
        (attempt,) = _attempts(browser.get(f"/orders/{order_id}/status").json())
        complete_payment(client, attempt["paymentRequestId"])
        shop.gateway.deliver_notifications()
        inquiry = client.inquiry_payment({"paymentRequestId": attempt["paymentRequestId"]})
        gross = inquiry.gross_settlement_amount
        assert gross is not None and gross.currency == "USD"
        (attempt,) = _attempts(browser.get(f"/orders/{order_id}/status").json())
        assert attempt["grossSettlementAmount"] == {"currency": "USD", "value": gross.value}
        login = browser.get(f"/admin/login?next=/admin/orders/{order_id}")
        browser.post(
            "/admin/login",
            data={
                "secret": "s3cret-admin",
                "csrf": csrf_of(login.text),
                "next": f"/admin/orders/{order_id}",
            },
        )
        page = html.unescape(browser.get(f"/admin/orders/{order_id}").text)
    shown = f"USD {int(gross.value) / 100:.2f}"
    assert re.search(rf'data-testid="gross-settlement"[^>]*>\s*{re.escape(shown)}', page), page
