"""The gateway's ASGI application: ``/ams/...`` requests go straight to the AMS API.

Every AMS answer is made by :class:`~openams.gateway.web.api.router.AmsApi` (signed,
HTTP 200, errors included), so the framework's middleware, routing, exception and
exit-stack layers have nothing to add on that path; skipping them saves their cost on
every request. Everything else (hosted pages, static files, ``/openapi.json``) goes
through FastAPI as usual.
"""

from __future__ import annotations

from fastapi import FastAPI
from starlette.types import Receive, Scope, Send

from openams.gateway.web.api.absolute_target import normalize_target
from openams.gateway.web.api.router import AmsApi

AMS_PREFIX = "/ams/"


def is_ams_path(path: str) -> bool:
    return path.startswith(AMS_PREFIX) or path == AMS_PREFIX[:-1]


class GatewayApp(FastAPI):
    """FastAPI, with the AMS API served ahead of the middleware stack."""

    ams_api: AmsApi | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.ams_api is not None and scope["type"] == "http":
            scope = normalize_target(scope)
            if is_ams_path(scope["path"]):
                await self.ams_api.asgi(scope, receive, send)
                return
        await super().__call__(scope, receive, send)
