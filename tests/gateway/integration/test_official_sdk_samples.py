"""The sample requests of Antom's official SDKs are accepted.

Each body below is what the SDK's own sample (pay, consult, createPaymentSession in the
Java, Go, Python, PHP and .NET repositories) puts on the wire, re-typed here as JSON from
its field names and values. Values the samples generate per run (paymentRequestId, UUID
order and merchant ids) are fresh here too; the rest are the samples' own. docs/decisions.md,
"Wire types", lists the samples and what the gateway decided about their oddities.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.ams_client import AmsClient
from tests.gateway.integration.card_payloads import future_year
from tests.gateway.integration.payloads import new_id

Body = dict[str, Any]

HKD_100 = {"currency": "HKD", "value": "100"}
USD = {"settlementCurrency": "USD"}


def _merchant_with_store(reference: str, name: str, store_id: str, store_name: str) -> Body:
    return {
        "referenceMerchantId": reference,
        "merchantMCC": "7011",
        "merchantName": name,
        "store": {"storeMCC": "7011", "referenceStoreId": store_id, "storeName": store_name},
    }


def python_pay() -> Body:
    return {
        "productCode": "CASHIER_PAYMENT",
        "paymentNotifyUrl": "https://www.yourNotifyUrl.com",
        "paymentRedirectUrl": "https://www.yourRedirectUrl.com",
        "paymentRequestId": new_id("pay_python_test"),
        # The sample sets a random paymentMethodId on a wallet payment.
        "paymentMethod": {"paymentMethodType": "ALIPAY_CN", "paymentMethodId": new_id("pm")},
        "paymentAmount": {"currency": "CNY", "value": "10000"},
        "order": {
            "referenceOrderId": new_id("o"),
            "orderDescription": "Mi Band 3 Wrist Strap Metal Screwless Stainless Steel For "
            "Xiaomi Mi Band 3",
            "orderAmount": {"currency": "CNY", "value": "10000"},
            "buyer": {"buyerEmail": "test@alipay.com", "referenceBuyerId": "12345679"},
            "goods": [{"goodsBrand": "goods_brand", "goodsName": "goods_name"}],
            "merchant": {"merchantMCC": "merchantMcc", "referenceMerchantId": new_id("m")},
        },
        "settlementStrategy": USD,
        "env": {"terminalType": "WEB"},
    }


def consult(amount: Body, regions: list[str], mode: str) -> Body:
    """The consult of the Python, Go, PHP and .NET samples (amount, regions, mode vary)."""
    return {
        "productCode": "CASHIER_PAYMENT",
        "userRegion": "SG",
        "paymentAmount": amount,
        "env": {"terminalType": "APP", "osType": "IOS"},
        "settlementStrategy": USD,
        "allowedPaymentMethodRegions": regions,
        "paymentFactor": {"presentmentMode": mode},
    }


def sgd_session(reference_order_id: Any, buyer_id: str, description: str) -> Body:
    """The Python and PHP createPaymentSession: SHOPEEPAY_SG in SGD, no order amount."""
    return {
        "productCode": "CASHIER_PAYMENT",
        "paymentRequestId": new_id("session"),
        "paymentAmount": {"currency": "SGD", "value": "4200"},
        "paymentMethod": {"paymentMethodType": "SHOPEEPAY_SG"},
        "order": {
            "referenceOrderId": reference_order_id,
            "orderDescription": description,
            "buyer": {"referenceBuyerId": buyer_id},
        },
        "paymentRedirectUrl": "https://www.yourRedirectUrl.com",
        "paymentNotifyUrl": "https://www.yourNotifyUrl.com",
    }


def hkd_session(env: Body, notify: str, redirect: str) -> Body:
    """The Go and .NET createPaymentSession: SHOPEEPAY_SG in HKD."""
    return {
        "productCode": "CASHIER_PAYMENT",
        "paymentRequestId": new_id("session"),
        "order": {
            "orderDescription": "example order",
            "referenceOrderId": "289473927358748",
            "orderAmount": HKD_100,
            "buyer": {"referenceBuyerId": "111112132143434"},
        },
        "paymentAmount": HKD_100,
        "paymentMethod": {"paymentMethodType": "SHOPEEPAY_SG"},
        "paymentNotifyUrl": notify,
        "paymentRedirectUrl": redirect,
        "env": env,
    }


def go_pay() -> Body:
    return {
        "productCode": "CASHIER_PAYMENT",
        "paymentRequestId": new_id("go"),
        "order": {
            "orderDescription": "example order",
            "referenceOrderId": new_id("o"),
            "orderAmount": HKD_100,
            "merchant": _merchant_with_store(
                "1238rye8yr8erwer", "example merchant", "289285674", "store 1111"
            ),
            "env": {"osType": "ANDROID", "terminalType": "WEB"},
        },
        "paymentAmount": HKD_100,
        "paymentNotifyUrl": "https://www.yourNotifyUrl.com",
        "paymentRedirectUrl": "https://www.yourRedirectUrl.com",
        "paymentMethod": {"paymentMethodType": "ALIPAY_HK"},
    }


def php_pay() -> Body:
    return {
        "productCode": "CASHIER_PAYMENT",
        "paymentRequestId": new_id("PR"),
        "order": {
            "orderDescription": "test order desc",
            "referenceOrderId": "102775745075668",
            "orderAmount": HKD_100,
            "merchant": _merchant_with_store(
                "seller2322174590001", "Some_Mer", "store232217459000021", "Some_Store"
            ),
            "env": {
                # The sample's user agent keeps its surrounding quotes.
                "userAgent": '"Mozilla/5.0 (iPhone; CPU iPhone OS 11_4_1 like Mac OS X) '
                "AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15G77 NebulaSDK/1.8.100112 "
                "Nebula PSDType(1) AlipayDefined(nt:4G,ws:320|504|2.0) AliApp(AP/10.1.32.600) "
                'AlipayClient/10.1.32.600 Alipay Language/zh-Hans AlipayConnect"',
                "osType": "ANDROID",
                "terminalType": "WEB",
            },
        },
        "paymentAmount": HKD_100,
        "paymentNotifyUrl": "https://www.alipay.com/notify",
        "paymentRedirectUrl": "https://www.alipay.com",
        "paymentMethod": {"paymentMethodType": "ALIPAY_HK"},
        "settlementStrategy": USD,
    }


#: The .NET pay sample's URLs: "http", two spaces, "//alipay.com" (not a URL).
DOTNET_SAMPLE_URL = "http  //alipay.com"


def dotnet_pay(url: str = "http://alipay.com") -> Body:
    # Amount's value is a number in the .NET entities.
    amount = {"currency": "HKD", "value": 100}
    return {
        "productCode": "CASHIER_PAYMENT",
        "paymentAmount": amount,
        "paymentMethod": {"paymentMethodType": "ALIPAY_HK", "paymentMethodId": "1213213423"},
        "paymentNotifyUrl": url,
        "paymentRedirectUrl": url,
        "order": {
            "orderAmount": amount,
            "orderDescription": "example order",
            "referenceOrderId": "0001213243200001",
            "merchant": _merchant_with_store(
                "seller231117459", "example merchant", "store231117459", "Some_store"
            ),
            "env": {"osType": "ANDROID", "terminalType": "WEB"},
        },
        "paymentRequestId": new_id("PR20190000000001"),
    }


def _java_order(amount: Body) -> Body:
    return {
        "referenceOrderId": new_id("o"),
        "orderDescription": "antom testing order",
        "orderAmount": amount,
        "buyer": {"referenceBuyerId": "yourBuyerId"},
    }


BRL_4200 = {"currency": "BRL", "value": "4200"}


def java_pay_card() -> Body:
    return {
        "productCode": "CASHIER_PAYMENT",
        "paymentRequestId": new_id("java"),
        "paymentAmount": BRL_4200,
        "paymentMethod": {
            "paymentMethodType": "CARD",
            "paymentMethodMetaData": {
                "cardNo": "4294097400915107",
                "cvv": "712",
                "expiryMonth": "06",
                # The sample's "28" has passed once the gateway's clock is past June 2028.
                "expiryYear": max("28", future_year(1)),
                "tokenize": False,
                "cpf": "671.998.112-31",
                "cardholderName": {"firstName": "Alan", "lastName": "Wallex"},
            },
        },
        "order": _java_order(BRL_4200),
        "env": {"terminalType": "WEB", "clientIp": "1.2.3.4"},
        "paymentFactor": {"isAuthorization": True},
        "paymentNotifyUrl": "http://www.yourNotifyUrl.com",
        "paymentRedirectUrl": "http://www.yourRedirectUrl.com",
        "settlementStrategy": USD,
    }


def java_pay_blik() -> Body:
    pln = {"currency": "PLN", "value": "4200"}
    return {
        "productCode": "CASHIER_PAYMENT",
        "paymentRequestId": new_id("java"),
        "paymentAmount": pln,
        "paymentMethod": {"paymentMethodType": "BLIK"},
        "order": _java_order(pln),
        "env": {"terminalType": "WEB", "clientIp": "1.2.3.4"},
        "paymentNotifyUrl": "http://www.yourNotifyUrl.com",
        "paymentRedirectUrl": "http://www.yourRedirectUrl.com",
    }


def java_session_card() -> Body:
    return {
        "productCode": "CASHIER_PAYMENT",
        "paymentRequestId": new_id("java"),
        "paymentAmount": BRL_4200,
        "paymentMethod": {"paymentMethodType": "CARD"},
        "paymentFactor": {"isAuthorization": True},
        "order": _java_order(BRL_4200),
        "paymentNotifyUrl": "http://www.yourNotifyUrl.com",
        "paymentRedirectUrl": "http://www.yourRedirectUrl.com",
    }


SAMPLES: list[tuple[str, str, Any, set[str]]] = [
    # (sample, API, body factory, accepted result codes)
    ("python pay", "pay", python_pay, {"PAYMENT_IN_PROCESS"}),
    (
        "python consult",
        "consult",
        lambda: consult({"currency": "USD", "value": "1000"}, ["HK", "US", "CN"], "BUNDLE"),
        {"SUCCESS"},
    ),
    (
        "python createPaymentSession",
        "createPaymentSession",
        lambda: sgd_session("123456", "123456", "test"),
        {"SUCCESS"},
    ),
    ("go pay", "pay", go_pay, {"PAYMENT_IN_PROCESS"}),
    (
        "go consult",
        "consult",
        lambda: consult({"currency": "USD", "value": "100"}, ["SG", "HK", "CN"], "UNIFIED"),
        {"SUCCESS"},
    ),
    (
        "go createPaymentSession",
        "createPaymentSession",
        lambda: hkd_session(
            {"osType": "IOS", "terminalType": "WEB"},
            "https://www.yourNotifyUrl.com",
            "https://www.yourRedirectUrl.com",
        ),
        {"SUCCESS"},
    ),
    ("php pay", "pay", php_pay, {"PAYMENT_IN_PROCESS"}),
    (
        "php consult",
        "consult",
        lambda: consult({"currency": "USD", "value": "1000"}, ["SG", "HK", "CN"], "BUNDLE"),
        {"SUCCESS"},
    ),
    (
        "php createPaymentSession",
        "createPaymentSession",
        # PHP's round(microtime(true) * 1000) is a float: json_encode writes it with ".0".
        lambda: sgd_session(1724811957224.0, "buyer_1724811957224", "test order desc"),
        {"SUCCESS"},
    ),
    # With its URLs written as URLs (see test_the_dotnet_pay_samples_urls_are_refused).
    ("dotnet pay", "pay", dotnet_pay, {"PAYMENT_IN_PROCESS"}),
    (
        "dotnet consult",
        "consult",
        lambda: consult({"currency": "USD", "value": 100}, ["SG", "HK", "CN"], "BUNDLE"),
        {"SUCCESS"},
    ),
    (
        "dotnet createPaymentSession",
        "createPaymentSession",
        lambda: hkd_session(
            {"osType": "IOS", "terminalType": "APP"}, "http://alipay.com", "http://alipay.com"
        ),
        {"SUCCESS"},
    ),
    (
        "java consult",
        "consult",
        lambda: {
            "productCode": "CASHIER_PAYMENT",
            "paymentAmount": BRL_4200,
            "env": {"terminalType": "WEB"},
        },
        {"SUCCESS"},
    ),
    # A frictionless card authorization succeeds at once.
    ("java pay (card)", "pay", java_pay_card, {"SUCCESS"}),
    ("java pay (BLIK)", "pay", java_pay_blik, {"PAYMENT_IN_PROCESS"}),
    ("java createPaymentSession (card)", "createPaymentSession", java_session_card, {"SUCCESS"}),
]


@pytest.mark.parametrize(
    ("api", "make", "accepted"),
    [pytest.param(api, make, accepted, id=name) for name, api, make, accepted in SAMPLES],
)
def test_official_sdk_sample_is_accepted(
    ams: AmsClient, api: str, make: Any, accepted: set[str]
) -> None:
    reply = ams.call(f"payments/{api}", make())
    assert reply.code in accepted, reply.body
    if api == "consult":
        assert reply.body["paymentOptions"], reply.body
    if api == "createPaymentSession":
        assert reply.body["normalUrl"] and reply.body["paymentSessionId"], reply.body


def test_the_samples_wallets_are_in_the_catalogue(ams: AmsClient) -> None:
    # SHOPEEPAY_SG (the samples' sessions) and GRABPAY_SG (Singapore's other wallet of the
    # SDKs' WalletPaymentMethodType) are offered to a buyer in Singapore.
    reply = ams.call(
        "payments/consult",
        consult({"currency": "SGD", "value": "4200"}, ["SG"], "BUNDLE"),
    )
    offered = {o["paymentMethodType"] for o in reply.body["paymentOptions"] if o["enabled"]}
    assert {"SHOPEEPAY_SG", "GRABPAY_SG"} <= offered, offered


def test_the_dotnet_pay_samples_urls_are_refused(ams: AmsClient) -> None:
    # A buyer cannot be sent to "http  //alipay.com": refused, naming the field, rather than
    # taken and failing at the redirect (docs/decisions.md, "Wire types").
    reply = ams.call("payments/pay", dotnet_pay(DOTNET_SAMPLE_URL))
    assert reply.code == "PARAM_ILLEGAL"
    assert "is not an absolute URL" in reply.result["resultMessage"]


def test_a_session_without_order_amount_becomes_a_payment_of_the_payment_amount(
    ams: AmsClient,
) -> None:
    # The Python sample's session has no order.orderAmount: the checkout still pays.
    body = sgd_session("123456", "123456", "test")
    created = ams.call("payments/createPaymentSession", body)
    assert created.code == "SUCCESS", created.body
    path = re.sub(r"^https?://[^/]+", "", created.body["normalUrl"])
    page = ams.http.get(path)
    assert page.status_code == 200
    assert 'value="SHOPEEPAY_SG"' in page.text
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page.text))
    chosen = ams.http.post(path, data={**fields, "method": "SHOPEEPAY_SG"})
    assert chosen.status_code == 303, chosen.text[:500]
    paid = ams.call("payments/inquiryPayment", {"paymentRequestId": body["paymentRequestId"]})
    assert paid.body["paymentStatus"] == "PROCESSING", paid.body
    assert paid.body["paymentMethodType"] == "SHOPEEPAY_SG"
    assert paid.body["paymentAmount"] == {"currency": "SGD", "value": "4200"}
