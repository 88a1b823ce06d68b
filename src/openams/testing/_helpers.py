"""Sandbox helpers a merchant's tests call through their own sdk client."""

from __future__ import annotations

from typing import Any, Literal

from openams.protocol.models import Response
from openams.sdk import ApiError, AsyncClient, Client
from openams.sdk._endpoints import resolve_path

COMPLETE_PAYMENT_PATH = "/ams/api/v1/testHelpers/completePayment"

Outcome = Literal["SUCCESS", "FAIL"]


def _complete_body(
    payment_request_id: str | None,
    payment_id: str | None,
    outcome: Outcome,
    result_code: str | None,
    result_message: str | None,
) -> dict[str, Any]:
    if not payment_request_id and not payment_id:
        raise ValueError("complete_payment needs payment_request_id or payment_id")
    body: dict[str, Any] = {"outcome": outcome}
    optional = {
        "paymentRequestId": payment_request_id,
        "paymentId": payment_id,
        "resultCode": result_code,
        "resultMessage": result_message,
    }
    body.update({name: value for name, value in optional.items() if value is not None})
    return body


def _checked(data: dict[str, Any], sandbox: bool) -> dict[str, Any]:
    result = data.get("result")
    if not isinstance(result, dict) or result.get("resultStatus") != "S":
        path = resolve_path(COMPLETE_PAYMENT_PATH, sandbox=sandbox)
        raise ApiError(Response.model_validate(data), path=path)
    return data


def complete_payment(
    client: Client,
    payment_request_id: str | None = None,
    *,
    payment_id: str | None = None,
    outcome: Outcome = "SUCCESS",
    result_code: str | None = None,
    result_message: str | None = None,
) -> dict[str, Any]:
    """Settle a sandbox payment as if the buyer had paid (``SUCCESS``) or failed (``FAIL``,
    with an optional F ``result_code`` such as ``USER_BALANCE_NOT_ENOUGH``).

    Calls ``testHelpers/completePayment`` with ``client`` (a ``SANDBOX_`` client id); the
    gateway writes the ``PAYMENT_RESULT`` notification in the same transaction. Returns
    the verified answer; raises ``openams.sdk.ApiError`` when the gateway refuses.
    """
    body = _complete_body(payment_request_id, payment_id, outcome, result_code, result_message)
    return _checked(client.request(COMPLETE_PAYMENT_PATH, body), client.sandbox)


async def complete_payment_async(
    client: AsyncClient,
    payment_request_id: str | None = None,
    *,
    payment_id: str | None = None,
    outcome: Outcome = "SUCCESS",
    result_code: str | None = None,
    result_message: str | None = None,
) -> dict[str, Any]:
    """:func:`complete_payment` for an :class:`openams.sdk.AsyncClient`."""
    body = _complete_body(payment_request_id, payment_id, outcome, result_code, result_message)
    return _checked(await client.request(COMPLETE_PAYMENT_PATH, body), client.sandbox)
