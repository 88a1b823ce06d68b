"""Notifications: written with the state change, signed, retried on Antom's schedule."""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from openams.gateway.app import Gateway
from openams.gateway.domain.notification import RETRY_INTERVALS, DeliveryStatus, NotifyType
from openams.gateway.notify.dispatcher import Dispatcher
from openams.gateway.services.notification_events import sent_body
from openams.gateway.store.tables import notifications
from openams.protocol.signing import parse_signature_header, verify
from tests.ams_client import AmsClient
from tests.conftest import ShiftableClock
from tests.gateway.integration.payloads import pay_body
from tests.notify.receiver import fail_then_ack, receiver


@pytest.fixture
def dispatcher(gateway: Gateway) -> Iterator[Dispatcher]:
    worker = gateway.dispatcher()
    yield worker
    worker.close()


def paid(ams: AmsClient, url: str, outcome: str = "SUCCESS") -> dict[str, object]:
    body = pay_body(paymentNotifyUrl=url)
    ams.call("payments/pay", body)
    done = ams.call(
        "testHelpers/completePayment",
        {"paymentRequestId": body["paymentRequestId"], "outcome": outcome},
    )
    return done.body


def outbox(gateway: Gateway, client_id: str, payment_id: str):  # type: ignore[no-untyped-def]
    with gateway.store() as uow:
        rows = uow.outbox.for_payment(client_id, payment_id)
        return [(row, uow.outbox.attempts(row.notification_id)) for row in rows]


def test_success_notification_is_signed_and_acknowledged(
    ams: AmsClient, gateway: Gateway, dispatcher: Dispatcher
) -> None:
    with receiver() as merchant:
        payment = paid(ams, merchant.url)
        assert dispatcher.drain() == 1
    [message] = merchant.received
    assert message.path == "/notify/payments"
    assert message.headers["client-id"] == ams.client_id
    header = parse_signature_header(message.headers["signature"])
    assert verify(
        "POST",
        "/notify/payments",
        ams.client_id,
        message.headers["request-time"],
        message.body,
        header.signature,
        gateway.key_pair.public_key,
    )
    body = message.json
    assert body["notifyType"] == "PAYMENT_RESULT"
    assert body["result"] == {
        "resultCode": "SUCCESS",
        "resultStatus": "S",
        "resultMessage": "success",
    }
    assert body["paymentId"] == payment["paymentId"]
    assert body["paymentAmount"] == {"currency": "HKD", "value": "100"}
    assert {"paymentRequestId", "paymentCreateTime", "paymentTime"} <= set(body)
    [(row, attempts)] = outbox(gateway, ams.client_id, str(payment["paymentId"]))
    assert row.status is DeliveryStatus.DELIVERED
    assert [(a.attempt_number, a.http_status, a.acknowledged) for a in attempts] == [(1, 200, True)]
    assert attempts[0].latency_ms is not None and attempts[0].response_excerpt


def test_failure_and_expiry_notify_with_f(
    ams: AmsClient, gateway: Gateway, dispatcher: Dispatcher, clock: ShiftableClock
) -> None:
    with receiver() as merchant:
        paid(ams, merchant.url, outcome="FAIL")
        unpaid = pay_body(paymentNotifyUrl=merchant.url)
        ams.call("payments/pay", unpaid)
        clock.advance(15 * 60)
        dispatcher.drain()  # the sweeper expires the unpaid one, then both are delivered
    results = sorted(m.json["result"]["resultCode"] for m in merchant.received)
    assert results == ["ORDER_IS_CLOSED", "PROCESS_FAIL"]
    assert all(m.json["result"]["resultStatus"] == "F" for m in merchant.received)
    assert all("paymentTime" not in m.json for m in merchant.received)


@pytest.mark.parametrize("failures", [1, 3])
def test_fails_n_times_then_acknowledged_with_exact_spacing(
    ams: AmsClient,
    gateway: Gateway,
    dispatcher: Dispatcher,
    clock: ShiftableClock,
    failures: int,
) -> None:
    clock.freeze()  # exact ages: a slow drain cannot make the next attempt due early
    with receiver(fail_then_ack(failures)) as merchant:
        payment = paid(ams, merchant.url)
        dispatcher.drain()
        for interval in RETRY_INTERVALS[1 : failures + 1]:
            clock.advance(interval.total_seconds() - 1)
            assert dispatcher.drain() == 0, "an attempt came early"
            clock.advance(1)
            assert dispatcher.drain() == 1
    assert len(merchant.received) == failures + 1
    [(row, attempts)] = outbox(gateway, ams.client_id, str(payment["paymentId"]))
    assert row.status is DeliveryStatus.DELIVERED
    assert [a.acknowledged for a in attempts] == [False] * failures + [True]
    assert [a.http_status for a in attempts] == [500] * failures + [200]
    gaps = [
        later.attempted_at - earlier.attempted_at for earlier, later in itertools.pairwise(attempts)
    ]
    expected = [int(i.total_seconds() * 1000) for i in RETRY_INTERVALS[1 : failures + 1]]
    for gap, want in zip(gaps, expected, strict=True):
        assert want <= gap < want + 5000


def test_receiver_down_for_good_fails_after_eight_attempts(
    ams: AmsClient, gateway: Gateway, dispatcher: Dispatcher
) -> None:
    with receiver(fail_then_ack(100)) as merchant:
        payment = paid(ams, merchant.url)
        dispatcher.drain()
        for _ in range(10):
            ams.call("testHelpers/advanceClock", {"seconds": 15 * 3600})
            dispatcher.drain()
    assert len(merchant.received) == 8
    [(row, attempts)] = outbox(gateway, ams.client_id, str(payment["paymentId"]))
    assert row.status is DeliveryStatus.FAILED
    assert [a.attempt_number for a in attempts] == list(range(1, 9))


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (200, b"OK"),
        (200, b'{"result":{"resultStatus":"F"}}'),
        (302, b'{"result":{"resultStatus":"S"}}'),
        (503, b'{"result":{"resultStatus":"S"}}'),
    ],
)
def test_anything_but_the_acknowledgement_is_retried(
    ams: AmsClient, gateway: Gateway, dispatcher: Dispatcher, status: int, body: bytes
) -> None:
    with receiver(lambda _n: (status, body)) as merchant:
        payment = paid(ams, merchant.url)
        dispatcher.drain()
    [(row, attempts)] = outbox(gateway, ams.client_id, str(payment["paymentId"]))
    assert row.status is DeliveryStatus.PENDING and row.attempts == 1
    assert row.next_attempt_at - attempts[0].attempted_at == 120_000
    assert attempts[0].error and "not acknowledged" in attempts[0].error


def test_refused_connection_and_timeout_are_recorded(
    ams: AmsClient, gateway: Gateway, dispatcher: Dispatcher
) -> None:
    payment = paid(ams, "http://127.0.0.1:9/closed")
    dispatcher.drain()
    [(row, attempts)] = outbox(gateway, ams.client_id, str(payment["paymentId"]))
    assert row.attempts == 1 and attempts[0].http_status is None
    assert attempts[0].error and "ConnectError" in attempts[0].error


def test_merchant_default_notify_url_and_no_url(
    ams: AmsClient, gateway: Gateway, dispatcher: Dispatcher
) -> None:
    body = pay_body()
    del body["paymentNotifyUrl"]
    ams.call("payments/pay", body)
    done = ams.call(
        "testHelpers/completePayment",
        {"paymentRequestId": body["paymentRequestId"], "outcome": "SUCCESS"},
    )
    [(row, _)] = outbox(gateway, ams.client_id, str(done.body["paymentId"]))
    assert row.status is DeliveryStatus.NO_URL
    with receiver() as merchant:
        gateway.merchants.set_notify_url(ams.client_id, merchant.url)
        second = pay_body()
        del second["paymentNotifyUrl"]
        ams.call("payments/pay", second)
        ams.call(
            "testHelpers/completePayment",
            {"paymentRequestId": second["paymentRequestId"], "outcome": "SUCCESS"},
        )
        dispatcher.drain()
    assert [m.json["paymentRequestId"] for m in merchant.received] == [second["paymentRequestId"]]


def test_resend_notification(ams: AmsClient, gateway: Gateway, dispatcher: Dispatcher) -> None:
    with receiver() as merchant:
        payment = paid(ams, merchant.url)
        dispatcher.drain()
        reply = ams.call("testHelpers/resendNotification", {"paymentId": payment["paymentId"]})
        assert reply.code == "SUCCESS"
        dispatcher.drain()
    assert len(merchant.received) == 2
    assert merchant.received[0].body == merchant.received[1].body
    unpaid = pay_body()
    ams.call("payments/pay", unpaid)
    reply = ams.call(
        "testHelpers/resendNotification", {"paymentRequestId": unpaid["paymentRequestId"]}
    )
    assert reply.code == "ORDER_STATUS_INVALID"


def test_advance_clock_expires_payments_of_the_caller_only(
    ams: AmsClient, other_ams: AmsClient, gateway: Gateway, dispatcher: Dispatcher
) -> None:
    mine, theirs = pay_body(), pay_body()
    ams.call("payments/pay", mine)
    other_ams.call("payments/pay", theirs)
    reply = ams.call("testHelpers/advanceClock", {"seconds": 15 * 60})
    assert reply.code == "SUCCESS" and reply.body["pendingPayments"] == 1
    dispatcher.drain()
    assert (
        ams.call("payments/inquiryPayment", {"paymentRequestId": mine["paymentRequestId"]}).body[
            "paymentStatus"
        ]
        == "FAIL"
    )
    assert (
        other_ams.call(
            "payments/inquiryPayment", {"paymentRequestId": theirs["paymentRequestId"]}
        ).body["paymentStatus"]
        == "PROCESSING"
    )
    assert ams.call("testHelpers/advanceClock", {"seconds": 0}).code == "PARAM_ILLEGAL"


def test_initial_delay_defaults_to_three_to_five_seconds(settings) -> None:  # type: ignore[no-untyped-def]
    from openams.gateway.services.notifications import antom_initial_delay

    delays = {antom_initial_delay() for _ in range(200)}
    assert min(delays) >= 3000 and max(delays) <= 5000 and len(delays) > 10
    assert settings.notify_initial_delay_ms == 0


def test_schedule_is_antoms() -> None:
    minutes = [i / timedelta(minutes=1) for i in RETRY_INTERVALS]
    assert minutes == [0, 2, 10, 10, 60, 120, 360, 900]


def test_every_attempt_sends_the_stored_body_bytes(
    ams: AmsClient, gateway: Gateway, dispatcher: Dispatcher, clock: ShiftableClock
) -> None:
    """The dispatcher sends the stored ``body_json`` as it is, never re-encoded: the same
    bytes on every attempt, and the bytes the body as read back encodes to (a Decimal
    ``quotePrice`` exact; floats a request may carry, in exponent form, stored as they
    read back)."""
    body = {
        "notifyType": "PAYMENT_RESULT",
        "settlementQuote": {"quotePrice": Decimal("0.1404494382")},
        "tiny": 1e-07,
        "huge": 1e20,
        "zero": Decimal("-0"),
        "text": "2e5 -0] ünïcode",
    }
    with receiver(fail_then_ack(1)) as merchant:
        with gateway.store(write=True) as uow:
            queued = gateway.payments.notifier.enqueue(
                uow,
                client_id=ams.client_id,
                notify_type=NotifyType.PAYMENT_RESULT,
                subject_id="BYTES",
                payment_id="BYTES",
                url=merchant.url,
                body=body,
            )
            uow.commit()
        assert dispatcher.drain() == 1
        clock.advance(RETRY_INTERVALS[1].total_seconds())
        assert dispatcher.drain() == 1
    first, second = merchant.received
    with gateway.engine.connect() as conn:
        stored = conn.execute(
            select(notifications.c.body_json).where(
                notifications.c.notification_id == queued.notification_id
            )
        ).scalar_one()
    assert first.body == second.body == stored.encode("utf-8")
    assert b'"quotePrice":0.1404494382}' in first.body
    with gateway.store() as uow:
        read_back = uow.outbox.get(queued.notification_id)
    assert read_back is not None and read_back.status is DeliveryStatus.DELIVERED
    assert sent_body(read_back).encode() == first.body
    assert json.loads(first.body, parse_float=Decimal) == {
        **body,
        "tiny": Decimal("1E-7"),
        "huge": 10**20,
        "zero": 0,
    }
