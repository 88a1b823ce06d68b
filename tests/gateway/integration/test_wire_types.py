"""Every field the gateway sends has the JSON type Antom's typed SDKs decode it as.

The Go SDK decodes with ``encoding/json`` into typed structs and the Java SDK into typed
classes: a string where they declare a number (``settlementQuote.quotePrice``: Go
``float32``/``float64``, Java ``BigDecimal``), a string where they declare a boolean
(``enabled``), or an object where they declare a list fails the whole answer. ``SCHEMA``
below restates, field by field, the types of the SDK model classes the answers and
notifications map to (docs/decisions.md, "Wire types"); a field missing from it fails
the test too, so a new field gets its type checked before it ships.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal
from typing import Any

from openams.gateway.app import Gateway
from openams.gateway.services.notification_events import sent_body
from openams.protocol.models import ConsultResponse, InquiryPaymentResponse, RefundNotification
from tests.ams_client import AmsClient
from tests.gateway.integration.card_payloads import VISA_3DS, card_meta, card_pay_body
from tests.gateway.integration.payloads import new_id, pay_body

Schema = dict[str, Any]
STR, BOOL, NUMBER = "string", "boolean", "number"

AMOUNT: Schema = {"currency": STR, "value": STR}
RESULT: Schema = {"resultCode": STR, "resultStatus": STR, "resultMessage": STR}
QUOTE: Schema = {
    "quoteId": STR,
    "quoteCurrencyPair": STR,
    "quotePrice": NUMBER,
    "quoteStartTime": STR,
    "quoteExpiryTime": STR,
    "guaranteed": BOOL,
    "exchangeAmount": AMOUNT,
}
LOGO: Schema = {"logoName": STR, "logoUrl": STR}
THREE_DS: Schema = {
    "threeDSVersion": STR,
    "eci": STR,
    "cavv": STR,
    "dsTransactionId": STR,
    "xid": STR,
    "challenged": BOOL,
    "threeDSOffered": BOOL,
    # Python SDK only (Go and Java ignore it): a boolean there.
    "liabilityShift": BOOL,
}
PAYMENT_RESULT_INFO: Schema = {
    **{
        name: STR
        for name in [
            "cardNo",
            "cardBrand",
            "cardToken",
            "issuingCountry",
            "funding",
            "paymentMethodRegion",
            "cardholderName",
            "cardBin",
            "lastFour",
            "expiryMonth",
            "expiryYear",
        ]
    },
    "threeDSResult": THREE_DS,
}
REDIRECT_FORM: Schema = {
    "method": STR,
    "parameters": STR,
    "redirectUrl": STR,
    "actionFormType": STR,
}
ORDER_CODE_FORM: Schema = {
    "paymentMethodType": STR,
    "expireTime": STR,
    "codeDetails": [{"codeValueType": STR, "codeValue": STR, "displayType": STR}],
    "extendInfo": STR,
}
TRANSACTION: Schema = {
    "transactionResult": RESULT,
    "transactionId": STR,
    "transactionType": STR,
    "transactionStatus": STR,
    "transactionAmount": AMOUNT,
    "transactionRequestId": STR,
    "transactionTime": STR,
    "grossSettlementAmount": AMOUNT,
    "settlementQuote": QUOTE,
}
SETTLEMENT: Schema = {"grossSettlementAmount": AMOUNT, "settlementQuote": QUOTE}
PAYMENT_IDS: Schema = {
    "paymentRequestId": STR,
    "paymentId": STR,
    "paymentAmount": AMOUNT,
    "paymentCreateTime": STR,
    "paymentTime": STR,
    "paymentMethodType": STR,
    "authExpiryTime": STR,
    "paymentResultInfo": PAYMENT_RESULT_INFO,
    **SETTLEMENT,
}
PAY: Schema = {
    "result": RESULT,
    **PAYMENT_IDS,
    "actualPaymentAmount": AMOUNT,
    "normalUrl": STR,
    "schemeUrl": STR,
    "applinkUrl": STR,
    "appIdentifier": STR,
    "redirectActionForm": REDIRECT_FORM,
    "orderCodeForm": ORDER_CODE_FORM,
    "paymentActionForm": STR,  # a JSON-encoded string in every SDK
}
INQUIRY_PAYMENT: Schema = {
    "result": RESULT,
    **PAYMENT_IDS,
    "paymentStatus": STR,
    "paymentResultCode": STR,
    "paymentResultMessage": STR,
    "actualPaymentAmount": AMOUNT,
    "customsDeclarationAmount": AMOUNT,
    "redirectActionForm": REDIRECT_FORM,
    "transactions": [TRANSACTION],
}
CANCEL: Schema = {"result": RESULT, "paymentId": STR, "paymentRequestId": STR, "cancelTime": STR}
REFUND: Schema = {
    "result": RESULT,
    "refundRequestId": STR,
    "refundId": STR,
    "paymentId": STR,
    "refundAmount": AMOUNT,
    "refundTime": STR,
    "refundStatus": STR,
    **SETTLEMENT,
}
CAPTURE: Schema = {
    "result": RESULT,
    "captureRequestId": STR,
    "captureId": STR,
    "paymentId": STR,
    "captureAmount": AMOUNT,
    "captureTime": STR,
}
CONSULT: Schema = {
    "result": RESULT,
    "paymentOptions": [
        {
            "paymentMethodType": STR,
            "paymentMethodCategory": STR,
            "paymentMethodRegion": [STR],
            "enabled": BOOL,
            "preferred": BOOL,
            "disableReason": STR,
            "supportedCurrencies": [STR],
            "logo": LOGO,
            "paymentOptionDetail": {
                "supportCardBrands": [{"cardBrand": STR, "logo": LOGO}],
                "funding": [STR],  # a list here, a string in paymentResultInfo
            },
        }
    ],
}
SESSION: Schema = {
    "result": RESULT,
    "paymentSessionData": STR,
    "paymentSessionExpiryTime": STR,
    "paymentSessionId": STR,
    "normalUrl": STR,
}
NOTIFICATIONS: dict[str, Schema] = {
    "PAYMENT_RESULT": {
        "notifyType": STR,
        "result": RESULT,
        **PAYMENT_IDS,
        "customsDeclarationAmount": AMOUNT,
    },
    "REFUND_RESULT": {"notifyType": STR, **REFUND},
    "CAPTURE_RESULT": {"notifyType": STR, **CAPTURE},
}


def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return BOOL
    if isinstance(value, str):
        return STR
    if isinstance(value, int | float | Decimal):
        return NUMBER
    return type(value).__name__


def type_errors(value: Any, schema: Any, path: str = "$") -> list[str]:
    """Where ``value`` differs from ``schema`` (a type name, an object, or ``[item]``)."""
    if isinstance(schema, dict):
        if not isinstance(value, dict):
            return [f"{path}: {_json_type(value)}, expected an object"]
        errors = []
        for key, item in value.items():
            if key not in schema:
                errors.append(f"{path}.{key}: not in the SDK models' schema")
            else:
                errors.extend(type_errors(item, schema[key], f"{path}.{key}"))
        return errors
    if isinstance(schema, list):
        if not isinstance(value, list):
            return [f"{path}: {_json_type(value)}, expected an array"]
        return [
            e for i, item in enumerate(value) for e in type_errors(item, schema[0], f"{path}[{i}]")
        ]
    found = _json_type(value)
    return [] if found == schema else [f"{path}: {found}, expected a {schema}"]


def _typed(reply: Any, schema: Schema) -> dict[str, Any]:
    assert type_errors(reply.body, schema) == [], reply.body
    return dict(reply.body)


def _notes(gateway: Gateway, client_id: str, payment_id: str) -> list[Any]:
    with gateway.store() as uow:
        return list(uow.outbox.for_payment(client_id, payment_id))


def _complete(ams: AmsClient, payment_id: str) -> None:
    done = ams.call("testHelpers/completePayment", {"paymentId": payment_id, "outcome": "SUCCESS"})
    assert done.body["paymentStatus"] == "SUCCESS", done.body


def test_quote_price_is_an_exact_json_number_everywhere(ams: AmsClient, gateway: Gateway) -> None:
    paid = ams.call(
        "payments/pay",
        pay_body(
            method="ALIPAY_CN",
            currency="CNY",
            value="1000",
            settlementStrategy={"settlementCurrency": "USD"},
        ),
    )
    payment_id = paid.body["paymentId"]
    _complete(ams, payment_id)
    exact = re.compile(rb'"quotePrice":0\.1404494382[,}]')  # 1 / 7.12, ten digits

    inquiry = ams.call("payments/inquiryPayment", {"paymentId": payment_id})
    refund = ams.call(
        "payments/refund",
        {
            "refundRequestId": new_id("RF"),
            "paymentId": payment_id,
            "refundAmount": {"currency": "CNY", "value": "400"},
            "refundNotifyUrl": "http://www.yourNotifyUrl.com/refunds",
        },
    )
    again = ams.call("payments/inquiryRefund", {"refundId": refund.body["refundId"]})
    answers = [inquiry, refund, again]
    for answer in answers:
        assert exact.search(answer.raw), answer.raw
        assert isinstance(json.loads(answer.raw)["settlementQuote"]["quotePrice"], float)
    inquiry_after = ams.call("payments/inquiryPayment", {"paymentId": payment_id})
    assert len(exact.findall(inquiry_after.raw)) == 2  # the payment's and its refund's

    sent = {
        n.notify_type.value: sent_body(n).encode()
        for n in _notes(gateway, ams.client_id, payment_id)
    }
    assert set(sent) == {"PAYMENT_RESULT", "REFUND_RESULT"}
    for raw in sent.values():
        assert exact.search(raw), raw

    # openams.sdk's models read it as a Decimal with its exact digits.
    model = InquiryPaymentResponse.model_validate(json.loads(inquiry.raw, parse_float=Decimal))
    assert model.settlement_quote is not None
    assert model.settlement_quote.quote_price == Decimal("0.1404494382")
    note = RefundNotification.model_validate(json.loads(sent["REFUND_RESULT"], parse_float=Decimal))
    assert note.settlement_quote is not None
    assert note.settlement_quote.quote_price == Decimal("0.1404494382")


def test_alipaycn_success_carries_actual_and_customs_amounts(
    ams: AmsClient, gateway: Gateway
) -> None:
    paid = ams.call(
        "payments/pay",
        pay_body(
            method="ALIPAY_CN",
            currency="CNY",
            value="1000",
            settlementStrategy={"settlementCurrency": "USD"},
        ),
    )
    payment_id = paid.body["paymentId"]
    before = _typed(ams.call("payments/inquiryPayment", {"paymentId": payment_id}), INQUIRY_PAYMENT)
    assert "actualPaymentAmount" not in before and "customsDeclarationAmount" not in before
    _complete(ams, payment_id)
    inquiry = _typed(
        ams.call("payments/inquiryPayment", {"paymentId": payment_id}), INQUIRY_PAYMENT
    )
    cny = {"currency": "CNY", "value": "1000"}
    assert inquiry["actualPaymentAmount"] == cny
    assert inquiry["customsDeclarationAmount"] == cny
    [note] = _notes(gateway, ams.client_id, payment_id)
    assert note.body["customsDeclarationAmount"] == cny

    # Another wallet: actualPaymentAmount, no customs amount.
    hk = ams.call("payments/pay", pay_body())
    _complete(ams, hk.body["paymentId"])
    other = _typed(
        ams.call("payments/inquiryPayment", {"paymentId": hk.body["paymentId"]}), INQUIRY_PAYMENT
    )
    assert other["actualPaymentAmount"] == {"currency": "HKD", "value": "100"}
    assert "customsDeclarationAmount" not in other


def test_consult_card_option_lists_brands_and_funding(ams: AmsClient) -> None:
    reply = ams.call(
        "payments/consult",
        {
            "productCode": "CASHIER_PAYMENT",
            "paymentAmount": {"currency": "USD", "value": "1000"},
            "env": {"terminalType": "WEB"},
        },
    )
    body = _typed(reply, CONSULT)
    [card] = [o for o in body["paymentOptions"] if o["paymentMethodType"] == "CARD"]
    detail = card["paymentOptionDetail"]
    assert detail["funding"] == ["CREDIT", "DEBIT"]
    brands = {b["cardBrand"]: b["logo"] for b in detail["supportCardBrands"]}
    assert {"VISA", "MASTERCARD", "AMEX"} <= set(brands)
    for logo in [*brands.values(), *(o["logo"] for o in body["paymentOptions"])]:
        assert 0 < len(logo["logoName"]) <= 12, logo
    served = ams.http.get(re.sub(r"^https?://[^/]+", "", brands["VISA"]["logoUrl"]))
    assert served.status_code == 200
    assert served.headers["content-type"].startswith("image/svg+xml")
    others = [o for o in body["paymentOptions"] if o["paymentMethodType"] != "CARD"]
    assert all("paymentOptionDetail" not in o for o in others)
    parsed = ConsultResponse.model_validate(reply.body)
    assert parsed.payment_options is not None
    [typed_card] = [o for o in parsed.payment_options if o.payment_method_type == "CARD"]
    assert typed_card.payment_option_detail is not None
    assert typed_card.payment_option_detail.funding == ["CREDIT", "DEBIT"]


def test_every_answer_and_notification_has_the_sdk_types(ams: AmsClient, gateway: Gateway) -> None:
    # pay (wallet, WAP for the app links) and a cross-currency success with a refund
    wallet = _typed(
        ams.call(
            "payments/pay",
            pay_body(
                terminal="WAP", os_type="ANDROID", settlementStrategy={"settlementCurrency": "USD"}
            ),
        ),
        PAY,
    )
    _complete(ams, wallet["paymentId"])
    cn = pay_body(method="ALIPAY_CN", currency="CNY", value="1000")
    _typed(
        ams.call("payments/pay", {**cn, "settlementStrategy": {"settlementCurrency": "USD"}}), PAY
    )
    refund = _typed(
        ams.call(
            "payments/refund",
            {
                "refundRequestId": new_id("RF"),
                "paymentId": wallet["paymentId"],
                "refundAmount": {"currency": "HKD", "value": "50"},
                "refundNotifyUrl": "http://www.yourNotifyUrl.com/refunds",
            },
        ),
        REFUND,
    )
    assert "settlementQuote" in refund
    _typed(ams.call("payments/inquiryRefund", {"refundId": refund["refundId"]}), REFUND)
    _typed(ams.call("payments/inquiryPayment", {"paymentId": wallet["paymentId"]}), INQUIRY_PAYMENT)

    # a card authorization with a 3-D Secure challenge, captured by hand
    card = _typed(
        ams.call(
            "payments/pay",
            card_pay_body(card_meta(VISA_3DS), authorization=True, capture_mode="MANUAL"),
        ),
        PAY,
    )
    ams.call("testHelpers/completePayment", {"paymentId": card["paymentId"], "outcome": "SUCCESS"})
    capture = _typed(
        ams.call(
            "payments/capture",
            {
                "captureRequestId": new_id("CAP"),
                "paymentId": card["paymentId"],
                "captureAmount": {"currency": "USD", "value": "1000"},
            },
        ),
        CAPTURE,
    )
    assert capture["result"]["resultStatus"] == "S", capture
    _typed(ams.call("payments/inquiryPayment", {"paymentId": card["paymentId"]}), INQUIRY_PAYMENT)

    # cancel, createPaymentSession
    open_one = ams.call("payments/pay", pay_body())
    _typed(ams.call("payments/cancel", {"paymentId": open_one.body["paymentId"]}), CANCEL)
    session = pay_body()
    del session["env"]
    _typed(
        ams.call("payments/createPaymentSession", {**session, "productScene": "CHECKOUT_PAYMENT"}),
        SESSION,
    )

    kinds = set()
    for payment_id in (wallet["paymentId"], card["paymentId"]):
        for note in _notes(gateway, ams.client_id, payment_id):
            kinds.add(note.notify_type.value)
            body = json.loads(sent_body(note).encode(), parse_float=Decimal)
            assert type_errors(body, NOTIFICATIONS[note.notify_type.value]) == [], body
    assert kinds == {"PAYMENT_RESULT", "REFUND_RESULT", "CAPTURE_RESULT"}


def test_the_schema_check_catches_a_quote_price_string() -> None:
    # The check itself can fail: the type Antom's Go and Java SDKs cannot decode.
    body = {"grossSettlementAmount": {"currency": "USD", "value": "14"}}
    assert type_errors({**body, "settlementQuote": {"quotePrice": "0.14"}}, SETTLEMENT) == [
        "$.settlementQuote.quotePrice: string, expected a number"
    ]
    assert type_errors({"enabled": "true"}, {"enabled": BOOL}) == [
        "$.enabled: string, expected a boolean"
    ]
