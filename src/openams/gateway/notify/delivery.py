"""One delivery attempt: sign, POST, and decide whether the merchant acknowledged.

Acknowledged means: HTTP 2xx AND a JSON body whose ``result.resultStatus`` is ``"S"``.
Anything else (timeout, refused connection, 3xx/4xx/5xx, a body that is not that JSON,
an answer longer than ``MAX_RESPONSE_BYTES``) counts as not received and is retried.

An attempt has one total deadline (``OPENAMS_NOTIFY_TIMEOUT_SECONDS``): connecting,
sending and reading the whole answer; every network operation's timeout is cut to what
is left of it, so a merchant that drips its answer a byte at a time is cut at the
deadline. The host is resolved once, its addresses checked (``ssrf.py``) and the
connection made to a checked address; the Host header, TLS SNI and certificate
verification keep the URL's host name.
"""

from __future__ import annotations

import json
import ssl
import time
import zlib
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlsplit

import httpcore
import httpx
from cryptography.hazmat.primitives.asymmetric import rsa

from openams.gateway import compact_json
from openams.gateway.domain.notification import Notification
from openams.gateway.notify.ssrf import checked_addresses
from openams.protocol.signing import build_signature_header, sign

DELIVERY_TIMEOUT_SECONDS = 10.0
RESPONSE_EXCERPT_BYTES = 2048
#: The most of an answer the gateway reads; a longer one is not an acknowledgement.
MAX_RESPONSE_BYTES = 64 * 1024
NOT_ACKNOWLEDGED = "not acknowledged: expected HTTP 2xx with result.resultStatus S"
TOO_LONG = f"not acknowledged: the answer is longer than {MAX_RESPONSE_BYTES} bytes"

#: The monotonic time the current attempt must end by (None: no deadline).
_deadline: ContextVar[float | None] = ContextVar("openams_notify_deadline", default=None)


@contextmanager
def deadline(seconds: float) -> Iterator[None]:
    token = _deadline.set(time.monotonic() + seconds)
    try:
        yield
    finally:
        _deadline.reset(token)


def _left(timeout: float | None, expired: type[Exception]) -> float | None:
    """``timeout`` cut to what is left of the attempt's deadline."""
    end = _deadline.get()
    if end is None:
        return timeout
    left = end - time.monotonic()
    if left <= 0:
        raise expired("the attempt's deadline passed")
    return left if timeout is None else min(timeout, left)


class _DeadlineStream(httpcore.NetworkStream):
    def __init__(self, inner: httpcore.NetworkStream) -> None:
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, _left(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, _left(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        inner = self._inner.start_tls(
            ssl_context, server_hostname, _left(timeout, httpcore.ConnectTimeout)
        )
        return _DeadlineStream(inner)

    def get_extra_info(self, info: str) -> object:
        return self._inner.get_extra_info(info)


class PinnedBackend(httpcore.NetworkBackend):
    """Resolve the host once, check every address, connect to a checked one."""

    def __init__(self, *, sandbox: bool, allow_private: bool) -> None:
        self._inner = httpcore.SyncBackend()
        self._sandbox = sandbox
        self._allow_private = allow_private

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        addresses = checked_addresses(
            host, sandbox=self._sandbox, allow_private=self._allow_private
        )
        failure: Exception | None = None
        for address in addresses:
            try:
                stream = self._inner.connect_tcp(
                    str(address),
                    port,
                    _left(timeout, httpcore.ConnectTimeout),
                    local_address,
                    socket_options,
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                failure = exc
                continue
            return _DeadlineStream(stream)
        assert failure is not None
        raise failure

    def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        raise httpcore.ConnectError("notifications go over TCP only")

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


class _PinnedTransport(httpx.HTTPTransport):
    def __init__(self, backend: PinnedBackend) -> None:
        super().__init__(trust_env=False)
        # httpx builds its httpcore pool without a network backend parameter; this one
        # is the same pool with the pinning, deadline-bound backend.
        self._pool = httpcore.ConnectionPool(
            ssl_context=httpx.create_ssl_context(trust_env=False),
            max_connections=100,
            max_keepalive_connections=20,
            keepalive_expiry=5.0,
            network_backend=backend,
        )


def pinned_client(*, sandbox: bool, allow_private: bool, timeout: float) -> httpx.Client:
    """An HTTP client for one target policy (so a kept-alive connection is only reused
    under the policy it was checked for): no proxy from the environment, every
    connection to an address checked by ``ssrf.checked_addresses``."""
    backend = PinnedBackend(sandbox=sandbox, allow_private=allow_private)
    return httpx.Client(transport=_PinnedTransport(backend), timeout=timeout, trust_env=False)


@dataclass(frozen=True, slots=True)
class Result:
    http_status: int | None
    latency_ms: int
    response_excerpt: str | None
    error: str | None
    acknowledged: bool


def is_acknowledgement(status: int, body: bytes) -> bool:
    if not 200 <= status < 300:
        return False
    try:
        parsed = json.loads(body)
    except ValueError:
        return False
    result = parsed.get("result") if isinstance(parsed, dict) else None
    return isinstance(result, dict) and result.get("resultStatus") == "S"


def notification_bytes(notification: Notification) -> bytes:
    """The body as sent: compact UTF-8 JSON, a ``Decimal`` (``quotePrice``) as an exact
    JSON number; the same bytes on every attempt."""
    return compact_json.dumps_bytes(notification.body)


def signed_headers(
    notification: Notification, body: bytes, key: rsa.RSAPrivateKey, key_version: str
) -> dict[str, str]:
    """Signed over the notify URL's path (query string excluded; docs/decisions.md)."""
    assert notification.url is not None
    path = urlsplit(notification.url).path or "/"
    request_time = datetime.now(UTC).isoformat(timespec="milliseconds")
    value = sign("POST", path, notification.client_id, request_time, body, key)
    return {
        "content-type": "application/json; charset=UTF-8",
        "request-time": request_time,
        "client-id": notification.client_id,
        "signature": build_signature_header(value, key_version),
    }


def attempt(
    client: httpx.Client,
    notification: Notification,
    key: rsa.RSAPrivateKey,
    key_version: str,
    timeout_seconds: float = DELIVERY_TIMEOUT_SECONDS,
) -> Result:
    """POST once; the whole attempt ends within ``timeout_seconds`` (on a client from
    ``pinned_client``; any other client bounds each network operation only)."""
    assert notification.url is not None
    body = notification_bytes(notification)
    headers = signed_headers(notification, body, key, key_version)
    headers["accept-encoding"] = "identity"
    started = time.perf_counter()
    try:
        with (
            deadline(timeout_seconds),
            client.stream("POST", notification.url, content=body, headers=headers) as response,
        ):
            raw, complete = _read_limited(response)
    except httpx.TimeoutException:
        return _failed(started, f"timeout after {timeout_seconds:g} s")
    except httpx.HTTPError as exc:
        return _failed(started, f"{type(exc).__name__}: {exc}")
    except ValueError as exc:  # a compressed answer that does not decompress
        return _failed(started, f"unreadable answer: {exc}")
    latency = int((time.perf_counter() - started) * 1000)
    excerpt = raw[:RESPONSE_EXCERPT_BYTES].decode("utf-8", errors="replace")
    acknowledged = complete and is_acknowledgement(response.status_code, raw)
    error = None if acknowledged else (NOT_ACKNOWLEDGED if complete else TOO_LONG)
    return Result(response.status_code, latency, excerpt, error, acknowledged)


def _read_limited(response: httpx.Response) -> tuple[bytes, bool]:
    """Up to ``MAX_RESPONSE_BYTES`` of the answer (decompressed when the merchant
    compressed it anyway), and whether that was all of it. The rest is never read: the
    connection is closed instead."""
    encoding = response.headers.get("content-encoding", "identity").strip().lower()
    inflater = None
    if encoding in ("gzip", "deflate"):
        inflater = zlib.decompressobj(wbits=47 if encoding == "gzip" else 15)
    elif encoding not in ("identity", ""):
        raise ValueError(f"content-encoding {encoding!r}")
    data = bytearray()
    for chunk in response.iter_raw(16 * 1024):
        # The pinned clients cut every read at the deadline; this also bounds a client
        # given by the caller (to the deadline plus one of its read timeouts).
        _left(None, httpx.ReadTimeout)
        if inflater is None:
            data += chunk
        else:
            try:
                data += inflater.decompress(chunk, MAX_RESPONSE_BYTES + 1 - len(data))
            except zlib.error as exc:
                raise ValueError(str(exc)) from None
        if len(data) > MAX_RESPONSE_BYTES:
            return bytes(data[:MAX_RESPONSE_BYTES]), False
    return bytes(data), True


def _failed(started: float, error: str) -> Result:
    return Result(None, int((time.perf_counter() - started) * 1000), None, error, False)
