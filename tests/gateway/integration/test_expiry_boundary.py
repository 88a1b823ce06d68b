"""A payment expires at its expiry time to the second: open one second before, closed at
it and one second after, whichever path looks (inquiry, the sweeper, completion, an
identical resend). The gateway's clock stands still between the test's moves."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from openams.gateway.app import Gateway
from tests.ams_client import AmsClient
from tests.gateway.integration.payloads import pay_body
from tests.virtual_clock import FrozenClock

DEFAULT_EXPIRY = timedelta(minutes=14)  # a wallet payment's (docs/payment-methods.md)
GIVEN_EXPIRY = timedelta(minutes=5)


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock()


def _pay(ams: AmsClient, clock: FrozenClock, expiry: str) -> tuple[dict[str, Any], int]:
    """A PROCESSING payment and its expiry time (epoch ms)."""
    if expiry == "default":
        body, expires_ms = pay_body(), clock() + int(DEFAULT_EXPIRY.total_seconds() * 1000)
    else:
        expires_ms = clock() + int(GIVEN_EXPIRY.total_seconds() * 1000)
        when = datetime.fromtimestamp(expires_ms / 1000, UTC).isoformat()
        body = pay_body(paymentExpiryTime=when)
    reply = ams.call("payments/pay", body)
    assert reply.code == "PAYMENT_IN_PROCESS", reply.result
    return body, expires_ms


def _expired_by_inquiry(ams: AmsClient, _gateway: Gateway, body: dict[str, Any]) -> bool:
    reply = ams.call("payments/inquiryPayment", {"paymentRequestId": body["paymentRequestId"]})
    status = reply.body["paymentStatus"]
    assert status in ("PROCESSING", "FAIL"), reply.body
    if status == "FAIL":
        assert reply.body["paymentResultCode"] == "ORDER_IS_CLOSED"
    return bool(status == "FAIL")


def _expired_by_sweep(ams: AmsClient, gateway: Gateway, body: dict[str, Any]) -> bool:
    closed = gateway.payments.expire_due(100)
    assert closed in (0, 1)
    assert _expired_by_inquiry(ams, gateway, body) is (closed == 1)
    return closed == 1


def _expired_by_completion(ams: AmsClient, _gateway: Gateway, body: dict[str, Any]) -> bool:
    reply = ams.call(
        "testHelpers/completePayment",
        {"paymentRequestId": body["paymentRequestId"], "outcome": "SUCCESS"},
    )
    assert reply.code in ("SUCCESS", "ORDER_IS_CLOSED"), reply.result
    return reply.code == "ORDER_IS_CLOSED"


def _expired_by_resend(ams: AmsClient, _gateway: Gateway, body: dict[str, Any]) -> bool:
    reply = ams.call("payments/pay", body)
    assert reply.code in ("PAYMENT_IN_PROCESS", "ORDER_IS_CLOSED"), reply.result
    return reply.code == "ORDER_IS_CLOSED"


LOOKS = {
    "inquiry": _expired_by_inquiry,
    "sweep": _expired_by_sweep,
    "completion": _expired_by_completion,
    "resend": _expired_by_resend,
}


@pytest.mark.parametrize("expiry", ["default", "paymentExpiryTime"])
@pytest.mark.parametrize("look", LOOKS)
@pytest.mark.parametrize("offset", [-1, 0, 1])
def test_a_payment_expires_at_its_expiry_time_to_the_second(
    ams: AmsClient,
    gateway: Gateway,
    clock: FrozenClock,
    offset: int,
    look: str,
    expiry: str,
) -> None:
    body, expires_ms = _pay(ams, clock, expiry)
    clock.set(expires_ms + offset * 1000)
    assert LOOKS[look](ams, gateway, body) is (offset >= 0)


def test_the_expiry_notification_is_written_with_the_closing(
    ams: AmsClient, gateway: Gateway, clock: FrozenClock
) -> None:
    body, expires_ms = _pay(ams, clock, "default")
    paid = ams.call("payments/inquiryPayment", {"paymentRequestId": body["paymentRequestId"]})
    payment_id = paid.body["paymentId"]
    clock.set(expires_ms - 1000)
    assert gateway.payments.expire_due(100) == 0
    with gateway.store() as uow:
        assert uow.outbox.for_payment(ams.client_id, payment_id) == []
    clock.set(expires_ms + 1000)
    assert gateway.payments.expire_due(100) == 1
    with gateway.store() as uow:
        [note] = uow.outbox.for_payment(ams.client_id, payment_id)
    assert note.notify_type.value == "PAYMENT_RESULT"
    assert note.body["result"]["resultCode"] == "ORDER_IS_CLOSED"
    assert note.body["result"]["resultStatus"] == "F"
