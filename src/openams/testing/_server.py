"""Serve an ASGI app for real on 127.0.0.1 (a random free port) from a background thread."""

from __future__ import annotations

import socket
import threading
import time

import uvicorn
from starlette.types import ASGIApp

from openams.gateway.settings import KEEP_ALIVE_SECONDS

HOST = "127.0.0.1"
START_TIMEOUT_SECONDS = 10.0
STOP_TIMEOUT_SECONDS = 10.0


def bind_local() -> socket.socket:
    """A TCP socket bound to a free port on 127.0.0.1 (uvicorn starts listening on it)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((HOST, 0))
    return sock


def socket_url(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    return f"http://{host}:{port}"


class LiveServer:
    """One uvicorn server in a daemon thread; ``stop()`` shuts it down and joins the thread.

    The socket is bound before the app is built, so the app can know its own URL.
    """

    def __init__(self, app: ASGIApp, sock: socket.socket, *, name: str, http: str = "auto") -> None:
        self.url = socket_url(sock)
        self._sock = sock
        config = uvicorn.Config(
            app,
            host=HOST,
            port=sock.getsockname()[1],
            log_level="warning",
            access_log=False,
            lifespan="off",
            interface="asgi3",
            ws="none",
            http=http,
            timeout_keep_alive=KEEP_ALIVE_SECONDS,
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [sock]}, name=name, daemon=True
        )

    def start(self) -> LiveServer:
        self._thread.start()
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"{self._thread.name}: uvicorn did not start on {self.url}")
            time.sleep(0.005)
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        if self._thread.is_alive():
            self._thread.join(timeout=STOP_TIMEOUT_SECONDS)
        self._sock.close()


def serve(app: ASGIApp, sock: socket.socket | None = None, *, name: str) -> LiveServer:
    """Start serving ``app`` (on ``sock``, or a fresh local socket) and return the server."""
    return LiveServer(app, sock if sock is not None else bind_local(), name=name).start()
