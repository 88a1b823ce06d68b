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
  oldest connection with no request in progress to make room, or itself when every
  connection has a request in progress, so the process never runs out of descriptors
  and a new client gets in.
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


class _HeadTooLarge(Exception):
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
    # The limits' state of this connection: when the request head being read started
    # (loop time; None when no head is being read), its bytes so far, the size of the
    # chunk being parsed. Nothing here runs a timer or touches a shared structure per
    # request: one sweep per server closes the heads past their deadline
    # (:class:`_Connections`).
    _limits: ConnectionLimits
    head_started: float | None = None
    _head_bytes: int = 0
    _chunk: int = 0
    _refused: bool = False

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        self._limits = limits = current_limits()
        open_connections = _Connections.of(self.server_state, self.loop, limits)
        if len(self.connections) >= limits.max_connections and not open_connections.evict():
            transport.abort()  # every connection has a request in progress: refuse this one
            return
        super().connection_made(CoalescingTransport(transport, self.loop))  # type: ignore[arg-type]
        open_connections.add(self)
        self.head_started = self.loop.time()

    def connection_lost(self, exc: Exception | None) -> None:
        if self.transport is None:  # refused in connection_made
            return
        _Connections.of(self.server_state, self.loop, self._limits).discard(self)
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        cycle = self.cycle
        if cycle is not None and cycle.more_body:  # a request body: not a head
            super().data_received(data)
            return
        if self.head_started is None:
            self.head_started = self.loop.time()
        self._chunk = len(data)
        super().data_received(data)
        if self.head_started is not None and not self._refused:
            # The whole chunk belongs to a request head that is not finished yet.
            self._head_bytes += len(data)
            if self._head_bytes > self._limits.max_header_bytes:
                self._refuse()

    def on_headers_complete(self) -> None:
        self.head_started = None
        received = self._head_bytes + self._chunk
        self._head_bytes = 0
        limits = self._limits
        if len(self.headers) > limits.max_headers or (
            received > limits.max_header_bytes and self._head_size() > limits.max_header_bytes
        ):
            self._refused = True
            raise _HeadTooLarge  # stops the parser; answered in send_400_response
        super().on_headers_complete()

    def send_400_response(self, msg: str) -> None:
        if self._refused:
            self._refuse()
        else:
            super().send_400_response(msg)

    @property
    def busy(self) -> bool:
        """A request is between its headers and the end of its answer."""
        cycle = self.cycle
        return cycle is not None and not cycle.response_complete

    def head_too_slow(self) -> None:
        if not self.transport.is_closing():
            self.transport.close()

    def _head_size(self) -> int:
        return len(self.url) + sum(len(name) + len(value) + 4 for name, value in self.headers)

    def _refuse(self) -> None:
        """431, then close: the request's head is over a limit."""
        self._refused = True
        if not self.transport.is_closing():
            self.transport.write(_HEADERS_TOO_LARGE)
            self.transport.close()


class _Connections:
    """A server's open connections, oldest first, and the sweep that closes the ones whose
    request head is past its deadline (every quarter of the deadline, at most 1 s)."""

    def __init__(self, loop: asyncio.AbstractEventLoop, limits: ConnectionLimits) -> None:
        self._open: dict[CoalescingHttpToolsProtocol, None] = {}
        self._loop = loop
        self._timeout = limits.header_timeout_seconds
        self._interval = min(1.0, self._timeout / 4)
        self._sweep_handle: asyncio.TimerHandle | None = None

    @classmethod
    def of(
        cls, state: Any, loop: asyncio.AbstractEventLoop, limits: ConnectionLimits
    ) -> _Connections:
        found: _Connections | None = getattr(state, "openams_connections", None)
        if found is None:
            found = cls(loop, limits)
            state.openams_connections = found
        return found

    def add(self, connection: CoalescingHttpToolsProtocol) -> None:
        self._open[connection] = None
        if self._sweep_handle is None:
            self._sweep_handle = self._loop.call_later(self._interval, self._sweep)

    def discard(self, connection: CoalescingHttpToolsProtocol) -> None:
        self._open.pop(connection, None)

    def evict(self) -> bool:
        """Close (reset) the oldest connection with no request in progress; False if
        every connection has one."""
        for connection in self._open:
            if not connection.busy:
                del self._open[connection]
                connection.transport.abort()
                return True
        return False

    def _sweep(self) -> None:
        self._sweep_handle = None
        late = self._loop.time() - self._timeout
        for connection in [
            c for c in self._open if c.head_started is not None and c.head_started < late
        ]:
            connection.head_too_slow()
        if self._open:
            self._sweep_handle = self._loop.call_later(self._interval, self._sweep)
