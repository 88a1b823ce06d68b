"""A real uvicorn server on 127.0.0.1 (random port) in a background thread."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager

from starlette.types import ASGIApp

from openams.testing._server import HOST, LiveServer


@contextmanager
def live_server(app: ASGIApp, port: int = 0) -> Iterator[str]:
    """Serve ``app``; ``port`` 0 picks a free one."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((HOST, port))
    server = LiveServer(app, sock, name="openams-test-server").start()
    try:
        yield server.url
    finally:
        server.stop()
