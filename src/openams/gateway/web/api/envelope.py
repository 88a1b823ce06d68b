"""Signed AMS responses: HTTP 200, JSON, lowercase ``signature``/``response-time``/``client-id``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric import rsa
from starlette.responses import Response
from starlette.types import Send

from openams.gateway.compact_json import dumps_bytes
from openams.gateway.domain.clock import iso_millis, system_clock
from openams.protocol.signing import build_signature_header, sign_content, signed_content

CONTENT_TYPE = "application/json; charset=UTF-8"
_CONTENT_TYPE_HEADER = (b"content-type", CONTENT_TYPE.encode())


def response_time() -> str:
    """``2026-11-22T01:30:00.123+00:00``: now, to the millisecond."""
    return iso_millis(system_clock())


def encode_body(body: dict[str, Any]) -> bytes:
    return dumps_bytes(body)


@dataclass(frozen=True, slots=True)
class SignedAnswer:
    """One signed AMS answer, ready to send as it is."""

    raw: bytes
    headers: dict[str, str]
    #: What ``raw`` encodes (the request log reads its result and ids here instead of
    #: parsing ``raw`` again).
    body: dict[str, Any]

    def response(self) -> Response:
        response = Response(self.raw, status_code=200, headers=self.headers)
        response.headers["content-type"] = CONTENT_TYPE
        return response

    async def send(self, send: Send) -> None:
        """Straight to the ASGI server: the same headers a :meth:`response` carries."""
        headers = [(name.encode(), value.encode("latin-1")) for name, value in self.headers.items()]
        headers.append((b"content-length", str(len(self.raw)).encode()))
        headers.append(_CONTENT_TYPE_HEADER)
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": self.raw})


class ResponseSigner:
    def __init__(self, private_key: rsa.RSAPrivateKey, key_version: str = "1") -> None:
        self._key = private_key
        self._key_version = key_version

    def headers(self, path: str, client_id: str, raw: bytes) -> dict[str, str]:
        now = response_time()
        content = signed_content("POST", path, client_id, now, raw)
        value = sign_content(content, self._key)
        return {
            "signature": build_signature_header(value, self._key_version),
            "response-time": now,
            "client-id": client_id,
        }

    def answer(self, path: str, client_id: str, body: dict[str, Any]) -> SignedAnswer:
        raw = encode_body(body)
        return SignedAnswer(raw, self.headers(path, client_id, raw), body)

    def response(self, path: str, client_id: str, body: dict[str, Any]) -> Response:
        return self.answer(path, client_id, body).response()
