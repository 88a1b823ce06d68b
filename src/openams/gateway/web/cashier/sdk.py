"""``/sdk/ams-checkout.js`` (and ``.mjs``): openams's Web SDK, served by the gateway.

Merchants' pages load it from another origin, as a classic script or an ES module (a
module import across origins needs CORS), so both answer with
``Access-Control-Allow-Origin: *``: the files are public and carry no credentials.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from fastapi import APIRouter
from starlette.responses import Response

SDK_DIR = Path(__file__).parent.parent / "sdk"
_FILES = {
    "ams-checkout.js": "openams-checkout.js",
    "openams-checkout.js": "openams-checkout.js",
    "ams-checkout.mjs": "openams-checkout.mjs",
    "openams-checkout.mjs": "openams-checkout.mjs",
}
_HEADERS = {
    "Access-Control-Allow-Origin": "*",
    "Cache-Control": "public, max-age=300",
    "X-Content-Type-Options": "nosniff",
    "Cross-Origin-Resource-Policy": "cross-origin",
}


@cache
def sdk_source(name: str) -> bytes:
    return (SDK_DIR / _FILES[name]).read_bytes()


def sdk_router() -> APIRouter:
    router = APIRouter(include_in_schema=False)

    @router.get("/sdk/{name}")
    def sdk_file(name: str) -> Response:
        if name not in _FILES:
            return Response("not found", status_code=404, media_type="text/plain")
        return Response(
            sdk_source(name), media_type="text/javascript; charset=utf-8", headers=_HEADERS
        )

    return router
