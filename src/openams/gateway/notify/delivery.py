"""One delivery attempt: sign, POST, and decide whether the merchant acknowledged.

Acknowledged means: HTTP 2xx AND a JSON body whose ``result.resultStatus`` is ``"S"``.
Anything else (timeout, refused connection, 3xx/4xx/5xx, a body that is not that JSON)
counts as not received and the notification is retried.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlsplit

import httpx
from cryptography.hazmat.primitives.asymmetric import rsa

from openams.gateway import compact_json
from openams.gateway.domain.notification import Notification
from openams.protocol.signing import build_signature_header, sign

DELIVERY_TIMEOUT_SECONDS = 10.0
RESPONSE_EXCERPT_BYTES = 2048
NOT_ACKNOWLEDGED = "not acknowledged: expected HTTP 2xx with result.resultStatus S"


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
) -> Result:
    assert notification.url is not None
    body = notification_bytes(notification)
    headers = signed_headers(notification, body, key, key_version)
    started = time.perf_counter()
    try:
        response = client.post(notification.url, content=body, headers=headers)
    except httpx.TimeoutException:
        return _failed(started, "timeout after 10 s")
    except httpx.HTTPError as exc:
        return _failed(started, f"{type(exc).__name__}: {exc}")
    latency = int((time.perf_counter() - started) * 1000)
    raw = response.content
    excerpt = raw[:RESPONSE_EXCERPT_BYTES].decode("utf-8", errors="replace")
    acknowledged = is_acknowledgement(response.status_code, raw)
    error = None if acknowledged else NOT_ACKNOWLEDGED
    return Result(response.status_code, latency, excerpt, error, acknowledged)


def _failed(started: float, error: str) -> Result:
    return Result(None, int((time.perf_counter() - started) * 1000), None, error, False)
