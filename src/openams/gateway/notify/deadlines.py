"""The total deadline of each delivery attempt, for one timer per dispatcher.

``asyncio.timeout`` gives every attempt a timer of its own; on uvloop each one is a
libuv timer started and stopped, about 4.5 µs of the dispatcher's core per attempt
(docs/benchmarks.md, "Sixth pass"). A dispatcher's attempts all have the same length,
so their deadlines come due in the order the attempts began: one queue in that order
and one timer, set for the oldest attempt still running, bound them all. An attempt
still running at its deadline is cancelled and raises ``TimeoutError``, as under
``asyncio.timeout``.

Used on one event loop's thread only (the dispatcher's).
"""

from __future__ import annotations

import asyncio
from collections import deque
from types import TracebackType


class _Bound:
    """One attempt's deadline: entered around the attempt (``with deadlines.bound():``)."""

    __slots__ = ("_owner", "at", "cancelling", "expired", "task")

    def __init__(self, owner: Deadlines) -> None:
        self._owner = owner
        self.at = 0.0
        #: The bounded task while the bound is entered (None before and after).
        self.task: asyncio.Task[object] | None = None
        self.cancelling = 0
        self.expired = False

    def __enter__(self) -> _Bound:
        task = asyncio.current_task()
        if task is None:
            raise RuntimeError("a deadline bounds a task")
        self.task, self.cancelling = task, task.cancelling()
        self._owner._start(self)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        task, self.task = self.task, None
        self._owner._ended()
        # our cancellation, unless someone else cancelled the task too
        if (
            self.expired
            and exc_type is asyncio.CancelledError
            and task is not None
            and task.uncancel() <= self.cancelling
        ):
            raise TimeoutError from exc


class Deadlines:
    """Every bound lasts ``seconds`` from its start."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._running: deque[_Bound] = deque()
        self._timer: asyncio.TimerHandle | None = None
        #: The loop the timer is set on: a dispatcher started again after ``close`` runs
        #: on a new loop, where the old loop's timer would never fire.
        self._loop: asyncio.AbstractEventLoop | None = None

    def bound(self) -> _Bound:
        return _Bound(self)

    def _start(self, bound: _Bound) -> None:
        loop = asyncio.get_running_loop()
        if loop is not self._loop:
            self._loop, self._timer = loop, None
            self._running.clear()  # what ran on a loop that is gone
        bound.at = loop.time() + self.seconds
        self._running.append(bound)
        if self._timer is None:
            self._timer = loop.call_at(bound.at, self._expire)

    def _ended(self) -> None:
        running = self._running
        while running and running[0].task is None:
            running.popleft()  # what ended in order leaves at once: the queue stays short

    def _expire(self) -> None:
        self._timer = None
        loop = asyncio.get_running_loop()
        now = loop.time()
        running = self._running
        while running and (running[0].task is None or running[0].at <= now):
            bound = running.popleft()
            if bound.task is not None:
                bound.expired = True
                bound.task.cancel()
        if running:
            self._timer = loop.call_at(running[0].at, self._expire)
