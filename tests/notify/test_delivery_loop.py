"""The delivery loop's queues: a merchant's notifications beyond its limit wait, leased,
and one that waited past its ``start_by`` is handed back to be released, never started
(its attempt could outlive its lease). Real asyncio, real coroutines; the deadlines are
set in the past or far in the future, so nothing depends on how long anything takes."""

from __future__ import annotations

import asyncio
import time

import pytest

from openams.gateway.domain.chaos import ChaosSettings
from openams.gateway.domain.notification import ClaimedNotification, NotifyType
from openams.gateway.notify.delivery_loop import (
    QUEUE_AHEAD_MAX,
    QUEUE_AHEAD_SECONDS,
    DeliveryLoop,
    Job,
)

PAST, FUTURE = -3600.0, 3600.0


def job(name: str, start_in: float) -> Job:
    notification = ClaimedNotification(
        notification_id=name,
        client_id="SANDBOX_SHOP",
        notify_type=NotifyType.PAYMENT_RESULT,
        url="http://127.0.0.1:9/notify",
        body=b"{}",
        created_at=0,
        next_attempt_at=0,
        attempts=0,
    )
    return Job(notification, ChaosSettings(), time.monotonic() + start_in)


class Merchant:
    """Attempts that end when the test lets them, recording the order they started in."""

    def __init__(self) -> None:
        self.started: list[str] = []
        self.gate: asyncio.Event | None = None

    async def attempt(self, queued: Job) -> str:
        assert self.gate is not None
        self.started.append(queued.notification.notification_id)
        await self.gate.wait()
        return queued.notification.notification_id


def failed(queued: Job, exc: Exception) -> str:
    raise AssertionError(f"{queued} failed: {exc}")


def test_a_queued_notification_past_its_start_by_is_handed_back_unstarted() -> None:
    merchant = Merchant()
    loop: DeliveryLoop[str] = DeliveryLoop(
        merchant.attempt, failed, concurrency=4, hold_seconds=30.0, batch=100
    )

    async def scenario() -> tuple[tuple[int, list[Job]], list[str], list[str]]:
        merchant.gate = asyncio.Event()
        added = loop.add("SANDBOX_SHOP", [job("a", FUTURE), job("b", PAST), job("c", FUTURE)], 1)
        await asyncio.sleep(0)
        assert merchant.started == ["a"]  # the limit: one at a time, the others queued
        merchant.gate.set()
        for _ in range(3):  # a ends; b is past its start_by; c starts and ends
            await loop.wait_for_in_flight()
            await asyncio.sleep(0)
        done, expired = loop.take()
        return added, done, [j.notification.notification_id for j in expired]

    try:
        (kept, released), done, expired = loop.call(scenario)
    finally:
        loop.stop()
    assert (kept, released) == (3, [])
    assert merchant.started == ["a", "c"]
    assert done == ["a", "c"]
    assert expired == ["b"]
    assert loop.idle()


def test_without_a_hold_what_is_over_the_limit_is_released_at_once() -> None:
    merchant = Merchant()
    loop: DeliveryLoop[str] = DeliveryLoop(
        merchant.attempt, failed, concurrency=4, hold_seconds=0.0, batch=100
    )

    async def scenario() -> tuple[int, list[str], tuple[int, set[str], int]]:
        merchant.gate = asyncio.Event()
        kept, released = loop.add("SANDBOX_SHOP", [job(n, FUTURE) for n in "abc"], 2)
        await asyncio.sleep(0)
        room = loop.room()
        merchant.gate.set()
        await loop.wait_for_in_flight()
        return kept, [j.notification.notification_id for j in released], room

    try:
        kept, released, (free, skip, queued) = loop.call(scenario)
    finally:
        loop.stop()
    assert (kept, released) == (2, ["c"])
    assert merchant.started == ["a", "b"]
    # at its limit, the merchant is not claimed for (nothing may wait in a queue)
    assert (free, skip, queued) == (2, {"SANDBOX_SHOP"}, 0)


@pytest.mark.parametrize(
    ("seconds_per_attempt", "claimed_for_until"),
    [
        (None, 2),  # no pace yet: its limit, as many as start next
        (QUEUE_AHEAD_SECONDS, 2),  # slow: only what starts next
        (QUEUE_AHEAD_SECONDS / 10, 20),  # what starts within QUEUE_AHEAD_SECONDS
        (0.000_001, QUEUE_AHEAD_MAX * 2),  # fast: as many as a claim may hold ahead
    ],
)
def test_a_merchant_is_claimed_for_until_its_queue_holds_what_starts_soon(
    seconds_per_attempt: float | None, claimed_for_until: int
) -> None:
    """A claim's round trip must not leave a fast merchant's attempts waiting (the
    queue holds more than starts meanwhile), nor hold a slow merchant's notifications
    only to release them."""
    merchant = Merchant()
    loop: DeliveryLoop[str] = DeliveryLoop(
        merchant.attempt, failed, concurrency=2, hold_seconds=30.0, batch=100
    )
    if seconds_per_attempt is not None:
        loop._pace["SANDBOX_SHOP"] = seconds_per_attempt

    async def scenario() -> list[bool]:
        merchant.gate = asyncio.Event()
        skipped = []
        for index in range(QUEUE_AHEAD_MAX * 2 + 2):  # two start, the rest queue
            loop.add("SANDBOX_SHOP", [job(f"n{index}", FUTURE)], 2)
            _free, skip, _queued = loop.room()
            skipped.append("SANDBOX_SHOP" in skip)
        loop.take_queued()
        merchant.gate.set()
        await loop.wait_for_in_flight()
        return skipped

    try:
        skipped = loop.call(scenario)
    finally:
        loop.stop()
    queued = [max(0, added - 2) for added in range(1, len(skipped) + 1)]
    assert skipped == [count >= claimed_for_until for count in queued]
