"""What an AMS request's ASGI scope says, read as the framework's Request would read it."""

from __future__ import annotations

import re

from starlette.datastructures import URL
from starlette.types import Scope

#: The headers a request is authenticated by: each may appear once.
AUTH_HEADERS = (b"client-id", b"signature", b"request-time")

#: Paths that need none of URL's escaping or splitting: read as they are.
_PLAIN_PATH = re.compile(r"[A-Za-z0-9/_.~-]*")


def request_path(scope: Scope) -> str:
    """``request.url.path``: the path signed answers are signed over."""
    path: str = scope["path"]
    if _PLAIN_PATH.fullmatch(path):
        return path
    return URL(scope=scope).path


def header_dict(scope: Scope) -> dict[str, str]:
    """Every header by its (lowercase) name; the last one wins when a name repeats."""
    return {name.decode("latin-1"): value.decode("latin-1") for name, value in scope["headers"]}


def first_header(scope: Scope, name: bytes) -> str:
    """The first header called ``name`` (lowercase), or ``""``."""
    for key, value in scope["headers"]:
        if key == name:
            decoded: str = value.decode("latin-1")
            return decoded
    return ""


def duplicate_auth_header(scope: Scope) -> str | None:
    """The name of the first authentication header (:data:`AUTH_HEADERS`) the request
    carries more than once, or None. ASGI servers give header names in lowercase, so
    ``Client-Id`` and ``client-id`` are the same name here."""
    seen: list[bytes] = []
    for name, _value in scope["headers"]:
        if name in AUTH_HEADERS:
            if name in seen:
                repeated: str = name.decode("latin-1")
                return repeated
            seen.append(name)
    return None
