"""The dispatcher's deadlines: one timer bounds every attempt, each at its own deadline."""

from __future__ import annotations

import asyncio

import pytest
import uvloop

from openams.gateway.notify.deadlines import Deadlines

SECONDS = 0.02


def run(main: object) -> None:
    uvloop.run(main)  # type: ignore[arg-type]


def test_an_attempt_still_running_at_its_deadline_raises_timeout() -> None:
    async def main() -> None:
        deadlines = Deadlines(SECONDS)
        await outlives_its_deadline(deadlines)

    run(main())


async def outlives_its_deadline(deadlines: Deadlines) -> None:
    with pytest.raises(TimeoutError):
        async with asyncio.timeout(30) as guard:  # without the deadline, the guard expires
            with deadlines.bound():
                await asyncio.Event().wait()
    assert not guard.expired()


def test_a_new_event_loop_gets_a_timer_of_its_own() -> None:
    """A dispatcher started again after close runs on a new loop: the timer the old
    loop held never fires there."""
    deadlines = Deadlines(SECONDS)

    async def ends_at_once() -> None:
        with deadlines.bound():
            await asyncio.sleep(0)

    run(ends_at_once())  # its loop closes with the timer still set
    run(outlives_its_deadline(deadlines))


def test_no_attempt_is_cancelled_before_its_own_deadline() -> None:
    """Attempts that begin one after another, each outliving its deadline: every one
    times out, none before its own deadline, in the order they began."""

    async def one(deadlines: Deadlines, index: int, ended: list[tuple[int, float, float]]) -> None:
        with pytest.raises(TimeoutError), deadlines.bound() as bound:
            await asyncio.Event().wait()
        ended.append((index, bound.at, asyncio.get_running_loop().time()))

    async def main() -> None:
        deadlines = Deadlines(SECONDS)
        ended: list[tuple[int, float, float]] = []
        tasks = []
        for index in range(10):
            tasks.append(asyncio.create_task(one(deadlines, index, ended)))
            await asyncio.sleep(SECONDS / 4)
        async with asyncio.timeout(30):
            await asyncio.gather(*tasks)
        assert [index for index, _at, _when in ended] == list(range(10))
        for _index, at, when in ended:
            assert when >= at

    run(main())


def test_an_attempt_that_ended_is_never_cancelled_afterwards() -> None:
    """Attempts that end quickly behind one that outlives its deadline: the timer that
    cancels that one passes over them, and their tasks go on undisturbed."""

    async def outlives(deadlines: Deadlines) -> None:
        with pytest.raises(TimeoutError), deadlines.bound():
            await asyncio.Event().wait()

    async def main() -> None:
        deadlines = Deadlines(SECONDS)
        slow = asyncio.create_task(outlives(deadlines))
        await asyncio.sleep(0)
        for _ in range(100):
            with deadlines.bound():
                await asyncio.sleep(0)
        async with asyncio.timeout(30):
            await slow  # the timer has fired
        await asyncio.sleep(SECONDS * 2)  # ... and no cancellation reaches this task
        with deadlines.bound():  # a new bound after the timer's work still works
            await asyncio.sleep(0)

    run(main())


def test_another_cancellation_is_not_turned_into_a_timeout() -> None:
    async def bounded(deadlines: Deadlines, started: asyncio.Event) -> None:
        with deadlines.bound():
            started.set()
            await asyncio.Event().wait()

    async def main() -> None:
        deadlines = Deadlines(60)
        started = asyncio.Event()
        task = asyncio.create_task(bounded(deadlines, started))
        await started.wait()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    run(main())


def test_a_bound_needs_a_task() -> None:
    deadlines = Deadlines(SECONDS)
    with pytest.raises(RuntimeError), deadlines.bound():
        pass


def test_what_ended_leaves_the_queue_at_once() -> None:
    """The queue holds what is in flight (and what ended behind an older attempt still
    running), not every attempt of the last ``seconds``."""

    async def main() -> None:
        deadlines = Deadlines(60)
        for _ in range(100):
            with deadlines.bound():
                await asyncio.sleep(0)
        assert len(deadlines._running) == 0

    run(main())
