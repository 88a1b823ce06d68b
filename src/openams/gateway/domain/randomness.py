"""Random bytes for ids and tokens, read from the operating system's CSPRNG a page at a time.

``secrets`` asks the kernel (one ``getrandom`` call) for every id and token; a pay needs
two of them. Here the bytes come from ``os.urandom`` just the same, 4 KiB per call, and
are handed out once each. A forked child starts with an empty buffer, so two processes
never share bytes.
"""

from __future__ import annotations

import base64
import os
import threading

_CHUNK = 4096


class RandomPool:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._buffer = b""
        self._offset = 0

    def take(self, count: int) -> bytes:
        """``count`` bytes no other call has been or will be given."""
        with self._lock:
            end = self._offset + count
            if end > len(self._buffer):
                self._buffer = os.urandom(max(_CHUNK, count))
                self._offset, end = 0, count
            chunk = self._buffer[self._offset : end]
            self._offset = end
            return chunk

    def forget(self) -> None:
        with self._lock:
            self._buffer, self._offset = b"", 0


_POOL = RandomPool()
os.register_at_fork(after_in_child=_POOL.forget)


def random_bytes(count: int) -> bytes:
    return _POOL.take(count)


def random_digits(count: int) -> str:
    """``count`` random decimal digits (4 random bits and more per digit, so the modulo's
    bias is below 2**-16)."""
    value = int.from_bytes(random_bytes(count // 2 + 2), "big") % 10**count
    return f"{value:0{count}d}"


def urlsafe_token(nbytes: int) -> str:
    """Like ``secrets.token_urlsafe(nbytes)``."""
    return base64.urlsafe_b64encode(random_bytes(nbytes)).rstrip(b"=").decode("ascii")
