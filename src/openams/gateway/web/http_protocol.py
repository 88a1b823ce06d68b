"""uvicorn's httptools protocol, writing each answer to the socket once instead of twice.

uvicorn writes a response's status line and headers as soon as the app sends
``http.response.start`` and the body when it sends ``http.response.body``: two ``write``
calls, and on loopback each one runs the kernel's whole TCP path for both ends. Here the
connection's writes are held until the event loop has run the callbacks that are ready
and then written together, so an answer made in one go (every AMS answer) costs one
system call. Nothing waits longer than the current turn of the loop.

``openams serve`` runs uvicorn with ``http="openams.gateway.web.http_protocol:
CoalescingHttpToolsProtocol"``.

The same protocol bounds what one connection may hold (issue 18; "Connection limits" in
docs/decisions.md), which neither httptools nor uvicorn does:

* a request's line and headers: at most ``max_header_bytes`` (httptools buffers a header
  it has not finished without limit) and ``max_headers`` headers; more is answered 431
  and the connection closed;
* time to the end of the headers: ``header_timeout_seconds`` from accepting the
  connection, or from the first byte of a kept-alive connection's next request (the
  idle time before that byte is uvicorn's ``timeout_keep_alive``); then it is closed;
* open connections per process: at most ``max_connections``, never more than the
  descriptor limit less :data:`RESERVED_DESCRIPTORS`. A connection beyond it closes the
  connection idle the longest (no request in progress) to make room, or itself when
  every connection has a request in progress, so the process never runs out of
  descriptors and a new client always gets in while the others only wait.
"""

from __future__ import annotations

import asyncio
import logging
import resource
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

if TYPE_CHECKING:
    from openams.gateway.settings import Settings

PROTOCOL_PATH = f"{__name__}:CoalescingHttpToolsProtocol"
#: Descriptors kept out of ``max_connections``: the database, log files, the listening
#: sockets and the dispatcher's outgoing notification connections.
RESERVED_DESCRIPTORS = 128

log = logging.getLogger("openams.gateway.http")


@dataclass(frozen=True, slots=True)
class ConnectionLimits:
    max_header_bytes: int
    max_headers: int
    header_timeout_seconds: float
    max_connections: int

    @classmethod
    def from_settings(cls, settings: Settings) -> ConnectionLimits:
        """The limits ``settings`` asks for, with ``max_connections``
        lowered to what the process's descriptor limit allows."""
        soft, _hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        allowed = settings.max_connections
        if soft != resource.RLIM_INFINITY:
            allowed = max(1, min(allowed, soft - RESERVED_DESCRIPTORS))
        return cls(
            max_header_bytes=settings.max_header_bytes,
            max_headers=settings.max_headers,
            header_timeout_seconds=settings.header_timeout_seconds,
            max_connections=allowed,
        )


_limits: ConnectionLimits | None = None


def configure(limits: ConnectionLimits) -> None:
    """Set this process's limits (``openams serve`` does, before uvicorn starts)."""
    global _limits
    _limits = limits
    log.info(
        "connection limits: %d connections, headers %d bytes / %d fields / %g s",
        limits.max_connections,
        limits.max_header_bytes,
        limits.max_headers,
        limits.header_timeout_seconds,
    )


def current_limits() -> ConnectionLimits:
    """This process's limits; in a ``--workers`` process, read from ``OPENAMS_*`` once."""
    if _limits is None:
        from openams.gateway.settings import Settings

        configure(ConnectionLimits.from_settings(Settings()))
    assert _limits is not None
    return _limits


_HEADERS_TOO_LARGE = (
    b"HTTP/1.1 431 Request Header Fields Too Large\r\n"
    b"content-type: text/plain; charset=utf-8\r\n"
    b"content-length: 31\r\n"
    b"connection: close\r\n\r\n"
    b"Request header fields too large"
)


class _TooManyHeaders(Exception):
    pass


class CoalescingTransport:
    """A transport whose writes in one turn of the loop reach the socket as one write."""

    __slots__ = ("_loop", "_pending", "_transport")

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        self._transport = transport
        self._loop = loop
        self._pending: list[bytes] = []

    def write(self, data: bytes) -> None:
        if not data:
            return
        if not self._pending:
            self._loop.call_soon(self.flush)
        self._pending.append(data)

    def flush(self) -> None:
        if not self._pending:
            return
        data = b"".join(self._pending)
        self._pending.clear()
        if not self._transport.is_closing():
            self._transport.write(data)

    def close(self) -> None:
        self.flush()
        self._transport.close()

    def abort(self) -> None:
        self._pending.clear()
        self._transport.abort()

    def get_write_buffer_size(self) -> int:
        return self._transport.get_write_buffer_size() + sum(map(len, self._pending))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


class CoalescingHttpToolsProtocol(HttpToolsProtocol):
    # Per-connection state of the limits: bytes and headers of the request head being
    # read, its deadline, whether the parser is past a head (in the request's body).
    _limits: ConnectionLimits
    _head_bytes: int = 0
    _header_count: int = 0
    _heads_done: int = 0
    _in_body: bool = False
    _head_deadline: asyncio.TimerHandle | None = None
    _refused: bool = False

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        self._limits = limits = current_limits()
        idle = _idle_connections(self.server_state)
        if len(self.connections) >= limits.max_connections:
            # Full: make room by closing the connection idle the longest, or refuse this one.
            if not idle:
                transport.abort()
                return
            oldest = next(iter(idle))
            del idle[oldest]
            oldest.transport.abort()
        super().connection_made(CoalescingTransport(transport, self.loop))  # type: ignore[arg-type]
        idle[self] = None
        self._head_deadline = self.loop.call_later(
            limits.header_timeout_seconds, self._head_too_slow
        )

    def connection_lost(self, exc: Exception | None) -> None:
        if self.transport is None:  # refused in connection_made
            return
        _idle_connections(self.server_state).pop(self, None)
        self._cancel_deadline()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        reading_head = not self._in_body
        heads_done = self._heads_done
        super().data_received(data)
        if reading_head and self._heads_done == heads_done and not self._refused:
            # The whole chunk belongs to a request head that is not finished yet.
            self._head_bytes += len(data)
            if self._head_bytes > self._limits.max_header_bytes:
                self._refuse()

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._header_count = 0
        if self._head_deadline is None:
            self._head_deadline = self.loop.call_later(
                self._limits.header_timeout_seconds, self._head_too_slow
            )

    def on_header(self, name: bytes, value: bytes) -> None:
        self._header_count += 1
        if self._header_count > self._limits.max_headers:
            self._refused = True
            raise _TooManyHeaders  # stops the parser; answered in send_400_response
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        self._heads_done += 1
        self._head_bytes = 0
        self._in_body = True
        self._cancel_deadline()
        _idle_connections(self.server_state).pop(self, None)
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        self._in_body = False
        super().on_message_complete()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing() and not self.pipeline:
            _idle_connections(self.server_state)[self] = None

    def send_400_response(self, msg: str) -> None:
        if self._refused:
            self._refuse()
        else:
            super().send_400_response(msg)

    def _refuse(self) -> None:
        """431, then close: the request's head is over a limit."""
        self._refused = True
        if not self.transport.is_closing():
            self.transport.write(_HEADERS_TOO_LARGE)
            self.transport.close()

    def _head_too_slow(self) -> None:
        self._head_deadline = None
        if not self.transport.is_closing():
            self.transport.close()

    def _cancel_deadline(self) -> None:
        if self._head_deadline is not None:
            self._head_deadline.cancel()
            self._head_deadline = None


def _idle_connections(state: Any) -> dict[CoalescingHttpToolsProtocol, None]:
    """The server's connections with no request in progress, the longest idle first."""
    idle: dict[CoalescingHttpToolsProtocol, None] | None = getattr(state, "openams_idle", None)
    if idle is None:
        idle = {}
        state.openams_idle = idle
    return idle
