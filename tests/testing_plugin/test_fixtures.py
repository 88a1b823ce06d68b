"""The plugin's fixtures used directly, the way a merchant's own tests use them."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest

from openams.protocol.keys import generate_key_pair
from openams.protocol.models import PaymentNotification
from openams.protocol.signing import build_signature_header, sign
from openams.sdk import (
    ApiError,
    AsyncClient,
    Client,
    SignatureVerificationError,
    verify_notification,
)
from openams.testing import (
    CLIENT_ID_PREFIX,
    NotificationInbox,
    NotificationWaitTimeout,
    SandboxGateway,
    SandboxMerchant,
    complete_payment,
    complete_payment_async,
    sandbox_settings,
)


def pay_body(notify_url: str | None = None, **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "productCode": "CASHIER_PAYMENT",
        "paymentRequestId": f"PAY_{uuid.uuid4().hex[:20]}",
        "order": {
            "referenceOrderId": f"ORDER_{uuid.uuid4().hex[:12]}",
            "orderDescription": "Cappuccino",
            "orderAmount": {"currency": "HKD", "value": "100"},
        },
        "paymentAmount": {"currency": "HKD", "value": "100"},
        "paymentMethod": {"paymentMethodType": "ALIPAY_HK"},
        "paymentRedirectUrl": "https://shop.example/return",
        "env": {"terminalType": "WEB"},
    }
    if notify_url is not None:
        body["paymentNotifyUrl"] = notify_url
    body.update(extra)
    return body


def test_pay_complete_and_receive_the_verified_notification(
    openams_client: Client,
    openams_notifications: NotificationInbox,
    openams_merchant: SandboxMerchant,
) -> None:
    body = pay_body()  # no paymentNotifyUrl: the merchant's default, the inbox
    paid = openams_client.pay(body)
    assert paid.result.result_code == "PAYMENT_IN_PROCESS"
    done = complete_payment(openams_client, body["paymentRequestId"])
    assert done["result"]["resultStatus"] == "S"

    [notification] = openams_notifications.wait_for(1, timeout=10)
    assert isinstance(notification, PaymentNotification)
    assert notification.notify_type == "PAYMENT_RESULT"
    assert notification.result.result_code == "SUCCESS"
    assert notification.payment_id == paid.payment_id
    assert notification.payment_request_id == body["paymentRequestId"]
    assert list(openams_notifications) == [notification]
    assert openams_notifications[0] == notification and len(openams_notifications) == 1
    assert openams_notifications.rejected == []

    # What arrived really was signed by the gateway: verify it again from the raw request.
    [received] = openams_notifications.received
    assert received.headers["client-id"] == openams_merchant.client_id
    again = verify_notification(
        "POST",
        received.path,
        received.headers,
        received.body,
        gateway_public_key=openams_merchant.gateway_public_key_pem,
        client_id=openams_merchant.client_id,
    )
    assert again == notification
    assert openams_client.wait_for_payment(body["paymentRequestId"], timeout=0).payment_status == (
        "SUCCESS"
    )


def test_a_failed_payment_notifies_f_with_the_chosen_code(
    openams_client: Client, openams_notifications: NotificationInbox
) -> None:
    body = pay_body(openams_notifications.url)  # naming the inbox explicitly works too
    openams_client.pay(body)
    complete_payment(
        openams_client,
        body["paymentRequestId"],
        outcome="FAIL",
        result_code="USER_BALANCE_NOT_ENOUGH",
    )
    [notification] = openams_notifications.wait_for(notify_type="PAYMENT_RESULT")
    assert notification.result.result_status == "F"
    assert notification.result.result_code == "USER_BALANCE_NOT_ENOUGH"
    assert openams_client.inquiry_payment(
        {"paymentRequestId": body["paymentRequestId"]}
    ).payment_status == ("FAIL")


def test_async_client(
    openams_async_client: AsyncClient, openams_notifications: NotificationInbox
) -> None:
    body = pay_body()

    async def checkout() -> str | None:
        paid = await openams_async_client.pay(body)
        await complete_payment_async(openams_async_client, payment_id=paid.payment_id)
        final = await openams_async_client.wait_for_payment(
            body["paymentRequestId"], interval=0.01, timeout=5
        )
        return final.payment_status

    assert asyncio.run(checkout()) == "SUCCESS"
    # A second event loop: the client keeps no connection bound to the first one.
    again = asyncio.run(
        openams_async_client.inquiry_payment({"paymentRequestId": body["paymentRequestId"]})
    )
    assert again.payment_status == "SUCCESS"
    assert len(openams_notifications.wait_for(1)) == 1


def test_complete_payment_refusals_raise_api_error(openams_client: Client) -> None:
    with pytest.raises(ApiError) as missing:
        complete_payment(openams_client, "PAY_DOES_NOT_EXIST")
    assert missing.value.result_status == "F"
    assert missing.value.path == "/ams/sandbox/api/v1/testHelpers/completePayment"
    with pytest.raises(ValueError, match="payment_request_id or payment_id"):
        complete_payment(openams_client)


def test_the_merchant_fixture_configures_an_application(
    openams_merchant: SandboxMerchant, openams_gateway: SandboxGateway
) -> None:
    """A merchant application builds its own client from configuration."""
    assert openams_merchant.client_id.startswith(CLIENT_ID_PREFIX)
    assert CLIENT_ID_PREFIX.startswith("SANDBOX_")
    assert openams_merchant.base_url == openams_gateway.url
    assert openams_gateway.url.startswith("http://127.0.0.1:")
    assert openams_merchant.gateway_public_key_pem == openams_gateway.public_key_pem
    config = {
        "client_id": openams_merchant.client_id,
        "private_key": openams_merchant.private_key_pem,
        "gateway_public_key": openams_merchant.gateway_public_key_pem,
        "base_url": openams_merchant.base_url,
    }
    with Client(**config) as ams:
        paid = ams.pay(pay_body())
    # Links point at the live gateway: the hosted cashier page really answers.
    assert paid.normal_url is not None and paid.normal_url.startswith(openams_gateway.url)
    assert httpx.get(paid.normal_url).status_code == 200


def test_wait_for_explains_a_notification_sent_elsewhere(
    openams_client: Client, openams_notifications: NotificationInbox
) -> None:
    body = pay_body("https://shop.invalid/ams/notify")
    openams_client.pay(body)
    complete_payment(openams_client, body["paymentRequestId"])
    with pytest.raises(NotificationWaitTimeout) as caught:
        openams_notifications.wait_for(1, timeout=0.2)
    message = str(caught.value)
    assert "expected 1 notification(s)" in message and "received 0" in message
    assert "PAYMENT_RESULT to https://shop.invalid/ams/notify (attempt 1, blocked)" in message
    assert isinstance(caught.value, AssertionError)


def test_wait_for_says_when_nothing_was_delivered(
    openams_notifications: NotificationInbox,
) -> None:
    with pytest.raises(NotificationWaitTimeout, match="has not tried to deliver anything"):
        openams_notifications.wait_for(timeout=0)
    with pytest.raises(ValueError):
        openams_notifications.wait_for(0)


def test_the_receiver_rejects_what_does_not_verify(
    openams_notifications: NotificationInbox, openams_merchant: SandboxMerchant
) -> None:
    forged = httpx.post(
        openams_notifications.url,
        content=b'{"notifyType":"PAYMENT_RESULT"}',
        headers={
            "client-id": openams_merchant.client_id,
            "request-time": "2024-05-01T08:00:00+00:00",
            "signature": "algorithm=RSA256,keyVersion=1,signature=AAAA",
        },
    )
    assert forged.status_code == 401
    [rejected] = openams_notifications.rejected
    assert "does not verify" in rejected.error
    assert len(openams_notifications) == 0
    assert httpx.get(openams_notifications.url).status_code == 405
    openams_notifications.clear()
    assert openams_notifications.rejected == []


def test_deliveries_are_recorded_and_resends_arrive_again(
    openams_client: Client,
    openams_notifications: NotificationInbox,
    openams_gateway: SandboxGateway,
) -> None:
    body = pay_body()
    openams_client.pay(body)
    complete_payment(openams_client, body["paymentRequestId"])
    openams_notifications.wait_for(1)
    resent = openams_client.request(
        "/ams/api/v1/testHelpers/resendNotification",
        {"paymentRequestId": body["paymentRequestId"]},
    )
    assert resent["result"]["resultStatus"] == "S"
    first, second = openams_notifications.wait_for(2)
    assert first == second  # the same notification, delivered twice: deduplicate on it
    assert [(d.notify_type, d.acknowledged) for d in openams_gateway.deliveries] == [
        ("PAYMENT_RESULT", True),
        ("PAYMENT_RESULT", True),
    ]
    assert openams_gateway.deliver_notifications() == 0


def test_a_notification_signed_with_another_key_is_refused(
    openams_notifications: NotificationInbox, openams_merchant: SandboxMerchant
) -> None:
    """The receiver runs the check a merchant's endpoint runs: the gateway's key only."""
    body = b'{"notifyType":"PAYMENT_RESULT","result":{"resultCode":"SUCCESS","resultStatus":"S"}}'
    when = "2024-05-01T08:00:00+00:00"
    path = httpx.URL(openams_notifications.url).path
    value = sign(
        "POST", path, openams_merchant.client_id, when, body, generate_key_pair().private_key
    )
    headers = {
        "client-id": openams_merchant.client_id,
        "request-time": when,
        "signature": build_signature_header(value, "1"),
    }
    assert httpx.post(openams_notifications.url, content=body, headers=headers).status_code == 401
    assert len(openams_notifications.rejected) == 1
    with pytest.raises(SignatureVerificationError):
        verify_notification(
            "POST", path, headers, body, gateway_public_key=openams_merchant.gateway_public_key_pem
        )


def test_retries_arrive_after_the_sandbox_clock_moves(
    openams_client: Client,
    openams_notifications: NotificationInbox,
    openams_gateway: SandboxGateway,
) -> None:
    """Sandbox chaos drops the first attempt; advancing the clock makes the retry due."""
    chaos = openams_client.request("/ams/api/v1/testHelpers/notificationChaos", {"dropFirst": 1})
    assert chaos["result"]["resultStatus"] == "S", chaos
    body = pay_body()
    openams_client.pay(body)
    complete_payment(openams_client, body["paymentRequestId"])
    with pytest.raises(NotificationWaitTimeout, match="attempt 1, dropped"):
        openams_notifications.wait_for(1, timeout=0.2)
    moved = openams_client.request("/ams/api/v1/testHelpers/advanceClock", {"seconds": 120})
    assert moved["result"]["resultStatus"] == "S", moved
    [notification] = openams_notifications.wait_for(1)
    assert notification.payment_request_id == body["paymentRequestId"]
    assert [d.kind for d in openams_gateway.deliveries] == ["dropped", "delivery"]


def test_environment_variables_do_not_reach_the_test_gateway(
    monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    monkeypatch.setenv("OPENAMS_DATABASE_URL", "postgresql://nowhere.invalid/none")
    monkeypatch.setenv("OPENAMS_NOTIFY_INITIAL_DELAY_MS", "600000")
    monkeypatch.setenv("OPENAMS_REQUEST_TIME_TOLERANCE_SECONDS", "1")
    monkeypatch.setenv("HTTP_PROXY", "http://proxy.invalid:3128")
    monkeypatch.setenv("ALL_PROXY", "http://proxy.invalid:3128")
    # The session's gateway may have started before this test: build settings here too.
    fresh = sandbox_settings(tmp_path / "gateway.db", request.getfixturevalue("openams_keys"))
    gateway: SandboxGateway = request.getfixturevalue("openams_gateway")
    assert fresh.database_url.startswith("sqlite:///")
    for settings in (fresh, gateway.settings):
        # the session's gateway is on the suite's database (PostgreSQL in CI's second
        # pass), never on the environment's
        assert "nowhere.invalid" not in settings.database_url
        assert settings.notify_initial_delay_ms == 0
        assert settings.request_time_tolerance_seconds is None
    assert gateway.settings.public_url == gateway.url
    # ...and neither do proxies: clients and the dispatcher talk to 127.0.0.1 directly.
    client: Client = request.getfixturevalue("openams_client")
    inbox: NotificationInbox = request.getfixturevalue("openams_notifications")
    body = pay_body()
    client.pay(body)
    complete_payment(client, body["paymentRequestId"])
    assert len(inbox.wait_for(1)) == 1


def test_advance_clock_refusals_raise_api_error(openams_merchant: SandboxMerchant) -> None:
    with pytest.raises(ApiError) as refused:
        openams_merchant.advance_clock(0)
    assert refused.value.result_code == "PARAM_ILLEGAL"
    assert refused.value.path == "/ams/sandbox/api/v1/testHelpers/advanceClock"
    unregistered = SandboxMerchant(
        client_id="SANDBOX_X",
        private_key_pem=openams_merchant.private_key_pem,
        public_key_pem=openams_merchant.public_key_pem,
        gateway_public_key_pem=openams_merchant.gateway_public_key_pem,
        base_url=openams_merchant.base_url,
    )
    with pytest.raises(RuntimeError, match="add_merchant"):
        unregistered.advance_clock(60)


def test_an_inbox_that_was_closed_answers_404(
    openams_gateway: SandboxGateway, openams_merchant: SandboxMerchant
) -> None:
    """Every inbox shares the session's receiver, each on its own path."""
    first = NotificationInbox(openams_gateway, openams_merchant.client_id)
    second = NotificationInbox(openams_gateway, openams_merchant.client_id)
    assert first.url != second.url
    assert httpx.URL(first.url).netloc == httpx.URL(second.url).netloc
    first.close()
    assert httpx.post(first.url, content=b"{}").status_code == 404
    assert httpx.post(second.url, content=b"{}").status_code == 401
    second.close()
