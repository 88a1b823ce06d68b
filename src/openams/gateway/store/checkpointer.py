"""WAL checkpoints for the event loop's SQLite writes, on a thread of their own.

A SQLite commit that brings the WAL past 1,000 pages checkpoints it there and then:
copies the pages into the database file and fsyncs both files. On the event loop
(``waiting.no_waiting`` work) that fsync stalls every request for milliseconds, about a
twentieth of the time under load. So connections checked out for such work do not
checkpoint (``wal_autocheckpoint=0``, set by the engine's checkout hook) and this thread
does it for them, shortly after they commit:

- a PASSIVE checkpoint, beside the writers: it copies what the WAL holds, syncs, and
  never blocks a writer;
- when the WAL has grown past ``RESTART_PAGES`` anyway (under steady writes new pages
  arrive while it syncs, so the WAL is never empty enough to start over from its
  beginning: 240 MB in 4 s of a test without this), a RESTART checkpoint holding the
  store's writer lock: no writer of this process appends meanwhile (their attempts on
  the loop go to the request threads), SQLite keeps other processes' writers out for
  up to ``RESTART_WAIT_MS``, it copies everything, and the next writer starts the WAL
  over.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from sqlalchemy import Engine, event

from openams.gateway.store.writer_lock import WriterLock

log = logging.getLogger("openams.gateway.store")

#: The WAL's length, in pages, past which a checkpoint holds the writer lock.
RESTART_PAGES = 4000
#: How long after a commit the checkpoint runs: commits in between share it.
DELAY_SECONDS = 0.2
#: How long the writer-lock checkpoint waits for other processes (their writers, and
#: readers of older pages).
RESTART_WAIT_MS = 100


class WalCheckpointer:
    def __init__(self, engine: Engine, write_lock: WriterLock) -> None:
        self._engine = engine
        self._write_lock = write_lock
        self._due = threading.Event()
        self._stopped = threading.Event()
        self._start_lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self.checkpoints = 0
        event.listen(engine, "engine_disposed", self._stop)

    def committed(self) -> None:
        """A connection that does not checkpoint committed: checkpoint soon."""
        if self._thread is None:
            self._start()
        if not self._due.is_set():  # Event.set takes a lock: not on every commit
            self._due.set()

    def _start(self) -> None:
        with self._start_lock:
            if self._thread is None and not self._stopped.is_set():
                self._thread = threading.Thread(
                    target=self._run, name="openams-wal-checkpoint", daemon=True
                )
                self._thread.start()

    def _stop(self, _engine: Engine) -> None:
        """The engine's pool is gone: end the thread (a later commit starts another)."""
        with self._start_lock:
            thread, self._thread = self._thread, None
            if thread is None:
                return
            self._stopped.set()
            self._due.set()
        if thread is not threading.current_thread():
            thread.join(10)
        self._stopped.clear()

    def _run(self) -> None:
        conn: Any = None
        try:
            while True:
                self._due.wait()
                if self._stopped.wait(DELAY_SECONDS):
                    return
                self._due.clear()
                try:
                    if conn is None:
                        conn = self._connect()
                    self._checkpoint(conn)
                except Exception:
                    # A disk or lock error: the commits that need it go on arriving, so
                    # keep trying (on a fresh connection), without a busy loop.
                    log.exception("WAL checkpoint failed; trying again")
                    if conn is not None:
                        conn.close()
                        conn = None
                    self._due.set()
                    if self._stopped.wait(1):
                        return
        finally:
            if conn is not None:
                conn.close()

    def _connect(self) -> Any:
        pooled = self._engine.raw_connection()
        conn = pooled.driver_connection
        pooled.detach()  # ours; closed when the thread ends
        # RESTART waits this long for other processes' writers and readers, no longer:
        # it holds this process's writer lock meanwhile; an unfinished one tries again.
        conn.execute(f"PRAGMA busy_timeout={RESTART_WAIT_MS}")
        return conn

    def _checkpoint(self, conn: Any) -> None:
        _busy, pages, _copied = conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        if pages > RESTART_PAGES:
            with self._write_lock:
                busy, _pages, _copied = conn.execute("PRAGMA wal_checkpoint(RESTART)").fetchone()
            if busy:
                self._due.set()  # another process kept it from finishing: next round
        self.checkpoints += 1
