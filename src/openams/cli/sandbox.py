"""``openams sandbox``: the sandbox test helpers from the command line.

Each command takes the arguments of its API (``testHelpers/...``), checked by the same
request model, runs the same handler, and prints the API's answer as readable lines
(``--json``: as one JSON document); it exits with 1 when the answer's resultStatus is
not S.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from openams.cli._common import database_option, echo_json, fail, main, merchant_of, open_gateway

client_id_option = click.option(
    "--client-id", envvar="OPENAMS_CLIENT_ID", required=True, show_envvar=True
)
json_option = click.option(
    "--json", "as_json", is_flag=True, help="Print the API's answer as one JSON document."
)
outcome_options = (
    click.option("--outcome", type=click.Choice(["SUCCESS", "FAIL"]), required=True),
    click.option("--result-code", default=None, help="With FAIL: the failure's resultCode."),
    click.option("--result-message", default=None),
)


def _with(options: tuple[Any, ...]) -> Any:
    def decorate(function: Any) -> Any:
        for option in reversed(options):
            function = option(function)
        return function

    return decorate


def readable_lines(answer: dict[str, Any]) -> list[str]:
    """``SUCCESS (S): success`` then one ``name: value`` line per field, nested ones
    indented: the answer for people."""
    result = answer.get("result") or {}
    lines = [
        f"{result.get('resultCode', '?')} ({result.get('resultStatus', '?')}): "
        f"{result.get('resultMessage', '')}"
    ]
    lines += _field_lines({k: v for k, v in answer.items() if k != "result"}, "  ")
    return lines


def _field_lines(fields: dict[str, Any], indent: str) -> list[str]:
    lines: list[str] = []
    for name, value in fields.items():
        if isinstance(value, dict):
            lines.append(f"{indent}{name}:")
            lines += _field_lines(value, indent + "  ")
        elif isinstance(value, list):
            lines.append(f"{indent}{name}: {len(value)}")
            for index, item in enumerate(value, 1):
                if isinstance(item, dict):
                    lines.append(f"{indent}  #{index}")
                    lines += _field_lines(item, indent + "    ")
                else:
                    lines.append(f"{indent}  - {_scalar(item)}")
        else:
            lines.append(f"{indent}{name}: {_scalar(value)}")
    return lines


def _scalar(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def run_helper(
    database_url: str, client_id: str, name: str, body: dict[str, Any], as_json: bool
) -> None:
    """Call ``testHelpers/<name>`` as ``client_id`` with ``body`` (None values left out)."""
    from openams.gateway.app import gateway_operations
    from openams.gateway.domain.errors import DomainError
    from openams.gateway.web.api.parsing import parse_model
    from openams.protocol.results import result

    gateway = open_gateway(database_url)
    try:
        merchant = merchant_of(gateway, client_id, sandbox=True)
        operation = gateway_operations(gateway)[f"testHelpers/{name}"]
        payload = {key: value for key, value in body.items() if value is not None}
        try:
            answer = operation.handler(merchant, parse_model(operation.model, payload))
        except DomainError as exc:
            answer = {"result": result(exc.code, exc.message)}
        if as_json:
            echo_json(answer)
        else:
            click.echo("\n".join(readable_lines(answer)))
        if answer.get("result", {}).get("resultStatus") != "S":
            sys.exit(1)
    finally:
        gateway.close()


@main.group()
def sandbox() -> None:
    """Sandbox test helpers (a SANDBOX_ merchant's own payments, refunds and clock)."""


@sandbox.command("complete-payment")
@database_option
@client_id_option
@json_option
@click.option("--payment-id", default=None)
@click.option("--payment-request-id", default=None)
@_with(outcome_options)
def complete_payment(
    database_url: str,
    client_id: str,
    payment_id: str | None,
    payment_request_id: str | None,
    outcome: str,
    result_code: str | None,
    result_message: str | None,
    as_json: bool,
) -> None:
    """The buyer pays (SUCCESS) or fails (FAIL): testHelpers/completePayment."""
    body = {
        "paymentId": payment_id,
        "paymentRequestId": payment_request_id,
        "outcome": outcome,
        "resultCode": result_code,
        "resultMessage": result_message,
    }
    run_helper(database_url, client_id, "completePayment", body, as_json)


@sandbox.command("complete-refund")
@database_option
@client_id_option
@json_option
@click.option("--refund-id", default=None)
@click.option("--refund-request-id", default=None)
@_with(outcome_options)
def complete_refund(
    database_url: str,
    client_id: str,
    refund_id: str | None,
    refund_request_id: str | None,
    outcome: str,
    result_code: str | None,
    result_message: str | None,
    as_json: bool,
) -> None:
    """A refund in process ends: testHelpers/completeRefund."""
    body = {
        "refundId": refund_id,
        "refundRequestId": refund_request_id,
        "outcome": outcome,
        "resultCode": result_code,
        "resultMessage": result_message,
    }
    run_helper(database_url, client_id, "completeRefund", body, as_json)


@sandbox.command("complete-capture")
@database_option
@client_id_option
@json_option
@click.option("--capture-id", default=None)
@click.option("--capture-request-id", default=None)
@_with(outcome_options)
def complete_capture(
    database_url: str,
    client_id: str,
    capture_id: str | None,
    capture_request_id: str | None,
    outcome: str,
    result_code: str | None,
    result_message: str | None,
    as_json: bool,
) -> None:
    """A capture in process ends: testHelpers/completeCapture."""
    body = {
        "captureId": capture_id,
        "captureRequestId": capture_request_id,
        "outcome": outcome,
        "resultCode": result_code,
        "resultMessage": result_message,
    }
    run_helper(database_url, client_id, "completeCapture", body, as_json)


@sandbox.command("advance-clock")
@database_option
@client_id_option
@json_option
@click.option("--seconds", type=int, required=True)
def advance_clock(database_url: str, client_id: str, seconds: int, as_json: bool) -> None:
    """Move the merchant's clock SECONDS ahead and do what became due:
    testHelpers/advanceClock."""
    run_helper(database_url, client_id, "advanceClock", {"seconds": seconds}, as_json)


@sandbox.command("chaos")
@database_option
@client_id_option
@json_option
@click.option("--duplicate/--no-duplicate", default=False, help="Deliver everything twice.")
@click.option("--delay-seconds", default=0, type=int, help="Hold new notifications back.")
@click.option("--out-of-order/--in-order", default=False, help="Newest first.")
@click.option("--drop-first", default=0, type=int, help="Lose the first N attempts.")
def chaos(
    database_url: str,
    client_id: str,
    duplicate: bool,
    delay_seconds: int,
    out_of_order: bool,
    drop_first: int,
    as_json: bool,
) -> None:
    """Set (or, with no flags, clear) the notification chaos: testHelpers/notificationChaos."""
    body = {
        "duplicate": duplicate,
        "delaySeconds": delay_seconds,
        "outOfOrder": out_of_order,
        "dropFirst": drop_first,
    }
    run_helper(database_url, client_id, "notificationChaos", body, as_json)


@sandbox.command("send-test-notification")
@database_option
@client_id_option
@json_option
@click.option(
    "--notify-type",
    type=click.Choice(["PAYMENT_RESULT", "REFUND_RESULT", "CAPTURE_RESULT"]),
    required=True,
)
@click.option("--body", default=None, help="The body as JSON, or @FILE; default: a sample.")
@click.option("--url", default=None, help="Where to send it; default: the merchant's notify URL.")
def send_test_notification(
    database_url: str,
    client_id: str,
    notify_type: str,
    body: str | None,
    url: str | None,
    as_json: bool,
) -> None:
    """Send a signed notification: testHelpers/sendTestNotification."""
    parsed: Any = None
    if body is not None:
        try:
            text = Path(body[1:]).read_text(encoding="utf-8") if body.startswith("@") else body
            parsed = json.loads(text)
        except (OSError, ValueError) as exc:
            fail(f"--body: {exc}")
    payload = {"notifyType": notify_type, "body": parsed, "url": url}
    run_helper(database_url, client_id, "sendTestNotification", payload, as_json)
