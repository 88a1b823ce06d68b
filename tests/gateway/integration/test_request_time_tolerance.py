"""``request_time_tolerance_seconds``: a Request-Time too far from the gateway's clock is
refused, with how far it is; one within it (in any accepted form) is answered."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from openams.gateway.settings import Settings
from tests.ams_client import AmsClient
from tests.gateway.integration.payloads import pay_body

TOLERANCE = 300


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"request_time_tolerance_seconds": TOLERANCE})


def _at(moment: datetime, form: str) -> str:
    if form == "epoch ms":
        return str(int(moment.timestamp() * 1000))
    if form == "ISO without offset (read as UTC)":
        return moment.replace(tzinfo=None).isoformat(timespec="seconds")
    return moment.isoformat(timespec="seconds")


FORMS = ["ISO with offset", "ISO without offset (read as UTC)", "epoch ms"]


@pytest.mark.parametrize("form", FORMS)
def test_a_request_time_within_the_tolerance_is_answered(ams: AmsClient, form: str) -> None:
    when = _at(datetime.now(UTC) - timedelta(seconds=60), form)
    reply = ams.call("payments/pay", pay_body(), request_time=when)
    assert reply.code == "PAYMENT_IN_PROCESS", reply.result


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("seconds", [-3600, 3600])
def test_a_request_time_too_far_is_refused_with_the_distance(
    ams: AmsClient, form: str, seconds: int
) -> None:
    body = pay_body()
    when = _at(datetime.now(UTC) + timedelta(seconds=seconds), form)
    reply = ams.call("payments/pay", body, request_time=when)
    assert reply.code == "PARAM_ILLEGAL", reply.result
    message = reply.result["resultMessage"]
    assert message.startswith("Request-Time is ") and f"(allowed: {TOLERANCE} s)" in message
    distance = int(message.removeprefix("Request-Time is ").split(" s away")[0])
    assert distance > TOLERANCE, message
    inquiry = ams.call("payments/inquiryPayment", {"paymentRequestId": body["paymentRequestId"]})
    assert inquiry.code == "ORDER_NOT_EXIST"  # nothing was stored
