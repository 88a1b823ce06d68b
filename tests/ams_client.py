"""A signing AMS test client: sends requests the Antom way and checks every answer is signed."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import httpx
from cryptography.hazmat.primitives.asymmetric import rsa

from openams.protocol.signing import (
    build_signature_header,
    parse_signature_header,
    sign,
    verify,
)


def now_iso() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat()


@dataclass
class AmsReply:
    status_code: int
    headers: dict[str, str]
    raw: bytes
    body: dict[str, Any]

    @property
    def result(self) -> dict[str, str]:
        return self.body["result"]

    @property
    def code(self) -> str:
        return self.result["resultCode"]


@dataclass
class AmsClient:
    http: httpx.Client
    client_id: str
    private_key: rsa.RSAPrivateKey
    gateway_public_key: rsa.RSAPublicKey
    key_version: str = "1"
    sandbox: bool = True
    extra_headers: dict[str, str] = field(default_factory=dict)

    def path(self, api: str) -> str:
        prefix = "/ams/sandbox/api/v1/" if self.sandbox else "/ams/api/v1/"
        return prefix + api

    def call(
        self,
        api: str,
        body: dict[str, Any] | bytes | str,
        *,
        headers: dict[str, str] | None = None,
        path: str | None = None,
        sign_path: str | None = None,
        request_time: str | None = None,
    ) -> AmsReply:
        """POST a signed request; ``headers`` entries replace (or, set to "", drop) defaults."""
        target = path or self.path(api)
        raw = (
            body
            if isinstance(body, bytes)
            else (body.encode() if isinstance(body, str) else json.dumps(body, indent=3).encode())
        )
        sent = self.signed_headers(sign_path or target, raw, request_time)
        for name, value in (headers or {}).items():
            sent = {k: v for k, v in sent.items() if k.lower() != name.lower()}
            if value != "":
                sent[name] = value
        response = self.http.post(target, content=raw, headers=sent)
        return self.check_signed(
            target, response.status_code, dict(response.headers), response.content
        )

    def signed_headers(
        self, path: str, raw: bytes, request_time: str | None = None
    ) -> dict[str, str]:
        """The headers of a request with body ``raw`` signed over ``path``."""
        when = request_time or now_iso()
        signature = sign("POST", path, self.client_id, when, raw, self.private_key)
        return {
            "Content-Type": "application/json; charset=UTF-8",
            "Request-Time": when,
            "client-id": self.client_id,
            "Signature": build_signature_header(signature, self.key_version),
            **self.extra_headers,
        }

    def check_signed(self, path: str, status: int, headers: dict[str, str], raw: bytes) -> AmsReply:
        assert status == 200, (status, raw[:500])
        header = parse_signature_header(headers["signature"])
        assert verify(
            "POST",
            path,
            headers["client-id"],
            headers["response-time"],
            raw,
            header.signature,
            self.gateway_public_key,
        ), "response signature does not verify"
        # quotePrice is a JSON number: read it with its exact digits.
        return AmsReply(status, headers, raw, json.loads(raw, parse_float=Decimal))
