"""Engines for the two supported databases: SQLite (embedded default) and PostgreSQL."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url

from openams.gateway.waiting import may_wait

#: Set on a connection to make its next transaction a writer (SQLite BEGIN IMMEDIATE).
WRITE_OPTION = "openams_write"
#: How long a SQLite connection waits for another's write transaction.
BUSY_TIMEOUT_MS = 60_000
#: SQLite's default: a commit that brings the WAL past this many pages checkpoints it.
AUTOCHECKPOINT_PAGES = 1000
_WAITS = "openams_may_wait"


def normalize_url(url: str) -> str:
    """``postgresql://`` and ``postgres://`` mean psycopg 3 here."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


def make_engine(url: str, *, pool_size: int = 10) -> Engine:
    url = normalize_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(url, parsed.database)
    return create_engine(url, pool_size=pool_size, max_overflow=pool_size * 2, pool_pre_ping=True)


def _sqlite_engine(url: str, database: str | None) -> Engine:
    if database and database != ":memory:" and not database.startswith("file:"):
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(
        url, connect_args={"check_same_thread": False, "timeout": 60}, pool_size=20
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, record: Any) -> None:
        # Take over transaction control from pysqlite so writers can BEGIN IMMEDIATE:
        # that serialises writers up front instead of failing on lock upgrade.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()
        record.info[_WAITS] = True

    @event.listens_for(engine, "checkout")
    def _on_checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        # Work that must not wait (waiting.no_waiting) gets SQLITE_BUSY at once instead
        # of sleeping in the busy handler, and leaves WAL checkpoints (which fsync) to
        # the store's checkpointer thread; set only when the mode changes.
        waits = may_wait()
        if record.info.get(_WAITS) != waits:
            busy, pages = (BUSY_TIMEOUT_MS, AUTOCHECKPOINT_PAGES) if waits else (0, 0)
            dbapi_connection.execute(f"PRAGMA busy_timeout={busy}")
            dbapi_connection.execute(f"PRAGMA wal_autocheckpoint={pages}")
            record.info[_WAITS] = waits

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        writer = connection.get_execution_options().get(WRITE_OPTION, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if writer else "BEGIN")

    return engine


def is_sqlite_busy(exc: BaseException) -> bool:
    """SQLITE_BUSY or one of its extended codes ("database is locked"), raw or wrapped
    by SQLAlchemy."""
    original = getattr(exc, "orig", exc)
    code = getattr(original, "sqlite_errorcode", None)
    if not isinstance(original, sqlite3.Error) or code is None:
        return False
    return bool(code & 0xFF == sqlite3.SQLITE_BUSY)
