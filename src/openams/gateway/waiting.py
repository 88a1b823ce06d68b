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
up after that would repeat the write on the thread. A new payment stored by a loop
attempt may join the loop's batch instead (``no_waiting(batch=True)``): committed at
the end of the turn, with the attempt's answer held until then (:func:`joined_batch`,
``store/payment_writer.py``).
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
    #: The attempt's new payment may join the event loop's batch (committed later in
    #: this turn of the loop); set by the API's loop attempts only.
    batch = False
    #: The batch commit this attempt's write joined: its answer waits for it.
    commit: Awaitable[None] | None = None


_scope = _Scope()


@contextmanager
def no_waiting(*, batch: bool = False) -> Iterator[None]:
    """Within this block (on this thread), a database wait raises :class:`WouldWait`;
    with ``batch``, a new payment may be left to the event loop's batch commit
    (:func:`joined_batch`, then :func:`take_batch_commit` once the block is over)."""
    _scope.strict, _scope.batch, _scope.commit = True, batch, None
    try:
        yield
    finally:
        _scope.strict = _scope.batch = False


def may_wait() -> bool:
    return not _scope.strict


def may_batch() -> bool:
    """A write here may join the event loop's batch instead of committing at once."""
    return _scope.strict and _scope.batch


def joined_batch(commit: Awaitable[None]) -> None:
    """This attempt's write is durable once ``commit`` is done (or failed with it)."""
    _scope.commit = commit


def take_batch_commit() -> Awaitable[None] | None:
    """The batch commit the last attempt on this thread joined, if any (once)."""
    commit, _scope.commit = _scope.commit, None
    return commit


def wrote() -> None:
    """A write was committed: from now on this attempt waits like any other work."""
    _scope.strict = False
