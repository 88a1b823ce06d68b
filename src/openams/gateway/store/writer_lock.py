"""This process's SQLite writers, one at a time, and what "would wait" means for them.

SQLite has one writer at a time, and a writer that finds the lock taken sleeps in
SQLite's busy handler (1 ms, 2 ms, 5 ms, ... steps). Queueing this process's writers on
a lock first hands the database over as soon as it is free. Work that must not wait
(``waiting.no_waiting``) does not queue: it gets :class:`WouldWait`.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import TracebackType

from openams.gateway.store.engine import is_sqlite_busy
from openams.gateway.waiting import WouldWait, may_wait


class WriterLock:
    def __init__(self) -> None:
        self._lock = threading.RLock()
        # Event-loop futures waiting for the lock to be free (WouldWait.lock).
        self._waiting: list[tuple[asyncio.AbstractEventLoop, asyncio.Future[None]]] = []
        self._waiting_lock = threading.Lock()
        # The thread holding the lock for an open transaction, and how to end it.
        self._held_open: tuple[int, Callable[[], None]] | None = None

    def __enter__(self) -> None:
        if not self._lock.acquire(blocking=may_wait()):
            raise WouldWait(self)
        held_open = self._held_open
        if held_open is not None and held_open[0] == threading.get_ident():
            held_open[1]()  # this thread's open transaction first: see hold_open

    def hold_open(self, flush: Callable[[], None]) -> None:
        """Take the lock, without waiting (:class:`WouldWait`), for a transaction left
        open when this call returns (the event loop's batch of new payments), until
        :meth:`release_open`. Should this thread enter the lock meanwhile (a write on
        another connection, which would wait for that transaction), ``flush`` runs first:
        it ends the transaction and calls :meth:`release_open`."""
        if not self._lock.acquire(blocking=False):
            raise WouldWait(self)
        self._held_open = (threading.get_ident(), flush)

    def release_open(self) -> None:
        self._held_open = None
        self.__exit__(None, None, None)

    def __exit__(
        self,
        _type: type[BaseException] | None,
        _value: BaseException | None,
        _traceback: TracebackType | None,
    ) -> None:
        self._lock.release()
        if self._waiting:  # read without the lock: when_free checks again after adding
            self._wake()

    def taken(self) -> bool:
        """Another thread holds the lock now (a moment later it may not)."""
        if self._lock.acquire(blocking=False):
            self._lock.release()
            return False
        return True

    def when_free(self) -> asyncio.Future[None]:
        """A future of the running loop, done once the lock is free (perhaps at once; the
        lock may be taken again before the waiter runs: it then tries again)."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[None] = loop.create_future()
        with self._waiting_lock:
            self._waiting.append((loop, future))
        # Released between the failed attempt and the line above, nobody would wake it.
        if not self.taken():
            self._wake()
        return future

    @property
    def waiters(self) -> int:
        """Event-loop futures waiting for the lock to be free."""
        return len(self._waiting)

    def _wake(self) -> None:
        with self._waiting_lock:
            waiting, self._waiting = self._waiting, []
        for loop, future in waiting:
            # A closed loop (RuntimeError) has nobody waiting any more.
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(_settle, future)


def _settle(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


@contextmanager
def busy_means_would_wait() -> Iterator[None]:
    """SQLITE_BUSY inside the block, met by work that must not wait (another process's
    write transaction, or a reader's rare busy), is :class:`WouldWait`: the statement
    that met it wrote nothing."""
    try:
        yield
    except Exception as exc:
        if not may_wait() and is_sqlite_busy(exc):
            raise WouldWait from exc
        raise
