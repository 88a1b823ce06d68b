"""The official SDK's refund, inquiryRefund and capture requests, unchanged, against a real
``openams serve`` over TLS; plus server-to-server card pay (paymentMethodMetaData,
paymentFactor) built with the SDK's own models.

Every call goes through ``DefaultAlipayClient.execute``, which raises unless the
response signature verifies; the answers are read back through the SDK's response
classes (``AlipayRefundResponse``, ``AlipayInquiryRefundResponse``,
``AlipayCaptureResponse``, ``AlipayPayResponse``, ``AlipayPayQueryResponse``).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import pytest

from tests.official.conftest import OfficialGateway, OfficialSDK

pytestmark = pytest.mark.official

TEST_HELPER_COMPLETE = "/ams/api/v1/testHelpers/completePayment"


def _id(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex}"


def _ok(result: dict[str, Any], what: str) -> dict[str, Any]:
    assert "error" not in result, (
        f"{what}: the official SDK raised {result['error']}\n{result.get('traceback', '')}"
    )
    nulls = _nulls(result["raw"])
    assert not nulls, f"{what}: null on the wire at {nulls}: {result['raw']}"
    parsed: dict[str, Any] = result["parsed"]
    return parsed


def _nulls(value: Any, where: str = "$") -> list[str]:
    if value is None:
        return [where]
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in _nulls(v, f"{where}.{k}")]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in _nulls(v, f"{where}[{i}]")]
    return []


def _status(parsed: dict[str, Any]) -> tuple[str, str]:
    return parsed["result"]["resultCode"], parsed["result"]["resultStatus"]


def _wallet_pay(request_id: str, value: str = "1000") -> dict[str, Any]:
    return {
        "productCode": "CASHIER_PAYMENT",
        "paymentRequestId": request_id,
        "paymentAmount": {"currency": "HKD", "value": value},
        "paymentMethodType": "ALIPAY_HK",
        "terminalType": "WEB",
        "paymentRedirectUrl": "https://shop.example/return",
    }


def _card_pay(request_id: str, **extra: Any) -> dict[str, Any]:
    year = f"{(datetime.now(UTC).year + 3) % 100:02d}"
    params: dict[str, Any] = {
        "productCode": "CASHIER_PAYMENT",
        "paymentRequestId": request_id,
        "paymentAmount": {"currency": "USD", "value": "4200"},
        "paymentMethodType": "CARD",
        "terminalType": "WEB",
        "paymentRedirectUrl": "https://shop.example/return",
        "paymentMethodMetaData": {
            "cardNo": "4111111111111111",
            "cvv": "123",
            "expiryMonth": "06",
            "expiryYear": year,
            "tokenize": True,
            "cardholderName": {"firstName": "Alan", "lastName": "Wallex"},
        },
    }
    params.update(extra)
    return params


@pytest.fixture
def run(official_sdk: OfficialSDK, official_gateway: OfficialGateway) -> Any:
    def _run(commands: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return official_sdk.run(commands, env=official_gateway.env)

    return _run


def test_refund_and_inquiry_refund(run: Any, official_gateway: OfficialGateway) -> None:
    request_id = _id("PAY")
    paid, completed = run(
        [
            official_gateway.call("pay", _wallet_pay(request_id)),
            official_gateway.call(
                "raw",
                {
                    "path": TEST_HELPER_COMPLETE,
                    "body": {"paymentRequestId": request_id, "outcome": "SUCCESS"},
                },
            ),
        ]
    )
    payment_id = _ok(paid, "pay")["paymentId"]
    assert _status(_ok(completed, "completePayment")) == ("SUCCESS", "S")

    refund_id = _id("RF")
    refund = {
        "refundRequestId": refund_id,
        "paymentId": payment_id,
        "refundAmount": {"currency": "HKD", "value": "400"},
        "refundReason": "one item returned",
    }
    first, repeat, inconsistent, too_much = run(
        [
            official_gateway.call("refund", refund),
            official_gateway.call("refund", refund),
            official_gateway.call(
                "refund", {**refund, "refundAmount": {"currency": "HKD", "value": "500"}}
            ),
            official_gateway.call(
                "refund",
                {
                    **refund,
                    "refundRequestId": _id("RF"),
                    "refundAmount": {"currency": "HKD", "value": "601"},
                },
            ),
        ]
    )
    assert first["path"] == "/ams/sandbox/api/v1/payments/refund"
    parsed = _ok(first, "refund")
    assert _status(parsed) == ("SUCCESS", "S"), first["raw"]
    assert parsed["refundRequestId"] == refund_id
    assert parsed["paymentId"] == payment_id
    assert parsed["refundAmount"] == {"currency": "HKD", "value": "400"}
    assert parsed["refundId"] and parsed["refundTime"]
    assert _ok(repeat, "repeated refund") == parsed
    assert _status(_ok(inconsistent, "inconsistent refund")) == ("REPEAT_REQ_INCONSISTENT", "F")
    assert _status(_ok(too_much, "refund beyond the paid amount")) == (
        "REFUND_AMOUNT_EXCEED",
        "F",
    )

    by_id, by_request, missing, inquiry = run(
        [
            official_gateway.call("inquiryRefund", {"refundId": parsed["refundId"]}),
            official_gateway.call("inquiryRefund", {"refundRequestId": refund_id}),
            official_gateway.call("inquiryRefund", {"refundRequestId": _id("NONE")}),
            official_gateway.call("inquiryPayment", {"paymentId": payment_id}),
        ]
    )
    assert by_id["path"] == "/ams/sandbox/api/v1/payments/inquiryRefund"
    found = _ok(by_id, "inquiryRefund by refundId")
    assert _status(found) == ("SUCCESS", "S")
    assert found["refundStatus"] == "SUCCESS"
    assert found["refundId"] == parsed["refundId"]
    assert found["refundRequestId"] == refund_id
    assert found["refundAmount"] == {"currency": "HKD", "value": "400"}
    assert found["refundTime"] == parsed["refundTime"]
    assert _ok(by_request, "inquiryRefund by refundRequestId") == found
    assert _status(_ok(missing, "inquiryRefund of nothing"))[1] == "F"
    transactions = _ok(inquiry, "inquiryPayment")["transactions"]
    assert transactions == [
        {
            "transactionResult": {
                "resultCode": "SUCCESS",
                "resultStatus": "S",
                "resultMessage": "success",
            },
            "transactionId": parsed["refundId"],
            "transactionType": "REFUND",
            "transactionStatus": "SUCCESS",
            "transactionAmount": {"currency": "HKD", "value": "400"},
            "transactionRequestId": refund_id,
            "transactionTime": parsed["refundTime"],
        }
    ], transactions


def test_card_authorization_manual_capture_token_and_refund(
    run: Any, official_gateway: OfficialGateway
) -> None:
    request_id = _id("PAY")
    [paid] = run(
        [
            official_gateway.call(
                "payCard", _card_pay(request_id, isAuthorization=True, captureMode="MANUAL")
            )
        ]
    )
    pay = _ok(paid, "card pay")
    assert '"cardNo": "4111111111111111"' in paid["request_body"]  # sent by the SDK as is
    assert _status(pay) == ("SUCCESS", "S"), paid["raw"]
    assert pay["authExpiryTime"] and pay["paymentTime"]
    info = pay["paymentResultInfo"]
    assert info["cardNo"] == "411111******1111"
    assert (info["cardBrand"], info["cardBin"], info["lastFour"]) == ("VISA", "411111", "1111")
    assert info["funding"] and info["issuingCountry"]
    assert info["challenged"] is False
    token = info["cardToken"]
    assert token

    capture_id = _id("CAP")
    capture = {
        "captureRequestId": capture_id,
        "paymentId": pay["paymentId"],
        "captureAmount": {"currency": "USD", "value": "4200"},
        "isLastCapture": True,
    }
    first, repeat, inconsistent, partial, inquiry = run(
        [
            official_gateway.call("capture", capture),
            official_gateway.call("capture", capture),
            official_gateway.call(
                "capture", {**capture, "captureAmount": {"currency": "USD", "value": "100"}}
            ),
            official_gateway.call(
                "capture",
                {
                    **capture,
                    "captureRequestId": _id("CAP"),
                    "captureAmount": {"currency": "USD", "value": "100"},
                },
            ),
            official_gateway.call("inquiryPayment", {"paymentId": pay["paymentId"]}),
        ]
    )
    assert first["path"] == "/ams/sandbox/api/v1/payments/capture"
    captured = _ok(first, "capture")
    assert _status(captured) == ("SUCCESS", "S"), first["raw"]
    assert captured["captureRequestId"] == capture_id
    assert captured["paymentId"] == pay["paymentId"]
    assert captured["captureAmount"] == {"currency": "USD", "value": "4200"}
    assert captured["captureId"] and captured["captureTime"]
    assert _ok(repeat, "repeated capture") == captured
    assert _status(_ok(inconsistent, "inconsistent capture")) == ("REPEAT_REQ_INCONSISTENT", "F")
    assert _status(_ok(partial, "second capture"))[1] == "F"
    [transaction] = _ok(inquiry, "inquiryPayment")["transactions"]
    assert transaction["transactionType"] == "CAPTURE"
    assert transaction["transactionId"] == captured["captureId"]

    again, refund = run(
        [
            official_gateway.call(
                "payCard",
                {
                    **_card_pay(_id("PAY")),
                    "paymentMethodMetaData": None,
                    "paymentMethodId": token,
                },
            ),
            official_gateway.call(
                "refund",
                {
                    "refundRequestId": _id("RF"),
                    "paymentId": pay["paymentId"],
                    "refundAmount": {"currency": "USD", "value": "4200"},
                },
            ),
        ]
    )
    reuse = _ok(again, "pay with the cardToken")
    assert _status(reuse) == ("SUCCESS", "S"), again["raw"]
    assert reuse["paymentResultInfo"]["cardToken"] == token
    assert _status(_ok(refund, "refund of the captured card payment")) == ("SUCCESS", "S")


def test_card_checks_through_the_sdk(run: Any, official_gateway: OfficialGateway) -> None:
    bad_luhn, three_ds = run(
        [
            official_gateway.call(
                "payCard",
                {
                    **_card_pay(_id("PAY")),
                    "paymentMethodMetaData": {
                        **_card_pay("x")["paymentMethodMetaData"],
                        "cardNo": "0255187751531899",  # the quickstart's sample number
                    },
                },
            ),
            official_gateway.call(
                "payCard",
                {
                    **_card_pay(_id("PAY")),
                    "paymentMethodMetaData": {
                        **_card_pay("x")["paymentMethodMetaData"],
                        "cardNo": "4000000000003220",
                    },
                },
            ),
        ]
    )
    refused = _ok(bad_luhn, "card that fails Luhn")
    assert _status(refused) == ("INVALID_PAYMENT_METHOD_META_DATA", "F")
    assert "Luhn" in refused["result"]["resultMessage"]
    challenge = _ok(three_ds, "3DS test card")
    assert _status(challenge) == ("PAYMENT_IN_PROCESS", "U")
    assert challenge["normalUrl"].startswith("https://localhost")
