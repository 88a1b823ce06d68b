"""ASGI middleware: accept absolute-form request targets (``POST https://host/path``).

The official SDK writes the full URL in the request line; servers differ in how
they pass that on, so the path is normalised here before routing and signing.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from starlette.types import ASGIApp, Receive, Scope, Send


class AbsoluteTargetMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            scope = normalize_target(scope)
        await self.app(scope, receive, send)


def normalize_target(scope: Scope) -> Scope:
    """``scope`` with an absolute-form path reduced to its path (and query)."""
    path: str = scope["path"]
    if not path.startswith(("http://", "https://")):
        return scope
    parts = urlsplit(path)
    scope = dict(scope)
    scope["path"] = parts.path or "/"
    scope["raw_path"] = scope["path"].encode("latin-1")
    if parts.query and not scope.get("query_string"):
        scope["query_string"] = parts.query.encode("latin-1")
    return scope
