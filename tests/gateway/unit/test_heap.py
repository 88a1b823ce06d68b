"""settle_heap: what startup left behind is collected, what is alive is frozen, and the
young generation is collected less often."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator

import pytest

from openams.gateway.heap import YOUNG_THRESHOLD, settle_heap


class _Node:
    def __init__(self) -> None:
        self.other: _Node | None = None


@pytest.fixture
def restored_collector() -> Iterator[None]:
    threshold = gc.get_threshold()
    try:
        yield
    finally:
        gc.unfreeze()
        gc.set_threshold(*threshold)


@pytest.mark.usefixtures("restored_collector")
def test_settle_heap_collects_garbage_freezes_the_living_and_raises_the_young_threshold() -> None:
    middle_and_old = gc.get_threshold()[1:]
    garbage_a, garbage_b = _Node(), _Node()
    garbage_a.other, garbage_b.other = garbage_b, garbage_a  # a cycle: only gc frees it
    garbage = weakref.ref(garbage_a)
    del garbage_a, garbage_b
    alive = _Node()

    settle_heap()

    assert garbage() is None  # collected, not frozen for the life of the process
    assert gc.get_freeze_count() > 0
    assert any(obj is alive for obj in gc.get_objects()) is False  # frozen: not scanned
    assert gc.get_threshold() == (YOUNG_THRESHOLD, *middle_and_old)
