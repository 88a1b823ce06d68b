"""The official SDK through a PENDING payment: PAYMENT_PENDING then PAYMENT_RESULT, each
verified by its ``check_signature``, and inquiryPayment's PENDING read by its classes."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from openams.gateway.app import Gateway
from openams.protocol.keys import pem_body
from tests.ams_client import AmsClient
from tests.gateway.integration.payloads import pay_body
from tests.notify.receiver import receiver
from tests.official.conftest import OfficialGateway, OfficialSDK, webhook_check

pytestmark = pytest.mark.official


def test_official_check_signature_accepts_pending_then_result(
    official_sdk: OfficialSDK, ams: AmsClient, gateway: Gateway
) -> None:
    dispatcher = gateway.dispatcher()
    try:
        with receiver() as merchant:
            body = pay_body(paymentNotifyUrl=merchant.url)
            ams.call("payments/pay", body)
            for outcome in ("PENDING", "SUCCESS"):
                done = ams.call(
                    "testHelpers/completePayment",
                    {"paymentRequestId": body["paymentRequestId"], "outcome": outcome},
                )
                assert done.code == "SUCCESS", done.result
                dispatcher.drain()
    finally:
        dispatcher.close()
    pending, final = merchant.received
    assert (pending.json["notifyType"], pending.json["result"]["resultStatus"]) == (
        "PAYMENT_PENDING",
        "S",
    )
    assert (final.json["notifyType"], final.json["result"]["resultStatus"]) == (
        "PAYMENT_RESULT",
        "S",
    )
    public_key = pem_body(gateway.key_pair.public_pem)
    checks = [webhook_check(message, public_key) for message in (pending, final)]
    assert official_sdk.run(checks) == [{"valid": True}, {"valid": True}]


def test_official_inquiry_reads_pending_then_success(
    official_sdk: OfficialSDK, official_gateway: OfficialGateway
) -> None:
    request_id = f"PAY_{uuid.uuid4().hex}"
    params: dict[str, Any] = {
        "productCode": "CASHIER_PAYMENT",
        "paymentRequestId": request_id,
        "paymentAmount": {"currency": "HKD", "value": "100"},
        "paymentMethodType": "ALIPAY_HK",
        "terminalType": "WEB",
        "referenceOrderId": f"ORDER_{request_id}",
        "orderDescription": "openams official SDK pending",
        "paymentRedirectUrl": "https://shop.example/return",
    }

    def helper(outcome: str) -> dict[str, Any]:
        return official_gateway.call(
            "raw",
            {
                "path": "/ams/api/v1/testHelpers/completePayment",
                "body": {"paymentRequestId": request_id, "outcome": outcome},
            },
        )

    inquiry = official_gateway.call("inquiryPayment", {"paymentRequestId": request_id})
    results = official_sdk.run(
        [
            official_gateway.call("pay", params),
            helper("PENDING"),
            inquiry,
            helper("SUCCESS"),
            inquiry,
        ],
        env=official_gateway.env,
    )
    for result in results:
        assert "error" not in result, result
    statuses = [results[2]["parsed"]["paymentStatus"], results[4]["parsed"]["paymentStatus"]]
    assert statuses == ["PENDING", "SUCCESS"], results
    assert results[2]["parsed"]["paymentResultCode"] == "PAYMENT_IN_PROCESS"
