"""The dispatcher: claims due outbox rows, delivers them, records every attempt.

Several dispatchers can share one PostgreSQL database: claims take a lease with
``FOR UPDATE SKIP LOCKED``. A dispatcher that dies mid-delivery leaves its lease to
expire, and the notification is delivered again: at least once, never lost.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
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
from openams.gateway.notify.delivery import DELIVERY_TIMEOUT_SECONDS, Result, attempt
from openams.gateway.notify.ssrf import BlockedTarget, check_target
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
    batch_size: int = DEFAULT_BATCH
    lease_ms: int = DEFAULT_LEASE_MS
    concurrency: int = 16
    owner: str = field(default_factory=lambda: uuid.uuid4().hex[:16])
    http: httpx.Client = field(
        default_factory=lambda: httpx.Client(timeout=DELIVERY_TIMEOUT_SECONDS)
    )
    #: Called after each attempt is recorded (tests and the benchmark observe with it).
    on_attempt: Callable[[Notification, DeliveryAttempt], None] | None = None
    #: When given, each pass also settles asynchronous refunds / captures that are due.
    refunds: RefundService | None = None
    captures: CaptureService | None = None

    def __post_init__(self) -> None:
        self._pool = ThreadPoolExecutor(max_workers=self.concurrency)

    def close(self) -> None:
        self._pool.shutdown(wait=True)
        self.http.close()

    # ----------------------------------------------------------------- loop

    def run_once(self) -> int:
        """Expire due payments, settle due refunds and captures, then deliver one batch
        of due notifications."""
        self.payments.expire_due(self.batch_size)
        if self.refunds is not None:
            self.refunds.settle_due(self.batch_size)
        if self.captures is not None:
            self.captures.settle_due(self.batch_size)
        claimed = self._claim()
        if not claimed:
            return 0
        outcomes: list[_Outcome] = []
        for _client, group in groupby(claimed, key=lambda n: n.client_id):
            notifications = list(group)
            chaos = self._chaos(notifications[0].client_id)
            if chaos.out_of_order:
                # Newest first, one after another, so the merchant really sees them reversed.
                ordered = sorted(notifications, key=lambda n: -n.created_at)
                outcomes += [self._deliver(n, chaos) for n in ordered]
            else:
                outcomes += self._pool.map(lambda n, c=chaos: self._deliver(n, c), notifications)
        self._record(outcomes)
        return len(claimed)

    def run_forever(self, stop: threading.Event, poll_seconds: float = 0.5) -> None:
        while not stop.is_set():
            try:
                busy = self.run_once()
            except Exception:
                log.exception("dispatcher pass failed; retrying")
                busy = 0
            if not busy:
                stop.wait(poll_seconds)

    def drain(self, max_passes: int = 100) -> int:
        """Run passes until nothing is due (tests, the CLI and the benchmark use this)."""
        total = 0
        for _ in range(max_passes):
            done = self.run_once()
            total += done
            if not done:
                break
        return total

    # ------------------------------------------------------------- helpers

    def _claim(self) -> list[Notification]:
        with self.uow(write=True) as uow:
            claimed = uow.outbox.claim_due(self.clock(), self.batch_size, self.owner, self.lease_ms)
            uow.commit()
        return sorted(claimed, key=lambda n: (n.client_id, n.next_attempt_at))

    def _chaos(self, client_id: str) -> ChaosSettings:
        with self.uow() as uow:
            return uow.merchants.get_chaos(client_id)

    def _deliver(self, notification: Notification, chaos: ChaosSettings) -> _Outcome:
        number = notification.attempts + 1
        if number <= chaos.drop_first:
            dropped = Result(None, 0, None, "chaos: attempt dropped on purpose", False)
            return _Outcome(notification, number, "dropped", dropped)
        try:
            assert notification.url is not None
            check_target(
                notification.url,
                sandbox=notification.client_id.startswith("SANDBOX_"),
                allow_private=self.allow_private_targets,
            )
        except BlockedTarget as exc:
            return _Outcome(notification, number, "blocked", Result(None, 0, None, str(exc), False))
        result = attempt(self.http, notification, self.key, self.key_version)
        duplicate = None
        if chaos.duplicate:
            duplicate = attempt(self.http, notification, self.key, self.key_version)
        return _Outcome(notification, number, "delivery", result, duplicate)

    def _record(self, outcomes: list[_Outcome]) -> None:
        """One transaction records a whole batch: its attempts and the next schedule."""
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
                _schedule(notification, outcome.number, result, now)
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


def _schedule(notification: Notification, number: int, result: Result, now: int) -> None:
    """Delivered, failed for good after the 8th attempt, or due again after the interval."""
    notification.attempts = number
    notification.last_error = result.error
    if result.acknowledged:
        notification.status = DeliveryStatus.DELIVERED
        notification.delivered_at = now
    elif number >= MAX_ATTEMPTS:
        notification.status = DeliveryStatus.FAILED
    else:
        notification.next_attempt_at = now + ms_delta(delay_before_attempt(number + 1))
