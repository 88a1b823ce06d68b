"""The garbage collector of a long-running gateway process, once it has started.

CPython's cyclic collector scans the objects it tracks: now and then all of them (a
full collection) and, every ``700`` new container objects by default, the young ones.
A started gateway holds some 130,000 such objects that live as long as the process
(modules, SQLAlchemy's tables and compiled statements, pydantic's models), and its
requests and deliveries make short-lived ones at a steady rate. Measured under
``bench/bench_notifications.py`` (10,000 deliveries, ``gc.callbacks``), the collector
took 86-98 ms of a 3.6 s drain, about 2.5% of the dispatcher's core: one full
collection of 60 ms and some 150 young ones.

:func:`settle_heap`, called once the process is built and before it serves, collects
what startup left behind, moves everything alive into the permanent generation
(``gc.freeze``: never scanned again) and lets the young generation grow to
``YOUNG_THRESHOLD`` objects between collections, so that most short-lived objects are
freed by their reference counts before any collection looks at them. Not for tests or
libraries: objects frozen stay, even when they later become unreachable garbage.
"""

from __future__ import annotations

import gc

#: Container objects allocated (less those freed) between two young collections.
YOUNG_THRESHOLD = 10_000


def settle_heap() -> None:
    gc.collect()
    gc.freeze()
    _young, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, middle, old)
