"""SQLite's default: AMS requests answered on the event loop until the database would make
the loop wait, then on the request threads (``gateway/waiting.py``)."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import event, func, select
from sqlalchemy.engine import make_url

from openams.gateway.app import Gateway
from openams.gateway.domain.merchant import Merchant
from openams.gateway.settings import Settings
from openams.gateway.store.engine import is_sqlite
from openams.gateway.store.tables import payments
from openams.gateway.waiting import WouldWait, no_waiting
from openams.gateway.web.api.router import LOOP_TRIES
from openams.gateway.web.api.router import THREAD_NAME as API_THREAD
from tests.ams_client import AmsClient
from tests.gateway.integration.payloads import pay_body


def _count(gateway: Gateway) -> int:
    with gateway.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(payments)).scalar_one())


def test_pay_runs_on_the_loop_on_sqlite_and_on_the_request_threads_on_postgresql(
    ams: AmsClient, gateway: Gateway, handler_threads: list[str]
) -> None:
    assert ams.call("payments/pay", pay_body()).code == "PAYMENT_IN_PROCESS"
    (thread,) = handler_threads
    assert thread.startswith(API_THREAD) is not is_sqlite(gateway.engine), thread


class TestTurnedOff:
    @pytest.fixture
    def database_url(self, tmp_path: Path) -> str:
        return f"sqlite:///{tmp_path / 'openams.db'}"

    @pytest.fixture
    def settings(self, settings: Settings) -> Settings:
        return settings.model_copy(update={"api_loop_first": False})

    def test_with_loop_first_off_every_pay_runs_on_a_request_thread(
        self, ams: AmsClient, handler_threads: list[str]
    ) -> None:
        assert ams.call("payments/pay", pay_body()).code == "PAYMENT_IN_PROCESS"
        (thread,) = handler_threads
        assert thread.startswith(API_THREAD), thread


class TestOnSqlite:
    """Always on a SQLite file, in the PostgreSQL pass too: the behaviour is SQLite's."""

    @pytest.fixture
    def database_url(self, tmp_path: Path) -> str:
        return f"sqlite:///{tmp_path / 'openams.db'}"

    @pytest.fixture
    def settings(self, settings: Settings) -> Settings:
        # One request per hour after the first: a request counted twice is refused.
        return settings.model_copy(
            update={"rate_limit_per_second": 1 / 3600, "rate_limit_burst": 1}
        )

    @staticmethod
    @contextmanager
    def other_process_writing(gateway: Gateway) -> Iterator[None]:
        """A write transaction held on a connection of its own, as another process's."""
        database = make_url(str(gateway.engine.url)).database
        assert database
        other = sqlite3.connect(database, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            other.execute("ROLLBACK")
            other.close()

    @staticmethod
    @contextmanager
    def this_process_writing(gateway: Gateway, for_seconds: float = 30) -> Iterator[None]:
        """A unit of work that writes, held open on another thread of the gateway's until
        the block ends or ``for_seconds`` pass."""
        entered, leave = threading.Event(), threading.Event()

        def hold() -> None:
            with gateway.store(write=True):
                entered.set()
                leave.wait(for_seconds)

        holder = threading.Thread(target=hold)
        holder.start()
        assert entered.wait(10)
        try:
            yield
        finally:
            leave.set()
            holder.join(10)

    def test_a_pay_that_would_wait_for_another_process_moves_to_a_request_thread(
        self, ams: AmsClient, http: httpx.Client, gateway: Gateway, handler_threads: list[str]
    ) -> None:
        with ThreadPoolExecutor(max_workers=1) as pool:
            with self.other_process_writing(gateway):
                pending: Future[Any] = pool.submit(ams.call, "payments/pay", pay_body())
                _wait_for(lambda: len(handler_threads) == 2)
                # The loop gave the pay away and answers others while it waits: the
                # writer is released only after this block, so a loop blocked on the pay
                # could not answer at all (the timeout only breaks that deadlock).
                assert http.get("/healthz", timeout=120).status_code == 200
                assert not pending.done()
            reply = pending.result(timeout=30)

        assert reply.code == "PAYMENT_IN_PROCESS", reply.body
        on_loop, on_thread = handler_threads
        assert not on_loop.startswith(API_THREAD) and on_thread.startswith(API_THREAD)
        _assert_stored_and_counted_once(ams, gateway)

    def test_a_pay_that_meets_this_process_writing_waits_on_the_loop_and_the_loop_stays_free(
        self, ams: AmsClient, http: httpx.Client, gateway: Gateway, handler_threads: list[str]
    ) -> None:
        """The writer lock held by another thread of the process (the request log's
        writer, the checkpointer, a hosted page): no hop, and the handler waits to run
        until the lock is free, on the loop."""
        with ThreadPoolExecutor(max_workers=1) as pool:
            with self.this_process_writing(gateway):
                pending: Future[Any] = pool.submit(ams.call, "payments/pay", pay_body())
                _wait_for(lambda: gateway.store.writer_lock.waiters == 1)
                assert http.get("/healthz", timeout=120).status_code == 200
                assert not pending.done()
                assert handler_threads == []  # authenticated, parsed, not handled yet
            reply = pending.result(timeout=30)

        assert reply.code == "PAYMENT_IN_PROCESS", reply.body
        (on_loop,) = handler_threads
        assert not on_loop.startswith(API_THREAD), handler_threads
        _assert_stored_and_counted_once(ams, gateway)

    def test_a_pay_that_keeps_meeting_the_writer_lock_goes_to_a_request_thread_at_last(
        self, ams: AmsClient, gateway: Gateway, handler_threads: list[str]
    ) -> None:
        """A waiter woken while the lock is still held (taken again before the waiter
        runs) waits again; after LOOP_TRIES attempts on the loop the pay goes to a
        request thread, which waits its turn."""
        lock = gateway.store.writer_lock

        def hold_and_wake() -> None:
            with lock:
                for _ in range(LOOP_TRIES - 1):
                    _wait_for(lambda: lock.waiters == 1)
                    with lock:  # re-entered and let go: the waiter is woken, still held
                        pass
                _wait_for(lambda: len(handler_threads) == 1)  # given to a request thread

        with ThreadPoolExecutor(max_workers=2) as pool:
            holder = pool.submit(hold_and_wake)
            _wait_for(lambda: _writer_lock_held(gateway))
            reply = pool.submit(ams.call, "payments/pay", pay_body()).result(timeout=60)
            holder.result(timeout=60)

        assert reply.code == "PAYMENT_IN_PROCESS", reply.body
        (on_thread,) = handler_threads
        assert on_thread.startswith(API_THREAD), handler_threads
        _assert_stored_and_counted_once(ams, gateway)

    def test_within_no_waiting_a_busy_database_raises_at_once_and_writes_nothing(
        self, gateway: Gateway
    ) -> None:
        # Waiting would mean the busy timeout and then "database is locked", not
        # WouldWait: the kind of the exception tells, no stopwatch needed.
        with self.other_process_writing(gateway), no_waiting(), pytest.raises(WouldWait):
            _add_merchant(gateway, "SANDBOX_NEVER")
        assert not _has_merchant(gateway, "SANDBOX_NEVER")

    def test_work_outside_no_waiting_still_waits_for_the_writer(self, gateway: Gateway) -> None:
        """A connection an attempt used (busy timeout 0) waits again for the next work."""
        gateway.engine.dispose()  # the pool's one connection will be the attempt's
        with no_waiting(), gateway.store() as uow:
            uow.merchants.get("SANDBOX_NOBODY")
        beginning = threading.Event()

        def started(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
            if statement == "BEGIN IMMEDIATE":  # where a writer waits for the lock
                beginning.set()

        event.listen(gateway.engine, "before_cursor_execute", started)
        try:
            with ThreadPoolExecutor(max_workers=1) as pool:
                with self.other_process_writing(gateway):
                    written = pool.submit(_add_merchant, gateway, "SANDBOX_LATER")
                    assert beginning.wait(30)
                    # A connection left with the attempt's busy timeout of 0 would fail
                    # here at once; one that waits is still waiting when the grace ends
                    # (a slow machine only makes it wait longer).
                    with pytest.raises(FutureTimeout):
                        written.result(timeout=0.5)
                written.result(timeout=60)
        finally:
            event.remove(gateway.engine, "before_cursor_execute", started)
        assert _has_merchant(gateway, "SANDBOX_LATER")

    def test_after_a_commit_the_attempt_waits_like_any_other_work(self, gateway: Gateway) -> None:
        """Giving up after a commit would repeat the write on a request thread."""
        with no_waiting():
            _add_merchant(gateway, "SANDBOX_FIRST")
            with self.this_process_writing(gateway, for_seconds=0.3):
                _add_merchant(gateway, "SANDBOX_SECOND")
        assert _has_merchant(gateway, "SANDBOX_SECOND")


def _assert_stored_and_counted_once(ams: AmsClient, gateway: Gateway) -> None:
    assert _count(gateway) == 1
    # counted once against the rate limit: the next request is the one refused
    refused = ams.call("payments/inquiryPayment", {"paymentRequestId": "any"})
    assert refused.code == "REQUEST_TRAFFIC_EXCEED_LIMIT", refused.body


def _writer_lock_held(gateway: Gateway) -> bool:
    """Another thread holds the store's writer lock (this one cannot take it)."""
    with no_waiting():
        try:
            with gateway.store(write=True):
                return False
        except WouldWait:
            return True


def _add_merchant(gateway: Gateway, client_id: str) -> None:
    with gateway.store(write=True) as uow:
        uow.merchants.add(Merchant(client_id, "loop-first test", None, 0))
        uow.commit()


def _has_merchant(gateway: Gateway, client_id: str) -> bool:
    with gateway.store() as uow:
        return uow.merchants.get(client_id) is not None


def _wait_for(condition: Callable[[], bool], timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)
