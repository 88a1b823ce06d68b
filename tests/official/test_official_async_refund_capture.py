"""The official SDK against asynchronous refunds and captures on a real ``openams serve``
over TLS: refund with ``isAsyncRefund`` answers U/REFUND_IN_PROCESS and ends with a
REFUND_RESULT; a capture of the sandbox in-process amount answers U/CAPTURE_IN_PROCESS and
ends with a CAPTURE_RESULT. Every notification the gateway's dispatcher delivers is
checked with the SDK's own ``webhook_tool.check_signature``.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from tests.notify.receiver import Received, Receiver, receiver
from tests.official.conftest import OfficialGateway, OfficialSDK

pytestmark = pytest.mark.official

COMPLETE_PAYMENT = "/ams/api/v1/testHelpers/completePayment"
COMPLETE_REFUND = "/ams/api/v1/testHelpers/completeRefund"
COMPLETE_CAPTURE = "/ams/api/v1/testHelpers/completeCapture"
IN_PROCESS_VALUE = "1313"  # docs/sandbox.md: a capture of this value is asynchronous
#: How long to wait for the dispatcher of ``openams serve`` (first attempt 3-5 s after
#: the state change, as Antom's); only an upper bound for the wait, never asserted.
NOTIFICATION_WAIT_SECONDS = 60.0


def _id(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex}"


def _ok(result: dict[str, Any], what: str) -> dict[str, Any]:
    assert "error" not in result, (
        f"{what}: the official SDK raised {result['error']}\n{result.get('traceback', '')}"
    )
    parsed: dict[str, Any] = result["parsed"]
    return parsed


def _status(parsed: dict[str, Any]) -> tuple[str, str]:
    return parsed["result"]["resultCode"], parsed["result"]["resultStatus"]


@pytest.fixture
def run(official_sdk: OfficialSDK, official_gateway: OfficialGateway) -> Any:
    def _run(commands: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return official_sdk.run(commands, env=official_gateway.env)

    return _run


@pytest.fixture
def merchant() -> Iterator[Receiver]:
    with receiver() as inbox:
        yield inbox


def _wait_for(inbox: Receiver, notify_type: str, subject: str, key: str) -> Received:
    """The first notification of ``notify_type`` whose ``key`` is ``subject``."""
    deadline = time.monotonic() + NOTIFICATION_WAIT_SECONDS
    while time.monotonic() < deadline:
        for note in list(inbox.received):
            body = note.json
            if body.get("notifyType") == notify_type and body.get(key) == subject:
                return note
        time.sleep(0.2)
    kinds = [n.json.get("notifyType") for n in inbox.received]
    raise AssertionError(f"no {notify_type} for {key}={subject} arrived; got {kinds}")


def _check_signature(
    official_sdk: OfficialSDK, official_gateway: OfficialGateway, note: Received
) -> None:
    check = {
        "op": "webhook_check",
        "path": note.path,
        "client_id": note.headers["client-id"],
        "time": note.headers["request-time"],
        "body": note.body.decode(),
        "signature_header": note.headers["signature"],
        "public_key": official_gateway.gateway_public_key,
    }
    assert official_sdk.one(check) == {"valid": True}, note.body


def _paid_wallet_payment(run: Any, official_gateway: OfficialGateway) -> str:
    request_id = _id("PAY")
    paid, completed = run(
        [
            official_gateway.call(
                "pay",
                {
                    "productCode": "CASHIER_PAYMENT",
                    "paymentRequestId": request_id,
                    "paymentAmount": {"currency": "HKD", "value": "1000"},
                    "paymentMethodType": "ALIPAY_HK",
                    "terminalType": "WEB",
                },
            ),
            official_gateway.call(
                "raw",
                {
                    "path": COMPLETE_PAYMENT,
                    "body": {"paymentRequestId": request_id, "outcome": "SUCCESS"},
                },
            ),
        ]
    )
    assert _status(_ok(completed, "completePayment")) == ("SUCCESS", "S")
    payment_id: str = _ok(paid, "pay")["paymentId"]
    return payment_id


def test_async_refund_in_process_then_refund_result(
    run: Any,
    official_sdk: OfficialSDK,
    official_gateway: OfficialGateway,
    merchant: Receiver,
) -> None:
    payment_id = _paid_wallet_payment(run, official_gateway)
    succeeding, failing = _id("RF"), _id("RF")

    def refund(request_id: str, value: str) -> dict[str, Any]:
        return official_gateway.call(
            "refund",
            {
                "refundRequestId": request_id,
                "paymentId": payment_id,
                "refundAmount": {"currency": "HKD", "value": value},
                "refundNotifyUrl": merchant.url,
                "isAsyncRefund": True,
            },
        )

    first, repeat, other, inquiry, too_much = run(
        [
            refund(succeeding, "600"),
            refund(succeeding, "600"),
            refund(failing, "400"),
            official_gateway.call("inquiryRefund", {"refundRequestId": succeeding}),
            refund(_id("RF"), "1"),  # both in process: nothing is left to refund
        ]
    )
    assert '"isAsyncRefund": true' in first["request_body"]  # sent by the SDK itself
    accepted = _ok(first, "async refund")
    assert _status(accepted) == ("REFUND_IN_PROCESS", "U"), first["raw"]
    assert accepted["refundId"] and accepted["refundTime"] is None
    assert _ok(repeat, "resent async refund")["refundId"] == accepted["refundId"]
    assert _status(_ok(repeat, "resent async refund")) == ("REFUND_IN_PROCESS", "U")
    assert _status(_ok(other, "second async refund")) == ("REFUND_IN_PROCESS", "U")
    processing = _ok(inquiry, "inquiryRefund")
    assert _status(processing) == ("SUCCESS", "S")
    assert processing["refundStatus"] == "PROCESSING"
    assert _status(_ok(too_much, "refund beyond what is in process")) == (
        "REFUND_AMOUNT_EXCEED",
        "F",
    )

    done, failed = run(
        [
            official_gateway.call(
                "raw",
                {
                    "path": COMPLETE_REFUND,
                    "body": {"refundRequestId": succeeding, "outcome": "SUCCESS"},
                },
            ),
            official_gateway.call(
                "raw",
                {
                    "path": COMPLETE_REFUND,
                    "body": {
                        "refundRequestId": failing,
                        "outcome": "FAIL",
                        "resultCode": "MERCHANT_BALANCE_NOT_ENOUGH",
                    },
                },
            ),
        ]
    )
    assert _status(_ok(done, "completeRefund SUCCESS")) == ("SUCCESS", "S")
    assert _status(_ok(failed, "completeRefund FAIL")) == ("SUCCESS", "S")

    ok_note = _wait_for(merchant, "REFUND_RESULT", succeeding, "refundRequestId")
    _check_signature(official_sdk, official_gateway, ok_note)
    assert ok_note.json["refundStatus"] == "SUCCESS"
    assert ok_note.json["result"]["resultStatus"] == "S"
    assert ok_note.json["refundId"] == accepted["refundId"]
    fail_note = _wait_for(merchant, "REFUND_RESULT", failing, "refundRequestId")
    _check_signature(official_sdk, official_gateway, fail_note)
    assert fail_note.json["refundStatus"] == "FAIL"
    assert fail_note.json["result"]["resultStatus"] == "F"
    assert fail_note.json["result"]["resultCode"] == "MERCHANT_BALANCE_NOT_ENOUGH"

    final, final_failed, after = run(
        [
            refund(succeeding, "600"),
            refund(failing, "400"),
            official_gateway.call("inquiryRefund", {"refundId": accepted["refundId"]}),
        ]
    )
    settled = _ok(final, "resent refund after it ended")
    assert _status(settled) == ("SUCCESS", "S")
    assert settled["refundId"] == accepted["refundId"] and settled["refundTime"]
    assert _status(_ok(final_failed, "resent failed refund")) == (
        "MERCHANT_BALANCE_NOT_ENOUGH",
        "F",
    )
    assert _ok(after, "inquiryRefund after it ended")["refundStatus"] == "SUCCESS"


def test_async_capture_in_process_then_capture_result(
    run: Any,
    official_sdk: OfficialSDK,
    official_gateway: OfficialGateway,
    merchant: Receiver,
) -> None:
    year = f"{(datetime.now(UTC).year + 3) % 100:02d}"
    [paid] = run(
        [
            official_gateway.call(
                "payCard",
                {
                    "productCode": "CASHIER_PAYMENT",
                    "paymentRequestId": _id("PAY"),
                    "paymentAmount": {"currency": "USD", "value": IN_PROCESS_VALUE},
                    "paymentMethodType": "CARD",
                    "terminalType": "WEB",
                    "paymentNotifyUrl": merchant.url,
                    "paymentMethodMetaData": {
                        "cardNo": "4111111111111111",
                        "cvv": "123",
                        "expiryMonth": "06",
                        "expiryYear": year,
                        "cardholderName": {"firstName": "Alan", "lastName": "Wallex"},
                    },
                    "isAuthorization": True,
                    "captureMode": "MANUAL",
                },
            )
        ]
    )
    pay = _ok(paid, "card authorization")
    assert _status(pay) == ("SUCCESS", "S"), paid["raw"]
    capture_request_id = _id("CAP")
    capture = {
        "captureRequestId": capture_request_id,
        "paymentId": pay["paymentId"],
        "captureAmount": {"currency": "USD", "value": IN_PROCESS_VALUE},
        "isLastCapture": True,
    }
    first, repeat, inquiry = run(
        [
            official_gateway.call("capture", capture),
            official_gateway.call("capture", capture),
            official_gateway.call("inquiryPayment", {"paymentId": pay["paymentId"]}),
        ]
    )
    accepted = _ok(first, "async capture")
    assert _status(accepted) == ("CAPTURE_IN_PROCESS", "U"), first["raw"]
    assert accepted["captureId"] and accepted["captureTime"] is None
    assert _ok(repeat, "resent capture")["captureId"] == accepted["captureId"]
    assert _status(_ok(repeat, "resent capture")) == ("CAPTURE_IN_PROCESS", "U")
    query = _ok(inquiry, "inquiryPayment")
    assert query["paymentStatus"] == "SUCCESS"
    [transaction] = query["transactions"]
    assert transaction["transactionType"] == "CAPTURE"
    assert transaction["transactionStatus"] == "PROCESSING"

    [done] = run(
        [
            official_gateway.call(
                "raw",
                {
                    "path": COMPLETE_CAPTURE,
                    "body": {"captureRequestId": capture_request_id, "outcome": "SUCCESS"},
                },
            )
        ]
    )
    assert _status(_ok(done, "completeCapture")) == ("SUCCESS", "S")
    note = _wait_for(merchant, "CAPTURE_RESULT", accepted["captureId"], "captureId")
    _check_signature(official_sdk, official_gateway, note)
    assert note.json["result"]["resultStatus"] == "S"
    assert note.json["captureRequestId"] == capture_request_id and note.json["captureTime"]
    payment_note = _wait_for(merchant, "PAYMENT_RESULT", pay["paymentId"], "paymentId")
    _check_signature(official_sdk, official_gateway, payment_note)

    final, after = run(
        [
            official_gateway.call("capture", capture),
            official_gateway.call("inquiryPayment", {"paymentId": pay["paymentId"]}),
        ]
    )
    captured = _ok(final, "resent capture after it ended")
    assert _status(captured) == ("SUCCESS", "S")
    assert captured["captureTime"] == note.json["captureTime"]
    [transaction] = _ok(after, "inquiryPayment after capture")["transactions"]
    assert transaction["transactionStatus"] == "SUCCESS"
