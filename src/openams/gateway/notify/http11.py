"""The dispatcher's HTTP/1.1 client: one POST at a time per kept-alive connection, each
connection an asyncio ``Protocol`` that feeds what arrives straight to httptools (llhttp).

Chosen on measurement (docs/benchmarks.md, "Notification delivery"): a POST costs the
dispatcher's core about 50 µs here against about 200 µs with aiohttp and 700 µs with
httpx on threads, next to the one RSA signature (about 300 µs) a notification must cost.

What it keeps of the delivery path's promises:

- every connection goes to an address ``ssrf.checked_addresses`` allowed for the
  target's policy (resolved once: DNS rebinding reaches nothing new); a kept-alive
  connection is reused only for the same policy, scheme, host and port;
- the caller bounds the whole exchange (``deadlines.py``): connecting, TLS, sending
  and reading the answer, so an answer dripped a byte at a time is cut at the deadline;
- at most ``limit`` bytes of the answer are read (after gzip/deflate decoding, for a
  merchant that compresses anyway); the rest is never read, the connection is closed;
- no proxy from the environment; TLS verifies the URL's host name (SNI and
  certificate) while the socket goes to the checked address.
"""

from __future__ import annotations

import asyncio
import functools
import ipaddress
import ssl
import time
import zlib
from collections import defaultdict
from dataclasses import dataclass, field
from typing import NamedTuple, cast
from urllib.parse import quote, urlsplit

import httptools
import httpx

from openams.gateway.notify.ssrf import Address, checked_addresses

#: A kept-alive connection idle longer than this is closed, not reused (servers close
#: theirs after a few seconds; uvicorn's default is 5 s).
KEEPALIVE_SECONDS = 4.0
#: Idle connections kept per target (scheme, host, port).
IDLE_PER_TARGET = 32
_USER_AGENT = "openams-notify"


class HttpError(Exception):
    """A transport failure; its class name is what an attempt records (as httpx's
    were: ``ConnectError: ...``)."""


class ConnectError(HttpError):
    pass


class WriteError(HttpError):
    pass


class ReadError(HttpError):
    pass


class RemoteProtocolError(HttpError):
    pass


class UnreadableAnswer(ValueError):
    """A compressed answer that does not decompress, or an unknown content-encoding."""


class Answer(NamedTuple):
    status: int
    #: Up to ``limit`` bytes of the (decoded) body.
    body: bytes
    #: False when the answer was longer than ``limit`` (the rest was not read).
    complete: bool


class _Connection(asyncio.Protocol):
    """One kept-alive connection. An answer is parsed as its bytes arrive
    (``data_received``); the exchange waits on one future, resolved when the answer is
    complete, too long, broken, or the connection ends."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.idle_since = 0.0
        self.reused = False
        #: The connection ended (or bytes came while no answer was awaited): never reused.
        self.done = False
        self._parsed: _Parsed | None = None
        self._received = 0
        self._answered: asyncio.Future[None] | None = None
        self._writable: asyncio.Future[None] | None = None

    # ------------------------------------------------------------ the exchange

    async def exchange(self, request: bytes, limit: int) -> tuple[Answer, bool]:
        """Send ``request`` and read its answer; the answer and whether the connection
        may be kept. Raises ``_Stale`` for a reused connection that ended before any
        byte of an answer."""
        transport = self.transport
        assert transport is not None
        parsed = self._parsed = _Parsed(limit)
        self._received = 0
        answered = self._answered = asyncio.get_running_loop().create_future()
        try:
            transport.write(request)
        except OSError as exc:
            if self.reused:
                raise _Stale from None
            raise WriteError(str(exc)) from None
        if self._writable is not None:  # a large body: wait for the socket
            await self._writable
        await answered
        self._parsed = self._answered = None
        status = parsed.parser.get_status_code()
        complete = parsed.complete and not parsed.too_long
        keep = (
            complete
            and not self.done
            and parsed.chunked_or_sized
            and parsed.messages == 1
            and parsed.keep_alive
        )
        return Answer(status, bytes(parsed.body[:limit]), complete), keep

    def _end(self, error: BaseException | None = None) -> None:
        answered = self._answered
        if answered is not None and not answered.done():
            if error is None:
                answered.set_result(None)
            else:
                answered.set_exception(error)

    # ------------------------------------------------------- protocol callbacks

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # a stream transport (uvloop's are not asyncio.Transport subclasses)
        self.transport = cast(asyncio.Transport, transport)

    def data_received(self, data: bytes) -> None:
        parsed = self._parsed
        if parsed is None or self._answered is None or self._answered.done():
            self.done = True  # bytes nobody asked for: the connection is not reused
            return
        self._received += len(data)
        try:
            parsed.parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            self._end(RemoteProtocolError("the server switched protocols"))
            return
        except httptools.HttpParserError as exc:
            if not parsed.complete:
                self._end(RemoteProtocolError(f"malformed answer: {exc}"))
                return
            parsed.messages += 1  # bytes after the answer: the connection is not reused
        if parsed.fault is not None:
            self._end(parsed.fault)
        elif parsed.too_long:
            self._end()
        elif parsed.complete:
            if 100 <= parsed.parser.get_status_code() < 200:
                parsed.reset_for_final_answer()  # an interim answer: the real one follows
            else:
                self._end()

    def eof_received(self) -> bool:
        self.done = True
        self._ended_by_server(None)
        return False  # close the transport

    def connection_lost(self, exc: Exception | None) -> None:
        self.done = True
        self._ended_by_server(exc)
        writable = self._writable
        if writable is not None and not writable.done():
            writable.set_result(None)

    def pause_writing(self) -> None:
        if self._writable is None:
            self._writable = asyncio.get_running_loop().create_future()

    def resume_writing(self) -> None:
        writable, self._writable = self._writable, None
        if writable is not None and not writable.done():
            writable.set_result(None)

    def _ended_by_server(self, exc: Exception | None) -> None:
        parsed = self._parsed
        if parsed is None or self._answered is None or self._answered.done():
            return
        if not self._received and self.reused:
            self._end(_Stale())
        elif exc is not None:
            self._end(ReadError(str(exc)))
        elif parsed.headers_done and not parsed.chunked_or_sized and not parsed.complete:
            parsed.complete = True  # an answer delimited by the end of the connection
            self._end()
        elif parsed.complete:
            self._end()
        else:
            self._end(
                RemoteProtocolError("server disconnected without sending a complete response")
            )

    # ---------------------------------------------------------------- upkeep

    def usable(self) -> bool:
        return (
            not self.done
            and self.transport is not None
            and not self.transport.is_closing()
            and time.monotonic() - self.idle_since < KEEPALIVE_SECONDS
        )

    def close(self) -> None:
        self.done = True
        if self.transport is not None:
            self.transport.close()


class _Parsed:
    """httptools callbacks for one answer, decoding and bounding the body as it comes."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.body = bytearray()
        self.messages = 0
        self.headers_done = False
        self.complete = False
        self.too_long = False
        self.chunked_or_sized = False
        self.encoding = "identity"
        self._inflater: zlib._Decompress | None = None
        self.fault: Exception | None = None
        self.parser = httptools.HttpResponseParser(self)
        #: Read when the head is complete (llhttp forgets it once the answer is).
        self.keep_alive = False

    def on_message_begin(self) -> None:
        self.messages += 1

    def on_header(self, name: bytes, value: bytes) -> None:
        lowered = name.lower()
        if lowered == b"content-encoding":
            self.encoding = value.decode("latin-1").strip().lower()
        elif lowered in (b"content-length", b"transfer-encoding"):
            self.chunked_or_sized = True

    def on_headers_complete(self) -> None:
        self.headers_done = True
        self.keep_alive = self.parser.should_keep_alive()
        if self.encoding in ("gzip", "deflate"):
            self._inflater = zlib.decompressobj(wbits=47 if self.encoding == "gzip" else 15)
        elif self.encoding not in ("identity", ""):
            self.fault = UnreadableAnswer(f"content-encoding {self.encoding!r}")

    def on_body(self, data: bytes) -> None:
        if self.too_long or self.fault is not None:
            return
        if self._inflater is None:
            self.body += data
        else:
            try:
                self.body += self._inflater.decompress(data, self.limit + 1 - len(self.body))
            except zlib.error as exc:
                self.fault = UnreadableAnswer(str(exc))
                return
        if len(self.body) > self.limit:
            self.too_long = True

    def on_message_complete(self) -> None:
        self.complete = True

    def reset_for_final_answer(self) -> None:
        """After an interim 1xx answer: the real one follows on the same stream."""
        self.body.clear()
        self.headers_done = self.complete = self.chunked_or_sized = False
        self.encoding, self._inflater = "identity", None


@dataclass
class Client:
    """Kept-alive connections for one target policy (a sandbox merchant, who may reach
    loopback, or a production one), so a connection checked under one policy never
    serves the other."""

    sandbox: bool
    allow_private: bool
    ssl_context: ssl.SSLContext = field(
        default_factory=lambda: httpx.create_ssl_context(trust_env=False)
    )
    _idle: defaultdict[tuple[str, str, int], list[_Connection]] = field(
        default_factory=lambda: defaultdict(list)
    )

    async def post(self, url: str, headers: dict[str, str], body: bytes, *, limit: int) -> Answer:
        """POST ``body``; the caller bounds the time (a deadline, ``deadlines.py``)."""
        target, head = _prepared(url)
        request = _request_bytes(head, headers, body)
        connection = self._take_idle(target)
        if connection is not None:
            try:
                return await self._exchange(target, connection, request, limit)
            except _Stale:
                pass  # the server closed it while idle: once more on a new connection
        connection = await self._connect(target)
        try:
            return await self._exchange(target, connection, request, limit)
        except _Stale:
            raise RemoteProtocolError("server disconnected without sending a response") from None

    def close(self) -> None:
        for connections in self._idle.values():
            for connection in connections:
                connection.close()
        self._idle.clear()

    # ---------------------------------------------------------------- helpers

    def _take_idle(self, target: tuple[str, str, int]) -> _Connection | None:
        idle = self._idle.get(target)
        while idle:
            connection = idle.pop()
            if connection.usable():
                connection.reused = True
                return connection
            connection.close()
        return None

    def _keep(self, target: tuple[str, str, int], connection: _Connection) -> None:
        idle = self._idle[target]
        if len(idle) >= IDLE_PER_TARGET:
            connection.close()
            return
        connection.idle_since = time.monotonic()
        idle.append(connection)

    async def _connect(self, target: tuple[str, str, int]) -> _Connection:
        scheme, host, port = target
        addresses = await _checked(host, sandbox=self.sandbox, allow_private=self.allow_private)
        tls = self.ssl_context if scheme == "https" else None
        failure: Exception | None = None
        loop = asyncio.get_running_loop()
        for address in addresses:
            try:
                _transport, connection = await loop.create_connection(
                    _Connection, str(address), port, ssl=tls, server_hostname=host if tls else None
                )
            except (OSError, ssl.SSLError) as exc:
                failure = exc
                continue
            return connection
        raise ConnectError(str(failure))

    async def _exchange(
        self,
        target: tuple[str, str, int],
        connection: _Connection,
        request: bytes,
        limit: int,
    ) -> Answer:
        keep = False
        try:
            answer, keep = await connection.exchange(request, limit)
            return answer
        finally:
            if keep:
                self._keep(target, connection)
            else:
                connection.close()


class _Stale(Exception):
    """A reused connection the server had closed: nothing of an answer arrived."""


async def _checked(host: str, *, sandbox: bool, allow_private: bool) -> list[Address]:
    """``checked_addresses``; a name (not an IP literal) is resolved off the loop."""
    try:
        ipaddress.ip_address(host)
    except ValueError:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(
            None, lambda: checked_addresses(host, sandbox=sandbox, allow_private=allow_private)
        )
    return checked_addresses(host, sandbox=sandbox, allow_private=allow_private)


@functools.lru_cache(maxsize=4096)
def _prepared(url: str) -> tuple[tuple[str, str, int], str]:
    """The connection's target (scheme, host, port) and the request's head up to the
    signed headers: parsed once per URL (a merchant's notifications share one)."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    host = parts.hostname or ""
    port = parts.port or (443 if scheme == "https" else 80)
    authority = host if host.isascii() else host.encode("idna").decode("ascii")
    if ":" in authority:
        authority = f"[{authority}]"
    if port != (443 if scheme == "https" else 80):
        authority = f"{authority}:{port}"
    path = quote(parts.path or "/", safe="/%:@!$&'()*+,;=-._~")
    if parts.query:
        path += "?" + quote(parts.query, safe="/?%:@!$&'()*+,;=-._~")
    head = f"POST {path} HTTP/1.1\r\nhost: {authority}\r\nuser-agent: {_USER_AGENT}\r\n"
    return (scheme, host, port), head


def _request_bytes(head: str, headers: dict[str, str], body: bytes) -> bytes:
    lines = "".join([f"{name}: {value}\r\n" for name, value in headers.items()])
    return f"{head}{lines}content-length: {len(body)}\r\n\r\n".encode("latin-1") + body
