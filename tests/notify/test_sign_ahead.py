"""Signing ahead: the dispatcher signs a merchant's next attempts in one go (RSA work
back to back costs the core less), as many as should start soon at the merchant's pace,
and an attempt whose signature waited too long in the queue is signed again when sent."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Iterator

import pytest

from openams.gateway.app import Gateway
from openams.gateway.domain.chaos import ChaosSettings
from openams.gateway.domain.notification import ClaimedNotification, NotifyType
from openams.gateway.notify.delivery_loop import Job
from openams.gateway.notify.dispatcher import SIGN_AHEAD, SIGNED_AHEAD_SECONDS, Dispatcher
from openams.protocol.signing import (
    build_signature_header,
    parse_signature_header,
    sign,
    signed_content,
    verify_content,
)
from tests.notify.receiver import receiver

CLIENT_ID = "SANDBOX_SIGN_AHEAD"


@pytest.fixture
def dispatcher(gateway: Gateway) -> Iterator[Dispatcher]:
    worker = gateway.dispatcher()
    yield worker
    worker.close()


def jobs(count: int, url: str = "http://127.0.0.1:9/notify") -> deque[Job]:
    return deque(
        Job(
            ClaimedNotification(
                notification_id=f"N{index:04d}",
                client_id=CLIENT_ID,
                notify_type=NotifyType.PAYMENT_RESULT,
                url=url,
                body=b'{"notifyType":"PAYMENT_RESULT","n":%d}' % index,
                created_at=0,
                next_attempt_at=0,
                attempts=0,
            ),
            ChaosSettings(),
            time.monotonic() + 3600,
        )
        for index in range(count)
    )


def known(dispatcher: Dispatcher, seconds_per_attempt: float | None) -> None:
    """The merchant as the delivery loop knows it once its jobs were added: its limit,
    and its recent pace when it has one."""
    deliveries = dispatcher._deliveries
    deliveries._limits[CLIENT_ID] = dispatcher.merchant_concurrency
    if seconds_per_attempt is not None:
        deliveries._pace[CLIENT_ID] = seconds_per_attempt


def signed(queue: deque[Job]) -> list[bool]:
    return [job.signed is not None for job in queue]


def verifies(gateway: Gateway, path: str, headers: dict[str, str], body: bytes) -> bool:
    signature = parse_signature_header(headers["signature"]).signature
    content = signed_content("POST", path, headers["client-id"], headers["request-time"], body)
    return verify_content(content, signature, gateway.key_pair.public_key)


def test_a_merchant_of_unknown_pace_gets_its_next_starts_signed(
    dispatcher: Dispatcher, gateway: Gateway
) -> None:
    queue = jobs(100)
    known(dispatcher, None)
    dispatcher._sign_ahead(queue)
    limit = dispatcher.merchant_concurrency
    assert signed(queue) == [True] * limit + [False] * (100 - limit)
    for job in list(queue)[:limit]:
        assert job.signed is not None
        assert verifies(gateway, "/notify", job.signed, job.notification.body)


def test_a_fast_merchant_gets_a_batch_and_a_slow_one_only_what_starts_soon(
    dispatcher: Dispatcher,
) -> None:
    fast, slow = jobs(100), jobs(100)
    known(dispatcher, 0.001)  # a millisecond per attempt
    dispatcher._sign_ahead(fast)
    assert signed(fast) == [True] * SIGN_AHEAD + [False] * (100 - SIGN_AHEAD)
    # half a second per attempt: four at a time start within the half of the age limit
    known(dispatcher, SIGNED_AHEAD_SECONDS / 2)
    dispatcher._sign_ahead(slow)
    limit = dispatcher.merchant_concurrency
    assert signed(slow) == [True] * limit + [False] * (100 - limit)


def test_signing_waits_until_half_of_the_window_has_started(dispatcher: Dispatcher) -> None:
    known(dispatcher, 0.001)
    queue = jobs(200)
    dispatcher._sign_ahead(queue)
    for _ in range(SIGN_AHEAD // 2):  # started: the next ones still half signed
        queue.popleft()
    dispatcher._sign_ahead(queue)
    assert sum(signed(queue)) == SIGN_AHEAD // 2
    queue.popleft()  # fewer than half now: the whole window is signed, in one go
    dispatcher._sign_ahead(queue)
    assert signed(queue)[:SIGN_AHEAD] == [True] * SIGN_AHEAD
    assert sum(signed(queue)) == SIGN_AHEAD


@pytest.mark.parametrize("waited", ["briefly", "too long"])
def test_a_signature_made_ahead_is_sent_only_while_fresh(
    dispatcher: Dispatcher, gateway: Gateway, waited: str
) -> None:
    with receiver() as merchant:
        [job] = jobs(1, merchant.url)
        # signed ahead, with a request-time that tells it apart from one made when sent
        job.signed = signed_at("2026-01-01T00:00:00.000+00:00", "/notify/payments", job, dispatcher)
        job.signed_at = time.monotonic() - (0 if waited == "briefly" else 2 * SIGNED_AHEAD_SECONDS)

        async def deliver() -> bool:
            return (await dispatcher._deliver(job)).result.acknowledged

        assert dispatcher._deliveries.call(deliver)
    [message] = merchant.received
    assert verifies(gateway, "/notify/payments", message.headers, message.body)
    sent_as_made_ahead = message.headers["request-time"] == "2026-01-01T00:00:00.000+00:00"
    assert sent_as_made_ahead is (waited == "briefly")


def signed_at(request_time: str, path: str, job: Job, dispatcher: Dispatcher) -> dict[str, str]:
    """The headers ``signed_headers`` would have made at ``request_time``."""
    notification = job.notification
    value = sign(
        "POST", path, notification.client_id, request_time, notification.body, dispatcher.key
    )
    return {
        "content-type": "application/json; charset=UTF-8",
        "request-time": request_time,
        "client-id": notification.client_id,
        "signature": build_signature_header(value, dispatcher.key_version),
    }
