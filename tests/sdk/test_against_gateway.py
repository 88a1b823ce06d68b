"""The SDK against the real openams gateway: in-process (ASGI) and over a real socket.

Uses the shared fixtures from tests/conftest.py: ``gateway`` (services on a fresh
database), ``merchant`` (a registered ``SANDBOX_`` client id) and ``merchant_keys``.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from openams.gateway.app import Gateway, create_app
from openams.protocol.keys import KeyPair, generate_key_pair
from openams.protocol.models import InquiryPaymentResponse, PaymentNotification, PayResponse
from openams.sdk import (
    ApiError,
    AsyncClient,
    Client,
    Notification,
    SignatureVerificationError,
    verify_notification,
)
from tests.live_server import live_server


def new_id(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:20]}"


def pay_request(request_id: str, **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "productCode": "CASHIER_PAYMENT",
        "paymentRequestId": request_id,
        "order": {
            "referenceOrderId": new_id("ORDER"),
            "orderDescription": "antom test order",
            "orderAmount": {"currency": "HKD", "value": "100"},
        },
        "paymentAmount": {"currency": "HKD", "value": "100"},
        "paymentMethod": {"paymentMethodType": "ALIPAY_HK"},
        "paymentRedirectUrl": "http://www.yourRedirectUrl.com",
        "paymentNotifyUrl": "http://www.yourNotifyUrl.com",
        "env": {"terminalType": "WEB", "clientIp": "114.121.121.1"},
    }
    body.update(extra)
    return body


async def _no_sleep(_seconds: float) -> None:
    return None


@pytest.fixture
def live_url(gateway: Gateway) -> Iterator[str]:
    with live_server(create_app(gateway=gateway)) as url:
        yield url


def sync_client(url: str, gateway: Gateway, client_id: str, keys: KeyPair) -> Client:
    return Client(
        client_id=client_id,
        private_key=keys.private_pem,
        gateway_public_key=gateway.key_pair.public_pem,
        base_url=url,
        sleep=lambda _seconds: None,
    )


def async_client(gateway: Gateway, client_id: str, keys: KeyPair) -> AsyncClient:
    return AsyncClient(
        client_id=client_id,
        private_key=keys.private_key,
        gateway_public_key=gateway.key_pair.public_key,
        base_url="http://gateway.test",
        transport=httpx.ASGITransport(app=create_app(gateway=gateway)),
        sleep=_no_sleep,
    )


def test_async_payment_lifecycle_in_process(
    gateway: Gateway, merchant: str, merchant_keys: KeyPair
) -> None:
    request_id = new_id("PAY")

    async def main() -> tuple[PayResponse, InquiryPaymentResponse, PayResponse]:
        async with async_client(gateway, merchant, merchant_keys) as ams:
            assert ams.sandbox
            paid = await ams.pay(pay_request(request_id))
            pending = await ams.inquiry_payment({"paymentRequestId": request_id})
            assert pending.payment_status == "PROCESSING"
            done = await ams.request(
                "/ams/api/v1/testHelpers/completePayment",
                {"paymentRequestId": request_id, "outcome": "SUCCESS"},
            )
            assert done["result"]["resultStatus"] == "S", done
            final = await ams.wait_for_payment(request_id, interval=0.01, timeout=5)
            replay = await ams.pay(pay_request(request_id))
            return paid, final, replay

    paid, final, replay = asyncio.run(main())
    assert paid.result.result_code == "PAYMENT_IN_PROCESS"
    assert paid.payment_id and paid.normal_url
    assert final.payment_status == "SUCCESS"
    assert final.payment_id == paid.payment_id
    assert replay.result.result_code == "SUCCESS"
    assert replay.payment_id == paid.payment_id


def test_sync_client_over_a_real_socket(
    live_url: str, gateway: Gateway, merchant: str, merchant_keys: KeyPair
) -> None:
    assert live_url.startswith("http://127.0.0.1:")
    request_id = new_id("PAY")
    with sync_client(live_url, gateway, merchant, merchant_keys) as ams:
        paid = ams.pay(pay_request(request_id))
        assert paid.result.result_status == "U"
        assert ams.cancel({"paymentRequestId": request_id}).result.result_status == "S"
        assert ams.wait_for_payment(request_id, timeout=0).payment_status == "CANCELLED"
        options = ams.consult(
            {
                "productCode": "CASHIER_PAYMENT",
                "paymentAmount": {"currency": "HKD", "value": "100"},
                "env": {"terminalType": "WEB"},
            }
        )
        assert options.payment_options
        session = ams.create_payment_session(
            pay_request(new_id("PAY"), productScene="CHECKOUT_PAYMENT")
        )
        assert session.result.result_status == "S"


def test_failures_raise_api_error(
    live_url: str, gateway: Gateway, merchant: str, merchant_keys: KeyPair
) -> None:
    request_id = new_id("PAY")
    with sync_client(live_url, gateway, merchant, merchant_keys) as ams:
        with pytest.raises(ApiError) as missing:
            ams.inquiry_payment({"paymentRequestId": new_id("NOPE")})
        assert missing.value.result_status == "F"
        assert missing.value.path == "/ams/sandbox/api/v1/payments/inquiryPayment"
        ams.pay(pay_request(request_id))
        inconsistent = pay_request(request_id, paymentAmount={"currency": "HKD", "value": "200"})
        with pytest.raises(ApiError) as repeat:
            ams.pay(inconsistent)
        assert repeat.value.result_code == "REPEAT_REQ_INCONSISTENT"


def test_a_wrong_merchant_key_is_a_signed_invalid_signature(
    live_url: str, gateway: Gateway, merchant: str
) -> None:
    ams = sync_client(live_url, gateway, merchant, generate_key_pair())
    with ams, pytest.raises(ApiError) as caught:
        ams.pay(pay_request(new_id("PAY")))
    assert caught.value.result_code == "INVALID_SIGNATURE"


def test_a_wrong_gateway_key_is_a_verification_error(
    live_url: str, gateway: Gateway, merchant: str, merchant_keys: KeyPair
) -> None:
    with (
        Client(
            client_id=merchant,
            private_key=merchant_keys.private_key,
            gateway_public_key=generate_key_pair().public_key,
            base_url=live_url,
        ) as ams,
        pytest.raises(SignatureVerificationError),
    ):
        ams.pay(pay_request(new_id("PAY")))


def test_a_notification_from_the_real_dispatcher_verifies_and_is_acknowledged(
    live_url: str, gateway: Gateway, merchant: str, merchant_keys: KeyPair
) -> None:
    """The gateway's dispatcher POSTs to a merchant endpoint written as docs/sdk.md shows;
    the sdk verifies it, and the sdk's acknowledgement stops the retries. Any changed byte
    of what arrived makes verification fail."""
    arrived: list[tuple[str, list[tuple[str, str]], bytes]] = []
    verified: list[Notification] = []
    ams = sync_client(live_url, gateway, merchant, merchant_keys)

    async def ams_notify(request: Request) -> Response:
        body = await request.body()
        arrived.append((request.url.path, list(request.headers.items()), body))
        try:
            notification = ams.verify_notification(
                request.method, request.url.path, request.headers, body
            )
        except SignatureVerificationError:
            return Response(status_code=401)
        verified.append(notification)
        return Response(ams.notification_ack(), media_type="application/json")

    shop = Starlette(routes=[Route("/shop/ams/notify", ams_notify, methods=["POST"])])
    request_id = new_id("PAY")
    attempts: list[bool] = []
    dispatcher = gateway.dispatcher(
        on_attempt=lambda _n, attempt: attempts.append(attempt.acknowledged)
    )
    try:
        with ams, live_server(shop) as shop_url:
            ams.pay(pay_request(request_id, paymentNotifyUrl=f"{shop_url}/shop/ams/notify"))
            done = ams.request(
                "/ams/api/v1/testHelpers/completePayment",
                {"paymentRequestId": request_id, "outcome": "SUCCESS"},
            )
            assert done["result"]["resultStatus"] == "S", done
            assert dispatcher.drain() == 1
    finally:
        dispatcher.close()

    assert attempts == [True], "the gateway did not accept the sdk's acknowledgement"
    [notification] = verified
    assert isinstance(notification, PaymentNotification)
    assert notification.notify_type == "PAYMENT_RESULT"
    assert notification.payment_request_id == request_id
    assert notification.result.result_code == "SUCCESS"

    [(path, headers, body)] = arrived
    key = gateway.key_pair.public_pem

    def check(path: str, headers: list[tuple[str, str]], body: bytes) -> Notification:
        return verify_notification("POST", path, headers, body, gateway_public_key=key)

    assert check(path, headers, body) == notification
    for index in range(len(body)):  # every single byte of the body
        changed = bytearray(body)
        changed[index] ^= 0x01
        with pytest.raises(SignatureVerificationError):
            check(path, headers, bytes(changed))
    with pytest.raises(SignatureVerificationError):
        check(path + "x", headers, body)
    for name in ("request-time", "client-id", "signature"):
        altered = [
            (header, value[:-1] + chr(ord(value[-1]) ^ 0x01) if header == name else value)
            for header, value in headers
        ]
        with pytest.raises(SignatureVerificationError):
            check(path, altered, body)
