"""The dispatcher: claims due outbox rows, delivers them, records every attempt.

Several dispatchers can share one PostgreSQL database: claims take a lease with
``FOR UPDATE SKIP LOCKED``. A dispatcher that dies mid-delivery leaves its lease to
expire, and the notification is delivered again: at least once, never lost.

A dispatcher runs on an asyncio loop of its own (``delivery_loop.py``; HTTP in
``http11.py``). Each pass records the attempts that ended and claims due rows for the
free slots in one transaction (the sweeps, when due, in between), skipping merchants it
already holds enough of; the attempts run as tasks in between the passes, at most
``concurrency`` at once and ``merchant_concurrency`` to one merchant (one slow merchant
cannot hold every slot, nor stall another merchant's notifications or the sweeps).
Every attempt ends within ``timeout_seconds`` (``delivery.py``), so closing the
dispatcher waits at most that long for the attempts in flight and records them; what
is claimed but not started is released; nothing claimed is dropped.

Attempts are signed ahead, several in one go (``_sign_ahead``), as many as the
merchant should start within half of ``SIGNED_AHEAD_SECONDS``; one whose signature is
older than that when it starts is signed again, so a notification's request-time is
the moment it is sent, give or take a second.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from itertools import groupby, islice
from typing import Any, NamedTuple, TypeVar

from cryptography.hazmat.primitives.asymmetric import rsa

from openams.gateway.domain.chaos import ChaosSettings
from openams.gateway.domain.clock import Clock, ms_delta
from openams.gateway.domain.notification import (
    MAX_ATTEMPTS,
    ClaimedNotification,
    DeliveryAttempt,
    DeliveryStatus,
    delay_before_attempt,
)
from openams.gateway.domain.ports import UnitOfWork, UnitOfWorkFactory
from openams.gateway.notify.deadlines import Deadlines
from openams.gateway.notify.delivery import (
    DELIVERY_TIMEOUT_SECONDS,
    Result,
    attempt,
    signed_headers,
)
from openams.gateway.notify.delivery_loop import DeliveryLoop, Job
from openams.gateway.notify.http11 import Client
from openams.gateway.notify.ssrf import BlockedTarget, UnsupportedUrl, check_scheme
from openams.gateway.services.captures import CaptureService
from openams.gateway.services.payments import PaymentService
from openams.gateway.services.refunds import RefundService

log = logging.getLogger("openams.gateway.notify")
T = TypeVar("T")

DEFAULT_LEASE_MS = 60_000
DEFAULT_BATCH = 100
#: ``drain`` runs the sweeps at most this often while it delivers (and once more before
#: it decides nothing is left).
DRAIN_SWEEP_SECONDS = 0.5
#: Claimed and held (in flight or queued) at most this many times ``concurrency``.
CLAIM_AHEAD = 32
#: Ended attempts are recorded once this many times ``concurrency`` have ended (or
#: sooner, when a claim is due anyway).
RECORD_BATCH = 16
#: Attempts signed ahead of their start, per merchant queue, at most: when fewer than
#: half of the next ones are signed, they all are, in one go. RSA signatures made one
#: after another cost the core less than each made between the HTTP and bookkeeping work
#: of an attempt (docs/benchmarks.md, "Third pass").
SIGN_AHEAD = 64
#: A signature made ahead is used only this long; an attempt that waited longer in its
#: merchant's queue signs again, so its request-time is when it is sent, give or take.
SIGNED_AHEAD_SECONDS = 1.0


@dataclass
class Dispatcher:
    uow: UnitOfWorkFactory
    clock: Clock
    key: rsa.RSAPrivateKey
    key_version: str
    payments: PaymentService
    allow_private_targets: bool = False
    #: Payments expired (and refunds, captures settled) per sweep.
    batch_size: int = DEFAULT_BATCH
    lease_ms: int = DEFAULT_LEASE_MS
    #: Attempts in flight at once, and to one merchant at once.
    concurrency: int = 16
    merchant_concurrency: int = 4
    #: Total deadline of one attempt (connect, send, read the answer).
    timeout_seconds: float = DELIVERY_TIMEOUT_SECONDS
    owner: str = field(default_factory=lambda: uuid.uuid4().hex[:16])
    #: Called after each attempt is recorded (tests and the benchmark observe with it).
    on_attempt: Callable[[ClaimedNotification, DeliveryAttempt], None] | None = None
    #: When given, each pass also settles asynchronous refunds / captures that are due.
    refunds: RefundService | None = None
    captures: CaptureService | None = None
    #: More sweeps, each ``sweep(batch_size)`` (disputes' deadlines).
    sweeps: tuple[Callable[[int], object], ...] = ()
    #: Run the database work on the loop's thread (SQLite) or on a thread of its own
    #: (PostgreSQL: the loop signs and sends while a round trip is out).
    database_on_loop: bool = True

    def __post_init__(self) -> None:
        # One client per target policy: a kept-alive connection is reused only under
        # the policy its address was checked for.
        self._clients = {
            sandbox: Client(sandbox=sandbox, allow_private=self.allow_private_targets)
            for sandbox in (False, True)
        }
        # A claimed notification may wait in its merchant's queue only so long that its
        # attempt still ends well before its lease does (none at all under short leases).
        hold = max(0.0, (self.lease_ms / 1000 - self.timeout_seconds) / 2)
        self._deliveries: DeliveryLoop[_Outcome] = DeliveryLoop(
            self._deliver,
            _crashed,
            concurrency=self.concurrency,
            hold_seconds=hold,
            batch=RECORD_BATCH * self.concurrency,
            ahead=self._sign_ahead,
        )
        self._deadlines = Deadlines(self.timeout_seconds)
        self._closing = False
        self._database_thread: ThreadPoolExecutor | None = None
        #: The last claim filled every free slot: more may be due at once.
        self._more = False

    def close(self) -> None:
        """Stop claiming, release what is claimed but not started, let the attempts in
        flight end (each within ``timeout_seconds``), record them, and release the
        connections."""
        self._closing = True
        if self._deliveries.started():
            self._deliveries.call(self._close)
            self._deliveries.stop()
        if self._database_thread is not None:
            self._database_thread.shutdown()

    # ----------------------------------------------------------------- loop
    # Each runs on the delivery loop's thread; the caller waits for it.

    def run_once(self) -> int:
        """Record the attempts that ended, expire due payments, settle due refunds and
        captures, then start deliveries for due notifications (as many as there are
        free slots). Returns the attempts recorded plus the deliveries started."""

        async def once() -> int:
            return sum(await self._step(sweep=True))

        return self._deliveries.call(once)

    def run_forever(self, stop: threading.Event, poll_seconds: float = 0.5) -> None:
        """Until ``stop`` is set; then wait for the attempts in flight and record them.
        The sweeps run at most once per ``poll_seconds``."""
        self._deliveries.call(lambda: self._serve(stop, poll_seconds))

    def drain(self, max_passes: int = 100) -> int:
        """Deliver until nothing is due and nothing is in flight (tests, the CLI and the
        benchmark use this); returns the attempts made."""
        return self._deliveries.call(lambda: self._drain(max_passes))

    async def _serve(self, stop: threading.Event, poll_seconds: float) -> None:
        self._deliveries.stopping = lambda: stop.is_set() or self._closing
        last_sweep = float("-inf")
        while not stop.is_set():
            now = time.monotonic()
            sweep = now - last_sweep >= poll_seconds
            if sweep:
                last_sweep = now
            try:
                await self._step(sweep=sweep)
            except Exception:
                log.exception("dispatcher pass failed; retrying")
                self._more = False
            if self._more:
                await asyncio.sleep(0)  # the attempts just started get going
            else:
                await self._deliveries.wait(poll_seconds)
        await self._db(self._release, self._deliveries.take_queued())
        await self._finish()

    async def _drain(self, max_passes: int) -> int:
        attempts = started = 0
        last_sweep = float("-inf")
        while started <= max_passes * DEFAULT_BATCH:
            now = time.monotonic()
            sweep = now - last_sweep >= DRAIN_SWEEP_SECONDS
            if sweep:
                last_sweep = now
            recorded, claimed = await self._step(sweep=sweep)
            attempts += recorded
            started += claimed
            if self._more:
                await asyncio.sleep(0)
            elif self._deliveries.idle():
                if sweep:
                    break
                last_sweep = float("-inf")  # sweep once more before deciding
            else:
                await self._deliveries.wait(self.timeout_seconds)
        return attempts + await self._finish()

    async def _close(self) -> None:
        await self._db(self._release, self._deliveries.take_queued())
        await self._finish()
        for client in self._clients.values():
            client.close()

    # ------------------------------------------------------------- helpers

    async def _step(self, *, sweep: bool) -> tuple[int, int]:
        """Record the ended attempts and claim for the free slots, in one transaction
        (the sweeps, when due, run between the two)."""
        outcomes, expired = self._deliveries.take()
        recorded = len(outcomes)
        if sweep or self._closing:
            self._observe(await self._db(self._record, outcomes, expired))
            outcomes, expired = [], []
        if sweep:
            await self._db(self._sweep)
        if self._closing:
            self._more = False
            return recorded, 0
        claim = sweep or self._more or self._deliveries.claim_wanted
        self._deliveries.claim_wanted = False
        return recorded, await self._start_due(outcomes, expired, claim=claim)

    def _sweep(self) -> None:
        self.payments.expire_due(self.batch_size)
        if self.refunds is not None:
            self.refunds.settle_due(self.batch_size)
        if self.captures is not None:
            self.captures.settle_due(self.batch_size)
        for extra in self.sweeps:
            extra(self.batch_size)

    async def _db(self, work: Callable[..., T], *args: Any) -> T:
        """``work(*args)``: on the loop (SQLite: the work is this process's CPU anyway), or
        on the dispatcher's database thread (PostgreSQL: round trips, which the loop
        spends signing and sending meanwhile)."""
        if self.database_on_loop:
            return work(*args)
        if self._database_thread is None:
            self._database_thread = ThreadPoolExecutor(1, thread_name_prefix="openams-notify-db")
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._database_thread, functools.partial(work, *args))

    async def _start_due(self, outcomes: list[_Outcome], expired: list[Job], *, claim: bool) -> int:
        free, skip, queued = self._deliveries.room()
        # Claim for the free slots and enough to keep the merchants' queues filled (fewer,
        # larger transactions).
        limit = max(free, CLAIM_AHEAD * self.concurrency - (self.concurrency - free) - queued)
        limit = limit if free > 0 and claim else 0
        self._more = False
        if not limit and not outcomes and not expired:
            return 0
        records, claimed = await self._db(self._write_and_claim, outcomes, expired, limit, skip)
        self._observe(records)
        started = 0
        release: list[Job] = []
        start_by = time.monotonic() + self._deliveries.hold_seconds
        for client_id, group in groupby(claimed, key=lambda pair: pair[0].client_id):
            pairs = list(group)
            notifications, chaos = [n for n, _ in pairs], pairs[0][1]
            limit_for_client = 1 if chaos.out_of_order else self.merchant_concurrency
            if chaos.out_of_order:
                # Newest first, one after another, so the merchant really sees them reversed.
                notifications.sort(key=lambda n: -n.created_at)
            jobs = [Job(n, chaos, start_by) for n in notifications]
            kept, over = self._deliveries.add(client_id, jobs, limit_for_client)
            started += kept
            release += over
        # Over the merchant's limit: due again at once, for this or another dispatcher.
        if release:
            await self._db(self._release, release)
        if claimed and len(claimed) == limit:
            # More may be due at once, unless every merchant claimed for is skipped now
            # (then the next ended attempts, or the poll, bring the next claim).
            _free, skip, _queued = self._deliveries.room()
            self._more = any(n.client_id not in skip for n, _chaos in claimed)
        return started

    def _release(self, jobs: list[Job]) -> None:
        if jobs:
            with self.uow(write=True) as uow:
                uow.outbox.release([job.notification.notification_id for job in jobs], self.owner)
                uow.commit()

    async def _finish(self) -> int:
        """Wait for the attempts in flight (each ends within its deadline), record them."""
        await self._deliveries.wait_for_in_flight()
        outcomes, expired = self._deliveries.take()
        self._observe(await self._db(self._record, outcomes, expired))
        return len(outcomes)

    def _claim(
        self, uow: UnitOfWork, limit: int, busy: set[str]
    ) -> list[tuple[ClaimedNotification, ChaosSettings]]:
        claimed = uow.outbox.claim_due(
            self.clock(), limit, self.owner, self.lease_ms, exclude_clients=busy
        )
        ordered = sorted(claimed, key=lambda n: (n.client_id, n.next_attempt_at))
        # the repository reads each merchant's settings once per unit of work
        return [(n, uow.merchants.get_chaos(n.client_id)) for n in ordered]

    def _sign_ahead(self, queue: deque[Job]) -> None:
        """Sign the next jobs of a merchant's queue, in one go, once fewer than half of
        them are signed: as many as should start within half of SIGNED_AHEAD_SECONDS at
        the merchant's recent pace (SIGN_AHEAD at most), so that a slow merchant's
        signatures are not made only to be made again."""
        if not queue:
            return
        client_id = queue[0].notification.client_id
        window = self._deliveries.starts_within(client_id, SIGNED_AHEAD_SECONDS / 2)
        upcoming = min(SIGN_AHEAD, window, len(queue))
        # The signed jobs are always the first of the queue (signed from its head, started
        # from its head, added at its tail): at least half of the upcoming ones are signed
        # when the one in the middle is. Called whenever a job starts, so no copy here.
        if queue[(upcoming + 1) // 2 - 1].signed is not None:
            return
        now = time.monotonic()
        for job in islice(queue, upcoming):
            if job.signed is None:
                notification = job.notification
                job.signed = signed_headers(
                    notification, notification.body, self.key, self.key_version
                )
                job.signed_at = now

    async def _deliver(self, job: Job) -> _Outcome:
        notification, chaos = job.notification, job.chaos
        number = notification.attempts + 1
        assert notification.url is not None
        try:
            check_scheme(notification.url)
        except UnsupportedUrl as exc:
            # Never deliverable (file://, gopher://...): failed at once, not retried.
            return _Outcome(
                notification, number, "blocked", Result(None, 0, None, str(exc), False), final=True
            )
        if number <= chaos.drop_first:
            dropped = Result(None, 0, None, "chaos: attempt dropped on purpose", False)
            return _Outcome(notification, number, "dropped", dropped)
        client = self._clients[notification.client_id.startswith("SANDBOX_")]
        signed = job.signed
        if signed is not None and time.monotonic() - job.signed_at > SIGNED_AHEAD_SECONDS:
            signed = None  # waited in the queue: signed again, with the time it is sent
        try:
            result = await attempt(
                client,
                notification,
                self.key,
                self.key_version,
                self._deadlines,
                signed=signed,
            )
        except BlockedTarget as exc:
            return _Outcome(notification, number, "blocked", Result(None, 0, None, str(exc), False))
        duplicate = None
        if chaos.duplicate and not self._closing:
            duplicate = await attempt(
                client, notification, self.key, self.key_version, self._deadlines
            )
        return _Outcome(notification, number, "delivery", result, duplicate)

    def _write_and_claim(
        self, outcomes: list[_Outcome], expired: list[Job], limit: int, skip: set[str]
    ) -> tuple[
        list[tuple[ClaimedNotification, DeliveryAttempt]],
        list[tuple[ClaimedNotification, ChaosSettings]],
    ]:
        with self.uow(write=True) as uow:
            records = self._write(uow, outcomes, expired)
            claimed = self._claim(uow, limit, skip) if limit else []
            uow.commit()
        return records, claimed

    def _record(
        self, outcomes: list[_Outcome], expired: list[Job]
    ) -> list[tuple[ClaimedNotification, DeliveryAttempt]]:
        """One transaction records the attempts that ended and their next schedule."""
        if not outcomes and not expired:
            return []
        with self.uow(write=True) as uow:
            records = self._write(uow, outcomes, expired)
            uow.commit()
        return records

    def _write(
        self, uow: UnitOfWork, outcomes: list[_Outcome], expired: list[Job]
    ) -> list[tuple[ClaimedNotification, DeliveryAttempt]]:
        """The attempts that ended and their next schedule; the queued notifications
        that waited too long to start are released."""
        if not outcomes and not expired:
            return []
        real_now = self.clock()
        records: list[tuple[ClaimedNotification, DeliveryAttempt]] = []
        rows: list[DeliveryAttempt] = []
        for outcome in outcomes:
            notification, result = outcome.notification, outcome.result
            # on the merchant's clock, as its notification's schedule is (the repository
            # reads each merchant's offset once per unit of work)
            now = real_now + uow.merchants.clock_offset(notification.client_id)
            record = _attempt_row(notification, outcome.number, outcome.kind, result, now)
            rows.append(record)
            if outcome.duplicate is not None:
                rows.append(
                    _attempt_row(notification, outcome.number, "duplicate", outcome.duplicate, now)
                )
            _schedule(notification, outcome.number, result, now, final=outcome.final)
            records.append((notification, record))
        uow.outbox.record_attempts(rows)
        uow.outbox.save_progress([notification for notification, _ in records])
        if expired:
            uow.outbox.release([job.notification.notification_id for job in expired], self.owner)
        return records

    def _observe(self, records: list[tuple[ClaimedNotification, DeliveryAttempt]]) -> None:
        if self.on_attempt is not None:
            for notification, record in records:
                self.on_attempt(notification, record)


def _crashed(job: Job, exc: Exception) -> _Outcome:
    failed = Result(None, 0, None, f"{type(exc).__name__}: {exc}", False)
    return _Outcome(job.notification, job.notification.attempts + 1, "delivery", failed)


class _Outcome(NamedTuple):
    notification: ClaimedNotification
    number: int
    kind: str
    result: Result
    duplicate: Result | None = None
    #: Not retried: the notification is FAILED at once (a URL that is not http(s)).
    final: bool = False


def _attempt_row(
    notification: ClaimedNotification, number: int, kind: str, result: Result, now: int
) -> DeliveryAttempt:
    return DeliveryAttempt(
        notification_id=notification.notification_id,
        attempt_number=number,
        attempted_at=now,
        kind=kind,
        http_status=result.http_status,
        latency_ms=result.latency_ms,
        response_excerpt=result.response_excerpt,
        error=result.error,
        acknowledged=result.acknowledged,
        url=notification.url if result.request_headers is not None else None,
        request_headers=result.request_headers,
    )


def _schedule(
    notification: ClaimedNotification, number: int, result: Result, now: int, *, final: bool = False
) -> None:
    """Delivered, failed for good after the 8th attempt, or due again after the interval."""
    notification.attempts = number
    notification.last_error = result.error
    if result.acknowledged:
        notification.status = DeliveryStatus.DELIVERED
        notification.delivered_at = now
    elif final or number >= MAX_ATTEMPTS:
        notification.status = DeliveryStatus.FAILED
    else:
        notification.next_attempt_at = now + ms_delta(delay_before_attempt(number + 1))
