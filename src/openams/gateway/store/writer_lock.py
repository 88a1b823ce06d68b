"""This process's SQLite writers, one at a time, and what "would wait" means for them.

SQLite has one writer at a time, and a writer that finds the lock taken sleeps in
SQLite's busy handler (1 ms, 2 ms, 5 ms, ... steps). Queueing this process's writers on
a lock first hands the database over as soon as it is free. Work that must not wait
(``waiting.no_waiting``) does not queue: it gets :class:`WouldWait`.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import TracebackType

from openams.gateway.store.engine import is_sqlite_busy
from openams.gateway.waiting import WouldWait, may_wait


class WriterLock:
    def __init__(self) -> None:
        self._lock = threading.RLock()

    def __enter__(self) -> None:
        if not self._lock.acquire(blocking=may_wait()):
            raise WouldWait

    def __exit__(
        self,
        _type: type[BaseException] | None,
        _value: BaseException | None,
        _traceback: TracebackType | None,
    ) -> None:
        self._lock.release()


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
