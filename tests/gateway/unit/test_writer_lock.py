"""The store's writer lock tells the event loop when it is free (WouldWait.lock)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from openams.gateway.store.writer_lock import WriterLock
from openams.gateway.waiting import WouldWait, no_waiting


async def _turns(count: int) -> None:
    for _ in range(count):
        await asyncio.sleep(0)


@contextmanager
def held_by_another_thread(lock: WriterLock) -> Iterator[threading.Event]:
    """The lock, taken by a thread of its own until the event yielded is set."""
    taken, leave = threading.Event(), threading.Event()

    def hold() -> None:
        with lock:
            taken.set()
            leave.wait(30)

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert taken.wait(30)
        yield leave
    finally:
        leave.set()
        holder.join(30)


def test_a_would_wait_names_the_lock_it_met() -> None:
    lock = WriterLock()
    with held_by_another_thread(lock), no_waiting(), pytest.raises(WouldWait) as raised:
        lock.__enter__()
    assert raised.value.lock is lock


def test_waiting_for_a_free_lock_ends_at_the_next_turn_of_the_loop() -> None:
    """Freed between the failed attempt and the wait: nobody else would wake it."""

    async def main() -> bool:
        free = WriterLock().when_free()
        await _turns(2)
        return free.done()

    assert asyncio.run(main())


def test_a_waiter_is_woken_when_the_holder_lets_go_and_not_before() -> None:
    lock = WriterLock()

    async def main() -> tuple[bool, bool]:
        with held_by_another_thread(lock) as leave:
            free = lock.when_free()
            await _turns(5)
            held_then = free.done()
            leave.set()
            await asyncio.wait_for(free, 30)  # the timeout only breaks a missed wake-up
        return held_then, free.done()

    assert asyncio.run(main()) == (False, True)
