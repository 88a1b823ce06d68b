"""The API reference at ``/docs``: Swagger UI over ``/openapi.json``, served offline.

Swagger UI's files come from the pinned ``fastapi-offline`` package (its ``static``
folder), served under ``/docs/assets``: the page loads nothing from another host, and its
Content-Security-Policy says so. "Try it out" is off: every AMS call must be signed with
the merchant's private key, which a browser page does not have (use the SDK or the CLI).
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from openams.gateway.web.api.openapi import OPENAPI_PATH

REFERENCE_PATH = "/docs"
ASSETS_PATH = "/docs/assets"
#: Swagger UI's bundle, stylesheet and icon, as the fastapi-offline wheel ships them.
ASSETS_DIR = Path(str(files("fastapi_offline") / "static"))

#: Swagger UI injects style attributes; everything else is this origin's own.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
        "script-src 'self'; connect-src 'self'; base-uri 'none'; frame-ancestors 'none'; "
        "object-src 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
}

PAGE = f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>openams API reference</title>
<link rel="icon" href="{ASSETS_PATH}/favicon.png">
<link rel="stylesheet" href="{ASSETS_PATH}/swagger-ui.css">
</head>
<body>
<div id="api-reference" data-openapi-url="{OPENAPI_PATH}"></div>
<script src="{ASSETS_PATH}/swagger-ui-bundle.js"></script>
<script src="{REFERENCE_PATH}/init.js"></script>
</body>
</html>
"""

INIT_JS = """"use strict";
(function () {
  var root = document.getElementById("api-reference");
  window.ui = SwaggerUIBundle({
    url: root.getAttribute("data-openapi-url"),
    domNode: root,
    deepLinking: true,
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
    validatorUrl: null,
    supportedSubmitMethods: [],
    defaultModelsExpandDepth: 0
  });
})();
"""


async def _page(_request: Request) -> Response:
    return HTMLResponse(PAGE, headers=SECURITY_HEADERS)


async def _init_js(_request: Request) -> Response:
    return Response(INIT_JS, media_type="text/javascript", headers=SECURITY_HEADERS)


def reference_routes() -> list[BaseRoute]:
    """``/docs`` (the page), ``/docs/init.js`` and ``/docs/assets/*`` (Swagger UI)."""
    return [
        Route(REFERENCE_PATH, _page, methods=["GET"], include_in_schema=False),
        Route(f"{REFERENCE_PATH}/init.js", _init_js, methods=["GET"], include_in_schema=False),
        Mount(ASSETS_PATH, app=StaticFiles(directory=ASSETS_DIR), name="api-reference-assets"),
    ]
