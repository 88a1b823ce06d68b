"""Request authentication: headers, merchant, key version and the signature on the raw body."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from cryptography.hazmat.primitives.asymmetric import rsa

from openams.gateway.domain.clock import parse_datetime
from openams.gateway.domain.errors import DomainError, param_illegal
from openams.gateway.domain.merchant import Merchant
from openams.protocol.signing import (
    SignatureHeaderError,
    canonical_summary,
    parse_signature_header,
    signed_content,
    verify_content,
)

Authenticator = Callable[[str, str], tuple[Merchant, rsa.RSAPublicKey]]


@dataclass(frozen=True, slots=True)
class Caller:
    merchant: Merchant
    request_time: str
    key_version: str


def parse_request_time(value: str) -> datetime:
    """ISO-8601 (with or without offset; UTC assumed) or epoch milliseconds; a ValueError
    for anything else, out-of-range moments included."""
    return parse_datetime(value, naive_utc=True)


def debug_message(
    path: str, client_id: str, request_time: str, body: bytes, key_version: str
) -> str:
    """What the gateway checked, for a sandbox developer to diff against what they signed."""
    checked = canonical_summary(path, client_id, request_time, body).replace("\n", "\\n")
    return f"signature mismatch; checked {checked} keyVersion={key_version}"


def authenticate(
    headers: Mapping[str, str],
    path: str,
    body: bytes,
    lookup: Authenticator,
    *,
    tolerance_seconds: int | None,
    debugger: bool,
) -> Caller:
    client_id = headers.get("client-id", "").strip()
    if not client_id:
        raise param_illegal("the client-id header is required")
    request_time = headers.get("request-time", "")
    if not request_time.strip():
        raise param_illegal("the Request-Time header is required")
    try:
        moment = parse_request_time(request_time)
    except ValueError:
        raise param_illegal(
            f"Request-Time {request_time[:40]!r} is neither ISO-8601 nor epoch milliseconds"
        ) from None
    if tolerance_seconds is not None:
        skew = abs((datetime.now(UTC) - moment).total_seconds())
        if skew > tolerance_seconds:
            raise param_illegal(
                f"Request-Time is {int(skew)} s away from the gateway clock "
                f"(allowed: {tolerance_seconds} s)"
            )
    raw_header = headers.get("signature", "")
    if not raw_header.strip():
        raise param_illegal("the Signature header is required")
    try:
        parsed = parse_signature_header(raw_header)
    except SignatureHeaderError as exc:
        raise DomainError("INVALID_SIGNATURE", str(exc)) from None
    merchant, public_key = lookup(client_id, parsed.key_version)
    content = signed_content("POST", path, client_id, request_time, body)
    if not verify_content(content, parsed.signature, public_key):
        if debugger and merchant.is_sandbox:
            message = debug_message(path, client_id, request_time, body, parsed.key_version)
        else:
            message = "the signature does not match the request"
        raise DomainError("INVALID_SIGNATURE", message)
    return Caller(merchant, request_time, parsed.key_version)
