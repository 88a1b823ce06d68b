"""AsyncClient parity: the same flows, driven by asyncio."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, TypeVar

import httpx
import pytest

from openams.protocol.models import PayResponse
from openams.sdk import (
    ApiError,
    AsyncClient,
    SignatureVerificationError,
    TimeoutException,
    WaitTimeoutError,
)
from tests.sdk.fake_gateway import (
    AsyncClientFactory,
    ClientFactory,
    FakeGateway,
    Keys,
    Reply,
    Sleeps,
    ams_result,
    pay_body,
)

T = TypeVar("T")
IN_PROCESS = ams_result("PAYMENT_IN_PROCESS", paymentId="P1", normalUrl="https://x")


def run(coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coro)


def test_pay_is_signed_verified_and_typed(
    make_async_client: AsyncClientFactory, fake: FakeGateway
) -> None:
    async def main() -> PayResponse:
        async with make_async_client() as client:
            return await client.pay(pay_body())

    fake.enqueue("pay", IN_PROCESS)
    response = run(main())
    assert isinstance(response, PayResponse)
    assert response.normal_url == "https://x"
    assert fake.requests[0].signature_ok


def test_sync_and_async_send_the_same_body_and_path(
    make_client: ClientFactory, make_async_client: AsyncClientFactory, fake: FakeGateway
) -> None:
    async def main() -> None:
        async with make_async_client(client_id="SANDBOX_1") as client:
            await client.pay(pay_body())

    fake.client_id = "SANDBOX_1"
    make_client(client_id="SANDBOX_1").pay(pay_body())
    run(main())
    sync_sent, async_sent = fake.requests
    assert sync_sent.content == async_sent.content
    assert sync_sent.path == async_sent.path == "/ams/sandbox/api/v1/payments/pay"
    assert async_sent.signature_ok


def test_retries_with_async_sleep(
    make_async_client: AsyncClientFactory, fake: FakeGateway, sleeps: Sleeps
) -> None:
    async def main() -> PayResponse:
        async with make_async_client() as client:
            return await client.pay(pay_body())

    fake.enqueue("pay", Reply(error=httpx.ReadTimeout), ams_result("UNKNOWN_EXCEPTION"), IN_PROCESS)
    assert run(main()).payment_id == "P1"
    assert len({r.content for r in fake.requests}) == 1
    assert len(fake.requests) == 3
    assert sleeps.calls == [0.5, 1.0]


def test_errors_are_the_same(make_async_client: AsyncClientFactory, fake: FakeGateway) -> None:
    async def pay() -> None:
        async with make_async_client() as client:
            await client.pay(pay_body())

    fake.enqueue("pay", Reply(body=IN_PROCESS, sign=False))
    with pytest.raises(SignatureVerificationError):
        run(pay())
    fake.enqueue("pay", ams_result("PARAM_ILLEGAL"))
    with pytest.raises(ApiError):
        run(pay())
    fake.enqueue("pay", *[Reply(error=httpx.ConnectTimeout)] * 3)
    with pytest.raises(TimeoutException):
        run(pay())


def test_wait_for_payment(
    make_async_client: AsyncClientFactory, fake: FakeGateway, sleeps: Sleeps
) -> None:
    processing = ams_result("SUCCESS", paymentStatus="PROCESSING")

    async def main(timeout: float) -> str | None:
        async with make_async_client() as client:
            return (
                await client.wait_for_payment("PAY_1", interval=3, timeout=timeout)
            ).payment_status

    fake.enqueue("inquiryPayment", processing, ams_result("SUCCESS", paymentStatus="SUCCESS"))
    assert run(main(60)) == "SUCCESS"
    assert sleeps.calls == [3]
    fake.enqueue("inquiryPayment", *[processing] * 5)
    with pytest.raises(WaitTimeoutError):
        run(main(4))


def test_every_async_method_and_notification_helpers(
    make_async_client: AsyncClientFactory, fake: FakeGateway, keys: Keys
) -> None:
    usd = {"currency": "USD", "value": "1"}

    async def main() -> list[str]:
        async with make_async_client() as client:
            responses = [
                await client.pay(pay_body()),
                await client.inquiry_payment({"paymentId": "P"}),
                await client.cancel({"paymentId": "P"}),
                await client.refund(
                    {"refundRequestId": "R", "paymentId": "P", "refundAmount": usd}
                ),
                await client.inquiry_refund({"refundId": "R"}),
                await client.capture(
                    {"captureRequestId": "C", "paymentId": "P", "captureAmount": usd}
                ),
                await client.consult({"productCode": "CASHIER_PAYMENT", "paymentAmount": usd}),
                await client.create_payment_session(pay_body()),
            ]
            raw = await client.request("/ams/api/v1/payments/inquiryPayment", {"paymentId": "P"})
            assert raw["result"]["resultStatus"] == "S"
            assert client.notification_ack().startswith(b'{"result"')
            return [type(r).__name__ for r in responses]

    assert run(main()) == [
        "PayResponse",
        "InquiryPaymentResponse",
        "CancelResponse",
        "RefundResponse",
        "InquiryRefundResponse",
        "CaptureResponse",
        "ConsultResponse",
        "CreatePaymentSessionResponse",
    ]
    assert all(r.signature_ok for r in fake.requests)


def test_client_and_async_client_expose_the_same_api() -> None:
    from openams.sdk import Client

    def public(cls: type) -> set[str]:
        return {name for name in dir(cls) if not name.startswith("_")}

    assert public(Client) - {"close"} == public(AsyncClient) - {"aclose"}
