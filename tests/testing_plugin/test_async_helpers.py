"""complete_refund / complete_capture (and their async twins) through a merchant's own sdk
client, and the sdk returning U/REFUND_IN_PROCESS and U/CAPTURE_IN_PROCESS as answers."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest

from openams.protocol.models import CaptureNotification, RefundNotification
from openams.sdk import IN_PROCESS_RESULT_CODES, ApiError, AsyncClient, Client
from openams.testing import (
    NotificationInbox,
    complete_capture,
    complete_capture_async,
    complete_payment,
    complete_refund,
    complete_refund_async,
)
from tests.gateway.integration.card_payloads import card_meta, card_pay_body
from tests.testing_plugin.test_fixtures import pay_body


def _paid(client: Client) -> Any:
    body = pay_body(paymentAmount={"currency": "HKD", "value": "1000"})
    body["order"]["orderAmount"] = {"currency": "HKD", "value": "1000"}
    paid = client.pay(body)
    complete_payment(client, body["paymentRequestId"])
    return paid


def _refund_body(payment_id: str, value: str, **extra: Any) -> dict[str, Any]:
    return {
        "refundRequestId": f"RF_{uuid.uuid4().hex[:20]}",
        "paymentId": payment_id,
        "refundAmount": {"currency": "HKD", "value": value},
        **extra,
    }


def test_in_process_codes_are_answers_not_errors() -> None:
    assert {"REFUND_IN_PROCESS", "CAPTURE_IN_PROCESS"} <= IN_PROCESS_RESULT_CODES


def test_complete_refund_ends_an_async_refund(
    openams_client: Client, openams_notifications: NotificationInbox
) -> None:
    paid = _paid(openams_client)
    openams_notifications.wait_for(notify_type="PAYMENT_RESULT")
    body = _refund_body(paid.payment_id, "400", isAsyncRefund=True)
    accepted = openams_client.refund(body)  # U is an answer: no ApiError, no retry
    assert (accepted.result.result_status, accepted.result.result_code) == (
        "U",
        "REFUND_IN_PROCESS",
    )
    assert openams_client.refund(body).refund_id == accepted.refund_id
    status = openams_client.inquiry_refund({"refundId": accepted.refund_id})
    assert status.refund_status == "PROCESSING"

    done = complete_refund(openams_client, body["refundRequestId"])
    assert done["refundStatus"] == "SUCCESS"
    [note] = openams_notifications.wait_for(notify_type="REFUND_RESULT")
    assert isinstance(note, RefundNotification)
    assert note.refund_status == "SUCCESS" and note.refund_id == accepted.refund_id
    assert openams_client.refund(body).result.result_status == "S"

    with pytest.raises(ApiError) as refused:
        complete_refund(openams_client, refund_id=accepted.refund_id, outcome="FAIL")
    assert refused.value.result_code == "ORDER_STATUS_INVALID"
    assert refused.value.path == "/ams/sandbox/api/v1/testHelpers/completeRefund"
    with pytest.raises(ValueError, match="refund_request_id or refund_id"):
        complete_refund(openams_client)


def test_async_helpers_end_a_refund_as_fail_and_a_capture(
    openams_client: Client,
    openams_async_client: AsyncClient,
    openams_notifications: NotificationInbox,
) -> None:
    paid = _paid(openams_client)
    refund = openams_client.refund(_refund_body(paid.payment_id, "1000", isAsyncRefund=True))
    card = card_pay_body(card_meta(), authorization=True, capture_mode="MANUAL", value="1313")
    card["paymentNotifyUrl"] = openams_notifications.url
    held = openams_client.pay(card)
    capture = openams_client.capture(
        {
            "captureRequestId": f"CAP_{uuid.uuid4().hex[:20]}",
            "paymentId": held.payment_id,
            "captureAmount": {"currency": "USD", "value": "1313"},
        }
    )
    assert capture.result.result_code == "CAPTURE_IN_PROCESS" and capture.capture_id

    async def settle() -> None:
        await complete_refund_async(
            openams_async_client,
            refund_id=refund.refund_id,
            outcome="FAIL",
            result_code="MERCHANT_BALANCE_NOT_ENOUGH",
        )
        await complete_capture_async(openams_async_client, capture_id=capture.capture_id)

    asyncio.run(settle())
    [refunded] = openams_notifications.wait_for(notify_type="REFUND_RESULT")
    assert isinstance(refunded, RefundNotification)
    assert refunded.refund_status == "FAIL"
    assert refunded.result.result_code == "MERCHANT_BALANCE_NOT_ENOUGH"
    [captured] = openams_notifications.wait_for(notify_type="CAPTURE_RESULT")
    assert isinstance(captured, CaptureNotification)
    assert captured.result.result_status == "S" and captured.capture_id == capture.capture_id
    # the same outcome again is a no-op; the sync helper reaches the capture by request id
    again = complete_capture(openams_client, capture.capture_request_id)
    assert again["captureStatus"] == "SUCCESS"
    with pytest.raises(ValueError, match="capture_request_id or capture_id"):
        complete_capture(openams_client)


def test_complete_payment_pending_then_success_through_the_sdk(
    openams_client: Client, openams_notifications: NotificationInbox
) -> None:
    body = pay_body()
    paid = openams_client.pay(body)
    pending = complete_payment(openams_client, body["paymentRequestId"], outcome="PENDING")
    assert pending["paymentStatus"] == "PENDING"
    assert openams_client.inquiry_payment({"paymentId": paid.payment_id}).payment_status == (
        "PENDING"
    )
    [note] = openams_notifications.wait_for(notify_type="PAYMENT_PENDING")
    assert note.notify_type == "PAYMENT_PENDING" and note.result.result_status == "S"
    complete_payment(openams_client, payment_id=paid.payment_id)
    [final] = openams_notifications.wait_for(notify_type="PAYMENT_RESULT")
    assert final.result.result_status == "S"
    with pytest.raises(ValueError, match="payment_request_id or payment_id"):
        complete_payment(openams_client)
