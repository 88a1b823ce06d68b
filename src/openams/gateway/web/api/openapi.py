"""The OpenAPI 3.1 description of the AMS endpoints, served at ``/openapi.json``.

Built from the operation table (path name -> request model) and the pydantic wire
models, so it cannot drift from what the router accepts. Every operation appears under
both prefixes (test helpers under the sandbox prefix only). The three signature headers
are described as security schemes that apply together; every answer is HTTP 200 with a
signed JSON body whose ``result`` says what happened.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from openams.gateway.web.api.router import PRODUCTION_PREFIX, SANDBOX_PREFIX, Operation
from openams.protocol import models

OPENAPI_PATH = "/openapi.json"
REF_TEMPLATE = "#/components/schemas/{model}"

#: Operation name -> response model; anything not listed answers the bare envelope.
RESPONSE_MODELS: dict[str, type[BaseModel]] = {
    "payments/pay": models.PayResponse,
    "payments/inquiryPayment": models.InquiryPaymentResponse,
    "payments/cancel": models.CancelResponse,
    "payments/consult": models.ConsultResponse,
    "payments/createPaymentSession": models.CreatePaymentSessionResponse,
    "payments/refund": models.RefundResponse,
    "payments/inquiryRefund": models.InquiryRefundResponse,
    "payments/capture": models.CaptureResponse,
    "testHelpers/completePayment": models.InquiryPaymentResponse,
}

SIGNATURE_DESCRIPTION = (
    "`algorithm=RSA256,keyVersion=<n>,signature=<url-encoded base64>`: SHA256withRSA with "
    "the merchant's private key over `POST <path>\\n<client-id>.<Request-Time>.<body>` "
    "(the raw body bytes). Responses carry a `signature` header made the same way with "
    "the gateway's key over `POST <path>\\n<client-id>.<response-time>.<body>`."
)

SECURITY_SCHEMES: dict[str, dict[str, str]] = {
    "clientId": {
        "type": "apiKey",
        "in": "header",
        "name": "client-id",
        "description": "The merchant's client id (SANDBOX_... for sandbox merchants).",
    },
    "requestTime": {
        "type": "apiKey",
        "in": "header",
        "name": "Request-Time",
        "description": "ISO-8601 with offset, or epoch milliseconds; part of the signed text.",
    },
    "signature": {
        "type": "apiKey",
        "in": "header",
        "name": "Signature",
        "description": SIGNATURE_DESCRIPTION,
    },
}

RESPONSE_HEADERS: dict[str, dict[str, Any]] = {
    "signature": {
        "description": "The gateway's signature of this response (see the Signature scheme).",
        "schema": {"type": "string"},
    },
    "response-time": {
        "description": "ISO-8601 with milliseconds and +00:00; part of the signed text.",
        "schema": {"type": "string"},
    },
    "client-id": {"description": "The request's client-id.", "schema": {"type": "string"}},
}

DESCRIPTION = (
    "The Antom AMS Checkout Payment API as openams serves it. Every request is POST with a "
    "JSON body and the three signature headers. Every answer is HTTP 200 with a signed "
    "JSON body whose `result` (`resultCode`, `resultStatus` S/F/U, `resultMessage`) says "
    "what happened, including refusals of bad input, unknown APIs and throttling "
    "(`U/REQUEST_TRAFFIC_EXCEED_LIMIT`)."
)


def _operation_id(prefix_name: str, name: str) -> str:
    words = [w for part in name.split("/") for w in part.split("_")]
    return prefix_name + "".join(w[:1].upper() + w[1:] for w in words)


def openapi_document(
    operations: Mapping[str, Operation], *, title: str = "openams AMS API", version: str = "v1"
) -> dict[str, Any]:
    """The whole OpenAPI document for ``operations`` (name -> Operation)."""
    names = sorted(operations)
    inputs: list[tuple[type[BaseModel], Any]] = []
    for name in names:
        inputs.append((operations[name].model, "validation"))
        inputs.append((RESPONSE_MODELS.get(name, models.Response), "serialization"))
    refs, schema = models_json_schema(inputs, by_alias=True, ref_template=REF_TEMPLATE)
    paths: dict[str, Any] = {}
    for name in names:
        operation = operations[name]
        response_model = RESPONSE_MODELS.get(name, models.Response)
        prefixes = [("sandbox", SANDBOX_PREFIX)]
        if not operation.sandbox_only:
            prefixes.insert(0, ("", PRODUCTION_PREFIX))
        for prefix_name, prefix in prefixes:
            paths[prefix + name] = {
                "post": {
                    "operationId": _operation_id(prefix_name, name),
                    "tags": [name.split("/", 1)[0]],
                    "summary": name,
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {"schema": refs[(operation.model, "validation")]}
                        },
                    },
                    "responses": {
                        "200": {
                            "description": "A signed AMS answer; see result.",
                            "headers": RESPONSE_HEADERS,
                            "content": {
                                "application/json": {
                                    "schema": refs[(response_model, "serialization")]
                                }
                            },
                        }
                    },
                }
            }
    return {
        "openapi": "3.1.0",
        "info": {"title": title, "version": version, "description": DESCRIPTION},
        "security": [{"clientId": [], "requestTime": [], "signature": []}],
        "paths": paths,
        "components": {
            "schemas": schema.get("$defs", {}),
            "securitySchemes": SECURITY_SCHEMES,
        },
    }


def openapi_route(operations: Mapping[str, Operation]) -> Route:
    """``GET /openapi.json``: built on first request, then served from memory."""
    cached: list[dict[str, Any]] = []

    async def endpoint(_request: Request) -> JSONResponse:
        if not cached:
            cached.append(openapi_document(operations))
        return JSONResponse(cached[0])

    return Route(OPENAPI_PATH, endpoint, methods=["GET"], include_in_schema=False)
