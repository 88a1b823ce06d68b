"""Frame origins: the web origins a merchant lets embed its session pages.

A hosted page of a payment session may be framed (``Content-Security-Policy:
frame-ancestors``) only by origins its merchant registered, and the page posts its
results only to those origins. Every other page keeps ``frame-ancestors 'none'``.
"""

from __future__ import annotations

import json
from urllib.parse import urlsplit

from openams.gateway.domain.errors import DomainError, param_illegal

#: Bounds: the list goes into a response header of every embeddable page.
MAX_ORIGINS = 20
MAX_ORIGIN_LENGTH = 256


def normalize_origin(value: str) -> str:
    """``scheme://host[:port]`` in lower case, or PARAM_ILLEGAL saying what is wrong.

    A path, query, fragment, credentials or wildcard is refused: an origin names exactly
    one site, and ``frame-ancestors`` and ``postMessage`` compare it whole."""
    text = value.strip()
    if not text or len(text) > MAX_ORIGIN_LENGTH:
        raise param_illegal(f"frame origin must be 1 to {MAX_ORIGIN_LENGTH} characters")
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        raise param_illegal(f"frame origin {text!r} is not a URL origin") from None
    if parts.scheme.lower() not in ("http", "https"):
        raise param_illegal(f"frame origin {text!r} must start with https:// or http://")
    host = (parts.hostname or "").lower()
    if not host or "*" in text or parts.username is not None or parts.password is not None:
        raise param_illegal(f"frame origin {text!r} must name one host, without wildcards")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise param_illegal(
            f"frame origin {text!r} must be scheme://host[:port] only (no path or query)"
        )
    if not all(ch.isalnum() or ch in ".-[]:" for ch in host):
        raise param_illegal(f"frame origin {text!r} has an invalid host")
    scheme = parts.scheme.lower()
    default = {"http": 80, "https": 443}[scheme]
    suffix = f":{port}" if port is not None and port != default else ""
    shown = f"[{host}]" if ":" in host else host  # an IPv6 address
    return f"{scheme}://{shown}{suffix}"


def normalize_origins(values: list[str] | tuple[str, ...]) -> tuple[str, ...]:
    """Each origin normalised, duplicates dropped, order kept; at most MAX_ORIGINS."""
    seen: dict[str, None] = {}
    for value in values:
        seen[normalize_origin(value)] = None
    if len(seen) > MAX_ORIGINS:
        raise DomainError(
            "PARAM_ILLEGAL", f"at most {MAX_ORIGINS} frame origins per merchant, got {len(seen)}"
        )
    return tuple(seen)


def origins_to_json(origins: tuple[str, ...]) -> str | None:
    return json.dumps(list(origins)) if origins else None


def origins_from_json(text: str | None) -> tuple[str, ...]:
    if not text:
        return ()
    try:
        value = json.loads(text)
    except ValueError:
        return ()
    if not isinstance(value, list):
        return ()
    return tuple(item for item in value if isinstance(item, str))
