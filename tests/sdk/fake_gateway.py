"""A fake AMS gateway for SDK tests: a test double for the network only.

It is an ``httpx.MockTransport`` handler that does what the real gateway's edge does
with the protocol functions: it verifies each request's signature over the exact bytes
received (with the merchant's public key) and signs each response over
``POST <path>\\n<client-id>.<response-time>.<body>`` with the gateway's private key. It has
no payment logic: tests script the answers (``enqueue``) and can break any part of a
response on purpose (drop a header, tamper with the body after signing, sign with the
wrong key, raise a transport error).
"""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
from cryptography.hazmat.primitives.asymmetric import rsa

from openams.protocol import signing
from openams.protocol.keys import KeyPair
from openams.protocol.results import result
from openams.sdk import AsyncClient, Client

RESPONSE_TIME = "2024-05-01T08:00:01+00:00"
CLIENT_ID = "TEST_5YBZ1J2ZA8AC07829"
BASE_URL = "http://127.0.0.1:8080"

ClientFactory = Callable[..., Client]
AsyncClientFactory = Callable[..., AsyncClient]


@dataclass(frozen=True)
class Keys:
    merchant: KeyPair
    gateway: KeyPair
    stranger: KeyPair


@dataclass
class Reply:
    """One scripted answer. ``body=None`` means "S/SUCCESS echoing the request ids"."""

    body: dict[str, Any] | bytes | None = None
    status_code: int = 200
    sign: bool = True
    omit_headers: tuple[str, ...] = ()
    #: Applied to the body bytes AFTER signing.
    tamper: Callable[[bytes], bytes] | None = None
    #: Sign with this key instead of the gateway key.
    signing_key: rsa.RSAPrivateKey | None = None
    #: Send (and sign with) this client-id instead of the requester's.
    client_id: str | None = None
    #: Header names as sent; lower case like the real gateway unless overridden.
    header_names: tuple[str, str, str] = ("signature", "response-time", "client-id")
    #: Send this ``response-time`` value instead of the one that was signed.
    sent_response_time: str | None = None
    #: Raise this httpx error instead of answering.
    error: type[httpx.TransportError] | None = None


@dataclass
class Received:
    method: str
    path: str
    headers: httpx.Headers
    content: bytes
    signature_ok: bool

    @property
    def json(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(self.content)
        return data


@dataclass
class FakeGateway:
    client_id: str
    merchant_public_key: rsa.RSAPublicKey
    gateway_private_key: rsa.RSAPrivateKey
    response_time: str = RESPONSE_TIME
    requests: list[Received] = field(default_factory=list)
    _scripts: dict[str, deque[Reply]] = field(default_factory=dict)

    # --------------------------------------------------------------- scripting

    def enqueue(self, api: str, *replies: Reply | dict[str, Any]) -> None:
        """Queue answers for the API whose path ends with ``/<api>`` (e.g. ``"pay"``)."""
        queue = self._scripts.setdefault(api, deque())
        for reply in replies:
            queue.append(reply if isinstance(reply, Reply) else Reply(body=reply))

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    # ------------------------------------------------------------ the network

    def _verify_request(self, request: httpx.Request) -> bool:
        headers = request.headers
        try:
            parsed = signing.parse_signature_header(headers.get("signature", ""))
        except signing.SignatureHeaderError:
            return False
        return signing.verify(
            request.method,
            request.url.path,
            headers.get("client-id", ""),
            headers.get("request-time", ""),
            request.content,
            parsed.signature,
            self.merchant_public_key,
        )

    def handle(self, request: httpx.Request) -> httpx.Response:
        ok = self._verify_request(request)
        self.requests.append(
            Received(request.method, request.url.path, request.headers, request.content, ok)
        )
        api = request.url.path.rsplit("/", 1)[-1]
        queue = self._scripts.get(api)
        reply = queue.popleft() if queue else Reply()
        if reply.error is not None:
            raise reply.error("scripted transport failure", request=request)
        if not ok:
            body: dict[str, Any] | bytes = {"result": result("INVALID_SIGNATURE")}
        elif reply.body is None:
            body = {"result": result("SUCCESS"), **_echo_ids(request.content)}
        else:
            body = reply.body
        raw = body if isinstance(body, bytes) else json.dumps(body).encode("utf-8")
        client_id = reply.client_id or request.headers.get("client-id", "")
        headers = {"content-type": "application/json; charset=UTF-8"}
        if reply.sign:
            value = signing.sign(
                "POST",
                request.url.path,
                client_id,
                self.response_time,
                raw,
                reply.signing_key or self.gateway_private_key,
            )
            sig_name, time_name, client_name = reply.header_names
            headers[sig_name] = signing.build_signature_header(value)
            headers[time_name] = reply.sent_response_time or self.response_time
            headers[client_name] = client_id
        for name in reply.omit_headers:
            headers = {k: v for k, v in headers.items() if k.lower() != name.lower()}
        if reply.tamper is not None:
            raw = reply.tamper(raw)
        return httpx.Response(reply.status_code, headers=headers, content=raw)


def _echo_ids(content: bytes) -> dict[str, Any]:
    try:
        sent = json.loads(content)
    except ValueError:
        return {}
    keys = ("paymentRequestId", "paymentId", "refundRequestId", "captureRequestId")
    return {k: sent[k] for k in keys if isinstance(sent, dict) and k in sent}


def ams_result(code: str, **fields: Any) -> dict[str, Any]:
    """A response body with the catalogued ``result`` for ``code`` plus ``fields``."""
    return {"result": result(code), **fields}


@dataclass
class Sleeps:
    """Records requested sleeps instead of sleeping; advances a fake clock."""

    calls: list[float] = field(default_factory=list)
    now: float = 1000.0

    def sleep(self, seconds: float) -> None:
        self.calls.append(seconds)
        self.now += seconds

    async def asleep(self, seconds: float) -> None:
        self.sleep(seconds)

    def clock(self) -> float:
        return self.now


def identity_jitter(delay: float) -> float:
    return delay


def pay_body(request_id: str = "PAY_0001", **extra: Any) -> dict[str, Any]:
    """A minimal valid CASHIER_PAYMENT pay request as a wire dict."""
    body: dict[str, Any] = {
        "productCode": "CASHIER_PAYMENT",
        "paymentRequestId": request_id,
        "order": {
            "referenceOrderId": "ORDER_1",
            "orderDescription": "Cappuccino",
            "orderAmount": {"currency": "USD", "value": "1000"},
        },
        "paymentAmount": {"currency": "USD", "value": "1000"},
        "paymentMethod": {"paymentMethodType": "ALIPAY_CN"},
        "paymentRedirectUrl": "https://merchant.example/return",
        "paymentNotifyUrl": "https://merchant.example/notify",
        "env": {"terminalType": "WEB"},
        "settlementStrategy": {"settlementCurrency": "USD"},
    }
    body.update(extra)
    return body
