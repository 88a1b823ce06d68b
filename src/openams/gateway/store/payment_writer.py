"""pay's common case, a new payment, in one short transaction on the driver connection.

A pay without card data needs nothing but ``INSERT ... ON CONFLICT DO NOTHING RETURNING``
and its commit; going through the ORM's connection, transaction and result objects for
that cost more CPU than the statement itself. Here the statement is compiled once and
run on the DBAPI connection the engine's pool hands out:

- SQLite: the insert alone in autocommit mode (its own transaction) under the store's
  writer lock (the same lock every unit of work that writes takes);
- PostgreSQL: the insert alone in autocommit, one round trip (psycopg prepares it
  server-side after a few uses).

The row is durable when :meth:`NewPaymentWriter.insert_new` returns True; False means
the (client id, paymentRequestId) was taken, and the caller goes the long way round.

On the event loop (the API's loop attempts, ``waiting.no_waiting(batch=True)``) the new
payments of one turn of the loop share one transaction instead: the first opens it
(``BEGIN IMMEDIATE``, holding the writer lock open), a callback the turn schedules
commits it, and each request's answer waits for that commit (``waiting.joined_batch``):
durable before it is sent, and ``U/UNKNOWN_EXCEPTION`` if the commit fails (nothing was
stored; the resend stores it). A commit writes each page it changed once, whatever the
number of rows: the table's and the time-ordered indexes' last pages are shared by the
batch. Any other write of the loop's thread meanwhile commits the batch first
(``WriterLock.hold_open``), so it never waits for a transaction of its own thread.
"""

from __future__ import annotations

import asyncio
import logging
import operator
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import Engine, bindparam, event
from sqlalchemy.dialects import postgresql, sqlite

from openams.gateway.domain.payment import Payment
from openams.gateway.store.engine import is_sqlite
from openams.gateway.store.repositories import payment_row
from openams.gateway.store.tables import payments
from openams.gateway.store.writer_lock import WriterLock, busy_means_would_wait
from openams.gateway.waiting import WouldWait, joined_batch, may_batch, may_wait, wrote

log = logging.getLogger("openams.gateway.store")
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class _Insert:
    """The statement's text with positional parameters, and what makes its parameters
    of a row's dict: a tuple in the statement's order. sqlite3 binding 30 named
    parameters from a dict took 8.1 µs, from a tuple 4.4."""

    sql: str
    parameters: Callable[[dict[str, Any]], tuple[Any, ...]]


_COMPILED: dict[tuple[str, tuple[str, ...]], _Insert] = {}


def _insert_for(engine: Engine, columns: tuple[str, ...]) -> _Insert:
    """Compiled once per database kind and set of columns."""
    key = (engine.dialect.name, columns)
    found = _COMPILED.get(key)
    if found is None:
        found = _COMPILED[key] = _compile(engine, columns)
    return found


def _compile(engine: Engine, columns: tuple[str, ...]) -> _Insert:
    if is_sqlite(engine):
        module, dialect = sqlite, sqlite.dialect(paramstyle="qmark")
    else:
        module, dialect = postgresql, postgresql.psycopg.dialect(paramstyle="format")
    stmt = (
        module.insert(payments)
        .values({name: bindparam(name) for name in columns})
        .on_conflict_do_nothing()
        .returning(payments.c.payment_id)
    )
    compiled = stmt.compile(dialect=dialect)
    # positiontup: the table's column order, not the row's
    return _Insert(str(compiled), operator.itemgetter(*(compiled.positiontup or ())))


@dataclass(slots=True)
class _Batch:
    """The event loop's open transaction of new payments."""

    conn: Any
    committed: asyncio.Future[None]
    rows: int = 0


class NewPaymentWriter:
    def __init__(
        self,
        engine: Engine,
        write_lock: WriterLock,
        committed_without_waiting: Callable[[], None] = lambda: None,
    ) -> None:
        self._engine = engine
        self._sqlite = is_sqlite(engine)
        self._write_lock = write_lock
        self._committed_without_waiting = committed_without_waiting
        # Driver connections of the writer's own (PostgreSQL: in autocommit), opened
        # through the engine so its connect hooks run, and closed with its pool: a
        # connection from the pool would cost a checkout, a pre-ping round trip and a
        # check-in per pay.
        # Keyed by may_wait(): SQLite connections keep the busy timeout and checkpointing
        # the engine's checkout hook gave them when they were opened.
        self._idle: dict[bool, list[Any]] = {True: [], False: []}
        # The open batch of each event loop's thread (one in a server; tests may run two
        # servers on one gateway: the second meets the writer lock the first holds).
        self._batches: dict[int, _Batch] = {}
        #: Batches committed, and the new payments they stored.
        self.batches = 0
        self.batched_rows = 0
        event.listen(engine, "engine_disposed", self._close_idle)

    def insert_new(self, payment: Payment) -> bool:
        """Insert and commit unless the payment's (client id, paymentRequestId) exists;
        True when this call stored it."""
        row = payment_row(payment)
        statement = _insert_for(self._engine, tuple(row))
        sql, params = statement.sql, statement.parameters(row)
        if self._sqlite and may_batch():
            return self._insert_batched(sql, params)
        insert = self._insert_sqlite if self._sqlite else self._insert_postgresql
        waits = may_wait()
        # Safe on a fresh connection again: if the first insert did land, the second
        # reports the request id taken and the caller replays the stored payment.
        conn, inserted = self._on_live_connection(waits, lambda conn: insert(conn, sql, params))
        self._idle[waits].append(conn)
        if inserted:
            wrote()
            if not waits:
                self._committed_without_waiting()
        return inserted

    def _insert_batched(self, sql: str, params: Any) -> bool:
        batch = self._batches.get(threading.get_ident()) or self._open_batch()
        if not batch.conn.in_transaction:
            # A few errors (disk full, I/O) roll the whole transaction back: the rows
            # before are gone, and their answers wait for a commit that will fail.
            raise RuntimeError("the batch's transaction was rolled back")
        inserted = bool(batch.conn.execute(sql, params).fetchall())
        if inserted:
            batch.rows += 1
            joined_batch(batch.committed)
            wrote()
        return inserted

    def _open_batch(self) -> _Batch:
        loop = asyncio.get_running_loop()
        conn, _ = self._on_live_connection(False, self._begin)
        batch = self._batches[threading.get_ident()] = _Batch(conn, loop.create_future())
        loop.call_soon(self._commit_batch)
        return batch

    def _on_live_connection(self, waits: bool, work: Callable[[Any], T]) -> tuple[Any, T]:
        """``work`` on an idle connection (or a new one), and that connection, which the
        caller keeps. An idle connection the database dropped (a restart) is closed and
        ``work`` runs once more on a fresh one; WouldWait puts the connection back."""
        conn, reused = self._take(waits)
        try:
            return conn, work(conn)
        except WouldWait:
            self._idle[waits].append(conn)
            raise
        except Exception:
            stale = reused and _is_broken(conn)
            conn.close()
            if not stale:
                raise
        except BaseException:
            conn.close()
            raise
        conn, _ = self._take(waits, fresh=True)
        try:
            return conn, work(conn)
        except BaseException:
            conn.close()
            raise

    def _begin(self, conn: Any) -> None:
        self._write_lock.hold_open(self._commit_batch)
        try:
            with busy_means_would_wait():  # another process's write transaction
                conn.execute("BEGIN IMMEDIATE")
        except BaseException:
            self._write_lock.release_open()
            raise

    def _commit_batch(self) -> None:
        """Commit the open batch (the turn's callback, or a write of the loop's thread
        that must not wait for it); nothing when it was committed already."""
        batch = self._batches.pop(threading.get_ident(), None)
        if batch is None:
            return
        try:
            batch.conn.execute("COMMIT")
        except Exception as exc:
            log.exception("the event loop's batch of %d new payments failed", batch.rows)
            if batch.conn.in_transaction:
                batch.conn.execute("ROLLBACK")
            batch.committed.set_exception(exc)
            if not batch.rows:
                batch.committed.exception()  # nobody waits for it
        else:
            batch.committed.set_result(None)
            self.batches += 1
            self.batched_rows += batch.rows
        finally:
            self._idle[False].append(batch.conn)
            self._write_lock.release_open()
        self._committed_without_waiting()

    @property
    def idle_connections(self) -> tuple[Any, ...]:
        """The driver connections waiting for the next insert."""
        return (*self._idle[True], *self._idle[False])

    def _take(self, waits: bool, *, fresh: bool = False) -> tuple[Any, bool]:
        if not fresh:
            try:
                return self._idle[waits].pop(), True
            except IndexError:
                pass
        # The engine's checkout hook gives it the busy timeout that ``waits`` asks for.
        pooled = self._engine.raw_connection()
        conn = pooled.driver_connection
        assert conn is not None
        pooled.detach()  # ours from now on; closed by _close_idle
        if not self._sqlite:
            conn.autocommit = True
        return conn, False

    def _close_idle(self, _engine: Engine) -> None:
        for idle in self._idle.values():
            while idle:
                idle.pop().close()

    def _insert_sqlite(self, conn: Any, sql: str, params: Any) -> bool:
        # One statement in autocommit mode is its own transaction: SQLite takes the write
        # lock as the statement starts (waiting in the busy handler, as BEGIN IMMEDIATE
        # would, unless the work must not wait) and commits once its RETURNING rows are
        # read; an error rolls it back.
        with self._write_lock, busy_means_would_wait():
            return bool(conn.execute(sql, params).fetchall())

    @staticmethod
    def _insert_postgresql(conn: Any, sql: str, params: Any) -> bool:
        with conn.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchone() is not None


def _is_broken(conn: Any) -> bool:
    """The connection is closed or lost (psycopg says so; sqlite3 refuses to answer)."""
    if hasattr(conn, "broken"):
        return bool(conn.closed or conn.broken)
    try:
        conn.total_changes  # noqa: B018 - raises on a closed sqlite3 connection
    except Exception:
        return True
    return False
