"""Sandbox helpers a merchant's tests call through their own sdk client."""

from __future__ import annotations

from typing import Any, Literal

from openams.protocol.models import Response
from openams.sdk import ApiError, AsyncClient, Client
from openams.sdk._endpoints import resolve_path

COMPLETE_PAYMENT_PATH = "/ams/api/v1/testHelpers/completePayment"
COMPLETE_REFUND_PATH = "/ams/api/v1/testHelpers/completeRefund"
COMPLETE_CAPTURE_PATH = "/ams/api/v1/testHelpers/completeCapture"
ADVANCE_CLOCK_PATH = "/ams/api/v1/testHelpers/advanceClock"

Outcome = Literal["SUCCESS", "FAIL"]
#: a payment may also go PENDING first: the buyer paid, the final result follows
PaymentOutcome = Literal["SUCCESS", "FAIL", "PENDING"]


def checked_answer(
    data: dict[str, Any], sandbox: bool, helper_path: str = COMPLETE_PAYMENT_PATH
) -> dict[str, Any]:
    """``data`` when its result is S; otherwise ``openams.sdk.ApiError`` naming the path."""
    result = data.get("result")
    if not isinstance(result, dict) or result.get("resultStatus") != "S":
        path = resolve_path(helper_path, sandbox=sandbox)
        raise ApiError(Response.model_validate(data), path=path)
    return data


def _settle_body(
    kind: str,
    request_id: str | None,
    transaction_id: str | None,
    outcome: PaymentOutcome,
    result_code: str | None,
    result_message: str | None,
) -> dict[str, Any]:
    """The body of completePayment (``kind`` "payment"), completeRefund ("refund") or
    completeCapture ("capture")."""
    if not request_id and not transaction_id:
        raise ValueError(f"complete_{kind} needs {kind}_request_id or {kind}_id")
    body: dict[str, Any] = {"outcome": outcome}
    optional = {
        f"{kind}RequestId": request_id,
        f"{kind}Id": transaction_id,
        "resultCode": result_code,
        "resultMessage": result_message,
    }
    body.update({name: value for name, value in optional.items() if value is not None})
    return body


def complete_payment(
    client: Client,
    payment_request_id: str | None = None,
    *,
    payment_id: str | None = None,
    outcome: PaymentOutcome = "SUCCESS",
    result_code: str | None = None,
    result_message: str | None = None,
) -> dict[str, Any]:
    """Settle a sandbox payment as if the buyer had paid (``SUCCESS``) or failed (``FAIL``,
    with an optional F ``result_code`` such as ``USER_BALANCE_NOT_ENOUGH``), or move it
    to ``PENDING`` (paid, final result to follow: a ``PAYMENT_PENDING`` notification).

    Calls ``testHelpers/completePayment`` with ``client`` (a ``SANDBOX_`` client id); the
    gateway writes the ``PAYMENT_RESULT`` notification in the same transaction. Returns
    the verified answer; raises ``openams.sdk.ApiError`` when the gateway refuses.
    """
    body = _settle_body(
        "payment", payment_request_id, payment_id, outcome, result_code, result_message
    )
    return checked_answer(client.request(COMPLETE_PAYMENT_PATH, body), client.sandbox)


async def complete_payment_async(
    client: AsyncClient,
    payment_request_id: str | None = None,
    *,
    payment_id: str | None = None,
    outcome: PaymentOutcome = "SUCCESS",
    result_code: str | None = None,
    result_message: str | None = None,
) -> dict[str, Any]:
    """:func:`complete_payment` for an :class:`openams.sdk.AsyncClient`."""
    body = _settle_body(
        "payment", payment_request_id, payment_id, outcome, result_code, result_message
    )
    return checked_answer(await client.request(COMPLETE_PAYMENT_PATH, body), client.sandbox)


def complete_refund(
    client: Client,
    refund_request_id: str | None = None,
    *,
    refund_id: str | None = None,
    outcome: Outcome = "SUCCESS",
    result_code: str | None = None,
    result_message: str | None = None,
) -> dict[str, Any]:
    """End a sandbox refund that answered ``REFUND_IN_PROCESS`` (``isAsyncRefund``) as
    ``SUCCESS`` or ``FAIL`` (with an optional F ``result_code``).

    Calls ``testHelpers/completeRefund``; the gateway writes the ``REFUND_RESULT``
    notification in the same transaction. Returns the verified answer (with
    ``refundStatus``); raises ``openams.sdk.ApiError`` when the gateway refuses (another
    outcome for a refund that already ended: ``ORDER_STATUS_INVALID``).
    """
    body = _settle_body(
        "refund", refund_request_id, refund_id, outcome, result_code, result_message
    )
    return checked_answer(
        client.request(COMPLETE_REFUND_PATH, body), client.sandbox, COMPLETE_REFUND_PATH
    )


async def complete_refund_async(
    client: AsyncClient,
    refund_request_id: str | None = None,
    *,
    refund_id: str | None = None,
    outcome: Outcome = "SUCCESS",
    result_code: str | None = None,
    result_message: str | None = None,
) -> dict[str, Any]:
    """:func:`complete_refund` for an :class:`openams.sdk.AsyncClient`."""
    body = _settle_body(
        "refund", refund_request_id, refund_id, outcome, result_code, result_message
    )
    return checked_answer(
        await client.request(COMPLETE_REFUND_PATH, body), client.sandbox, COMPLETE_REFUND_PATH
    )


def complete_capture(
    client: Client,
    capture_request_id: str | None = None,
    *,
    capture_id: str | None = None,
    outcome: Outcome = "SUCCESS",
    result_code: str | None = None,
    result_message: str | None = None,
) -> dict[str, Any]:
    """End a sandbox capture that answered ``CAPTURE_IN_PROCESS`` as ``SUCCESS`` or
    ``FAIL`` (with an optional F ``result_code``); the gateway writes the
    ``CAPTURE_RESULT`` notification in the same transaction. See :func:`complete_refund`.
    """
    body = _settle_body(
        "capture", capture_request_id, capture_id, outcome, result_code, result_message
    )
    return checked_answer(
        client.request(COMPLETE_CAPTURE_PATH, body), client.sandbox, COMPLETE_CAPTURE_PATH
    )


async def complete_capture_async(
    client: AsyncClient,
    capture_request_id: str | None = None,
    *,
    capture_id: str | None = None,
    outcome: Outcome = "SUCCESS",
    result_code: str | None = None,
    result_message: str | None = None,
) -> dict[str, Any]:
    """:func:`complete_capture` for an :class:`openams.sdk.AsyncClient`."""
    body = _settle_body(
        "capture", capture_request_id, capture_id, outcome, result_code, result_message
    )
    return checked_answer(
        await client.request(COMPLETE_CAPTURE_PATH, body),
        client.sandbox,
        COMPLETE_CAPTURE_PATH,
    )
