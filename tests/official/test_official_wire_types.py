"""The official SDK reads a cross-currency payment's settlement, its refund and the new
inquiry fields from a real ``openams serve`` over TLS: ``settlementQuote.quotePrice``
arrives as a JSON number, so the SDK's ``Quote.quote_price`` (typed ``float``) is a float,
as it is for Antom's answers (docs/decisions.md, "Wire types")."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from tests.official.conftest import OfficialGateway, OfficialSDK

pytestmark = pytest.mark.official

TEST_HELPER_COMPLETE = "/ams/api/v1/testHelpers/completePayment"
PRICE = 0.1404494382  # CNY/USD: the inverse of the shipped USD/CNY 7.12, ten digits


def _ok(result: dict[str, Any], what: str) -> dict[str, Any]:
    assert "error" not in result, f"{what}: {result['error']}\n{result.get('traceback', '')}"
    parsed: dict[str, Any] = result["parsed"]
    assert parsed["result"]["resultStatus"] == "S", result["raw"]
    return parsed


def test_the_official_sdk_reads_quote_price_as_a_number(
    official_sdk: OfficialSDK, official_gateway: OfficialGateway
) -> None:
    request_id = f"PAY_{uuid.uuid4().hex}"
    pay = {
        "productCode": "CASHIER_PAYMENT",
        "paymentRequestId": request_id,
        "paymentAmount": {"currency": "CNY", "value": "1000"},
        "paymentMethodType": "ALIPAY_CN",
        "terminalType": "WEB",
        "settlementCurrency": "USD",
    }
    paid, done, inquiry = official_sdk.run(
        [
            official_gateway.call("pay", pay),
            official_gateway.call(
                "raw",
                {
                    "path": TEST_HELPER_COMPLETE,
                    "body": {"paymentRequestId": request_id, "outcome": "SUCCESS"},
                },
            ),
            official_gateway.call("inquiryPayment", {"paymentRequestId": request_id}),
        ],
        env=official_gateway.env,
    )
    assert "error" not in paid, paid
    _ok(done, "completePayment")
    found = _ok(inquiry, "inquiryPayment")
    assert found["paymentStatus"] == "SUCCESS"
    assert found["quotePriceType"] == "float"
    assert found["settlementQuote"]["quotePrice"] == PRICE
    assert found["grossSettlementAmount"] == {"currency": "USD", "value": "140"}  # CNY 10.00
    cny = {"currency": "CNY", "value": "1000"}
    assert found["actualPaymentAmount"] == cny
    assert found["customsDeclarationAmount"] == cny

    refund_id = f"RF_{uuid.uuid4().hex}"
    refunded, again = official_sdk.run(
        [
            official_gateway.call(
                "refund",
                {
                    "refundRequestId": refund_id,
                    "paymentId": found["paymentId"],
                    "refundAmount": {"currency": "CNY", "value": "400"},
                },
            ),
            official_gateway.call("inquiryRefund", {"refundRequestId": refund_id}),
        ],
        env=official_gateway.env,
    )
    for answer, what in ((refunded, "refund"), (again, "inquiryRefund")):
        parsed = _ok(answer, what)
        assert parsed["quotePriceType"] == "float", answer["raw"]
        assert parsed["settlementQuote"]["quotePrice"] == PRICE
