"""Work that must not wait for the database: the event loop's first attempt at a request.

On SQLite the AMS API answers a request on the event loop first: the work is CPU (RSA,
parsing, one short write) and a hop to a request thread costs about as much again as
the database does. Inside :func:`no_waiting` a store that would have to wait (for the
writer lock another thread of this process holds, or for another process's write
transaction) raises :class:`WouldWait` instead, before it writes anything, and the API
runs the rest of the request on its threads, where waiting blocks nobody else.

When all it met is the writer lock, the request waits for that lock on the event loop
instead, without blocking it (``WouldWait.lock``), and tries there again: the lock's
holder (the request log's writer, the WAL checkpointer, a hosted page) is done within
milliseconds, and a hop costs every request that takes it about 0.1 ms of CPU.

Once the attempt has committed a write, waiting is allowed again (:func:`wrote`): giving
up after that would repeat the write on the thread.
"""

from __future__ import annotations

import threading
from collections.abc import Awaitable, Iterator
from contextlib import contextmanager
from typing import Protocol


class FreedLater(Protocol):
    """A lock of this process that says when it is free (the store's writer lock)."""

    def taken(self) -> bool:
        """Another thread holds it now."""
        ...

    def when_free(self) -> Awaitable[None]:
        """Done once the lock is free: called on the event loop, awaited there."""
        ...


class WouldWait(Exception):
    """The database is busy; nothing was written. Run the work again where it may wait;
    or, when all it met is ``lock`` (another thread of this process writing), on the
    event loop again once that lock is free."""

    def __init__(self, lock: FreedLater | None = None) -> None:
        super().__init__()
        self.lock = lock


class _Scope(threading.local):
    strict = False


_scope = _Scope()


@contextmanager
def no_waiting() -> Iterator[None]:
    """Within this block (on this thread), a database wait raises :class:`WouldWait`."""
    _scope.strict = True
    try:
        yield
    finally:
        _scope.strict = False


def may_wait() -> bool:
    return not _scope.strict


def wrote() -> None:
    """A write was committed: from now on this attempt waits like any other work."""
    _scope.strict = False
