"""Helpers shared by the cashier tests: pay requests and reading results back."""

from __future__ import annotations

from typing import Any

from tests.ams_client import AmsClient
from tests.cashier.conftest import REDIRECT_URL
from tests.gateway.integration.payloads import pay_body


def pay(ams: AmsClient, **options: Any) -> dict[str, Any]:
    """A pay request (seed-shaped) that returns to the merchant test site; its answer."""
    body = pay_body(paymentRedirectUrl=REDIRECT_URL, **options)
    reply = ams.call("payments/pay", body)
    assert reply.code == "PAYMENT_IN_PROCESS", reply.result
    return reply.body


def inquiry(ams: AmsClient, payment_id: str) -> dict[str, Any]:
    reply = ams.call("payments/inquiryPayment", {"paymentId": payment_id})
    assert reply.code == "SUCCESS", reply.result
    return reply.body


def code_value(body: dict[str, Any]) -> str:
    details = body["orderCodeForm"]["codeDetails"]
    return next(d["codeValue"] for d in details if d["displayType"] == "TEXT")


def token_of(url: str) -> str:
    return url.rstrip("/").rsplit("/", 1)[-1]
