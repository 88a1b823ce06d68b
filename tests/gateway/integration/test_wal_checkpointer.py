"""WAL checkpoints for the event loop's SQLite commits run on the store's own thread."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import text

from openams.gateway.app import Gateway
from openams.gateway.domain.merchant import Merchant
from openams.gateway.store.checkpointer import RESTART_PAGES
from openams.gateway.waiting import WouldWait, no_waiting

THREAD = "openams-wal-checkpoint"
#: Commits per checkpoint started, once the WAL is past RESTART_PAGES (about 500 pages).
BURST = 100


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    """Always SQLite, in the PostgreSQL pass too: WAL checkpoints are SQLite's."""
    return f"sqlite:///{tmp_path / 'openams.db'}"


def _write_without_waiting(gateway: Gateway, client_id: str, pad: int = 200) -> bool:
    """One commit as the event loop makes it; False when it had to wait (as the API's
    request threads do while a checkpoint holds the writer lock)."""
    try:
        with no_waiting():
            _write(gateway, client_id, pad)
        return True
    except WouldWait:
        _write(gateway, client_id, pad)
        return False


def _write(gateway: Gateway, client_id: str, pad: int = 200) -> None:
    with gateway.store(write=True) as uow:
        uow.merchants.add(Merchant(client_id, "checkpoint test " + "x" * pad, None, 0))
        uow.commit()


def _autocheckpoint(gateway: Gateway) -> int:
    with gateway.store() as uow:
        return int(uow.connection.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar_one())


def _checkpointer_threads() -> list[threading.Thread]:
    return [thread for thread in threading.enumerate() if thread.name == THREAD]


def test_connections_of_the_loop_leave_checkpoints_to_the_thread(gateway: Gateway) -> None:
    with no_waiting():
        assert _autocheckpoint(gateway) == 0
    assert _autocheckpoint(gateway) == 1000  # SQLite's default, back for other work


def test_the_thread_checkpoints_what_the_loop_committed(gateway: Gateway) -> None:
    for index in range(300):
        _write_without_waiting(gateway, f"SANDBOX_CKPT_{index}")
    checkpointer = gateway.store.checkpointer
    assert checkpointer is not None
    # The last commit asked for a checkpoint: wait for one to end after it.
    seen = checkpointer.checkpoints
    _wait_for(lambda: checkpointer.checkpoints > seen)
    with gateway.engine.connect() as conn:
        _busy, pages, copied = conn.execute(text("PRAGMA wal_checkpoint(PASSIVE)")).one()
    assert pages == copied  # nothing left that the thread had not copied already


def test_under_steady_commits_the_wal_still_starts_over(
    gateway: Gateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    """New pages arrive while a checkpoint syncs; past RESTART_PAGES a checkpoint holds
    the writer lock so that the WAL starts over instead of growing without end."""
    checkpointer = gateway.store.checkpointer
    assert checkpointer is not None
    # Paced by the checkpointer, not by the clock: once the WAL is past RESTART_PAGES
    # the writer makes at most BURST commits per checkpoint that starts, and goes on
    # writing while that checkpoint copies and syncs. So a starved checkpointer thread
    # (a loaded machine) cannot fall arbitrarily far behind, and each checkpoint still
    # sees new pages arrive: without the writer-lock RESTART the WAL is never all
    # copied when a writer begins, and grows by BURST commits every checkpoint.
    started = threading.Event()
    checkpoint = checkpointer._checkpoint

    def observed(conn: object) -> None:
        started.set()
        checkpoint(conn)

    monkeypatch.setattr(checkpointer, "_checkpoint", observed)
    wal = Path(str(gateway.engine.url.database) + "-wal")
    page_size = 4096
    largest = tokens = 0
    # Each commit writes about five pages (a row padded past a page), so a WAL that
    # never started over would pass 2 * RESTART_PAGES on the way.
    commits = RESTART_PAGES // 2
    waited = 0
    for index in range(commits):
        size = os.path.getsize(wal) if wal.exists() else 0
        largest = max(largest, size)
        if size > RESTART_PAGES * page_size:
            if not tokens:
                started.clear()
                assert started.wait(60), "no checkpoint started"
                tokens = BURST
            tokens -= 1
        waited += not _write_without_waiting(gateway, f"SANDBOX_STEADY_{index}", pad=8000)
    assert checkpointer.checkpoints > 1
    assert largest < 2 * RESTART_PAGES * page_size, (largest, commits)
    assert waited < commits / 10, (waited, commits)  # the lock is held now and then, briefly


def test_disposing_the_engine_ends_the_thread(gateway: Gateway) -> None:
    before = len(_checkpointer_threads())
    _write_without_waiting(gateway, "SANDBOX_ONE")
    assert len(_checkpointer_threads()) == before + 1
    gateway.engine.dispose()
    assert len(_checkpointer_threads()) == before
    _write_without_waiting(gateway, "SANDBOX_TWO")  # a later commit starts another
    assert len(_checkpointer_threads()) == before + 1


def _wait_for(condition: object, timeout: float = 10) -> None:
    assert callable(condition)
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)
