"""Where the dispatcher runs: one asyncio loop (uvloop) on a thread of its own.

Everything of a dispatcher happens on that thread: its database work (claiming,
recording, the sweeps, run in between as plain blocking calls) and its attempts (each
an asyncio task). One thread, because the dispatcher's cost next to the RSA signature
is what is measured: a second thread would pay for every hand-over of the GIL and every
wake-up across threads (docs/benchmarks.md, "Notification delivery"). The callers of
``Dispatcher.run_forever`` / ``drain`` / ``close`` wait for the loop's result.

The claimed notifications are handed over per merchant: as many start as the merchant's
limit and the total concurrency allow; the others wait, still leased, in the merchant's
queue and start the moment one of that merchant's attempts ends. A queued notification
waits at most ``hold_seconds`` (chosen so that its attempt still ends before its lease
does); one that waited longer is handed back to be released, never started. Ended
attempts are handed back in batches, so the database sees one transaction per batch
rather than one per attempt.

The dispatcher's pass is woken (``wait``) when a batch of ended attempts is ready to be
recorded, and asked to claim (``claim_wanted``) when nothing is in flight, when a
merchant's queue runs short (it may be claimed for again) and when a slot is free that
nothing queued will fill. "Short" follows the merchant's pace (``starts_within``): a
fast merchant's queue holds what starts within ``QUEUE_AHEAD_SECONDS``, so that the
claim's round trip ends before the queue does; a slow one's, what starts next. Each
time a merchant's jobs start, ``ahead`` sees its queue (the dispatcher signs the next
ones there, in one go).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import logging
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import uvloop

from openams.gateway.domain.chaos import ChaosSettings
from openams.gateway.domain.notification import ClaimedNotification

log = logging.getLogger("openams.gateway.notify")

#: A merchant is claimed for until its queue holds what should start within this long
#: at its recent pace (its limit while it has none): a claim's round trip never leaves
#: a fast merchant's attempts waiting, and a slow one's are not held to be released.
QUEUE_AHEAD_SECONDS = 0.25
#: ... and never more than this many times its limit.
QUEUE_AHEAD_MAX = 32

Outcome = TypeVar("Outcome")
T = TypeVar("T")


@dataclass(slots=True)
class Job:
    notification: ClaimedNotification
    chaos: ChaosSettings
    #: ``time.monotonic()`` after which the job is released instead of started.
    start_by: float
    #: The attempt's signed headers, when signed ahead of its start, and when.
    signed: dict[str, str] | None = None
    signed_at: float = 0.0


class DeliveryLoop(Generic[Outcome]):
    def __init__(
        self,
        run: Callable[[Job], Coroutine[Any, Any, Outcome]],
        failed: Callable[[Job, Exception], Outcome],
        *,
        concurrency: int,
        hold_seconds: float,
        batch: int,
        ahead: Callable[[deque[Job]], None] = lambda _queue: None,
    ) -> None:
        self._run, self._failed = run, failed
        #: Called with a merchant's queue whenever jobs of it start (the dispatcher signs
        #: the next few there, while the attempts just started are out).
        self._ahead = ahead
        self.concurrency = concurrency
        self.hold_seconds = hold_seconds
        self._batch = batch
        self._queues: dict[str, deque[Job]] = {}
        self._limits: dict[str, int] = {}
        self._in_flight: Counter[str] = Counter()
        #: Each merchant's recent seconds per attempt (a moving average).
        self._pace: dict[str, float] = {}
        self._total = 0
        self._done: list[Outcome] = []
        self._expired: list[Job] = []
        self._tasks: set[asyncio.Task[None]] = set()
        self.claim_wanted = True
        #: True once the dispatcher is stopping: an ended attempt no longer starts a
        #: queued one (what is queued is released instead).
        self.stopping: Callable[[], bool] = lambda: False
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._ready: asyncio.Event | None = None
        self._nothing_in_flight: asyncio.Event | None = None
        self._start_lock = threading.Lock()

    # ------------------------------------------------------- from other threads

    def call(self, work: Callable[[], Coroutine[Any, Any, T]]) -> T:
        """Run ``work()`` on the loop's thread (started on first use) and wait for it."""
        loop = self._running_loop()
        future: concurrent.futures.Future[T] = asyncio.run_coroutine_threadsafe(work(), loop)
        return future.result()

    def started(self) -> bool:
        return self._loop is not None

    def stop(self) -> None:
        """End the loop's thread (after ``call`` has let the attempts end)."""
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return

        async def finish() -> None:
            await loop.shutdown_default_executor()
            loop.stop()

        asyncio.run_coroutine_threadsafe(finish(), loop)
        thread.join()
        loop.close()
        self._loop = self._thread = None

    # ------------------------------------------------------------- on the loop

    def room(self) -> tuple[int, set[str], int]:
        """Free slots, the merchants not to claim for (enough of theirs queued, or at
        their limit when nothing may be queued), and how many are queued."""
        free = self.concurrency - self._total
        queued = sum(len(q) for q in self._queues.values())
        if self.hold_seconds > 0:
            skip = {c for c, q in self._queues.items() if len(q) >= self._queue_target(c)}
        else:
            skip = {c for c, n in self._in_flight.items() if n >= self._limits[c]}
        return free, skip, queued

    def add(self, client_id: str, jobs: list[Job], limit: int) -> tuple[int, list[Job]]:
        """Start what the limits allow, queue the rest (when it may be held). Returns
        how many were started or queued, and the jobs to release at once."""
        self._limits[client_id] = limit
        queue = self._queues.setdefault(client_id, deque())
        queue.extend(jobs)
        self._start(self._startable(time.monotonic()))
        self._ahead(queue)
        release: list[Job] = []
        if self.hold_seconds <= 0:
            release = list(queue)
            queue.clear()
        if not queue:
            del self._queues[client_id]
        return len(jobs) - len(release), release

    def take(self) -> tuple[list[Outcome], list[Job]]:
        """The outcomes of ended attempts, and the queued jobs that waited too long."""
        done, self._done = self._done, []
        expired, self._expired = self._expired, []
        return done, expired

    def take_queued(self) -> list[Job]:
        """Every queued job (closing: they are released, not started)."""
        queued = [job for queue in self._queues.values() for job in queue]
        self._queues.clear()
        return queued

    def starts_within(self, client_id: str, seconds: float) -> int:
        """How many of the merchant's queued jobs should start within ``seconds`` at its
        recent pace: its limit while it has none, never fewer."""
        limit = self._limits.get(client_id, 1)
        pace = self._pace.get(client_id)
        if pace is None:
            return limit
        return max(limit, int(limit * seconds / max(pace, 0.0001)))

    def idle(self) -> bool:
        return not (self._total or self._done or self._expired or any(self._queues.values()))

    async def wait(self, timeout: float) -> None:
        """Until there is something to record or to claim for, or ``timeout``."""
        ready = self._events()[0]
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(ready.wait(), timeout)
        ready.clear()

    async def wait_for_in_flight(self) -> None:
        """Until every attempt started has ended (each ends within its deadline)."""
        await self._events()[1].wait()

    # ----------------------------------------------------------------- helpers

    def _running_loop(self) -> asyncio.AbstractEventLoop:
        with self._start_lock:
            if self._loop is None:
                loop = uvloop.new_event_loop()
                thread = threading.Thread(
                    target=loop.run_forever, name="openams-notify", daemon=True
                )
                thread.start()
                self._loop, self._thread = loop, thread
            return self._loop

    def _events(self) -> tuple[asyncio.Event, asyncio.Event]:
        if self._ready is None or self._nothing_in_flight is None:
            self._ready, self._nothing_in_flight = asyncio.Event(), asyncio.Event()
            if not self._total:
                self._nothing_in_flight.set()
        return self._ready, self._nothing_in_flight

    def _queue_target(self, client_id: str) -> int:
        limit = self._limits[client_id]
        return min(QUEUE_AHEAD_MAX * limit, self.starts_within(client_id, QUEUE_AHEAD_SECONDS))

    def _startable(self, now: float) -> list[Job]:
        """Pop the queued jobs the limits allow now, and count them in."""
        start: list[Job] = []
        for client_id, queue in self._queues.items():
            limit = self._limits[client_id]
            while queue and self._in_flight[client_id] < limit and self._total < self.concurrency:
                job = queue.popleft()
                if self.hold_seconds > 0 and now > job.start_by:
                    self._expired.append(job)
                    continue
                start.append(job)
                self._in_flight[client_id] += 1
                self._total += 1
        return start

    def _start(self, jobs: list[Job]) -> None:
        if not jobs:
            return
        self._events()[1].clear()
        loop = asyncio.get_running_loop()
        for job in jobs:
            task = loop.create_task(self._attempt(job))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _attempt(self, job: Job) -> None:
        started = time.monotonic()
        try:
            outcome = await self._run(job)
        except Exception as exc:  # never lose the slot; the attempt is recorded
            log.exception("delivery of %s failed", job.notification.notification_id)
            outcome = self._failed(job, exc)
        client_id = job.notification.client_id
        seconds = time.monotonic() - started
        pace = self._pace.get(client_id)
        self._pace[client_id] = seconds if pace is None else pace + (seconds - pace) / 8
        self._done.append(outcome)
        self._in_flight[client_id] -= 1
        if not self._in_flight[client_id]:
            del self._in_flight[client_id]
        self._total -= 1
        target = self._queue_target(client_id)
        queue = self._queues.get(client_id)
        before = len(queue) if queue is not None else 0
        if not self.stopping():
            self._start(self._startable(time.monotonic()))
            if queue is not None:
                self._ahead(queue)
        after = len(queue) if queue is not None else 0
        if queue is not None and not queue:
            del self._queues[client_id]
        claim = (
            not self._total
            # the merchant's queue just ran short: it may be claimed for again
            or (before >= target > after)
            # a slot nothing queued will fill, while few are busy
            or (not after and self._total <= self.concurrency // 2)
        )
        ready, nothing_in_flight = self._events()
        if not self._total:
            nothing_in_flight.set()
        if claim:
            self.claim_wanted = True
        if claim or len(self._done) >= self._batch:
            ready.set()
