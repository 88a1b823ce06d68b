"""Port numbers for servers a test starts by number (``openams serve --port N``).

A port probed with ``bind(0)`` and closed again is only free for a moment: ``bind(0)``
and outgoing connections draw their ports from the kernel's ephemeral range
(``/proc/sys/net/ipv4/ip_local_port_range``), so another live server or HTTP client can
take it before the server under test binds it, or while a SIGKILLed server is being
restarted on it. Under pytest-xdist that other socket belongs to another worker.

``free_port()`` therefore hands out ports below the ephemeral range, which the kernel
never picks by itself, and holds an exclusive ``fcntl`` lock on each one it hands out
until this process exits, so that no other test process (another worker, a concurrent
run) is given the same port.
"""

from __future__ import annotations

import fcntl
import os
import random
import socket
import tempfile
from pathlib import Path
from typing import IO

HOST = "127.0.0.1"
LOWEST = 20000
LOCKS = Path(tempfile.gettempdir()) / "openams-test-ports"
_held: dict[int, IO[bytes]] = {}


def _ephemeral_start() -> int:
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768  # Linux's default


def _bindable(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds
        try:
            sock.bind((HOST, port))
        except OSError:
            return False
    return True


def _reserve(port: int) -> bool:
    LOCKS.mkdir(exist_ok=True)
    lock = (LOCKS / f"{port}.lock").open("ab")
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        lock.close()
        return False
    if not _bindable(port):
        lock.close()  # in use by something else: leave it
        return False
    _held[port] = lock
    return True


def free_port() -> int:
    """A free port on 127.0.0.1 outside the ephemeral range, this process's own."""
    end = _ephemeral_start()
    if end - LOWEST < 1000:  # an unusual port range: fall back to a probed port
        with socket.socket() as sock:
            sock.bind((HOST, 0))
            return int(sock.getsockname()[1])
    candidates = list(range(LOWEST, end))
    start = random.Random(os.getpid()).randrange(len(candidates))
    for port in candidates[start:] + candidates[:start]:
        if port not in _held and _reserve(port):
            return port
    raise RuntimeError(f"no free port between {LOWEST} and {end}")
