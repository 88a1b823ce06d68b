"""The request log's use cases: make an entry of an exchange, store, find and prune."""

from __future__ import annotations

import json
import shlex
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from openams.gateway import compact_json
from openams.gateway.domain.clock import Clock, iso_millis
from openams.gateway.domain.merchant import SANDBOX_PREFIX
from openams.gateway.domain.ports import UnitOfWorkFactory
from openams.gateway.domain.request_log import (
    MAX_CLIENT_ID,
    MAX_ID,
    MAX_MESSAGE,
    MAX_PATH,
    REQUEST_ID_FIELDS,
    Exchange,
    LogEntry,
    LogQuery,
    headers_view,
)
from openams.gateway.json_depth import too_deep
from openams.gateway.services.cards import scrub_card_data, scrub_card_text
from openams.protocol.signing import SignatureHeaderError, canonical_summary, parse_signature_header

#: The most entries one page or one follow step returns.
MAX_PAGE = 500
DAY_MS = 24 * 3600 * 1000


def _parsed(raw: bytes) -> dict[str, Any] | None:
    """The body as a JSON object, or None: not JSON, not an object, or nested too deeply
    to walk (json_depth.py; such a body is logged as text)."""
    try:
        value = orjson.loads(raw)  # read off the request path, but read often: orjson
    except orjson.JSONDecodeError:  # also what orjson says past its own depth limit
        return None
    if not isinstance(value, dict) or too_deep(raw, value):
        return None
    return value


def _text(raw: bytes) -> str:
    return raw.decode("utf-8", errors="replace")


def _request_body(raw: bytes) -> tuple[str, dict[str, Any] | None]:
    """The body as logged (card data scrubbed) and, when it is a JSON object, parsed."""
    parsed = _parsed(raw)
    if parsed is None:
        return scrub_card_text(_text(raw)), None
    scrubbed = scrub_card_data(parsed)
    if scrubbed is parsed:
        return _text(raw), parsed  # nothing to hide: the bytes exactly as received
    return compact_json.dumps(scrubbed), scrubbed


def _string(value: Any, limit: int) -> str | None:
    return value[:limit] if isinstance(value, str) and value else None


def _signature_check(
    exchange: Exchange,
    headers: dict[str, str | list[str]],
    client_id: str,
    result_code: str | None,
) -> str:
    """How the signature check went; a sandbox merchant's refused signature comes with the
    content the gateway checked (the signature debugger's)."""
    if exchange.verified_key_version is not None:
        return f"verified with key version {exchange.verified_key_version}"
    if result_code != "INVALID_SIGNATURE":
        return "not checked: the request was refused before its signature"
    text = "refused: the signature does not match the request"
    if client_id.startswith(SANDBOX_PREFIX):
        request_time = headers.get("request-time", "")
        try:
            version = parse_signature_header(str(headers.get("signature", ""))).key_version
        except SignatureHeaderError as exc:
            return f"refused: {exc}"
        canonical = canonical_summary(
            exchange.path, client_id, str(request_time), exchange.request_body
        )
        text += f"\nchecked (keyVersion={version}):\n{canonical}"
    return text


def entry_from(exchange: Exchange) -> LogEntry:
    """What is stored of an exchange."""
    headers = headers_view(exchange.headers)
    claimed = headers.get("client-id", "")
    client_id = (claimed if isinstance(claimed, str) else claimed[0]).strip()[:MAX_CLIENT_ID]
    request_text, request = _request_body(exchange.request_body)
    response = exchange.response
    if response is None:
        response = _parsed(exchange.response_body) or {}
    result = response.get("result") if isinstance(response.get("result"), dict) else {}
    ids: dict[str, str | None] = {}
    for wire, name in REQUEST_ID_FIELDS.items():
        ids[name] = _string((request or {}).get(wire), MAX_ID) or _string(
            response.get(wire), MAX_ID
        )
    result_code = _string(result.get("resultCode"), 64)
    return LogEntry(
        client_id=client_id,
        path=exchange.path[:MAX_PATH],
        created_at=exchange.received_at,
        http_status=exchange.http_status,
        latency_us=exchange.latency_us,
        request_headers=headers,
        request_body=request_text,
        response_headers=exchange.response_headers,
        response_body=_text(exchange.response_body),
        result_status=_string(result.get("resultStatus"), 1),
        result_code=result_code,
        result_message=_string(result.get("resultMessage"), MAX_MESSAGE),
        signature_check=_signature_check(exchange, headers, client_id, result_code),
        **ids,
    )


@dataclass
class RequestLogService:
    uow: UnitOfWorkFactory
    clock: Clock
    #: Retention: the newest entries of each merchant, none older than the age.
    max_per_merchant: int
    max_age_days: float

    def write(self, exchanges: Sequence[Exchange]) -> list[LogEntry]:
        entries = [entry_from(exchange) for exchange in exchanges]
        if entries:
            with self.uow(write=True) as uow:
                uow.request_log.add_all(entries)
                uow.commit()
        return entries

    def search(self, query: LogQuery) -> list[LogEntry]:
        query_limit = max(1, min(query.limit, MAX_PAGE))
        with self.uow() as uow:
            return uow.request_log.search(query, query_limit)

    def get(self, log_id: int, client_id: str | None = None) -> LogEntry | None:
        with self.uow() as uow:
            entry = uow.request_log.get(log_id)
        if entry is None or (client_id is not None and entry.client_id != client_id):
            return None
        return entry

    def for_payment(
        self, client_id: str, payment_id: str, payment_request_id: str
    ) -> list[LogEntry]:
        with self.uow() as uow:
            return uow.request_log.for_payment(client_id, payment_id, payment_request_id)

    def prune(self) -> int:
        """Drop what the retention settings no longer keep; the number dropped."""
        oldest = self.clock() - int(self.max_age_days * DAY_MS)
        with self.uow(write=True) as uow:
            dropped = uow.request_log.prune(oldest, self.max_per_merchant)
            uow.commit()
        return dropped


def body_value(text: str) -> Any:
    """A logged body as JSON when it is JSON (so that it prints as an object), else text."""
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):  # RecursionError: json's C parser, cleanly
        return text
    return text if too_deep(text, value) else value


def entry_view(entry: LogEntry) -> dict[str, Any]:
    """Every recorded field of an entry, JSON-ready: bodies as JSON objects."""
    return {
        "logId": entry.log_id,
        "time": iso_millis(entry.created_at),
        "clientId": entry.client_id,
        "path": entry.path,
        **entry.request_ids(),
        "resultStatus": entry.result_status,
        "resultCode": entry.result_code,
        "resultMessage": entry.result_message,
        "httpStatus": entry.http_status,
        "latencyMs": round(entry.latency_us / 1000, 3),
        "signatureCheck": entry.signature_check,
        "requestHeaders": entry.request_headers,
        "requestBody": body_value(entry.request_body),
        "responseHeaders": entry.response_headers,
        "responseBody": body_value(entry.response_body),
    }


#: Headers a copied request carries: what the signature covers and what AMS reads.
_CURL_HEADERS = ("content-type", "client-id", "request-time", "signature")


def as_curl(entry: LogEntry, base_url: str) -> str:
    """The request as a ``curl`` command line. The signature is the one received: it still
    verifies unless the body had card data (logged masked) or the Request-Time is too
    old for the gateway's tolerance."""
    parts = [f"curl -X POST {shlex.quote(base_url.rstrip('/') + entry.path)}"]
    for name in _CURL_HEADERS:
        value = entry.request_headers.get(name)
        for item in value if isinstance(value, list) else [value] if value else []:
            parts.append(f"-H {shlex.quote(f'{name}: {item}')}")
    parts.append(f"--data-raw {shlex.quote(entry.request_body)}")
    return " \\\n  ".join(parts)
