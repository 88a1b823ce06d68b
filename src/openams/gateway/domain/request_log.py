"""The request log: every AMS call as received and as answered (docs/developers.md).

An :class:`Exchange` is what the API saw, raw; a :class:`LogEntry` is what is stored:
decoded, the card data scrubbed, the request ids and the result picked out.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

#: The request ids a log entry is found by, wire name -> attribute.
REQUEST_ID_FIELDS = {
    "paymentRequestId": "payment_request_id",
    "paymentId": "payment_id",
    "refundRequestId": "refund_request_id",
    "captureRequestId": "capture_request_id",
}
#: Bounds of what is stored (the columns' sizes).
MAX_ID = 64
MAX_CLIENT_ID = 64
MAX_PATH = 256
MAX_MESSAGE = 512


@dataclass(frozen=True, slots=True)
class Exchange:
    """One AMS call as it went over the wire, before anything is made of it."""

    received_at: int  # epoch ms
    path: str
    headers: list[tuple[bytes, bytes]]
    request_body: bytes
    http_status: int
    response_headers: dict[str, str]
    response_body: bytes
    latency_us: int
    #: The key version whose signature verified; None when the request was not
    #: authenticated (refused before or at the signature check).
    verified_key_version: str | None = None
    #: What the log reads of the answer (:func:`answer_fields`), taken from the dict the
    #: gateway encoded into ``response_body``; None: read from ``response_body``.
    response: dict[str, Any] | None = None


def answer_fields(answer: dict[str, Any]) -> dict[str, Any]:
    """The parts of an answer the log reads (its result and request ids): all an exchange
    keeps of the answer's dict while it waits in the recorder's queue (the whole dict of a
    pay's answer is about 4 KB of objects; its bytes are kept anyway)."""
    kept = {wire: answer[wire] for wire in REQUEST_ID_FIELDS if wire in answer}
    if "result" in answer:
        kept["result"] = answer["result"]
    return kept


@dataclass(frozen=True, slots=True)
class LogEntry:
    client_id: str
    path: str
    created_at: int
    http_status: int
    latency_us: int
    request_headers: dict[str, str | list[str]]
    request_body: str
    response_headers: dict[str, str]
    response_body: str
    result_status: str | None = None
    result_code: str | None = None
    result_message: str | None = None
    payment_request_id: str | None = None
    payment_id: str | None = None
    refund_request_id: str | None = None
    capture_request_id: str | None = None
    signature_check: str | None = None
    log_id: int | None = None

    def request_ids(self) -> dict[str, str]:
        """The wire names and values of the request ids this call carries."""
        found = {wire: getattr(self, name) for wire, name in REQUEST_ID_FIELDS.items()}
        return {wire: value for wire, value in found.items() if value}


@dataclass(frozen=True, slots=True)
class LogQuery:
    """Which entries, newest first: ``before`` is the keyset cursor (a log id), ``after``
    asks for newer ones only (following the log); ``oldest_first`` turns the order (the
    console's Previous page: the entries just newer than ``after``)."""

    client_id: str | None = None
    path: str | None = None
    result_code: str | None = None
    result_status: str | None = None
    request_id: str | None = None
    before: int | None = None
    after: int | None = None
    limit: int = 50
    oldest_first: bool = False


def headers_view(raw: list[tuple[bytes, bytes]]) -> dict[str, str | list[str]]:
    """Headers as received, by lowercase name; a repeated name keeps every value."""
    view: dict[str, str | list[str]] = {}
    for name_bytes, value_bytes in raw:
        name, value = name_bytes.decode("latin-1").lower(), value_bytes.decode("latin-1")
        seen = view.get(name)
        if seen is None:
            view[name] = value
        elif isinstance(seen, list):
            seen.append(value)
        else:
            view[name] = [seen, value]
    return view
