"""Off the request path: each AMS exchange is logged (one line naming its AMS result) and
stored in the request log, in batches, by a background thread.

The request path only appends to a bounded queue. When the queue is full (the database
cannot keep up), the newest exchanges are not stored and the count of them is logged:
the request log is a developer's view, never a reason to slow a payment down.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque

from openams.gateway.domain.clock import Clock, system_clock
from openams.gateway.domain.request_log import Exchange
from openams.gateway.services.request_log import RequestLogService, entry_from

#: The logger of the per-call lines; its handlers are flushed after each batch.
CALLS_LOGGER = "openams.gateway.requests"
log = logging.getLogger(CALLS_LOGGER)

#: Exchanges waiting to be stored, at most.
QUEUE_CAPACITY = 10_000
#: How often the writer stores what waits.
FLUSH_SECONDS = 0.25
#: How often the writer drops what the retention settings no longer keep.
PRUNE_SECONDS = 60.0
#: The writer thread ends after this long with nothing to do (a new exchange starts it).
IDLE_SECONDS = 5.0


class RequestRecorder:
    def __init__(
        self,
        service: RequestLogService | None,
        *,
        capacity: int = QUEUE_CAPACITY,
        flush_seconds: float = FLUSH_SECONDS,
        prune_seconds: float = PRUNE_SECONDS,
        clock: Clock = system_clock,
    ) -> None:
        self.service = service
        self.clock = clock
        self.capacity = capacity
        self.flush_seconds = flush_seconds
        self.prune_seconds = prune_seconds
        self.dropped = 0
        self._queue: deque[Exchange] = deque()
        # Never held for long: record() takes it on the event loop to start the writer.
        self._start_lock = threading.Lock()
        self._drain_lock = threading.Lock()  # one drain at a time
        self._thread: threading.Thread | None = None
        self._closed = threading.Event()
        self._next_prune = time.monotonic()

    def record(self, exchange: Exchange) -> None:
        """Called on the request path: O(1), never waits on the database."""
        if len(self._queue) >= self.capacity:
            self.dropped += 1
        else:
            self._queue.append(exchange)
        if self._thread is None and not self._closed.is_set():
            self._start()

    def close(self) -> None:
        """Store what waits and end the writer thread; nothing is written after this
        (the gateway's engine is about to go). Calls recorded later stay in memory."""
        self._closed.set()
        thread = self._thread
        if thread is not None:
            thread.join(timeout=30)
        self.flush()

    def flush(self) -> None:
        """Store everything recorded so far (readers in this process call it first)."""
        with self._drain_lock:
            self._drain()

    def _start(self) -> None:
        with self._start_lock:
            if self._thread is None and not self._closed.is_set():
                self._thread = threading.Thread(
                    target=self._run, name="openams-request-log", daemon=True
                )
                self._thread.start()

    def _run(self) -> None:
        idle_since = time.monotonic()
        while not self._closed.wait(self.flush_seconds):
            if self._queue:
                idle_since = time.monotonic()
                self.flush()
            elif time.monotonic() - idle_since > IDLE_SECONDS:
                break
            self._maybe_prune()
        with self._start_lock:
            self._thread = None
        if self._queue and not self._closed.is_set():  # recorded while this thread ended
            self._start()

    def _drain(self) -> None:
        while self._queue:
            self._store([self._queue.popleft() for _ in range(min(len(self._queue), 1000))])
        if self.dropped:
            log.warning("request log: %d exchanges not stored (queue full)", self.dropped)
            self.dropped = 0
        _flush_lines()

    def _store(self, batch: list[Exchange]) -> None:
        if self.service is None and not log.isEnabledFor(logging.INFO):
            return  # nothing to store and no log line to write
        try:
            entries = (
                self.service.write(batch)
                if self.service is not None
                else [entry_from(exchange) for exchange in batch]
            )
        except Exception:
            if len(batch) > 1:  # one bad exchange must not lose the others
                for exchange in batch:
                    self._store([exchange])
                return
            log.exception("request log: an exchange of %s not stored", batch[0].path[:200])
            return
        if log.isEnabledFor(logging.INFO):
            for entry in entries:
                log.info(
                    "%s client=%s %s %s %.1f ms",
                    entry.path,
                    entry.client_id or "-",
                    entry.result_status or "-",
                    entry.result_code or "-",
                    entry.latency_us / 1000,
                )

    def _maybe_prune(self) -> None:
        if self.service is None or time.monotonic() < self._next_prune:
            return
        self._next_prune = time.monotonic() + self.prune_seconds
        try:
            dropped = self.service.prune()
        except Exception:
            log.exception("request log: pruning failed")
            return
        if dropped:
            log.info("request log: %d old entries dropped", dropped)
            _flush_lines()


def _flush_lines() -> None:
    """Write out what the per-call logger's handlers keep (see cli/line_batches.py)."""
    for handler in log.handlers:
        try:
            handler.flush()
        except Exception:  # a closed or broken stream: logging's own rule, never raise
            handler.handleError(logging.makeLogRecord({"msg": "flushing the call lines"}))
