"""consult, createPaymentSession, the catalogue and the AlipayCN rules on pay."""

from __future__ import annotations

import json

import httpx

from tests.ams_client import AmsClient
from tests.gateway.integration.payloads import new_id, pay_body, session_body


def consult_body(
    currency: str = "HKD", value: str = "100", terminal: str = "WEB", **extra: object
) -> dict[str, object]:
    return {
        "productCode": "CASHIER_PAYMENT",
        "paymentAmount": {"currency": currency, "value": value},
        "env": {"terminalType": terminal},
        **extra,
    }


def test_consult_lists_methods_that_fit_with_served_logos(ams: AmsClient) -> None:
    reply = ams.call("payments/consult", consult_body())
    assert reply.code == "SUCCESS"
    options = reply.body["paymentOptions"]
    types = {option["paymentMethodType"] for option in options}
    assert "ALIPAY_HK" in types
    assert "GCASH" not in types  # PHP only
    for option in options:
        assert "HKD" in option["supportedCurrencies"] or not option["enabled"]
        logo = option["logo"]["logoUrl"]
        assert logo.startswith("http://gateway.test/static/logos/")
    logo_path = httpx.URL(options[0]["logo"]["logoUrl"]).path
    served = ams.http.get(logo_path)
    assert served.status_code == 200
    assert served.headers["content-type"].startswith("image/svg+xml")


def test_consult_filters_by_allowed_and_blocked_methods(ams: AmsClient) -> None:
    reply = ams.call(
        "payments/consult",
        consult_body(allowedPaymentMethods=["ALIPAY_HK", "CARD"], blockedPaymentMethods=["CARD"]),
    )
    assert [o["paymentMethodType"] for o in reply.body["paymentOptions"]] == ["ALIPAY_HK"]


def test_consult_validates_amount_and_env(ams: AmsClient) -> None:
    assert ams.call("payments/consult", consult_body(value="-1")).code == "PARAM_ILLEGAL"
    body = consult_body()
    del body["env"]
    assert ams.call("payments/consult", body).code == "PARAM_ILLEGAL"
    assert ams.call("payments/consult", consult_body(currency="XYZ")).code == "PARAM_ILLEGAL"


def test_unknown_method_and_unsupported_currency(ams: AmsClient) -> None:
    unknown = ams.call("payments/pay", pay_body(method="NOT_A_METHOD"))
    assert unknown.code == "PARAM_ILLEGAL"
    assert "NOT_A_METHOD" in unknown.result["resultMessage"]
    currency = ams.call("payments/pay", pay_body(currency="USD"))
    assert currency.code == "CURRENCY_NOT_SUPPORT"
    assert "HKD" in currency.result["resultMessage"]
    iso = ams.call("payments/pay", pay_body(currency="ABC"))
    assert iso.code == "PARAM_ILLEGAL"


def test_amounts_are_validated(ams: AmsClient) -> None:
    for value in ("0", "-5", "1.50", "abc", "12345678901234567"):
        reply = ams.call("payments/pay", pay_body(value=value))
        assert reply.code == "PARAM_ILLEGAL", (value, reply.result)
        assert "paymentAmount" in reply.result["resultMessage"]
    number = pay_body()
    number["paymentAmount"]["value"] = 100
    number["order"]["orderAmount"]["value"] = 100
    assert ams.call("payments/pay", number).code == "PAYMENT_IN_PROCESS"


def test_later_product_codes_are_refused_clearly(ams: AmsClient) -> None:
    reply = ams.call("payments/pay", pay_body(productCode="AGREEMENT_PAYMENT"))
    assert reply.code == "BUSINESS_NOT_SUPPORT"
    assert "AGREEMENT_PAYMENT" in reply.result["resultMessage"]
    assert ams.call("payments/pay", pay_body(productCode="NOPE")).code == "PARAM_ILLEGAL"


def test_cashier_payment_requires_terminal_and_redirect(ams: AmsClient) -> None:
    body = pay_body()
    del body["env"]
    assert "terminalType" in ams.call("payments/pay", body).result["resultMessage"]
    body = pay_body()
    del body["paymentRedirectUrl"]
    assert "paymentRedirectUrl" in ams.call("payments/pay", body).result["resultMessage"]


def test_wap_and_app_get_app_links(ams: AmsClient) -> None:
    reply = ams.call("payments/pay", pay_body(terminal="WAP", os_type="ANDROID"))
    assert reply.body["applinkUrl"].startswith("http://gateway.test/app/")
    assert reply.body["schemeUrl"].startswith("openams-")
    assert reply.body["appIdentifier"] == "hk.alipay.wallet"
    assert reply.body["orderCodeForm"]["codeDetails"][0]["displayType"] == "TEXT"
    form = json.loads(reply.body["paymentActionForm"])
    assert form["paymentActionFormType"] == "RedirectActionForm"


def test_alipaycn_rules_on_pay(ams: AmsClient) -> None:
    good = pay_body(
        method="ALIPAY_CN",
        currency="CNY",
        value="1314",
        settlementStrategy={"settlementCurrency": "USD"},
    )
    reply = ams.call("payments/pay", good)
    assert reply.code == "PAYMENT_IN_PROCESS"
    form = reply.body["redirectActionForm"]
    assert form["method"] == "GET" and form["redirectUrl"].endswith("/alipaycn/pc/cashier")
    parameters = json.loads(form["parameters"])
    assert parameters["paymentId"] == reply.body["paymentId"]
    assert parameters["amountValue"] == "1314" and parameters["amountCurrency"] == "CNY"
    cny_to_cny = pay_body(
        method="ALIPAY_CN",
        currency="CNY",
        value="1314",
        settlementStrategy={"settlementCurrency": "CNY"},
    )
    assert ams.call("payments/pay", cny_to_cny).code == "SETTLE_CONTRACT_NOT_MATCH"
    usd_to_eur = pay_body(
        method="ALIPAY_CN",
        currency="USD",
        value="100",
        settlementStrategy={"settlementCurrency": "EUR"},
    )
    assert ams.call("payments/pay", usd_to_eur).code == "SETTLE_CONTRACT_NOT_MATCH"
    missing = pay_body(method="ALIPAY_CN", currency="USD", value="100")
    assert ams.call("payments/pay", missing).code == "PARAM_ILLEGAL"
    broken = pay_body(
        method="ALIPAY_CN",
        currency="USD",
        value="100",
        settlementStrategy={"settlementCurrency": "USD"},
    )
    broken["order"]["extendInfo"] = "{not json"
    assert ams.call("payments/pay", broken).code == "PARAM_ILLEGAL"


def test_create_payment_session_is_idempotent(ams: AmsClient) -> None:
    body = session_body(settlementStrategy={"settlementCurrency": "USD"})
    first = ams.call("payments/createPaymentSession", body)
    assert first.code == "SUCCESS", first.result
    assert first.body["paymentSessionData"]
    assert first.body["paymentSessionId"]
    assert first.body["paymentSessionExpiryTime"]
    assert first.body["normalUrl"].startswith("http://gateway.test/checkout/")
    assert ams.call("payments/createPaymentSession", body).body == first.body
    body["paymentAmount"]["value"] = "4300"
    assert ams.call("payments/createPaymentSession", body).code == "REPEAT_REQ_INCONSISTENT"
    body["paymentRequestId"] = new_id()
    body["paymentSessionExpiryTime"] = "2999-01-01T00:00:00+00:00"
    assert ams.call("payments/createPaymentSession", body).code == "PARAM_ILLEGAL"
