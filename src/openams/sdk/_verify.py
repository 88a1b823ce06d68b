"""Verify what the gateway sends: API responses and asynchronous notifications.

Both are signed with the gateway's private key over
``<METHOD> <path>\\n<client-id>.<time>.<raw body>`` (``response-time`` for responses,
``request-time`` for notifications). Header names are case-insensitive. Nothing from an
unverified message is parsed, returned or attached to an exception.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any, TypeAlias
from urllib.parse import urlsplit

import httpx
from cryptography.hazmat.primitives.asymmetric import rsa

from openams.protocol.keys import load_public_key
from openams.protocol.models import (
    NOTIFICATION_ACK,
    CaptureNotification,
    PaymentNotification,
    RefundNotification,
)
from openams.protocol.signing import SignatureHeaderError, parse_signature_header, verify
from openams.sdk._exceptions import MessageFormatError, SignatureVerificationError

Notification: TypeAlias = PaymentNotification | CaptureNotification | RefundNotification

#: ``notifyType`` -> the model it parses into.
NOTIFICATION_MODELS: dict[
    str, type[PaymentNotification] | type[CaptureNotification] | type[RefundNotification]
] = {
    "PAYMENT_RESULT": PaymentNotification,
    "PAYMENT_PENDING": PaymentNotification,
    "CAPTURE_RESULT": CaptureNotification,
    "REFUND_RESULT": RefundNotification,
}

HeadersLike: TypeAlias = Mapping[str, str] | Iterable[tuple[str, str]]

_ACK_BODY = json.dumps(NOTIFICATION_ACK, separators=(",", ":")).encode("ascii")


def notification_ack() -> bytes:
    """The body to answer every notification with (HTTP 200, ``application/json``):
    ``{"result":{"resultCode":"SUCCESS","resultStatus":"S","resultMessage":"success"}}``.
    """
    return _ACK_BODY


def as_headers(headers: HeadersLike | httpx.Headers) -> httpx.Headers:
    """Any framework's headers (mapping or ``(name, value)`` pairs) as case-insensitive."""
    if isinstance(headers, httpx.Headers):
        return headers
    items: Iterable[tuple[str, str]] = headers.items() if isinstance(headers, Mapping) else headers
    return httpx.Headers([(str(name), str(value)) for name, value in items])


def as_public_key(key: rsa.RSAPublicKey | str | bytes) -> rsa.RSAPublicKey:
    return key if isinstance(key, rsa.RSAPublicKey) else load_public_key(key)


def _required(headers: httpx.Headers, name: str, path: str, what: str) -> str:
    value: str | None = headers.get(name)
    if value is None or not value.strip():
        raise SignatureVerificationError(f"{what} has no {name!r} header", path=path)
    return value


def verify_signed_message(
    *,
    method: str,
    paths: Iterable[str],
    headers: httpx.Headers,
    time_header: str,
    body: bytes,
    public_key: rsa.RSAPublicKey,
    expected_client_id: str | None,
    what: str,
) -> None:
    """Raise ``SignatureVerificationError`` unless ``body`` is signed for one of ``paths``."""
    candidates = list(paths)
    shown = candidates[0]
    signature_header = _required(headers, "signature", shown, what)
    time = _required(headers, time_header, shown, what)
    client_id = _required(headers, "client-id", shown, what)
    if expected_client_id is not None and client_id != expected_client_id:
        raise SignatureVerificationError(
            f"{what} is for client-id {client_id!r}, expected {expected_client_id!r}", path=shown
        )
    try:
        signature = parse_signature_header(signature_header).signature
    except SignatureHeaderError as exc:
        raise SignatureVerificationError(f"{what}: {exc}", path=shown) from None
    for path in candidates:
        if verify(method, path, client_id, time, body, signature, public_key):
            return
    raise SignatureVerificationError(
        f"{what} signature does not verify against the gateway public key", path=shown
    )


def verify_response(
    path: str,
    response: httpx.Response,
    public_key: rsa.RSAPublicKey,
    *,
    expected_client_id: str | None,
) -> dict[str, Any]:
    """Verify an API response to ``POST path`` and return its JSON object."""
    body = response.content
    verify_signed_message(
        method="POST",
        paths=(path,),
        headers=response.headers,
        time_header="response-time",
        body=body,
        public_key=public_key,
        expected_client_id=expected_client_id,
        what="response",
    )
    return _json_object(body, path, "response")


def _json_object(body: bytes, path: str, what: str) -> dict[str, Any]:
    try:
        # Non-integer numbers (settlementQuote.quotePrice) as Decimal: their exact digits.
        data = json.loads(body, parse_float=Decimal)
    except ValueError:
        raise MessageFormatError(f"{what} body is not JSON", path=path) from None
    if not isinstance(data, dict):
        raise MessageFormatError(f"{what} body is not a JSON object", path=path)
    return data


def _path_candidates(path: str) -> list[str]:
    """Path only first (what the gateway signs), then path with query string."""
    if "://" in path:
        parts = urlsplit(path)
        bare, query = parts.path or "/", parts.query
    else:
        bare, _, query = path.partition("?")
        bare = bare or "/"
    return [bare, f"{bare}?{query}"] if query else [bare]


def verify_notification(
    method: str,
    path: str,
    headers: HeadersLike | httpx.Headers,
    body: bytes | str,
    *,
    gateway_public_key: rsa.RSAPublicKey | str | bytes,
    client_id: str | None = None,
) -> Notification:
    """Verify a notification the gateway POSTed to you and return it typed by ``notifyType``.

    ``path`` is the path your notify URL was called on (``request.url.path``); a query
    string or a full URL is accepted. ``body`` must be the raw bytes as received: never
    re-serialise the JSON first. With ``client_id`` set, a notification for any other
    client-id is rejected. Raises ``SignatureVerificationError`` (nothing is parsed) or,
    for a correctly signed but unknown or malformed body, ``MessageFormatError``.
    """
    raw = body.encode("utf-8") if isinstance(body, str) else body
    candidates = _path_candidates(path)
    verify_signed_message(
        method=method,
        paths=candidates,
        headers=as_headers(headers),
        time_header="request-time",
        body=raw,
        public_key=as_public_key(gateway_public_key),
        expected_client_id=client_id,
        what="notification",
    )
    shown = candidates[0]
    data = _json_object(raw, shown, "notification")
    notify_type = data.get("notifyType")
    model = NOTIFICATION_MODELS.get(notify_type) if isinstance(notify_type, str) else None
    if model is None:
        raise MessageFormatError(f"unknown notifyType {notify_type!r}", path=shown)
    try:
        return model.model_validate(data)
    except ValueError as exc:  # pydantic.ValidationError
        raise MessageFormatError(f"invalid {notify_type} notification: {exc}", path=shown) from None
