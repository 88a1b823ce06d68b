"""Expiry, cancel, completion and merchant isolation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.ams_client import AmsClient
from tests.conftest import ShiftableClock
from tests.gateway.integration.payloads import pay_body


def _expiry(ams: AmsClient, **kwargs: object) -> timedelta:
    reply = ams.call("payments/pay", pay_body(**kwargs))  # type: ignore[arg-type]
    assert reply.code == "PAYMENT_IN_PROCESS", reply.result
    created = datetime.fromisoformat(reply.body["paymentCreateTime"])
    form = reply.body.get("orderCodeForm")
    if form:
        return datetime.fromisoformat(form["expireTime"]) - created
    return timedelta(0)


def test_default_expiry_for_wallets_is_14_minutes(ams: AmsClient) -> None:
    assert _expiry(ams) == timedelta(minutes=14)


@pytest.mark.parametrize(
    ("method", "currency", "value", "minutes_left", "expected"),
    [
        ("ALIPAY_HK", "HKD", "100", 14, "PROCESSING"),
        ("ALIPAY_HK", "HKD", "100", 15, "FAIL"),
        ("BCABANK_VA", "IDR", "1000000", 47 * 60, "PROCESSING"),
        ("BCABANK_VA", "IDR", "1000000", 48 * 60 + 1, "FAIL"),
        ("CARD", "USD", "1000", 7 * 24 * 60 - 1, "PROCESSING"),
        ("CARD", "USD", "1000", 7 * 24 * 60 + 1, "FAIL"),
    ],
)
def test_expired_payment_reads_as_failed_and_closed(
    ams: AmsClient,
    clock: ShiftableClock,
    method: str,
    currency: str,
    value: str,
    minutes_left: int,
    expected: str,
) -> None:
    body = pay_body(method=method, currency=currency, value=value)
    assert ams.call("payments/pay", body).code == "PAYMENT_IN_PROCESS"
    clock.advance(minutes_left * 60 - 30 if expected == "PROCESSING" else minutes_left * 60)
    inquiry = ams.call("payments/inquiryPayment", {"paymentRequestId": body["paymentRequestId"]})
    assert inquiry.body["paymentStatus"] == expected
    if expected == "FAIL":
        assert inquiry.body["paymentResultCode"] == "ORDER_IS_CLOSED"
        done = ams.call(
            "testHelpers/completePayment",
            {"paymentRequestId": body["paymentRequestId"], "outcome": "SUCCESS"},
        )
        assert done.code in ("ORDER_IS_CLOSED", "ORDER_STATUS_INVALID")


def test_payment_expiry_time_is_honoured_and_validated(
    ams: AmsClient, clock: ShiftableClock
) -> None:
    soon = (datetime.now(UTC) + timedelta(minutes=5)).replace(microsecond=0)
    body = pay_body(paymentExpiryTime=soon.isoformat())
    assert ams.call("payments/pay", body).code == "PAYMENT_IN_PROCESS"
    clock.advance(6 * 60)
    inquiry = ams.call("payments/inquiryPayment", {"paymentRequestId": body["paymentRequestId"]})
    assert inquiry.body["paymentStatus"] == "FAIL"
    past = (datetime.now(UTC) - timedelta(minutes=5)).isoformat()
    reply = ams.call("payments/pay", pay_body(paymentExpiryTime=past))
    assert reply.code == "PARAM_ILLEGAL" and "future" in reply.result["resultMessage"]
    late = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    reply = ams.call("payments/pay", pay_body(paymentExpiryTime=late))
    assert reply.code == "PARAM_ILLEGAL" and "too late" in reply.result["resultMessage"]
    reply = ams.call("payments/pay", pay_body(paymentExpiryTime="tomorrow"))
    assert reply.code == "PARAM_ILLEGAL"


def test_cancel_is_idempotent_and_reports_cancelled(ams: AmsClient) -> None:
    body = pay_body()
    paid = ams.call("payments/pay", body).body
    first = ams.call("payments/cancel", {"paymentId": paid["paymentId"]})
    second = ams.call("payments/cancel", {"paymentId": paid["paymentId"]})
    assert first.code == second.code == "SUCCESS"
    assert first.body["cancelTime"] == second.body["cancelTime"]
    inquiry = ams.call("payments/inquiryPayment", {"paymentId": paid["paymentId"]})
    assert inquiry.body["paymentStatus"] == "CANCELLED"
    late = ams.call(
        "testHelpers/completePayment", {"paymentId": paid["paymentId"], "outcome": "SUCCESS"}
    )
    assert late.code == "ORDER_STATUS_INVALID"


def test_cancel_of_paid_payment_within_window_reverses_it(
    ams: AmsClient, clock: ShiftableClock
) -> None:
    body = pay_body()
    ams.call("payments/pay", body)
    ams.call(
        "testHelpers/completePayment",
        {"paymentRequestId": body["paymentRequestId"], "outcome": "SUCCESS"},
    )
    assert (
        ams.call("payments/cancel", {"paymentRequestId": body["paymentRequestId"]}).code
        == "SUCCESS"
    )
    late = pay_body()
    ams.call("payments/pay", late)
    ams.call(
        "testHelpers/completePayment",
        {"paymentRequestId": late["paymentRequestId"], "outcome": "SUCCESS"},
    )
    clock.advance(2 * 24 * 3600)
    reply = ams.call("payments/cancel", {"paymentRequestId": late["paymentRequestId"]})
    assert reply.code == "CANCEL_WINDOW_EXCEED"


def test_cancel_needs_an_id_and_an_existing_payment(ams: AmsClient) -> None:
    assert ams.call("payments/cancel", {}).code == "PARAM_ILLEGAL"
    assert ams.call("payments/cancel", {"paymentId": "404"}).code == "ORDER_NOT_EXIST"


def test_complete_validates_outcome_and_code(ams: AmsClient) -> None:
    body = pay_body()
    ams.call("payments/pay", body)
    ref = {"paymentRequestId": body["paymentRequestId"]}
    assert (
        ams.call("testHelpers/completePayment", {**ref, "outcome": "MAYBE"}).code == "PARAM_ILLEGAL"
    )
    assert (
        ams.call(
            "testHelpers/completePayment", {**ref, "outcome": "FAIL", "resultCode": "SUCCESS"}
        ).code
        == "PARAM_ILLEGAL"
    )
    ok = ams.call("testHelpers/completePayment", {**ref, "outcome": "SUCCESS"})
    again = ams.call("testHelpers/completePayment", {**ref, "outcome": "SUCCESS"})
    assert ok.body == again.body
    assert (
        ams.call("testHelpers/completePayment", {**ref, "outcome": "FAIL"}).code
        == "ORDER_STATUS_INVALID"
    )


def test_another_merchants_payment_looks_like_no_payment(
    ams: AmsClient, other_ams: AmsClient
) -> None:
    body = pay_body()
    paid = ams.call("payments/pay", body).body
    cases = [
        ("payments/inquiryPayment", {"paymentId": paid["paymentId"]}),
        ("payments/inquiryPayment", {"paymentRequestId": body["paymentRequestId"]}),
        ("payments/cancel", {"paymentId": paid["paymentId"]}),
        ("testHelpers/completePayment", {"paymentId": paid["paymentId"], "outcome": "SUCCESS"}),
    ]
    for api, payload in cases:
        unknown = {
            k: ("40400000000000000" if k.startswith("payment") else v) for k, v in payload.items()
        }
        reply = other_ams.call(api, payload)
        missing = other_ams.call(api, unknown)
        assert reply.code == missing.code == "ORDER_NOT_EXIST"
        ours = reply.result["resultMessage"]
        for secret in (paid["paymentId"], body["paymentRequestId"]):
            ours = ours.replace(secret, "40400000000000000")
        assert ours == missing.result["resultMessage"]
        assert set(reply.body) == set(missing.body)
    assert (
        ams.call("payments/inquiryPayment", {"paymentId": paid["paymentId"]}).body["paymentStatus"]
        == "PROCESSING"
    )
