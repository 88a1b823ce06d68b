"""The dispatcher: claims due outbox rows, delivers them, records every attempt.

Several dispatchers can share one PostgreSQL database: claims take a lease with
``FOR UPDATE SKIP LOCKED``. A dispatcher that dies mid-delivery leaves its lease to
expire, and the notification is delivered again: at least once, never lost.

Deliveries run on a pool of ``concurrency`` threads and the claiming loop never waits
for them: it records the attempts that ended, runs the sweeps, and claims as many due
rows as there are free slots, skipping merchants that already have
``merchant_concurrency`` attempts in flight (one slow merchant cannot hold every slot,
nor stall another merchant's notifications or the sweeps). Every attempt ends within
``timeout_seconds`` (``delivery.py``), so closing the dispatcher waits at most that
long for the attempts in flight and records them; nothing claimed is dropped.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from itertools import groupby

import httpx
from cryptography.hazmat.primitives.asymmetric import rsa

from openams.gateway.domain.chaos import ChaosSettings
from openams.gateway.domain.clock import Clock, ms_delta
from openams.gateway.domain.notification import (
    MAX_ATTEMPTS,
    DeliveryAttempt,
    DeliveryStatus,
    Notification,
    delay_before_attempt,
)
from openams.gateway.domain.ports import UnitOfWorkFactory
from openams.gateway.notify.delivery import (
    DELIVERY_TIMEOUT_SECONDS,
    Result,
    attempt,
    pinned_client,
)
from openams.gateway.notify.ssrf import BlockedTarget, UnsupportedUrl, check_scheme, check_target
from openams.gateway.services.captures import CaptureService
from openams.gateway.services.payments import PaymentService
from openams.gateway.services.refunds import RefundService

log = logging.getLogger("openams.gateway.notify")

DEFAULT_LEASE_MS = 60_000
DEFAULT_BATCH = 100


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
    #: One client for every target instead of the dispatcher's own (which connect only
    #: to checked addresses and hold each attempt to ``timeout_seconds``); with it the
    #: target is checked before the request and the connection resolves the host again.
    http: httpx.Client | None = None
    #: Called after each attempt is recorded (tests and the benchmark observe with it).
    on_attempt: Callable[[Notification, DeliveryAttempt], None] | None = None
    #: When given, each pass also settles asynchronous refunds / captures that are due.
    refunds: RefundService | None = None
    captures: CaptureService | None = None

    def __post_init__(self) -> None:
        self._pool = ThreadPoolExecutor(
            max_workers=self.concurrency, thread_name_prefix="openams-notify"
        )
        # One client per target policy: a kept-alive connection is reused only under
        # the policy its address was checked for.
        self._clients = {
            sandbox: pinned_client(
                sandbox=sandbox,
                allow_private=self.allow_private_targets,
                timeout=self.timeout_seconds,
            )
            for sandbox in (False, True)
        }
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._in_flight: Counter[str] = Counter()
        self._futures: set[Future[None]] = set()
        self._done: list[_Outcome] = []
        #: Per merchant: how many attempts may be in flight (1 under outOfOrder chaos).
        self._limits: dict[str, int] = {}
        self._closing = False

    def close(self) -> None:
        """Stop claiming, let the attempts in flight end (each within
        ``timeout_seconds``), record them, and release the HTTP clients."""
        self._closing = True
        self._pool.shutdown(wait=True)
        self._record(self._take_done())
        for client in self._clients.values():
            client.close()
        if self.http is not None:
            self.http.close()

    # ----------------------------------------------------------------- loop

    def run_once(self) -> int:
        """Record the attempts that ended, expire due payments, settle due refunds and
        captures, then start deliveries for due notifications (as many as there are
        free slots). Returns the attempts recorded plus the deliveries started."""
        return sum(self._step(sweep=True))

    def run_forever(self, stop: threading.Event, poll_seconds: float = 0.5) -> None:
        """Until ``stop`` is set; then wait for the attempts in flight and record them.
        The sweeps run at most once per ``poll_seconds``."""
        last_sweep = float("-inf")
        while not stop.is_set():
            now = time.monotonic()
            sweep = now - last_sweep >= poll_seconds
            if sweep:
                last_sweep = now
            try:
                _recorded, started = self._step(sweep=sweep)
            except Exception:
                log.exception("dispatcher pass failed; retrying")
                started = 0
            if not started:
                # A finished attempt wakes the loop (its slot is free again).
                self._wake.wait(poll_seconds)
        self._finish()

    def drain(self, max_passes: int = 100) -> int:
        """Deliver until nothing is due and nothing is in flight (tests, the CLI and the
        benchmark use this); returns the deliveries started."""
        total = 0
        while total <= max_passes * DEFAULT_BATCH:
            _recorded, started = self._step(sweep=True)
            total += started
            if not started:
                with self._lock:
                    idle = not self._futures and not self._done
                if idle:
                    break
                self._wake.wait(self.timeout_seconds)
        self._finish()
        return total

    # ------------------------------------------------------------- helpers

    def _step(self, *, sweep: bool) -> tuple[int, int]:
        self._wake.clear()
        outcomes = self._take_done()
        self._record(outcomes)
        if sweep:
            self.payments.expire_due(self.batch_size)
            if self.refunds is not None:
                self.refunds.settle_due(self.batch_size)
            if self.captures is not None:
                self.captures.settle_due(self.batch_size)
        if self._closing:
            return len(outcomes), 0
        return len(outcomes), self._start_due()

    def _start_due(self) -> int:
        with self._lock:
            free = self.concurrency - len(self._futures)
            busy = {
                client
                for client, count in self._in_flight.items()
                if count >= self._limits.get(client, self.merchant_concurrency)
            }
        if free <= 0:
            return 0
        claimed = self._claim(free, busy)
        started = 0
        release: list[str] = []
        for client_id, group in groupby(claimed, key=lambda n: n.client_id):
            notifications = list(group)
            chaos = self._chaos(client_id)
            limit = 1 if chaos.out_of_order else self.merchant_concurrency
            if chaos.out_of_order:
                # Newest first, one after another, so the merchant really sees them reversed.
                notifications.sort(key=lambda n: -n.created_at)
            with self._lock:
                self._limits[client_id] = limit
                room = max(0, limit - self._in_flight[client_id])
            for notification in notifications[:room]:
                self._submit(notification, chaos)
                started += 1
            release += [n.notification_id for n in notifications[room:]]
        if release:
            # Over the merchant's limit: due again at once, for this or another dispatcher.
            with self.uow(write=True) as uow:
                uow.outbox.release(release, self.owner)
                uow.commit()
        return started

    def _submit(self, notification: Notification, chaos: ChaosSettings) -> None:
        client_id = notification.client_id

        def run() -> None:
            try:
                outcome = self._deliver(notification, chaos)
            except Exception as exc:  # never lose the slot; the attempt is recorded
                log.exception("delivery of %s failed", notification.notification_id)
                failed = Result(None, 0, None, f"{type(exc).__name__}: {exc}", False)
                outcome = _Outcome(notification, notification.attempts + 1, "delivery", failed)
            with self._lock:
                self._done.append(outcome)
            self._wake.set()

        with self._lock:
            self._in_flight[client_id] += 1
            future = self._pool.submit(run)
            self._futures.add(future)

        def finished(done: Future[None]) -> None:
            with self._lock:
                self._futures.discard(done)
                self._in_flight[client_id] -= 1
                if not self._in_flight[client_id]:
                    del self._in_flight[client_id]
            self._wake.set()

        future.add_done_callback(finished)

    def _take_done(self) -> list[_Outcome]:
        with self._lock:
            done, self._done = self._done, []
        return done

    def _finish(self) -> None:
        """Wait for the attempts in flight (each ends within its deadline), record them."""
        with self._lock:
            futures = list(self._futures)
        for future in futures:
            future.result()
        self._record(self._take_done())

    def _claim(self, limit: int, busy: set[str]) -> list[Notification]:
        with self.uow(write=True) as uow:
            claimed = uow.outbox.claim_due(
                self.clock(), limit, self.owner, self.lease_ms, exclude_clients=busy
            )
            uow.commit()
        return sorted(claimed, key=lambda n: (n.client_id, n.next_attempt_at))

    def _chaos(self, client_id: str) -> ChaosSettings:
        with self.uow() as uow:
            return uow.merchants.get_chaos(client_id)

    def _deliver(self, notification: Notification, chaos: ChaosSettings) -> _Outcome:
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
        sandbox = notification.client_id.startswith("SANDBOX_")
        client = self.http if self.http is not None else self._clients[sandbox]
        try:
            if self.http is not None:
                check_target(
                    notification.url, sandbox=sandbox, allow_private=self.allow_private_targets
                )
            result = attempt(client, notification, self.key, self.key_version, self.timeout_seconds)
        except BlockedTarget as exc:
            return _Outcome(notification, number, "blocked", Result(None, 0, None, str(exc), False))
        duplicate = None
        if chaos.duplicate and not self._closing:
            duplicate = attempt(
                client, notification, self.key, self.key_version, self.timeout_seconds
            )
        return _Outcome(notification, number, "delivery", result, duplicate)

    def _record(self, outcomes: list[_Outcome]) -> None:
        """One transaction records the attempts that ended and their next schedule."""
        if not outcomes:
            return
        now = self.clock()
        records: list[tuple[Notification, DeliveryAttempt]] = []
        with self.uow(write=True) as uow:
            for outcome in outcomes:
                notification, result = outcome.notification, outcome.result
                record = _attempt_row(notification, outcome.number, outcome.kind, result, now)
                uow.outbox.record_attempt(record)
                if outcome.duplicate is not None:
                    uow.outbox.record_attempt(
                        _attempt_row(
                            notification, outcome.number, "duplicate", outcome.duplicate, now
                        )
                    )
                _schedule(notification, outcome.number, result, now, final=outcome.final)
                uow.outbox.save(notification)
                records.append((notification, record))
            uow.commit()
        if self.on_attempt is not None:
            for notification, record in records:
                self.on_attempt(notification, record)


@dataclass(frozen=True, slots=True)
class _Outcome:
    notification: Notification
    number: int
    kind: str
    result: Result
    duplicate: Result | None = None
    #: Not retried: the notification is FAILED at once (a URL that is not http(s)).
    final: bool = False


def _attempt_row(
    notification: Notification, number: int, kind: str, result: Result, now: int
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
    )


def _schedule(
    notification: Notification, number: int, result: Result, now: int, *, final: bool = False
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
