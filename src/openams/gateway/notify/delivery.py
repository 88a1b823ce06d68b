"""One delivery attempt: sign, POST, and decide whether the merchant acknowledged.

Acknowledged means: HTTP 2xx AND a JSON body whose ``result.resultStatus`` is ``"S"``.
Anything else (timeout, refused connection, 3xx/4xx/5xx, a body that is not that JSON,
an answer longer than ``MAX_RESPONSE_BYTES``) counts as not received and is retried.

An attempt has one total deadline (``OPENAMS_NOTIFY_TIMEOUT_SECONDS``): connecting,
sending and reading the whole answer, so a merchant that drips its answer a byte at a
time is cut at the deadline. The host is resolved once, its addresses checked
(``ssrf.py``) and the connection made to a checked address; the Host header, TLS SNI
and certificate verification keep the URL's host name (``http11.py``).
"""

from __future__ import annotations

import functools
import json
import time
from datetime import UTC, datetime
from typing import NamedTuple
from urllib.parse import urlsplit

import orjson
from cryptography.hazmat.primitives.asymmetric import rsa

from openams.gateway.domain.notification import ClaimedNotification
from openams.gateway.notify.deadlines import Deadlines
from openams.gateway.notify.http11 import Client, HttpError, UnreadableAnswer
from openams.protocol.signing import build_signature_header, sign

DELIVERY_TIMEOUT_SECONDS = 10.0
RESPONSE_EXCERPT_BYTES = 2048
#: The most of an answer the gateway reads; a longer one is not an acknowledgement.
MAX_RESPONSE_BYTES = 64 * 1024
NOT_ACKNOWLEDGED = "not acknowledged: expected HTTP 2xx with result.resultStatus S"
TOO_LONG = f"not acknowledged: the answer is longer than {MAX_RESPONSE_BYTES} bytes"


class Result(NamedTuple):  # a tuple: cheaper to make than a frozen dataclass
    http_status: int | None
    latency_ms: int
    response_excerpt: str | None
    error: str | None
    acknowledged: bool
    #: The signed headers sent (None when nothing was sent).
    request_headers: dict[str, str] | None = None


def is_acknowledgement(status: int, body: bytes) -> bool:
    if not 200 <= status < 300:
        return False
    try:
        parsed = orjson.loads(body)  # a few times faster than json.loads ...
    except orjson.JSONDecodeError:
        try:
            parsed = json.loads(body)  # ... which also reads what orjson refuses (UTF-16)
        except ValueError:
            return False
    result = parsed.get("result") if isinstance(parsed, dict) else None
    return isinstance(result, dict) and result.get("resultStatus") == "S"


@functools.lru_cache(maxsize=4096)
def _signed_path(url: str) -> str:
    return urlsplit(url).path or "/"


def signed_headers(
    notification: ClaimedNotification, body: bytes, key: rsa.RSAPrivateKey, key_version: str
) -> dict[str, str]:
    """Signed over the notify URL's path (query string excluded; docs/decisions.md)."""
    assert notification.url is not None
    path = _signed_path(notification.url)
    request_time = datetime.now(UTC).isoformat(timespec="milliseconds")
    value = sign("POST", path, notification.client_id, request_time, body, key)
    return {
        "content-type": "application/json; charset=UTF-8",
        "request-time": request_time,
        "client-id": notification.client_id,
        "signature": build_signature_header(value, key_version),
    }


async def attempt(
    client: Client,
    notification: ClaimedNotification,
    key: rsa.RSAPrivateKey,
    key_version: str,
    deadlines: Deadlines,
    *,
    signed: dict[str, str] | None = None,
) -> Result:
    """POST once; the whole attempt (after signing) ends within ``deadlines.seconds``.
    ``signed``: the headers ``signed_headers`` made for this attempt beforehand (the
    dispatcher signs a few attempts ahead, in a batch), else it signs now. Raises
    ``ssrf.BlockedTarget`` when the URL's host may not be reached."""
    assert notification.url is not None
    body = notification.body  # the stored bytes, the same on every attempt
    headers = signed if signed is not None else signed_headers(notification, body, key, key_version)
    headers["accept-encoding"] = "identity"
    started = time.perf_counter()
    try:
        with deadlines.bound():
            answer = await client.post(notification.url, headers, body, limit=MAX_RESPONSE_BYTES)
    except TimeoutError:
        return _failed(started, f"timeout after {deadlines.seconds:g} s", headers)
    except HttpError as exc:
        return _failed(started, f"{type(exc).__name__}: {exc}", headers)
    except UnreadableAnswer as exc:  # a compressed answer that does not decompress
        return _failed(started, f"unreadable answer: {exc}", headers)
    latency = int((time.perf_counter() - started) * 1000)
    excerpt = answer.body[:RESPONSE_EXCERPT_BYTES].decode("utf-8", errors="replace")
    acknowledged = answer.complete and is_acknowledgement(answer.status, answer.body)
    error = None if acknowledged else (NOT_ACKNOWLEDGED if answer.complete else TOO_LONG)
    return Result(answer.status, latency, excerpt, error, acknowledged, headers)


def _failed(started: float, error: str, headers: dict[str, str]) -> Result:
    return Result(None, int((time.perf_counter() - started) * 1000), None, error, False, headers)
