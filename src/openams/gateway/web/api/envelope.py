"""Signed AMS responses: HTTP 200, JSON, lowercase ``signature``/``response-time``/``client-id``."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from cryptography.hazmat.primitives.asymmetric import rsa
from starlette.responses import Response

from openams.protocol.signing import build_signature_header, sign

CONTENT_TYPE = "application/json; charset=UTF-8"


def response_time() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def encode_body(body: dict[str, Any]) -> bytes:
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


class ResponseSigner:
    def __init__(self, private_key: rsa.RSAPrivateKey, key_version: str = "1") -> None:
        self._key = private_key
        self._key_version = key_version

    def headers(self, path: str, client_id: str, raw: bytes) -> dict[str, str]:
        now = response_time()
        value = sign("POST", path, client_id, now, raw, self._key)
        return {
            "signature": build_signature_header(value, self._key_version),
            "response-time": now,
            "client-id": client_id,
        }

    def response(self, path: str, client_id: str, body: dict[str, Any]) -> Response:
        raw = encode_body(body)
        response = Response(raw, status_code=200, headers=self.headers(path, client_id, raw))
        response.headers["content-type"] = CONTENT_TYPE
        return response
