"""The official SDK's ``AlipayInquireNotificationListRequest`` and
``AlipayInquireNotificationRequest`` against a real ``openams serve`` over TLS: the events
are the notifications the gateway sent, read back through the SDK's own response
classes (``NotificationEvent``)."""

from __future__ import annotations

import time
from typing import Any

import pytest

from tests.notify.receiver import Received, Receiver, receiver
from tests.official.conftest import OfficialGateway, OfficialSDK
from tests.official.test_official_async_refund_capture import (
    COMPLETE_PAYMENT,
    NOTIFICATION_WAIT_SECONDS,
    _check_signature,
    _id,
    _ok,
)

pytestmark = pytest.mark.official


def _paid(run: Any, official_gateway: OfficialGateway, merchant: Receiver) -> str:
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
                    "paymentNotifyUrl": merchant.url,
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
    _ok(completed, "completePayment")
    payment_id: str = _ok(paid, "pay")["paymentId"]
    return payment_id


def _delivered(run: Any, official_gateway: OfficialGateway, event_id: str) -> dict[str, Any]:
    """The event once the gateway has recorded the merchant's acknowledgement."""
    deadline = time.monotonic() + NOTIFICATION_WAIT_SECONDS
    while True:
        (found,) = run([official_gateway.call("inquireNotification", {"eventId": event_id})])
        event: dict[str, Any] = _ok(found, "inquireNotification")["notification"]
        if event["deliveryStatus"] == "DELIVERED" or time.monotonic() > deadline:
            return event
        time.sleep(0.2)


def _arrived(merchant: Receiver, payment_id: str) -> Received:
    deadline = time.monotonic() + NOTIFICATION_WAIT_SECONDS
    while time.monotonic() < deadline:
        for note in list(merchant.received):
            if note.json.get("paymentId") == payment_id:
                return note
        time.sleep(0.2)
    raise AssertionError(f"no notification for {payment_id} arrived")


def test_notifications_are_listed_and_found_through_the_official_sdk(
    official_sdk: OfficialSDK, official_gateway: OfficialGateway
) -> None:
    def run(commands: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return official_sdk.run(commands, env=official_gateway.env)

    with receiver() as merchant:
        first = _paid(run, official_gateway, merchant)
        second = _paid(run, official_gateway, merchant)
        note = _arrived(merchant, second)
        _arrived(merchant, first)
    _check_signature(official_sdk, official_gateway, note)

    (listed,) = run(
        [official_gateway.call("inquireNotificationList", {"notifyType": ["PAYMENT_RESULT"]})]
    )
    page = _ok(listed, "inquireNotificationList")
    assert page["result"]["resultStatus"] == "S"
    events = [
        e for e in page["notifications"] if e["notificationData"]["paymentId"] in (first, second)
    ]
    assert [e["notificationData"]["paymentId"] for e in events] == [second, first]  # newest first
    newest = events[0]
    assert newest["notifyType"] == "PAYMENT_RESULT"
    assert newest["eventCreateTime"].endswith("Z")
    assert newest["notificationData"] == note.json  # the body as sent

    event = _delivered(run, official_gateway, newest["eventId"])
    assert event["deliveryStatus"] == "DELIVERED"
    assert event["notificationData"] == note.json

    (one,) = run([official_gateway.call("inquireNotificationList", {"limit": 1})])
    first_page = _ok(one, "inquireNotificationList")
    assert len(first_page["notifications"]) == 1 and first_page["hasMore"] is True
    cursor = first_page["nextStartingAfter"]
    assert cursor == first_page["notifications"][0]["eventId"]
    (more,) = run(
        [official_gateway.call("inquireNotificationList", {"limit": 1, "startingAfter": cursor})]
    )
    second_page = _ok(more, "inquireNotificationList")
    assert second_page["notifications"][0]["eventId"] != cursor

    (missing,) = run([official_gateway.call("inquireNotification", {"eventId": "N_NO_SUCH"})])
    assert _ok(missing, "inquireNotification")["result"]["resultCode"] == "ORDER_NOT_EXIST"
