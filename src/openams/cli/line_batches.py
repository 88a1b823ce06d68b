"""A logging handler for lines that come in batches: the gateway's one line per AMS call.

The request log's writer thread logs a batch of calls every quarter of a second. A
``StreamHandler`` writes and flushes each line on its own (and ``sys.stderr`` is line
buffered), one system call per call to the gateway (under ``bench/pay.py`` about a tenth
of the writer thread's CPU). This handler keeps the lines it is given until it is flushed (the
writer flushes after each batch, ``logging.shutdown`` at exit) and writes them in one go.
"""

from __future__ import annotations

import logging
from typing import TextIO

#: Lines kept at most before they are written without waiting for a flush.
MAX_PENDING = 1000


class LineBatchHandler(logging.StreamHandler[TextIO]):
    def __init__(self, stream: TextIO | None = None) -> None:
        super().__init__(stream)
        self._pending: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        # Handler.handle holds the handler's lock here.
        try:
            self._pending.append(self.format(record) + self.terminator)
            if len(self._pending) >= MAX_PENDING:
                self._write()
        except Exception:
            self.handleError(record)

    def flush(self) -> None:
        self.acquire()
        try:
            self._write()
            super().flush()
        finally:
            self.release()

    def _write(self) -> None:
        if self._pending:
            text = "".join(self._pending)
            self._pending.clear()
            self.stream.write(text)
