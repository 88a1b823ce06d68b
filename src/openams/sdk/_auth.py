"""Request signing as an ``httpx.Auth``: one generator serves ``Client`` and ``AsyncClient``.

``requires_request_body = True`` makes httpx read the body before the flow runs, so the
signature covers exactly the bytes that go on the wire. The flow runs once per attempt,
so every retry carries a fresh ``Request-Time`` and signature over the same body.

``Request-Time`` is ISO-8601 UTC to the second, ``2024-05-01T08:00:00+00:00``: the format
the official ``global-open-sdk-python`` sends, so any gateway that accepts that SDK
accepts us. The gateway treats it as an opaque string inside the signed content.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from datetime import UTC, datetime

import httpx
from cryptography.hazmat.primitives.asymmetric import rsa

from openams.protocol.signing import (
    DEFAULT_KEY_VERSION,
    build_signature_header,
    sign_content,
    signed_content,
)
from openams.sdk._config import CONTENT_TYPE


def _utc_now() -> datetime:
    return datetime.now(UTC)


def format_request_time(moment: datetime) -> str:
    """``2024-05-01T08:00:00+00:00``: UTC, whole seconds, explicit offset."""
    if moment.tzinfo is None:
        raise ValueError("Request-Time needs a timezone-aware datetime")
    return moment.astimezone(UTC).replace(microsecond=0).isoformat()


class SignatureAuth(httpx.Auth):
    """Adds ``client-id``, ``Request-Time`` and ``Signature`` to every request.

    Usable on its own with any httpx client::

        httpx.post(url, content=body, auth=SignatureAuth("CLIENT_ID", private_key))
    """

    requires_request_body = True

    def __init__(
        self,
        client_id: str,
        private_key: rsa.RSAPrivateKey,
        *,
        key_version: str = DEFAULT_KEY_VERSION,
        now: Callable[[], datetime] = _utc_now,
    ) -> None:
        self.client_id = client_id
        self._private_key = private_key
        self.key_version = key_version
        self._now = now

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request_time = format_request_time(self._now())
        content = signed_content(
            request.method, request.url.path, self.client_id, request_time, request.content
        )
        signature = sign_content(content, self._private_key)
        request.headers.setdefault("Content-Type", CONTENT_TYPE)
        request.headers["client-id"] = self.client_id
        request.headers["Request-Time"] = request_time
        request.headers["Signature"] = build_signature_header(signature, self.key_version)
        yield request
