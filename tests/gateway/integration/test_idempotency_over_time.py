"""An identical resend is answered from what is stored, before any check that depends on
time: a paid payment stays paid after its paymentExpiryTime, an expired one is
ORDER_IS_CLOSED, a session past its paymentSessionExpiryTime is ORDER_IS_CLOSED, and a
card sale stays paid after the card itself expired.

The property test drives random sequences of pay, complete, expire (the gateway's clock
moving on), cancel and resend, and checks after every resend that its answer agrees with
inquiryPayment."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.ams_client import AmsClient
from tests.conftest import ShiftableClock
from tests.gateway.integration.card_payloads import card_meta, card_pay_body
from tests.gateway.integration.payloads import new_id, pay_body, session_body


def in_minutes(clock: ShiftableClock, minutes: float) -> str:
    moment = datetime.fromtimestamp(clock() / 1000, tz=UTC) + timedelta(minutes=minutes)
    return moment.isoformat(timespec="seconds")


def complete(ams: AmsClient, request_id: str, outcome: str, code: str | None = None) -> None:
    body: dict[str, Any] = {"paymentRequestId": request_id, "outcome": outcome}
    if code is not None:
        body["resultCode"] = code
    reply = ams.call("testHelpers/completePayment", body)
    assert reply.code == "SUCCESS", reply.result


def test_a_paid_payment_resent_after_its_expiry_time_is_still_paid(
    ams: AmsClient, clock: ShiftableClock
) -> None:
    body = pay_body(paymentExpiryTime=in_minutes(clock, 5))
    first = ams.call("payments/pay", body)
    assert first.code == "PAYMENT_IN_PROCESS", first.result
    complete(ams, body["paymentRequestId"], "SUCCESS")
    clock.advance(6 * 60)
    again = ams.call("payments/pay", body)
    assert (again.code, again.result["resultStatus"]) == ("SUCCESS", "S"), again.result
    assert again.body["paymentId"] == first.body["paymentId"]
    assert "paymentTime" in again.body
    inquiry = ams.call("payments/inquiryPayment", {"paymentId": first.body["paymentId"]})
    assert inquiry.body["paymentStatus"] == "SUCCESS"


def test_an_unpaid_payment_resent_after_its_expiry_time_is_order_is_closed(
    ams: AmsClient, clock: ShiftableClock
) -> None:
    body = pay_body(paymentExpiryTime=in_minutes(clock, 5))
    first = ams.call("payments/pay", body)
    clock.advance(6 * 60)
    again = ams.call("payments/pay", body)
    assert (again.code, again.result["resultStatus"]) == ("ORDER_IS_CLOSED", "F"), again.result
    inquiry = ams.call("payments/inquiryPayment", {"paymentId": first.body["paymentId"]})
    assert inquiry.body["paymentStatus"] == "FAIL"
    assert inquiry.body["paymentResultCode"] == "ORDER_IS_CLOSED"


def test_a_resend_that_differs_is_still_checked(ams: AmsClient, clock: ShiftableClock) -> None:
    """Only an identical resend skips the checks: a changed body meets them as before."""
    body = pay_body(paymentExpiryTime=in_minutes(clock, 5))
    ams.call("payments/pay", body)
    complete(ams, body["paymentRequestId"], "SUCCESS")
    clock.advance(6 * 60)
    changed = {**body, "order": {**body["order"], "orderDescription": "another text"}}
    reply = ams.call("payments/pay", changed)
    assert reply.code == "PARAM_ILLEGAL", reply.result
    assert "paymentExpiryTime" in reply.result["resultMessage"]


def test_a_card_sale_resent_after_the_card_expired_is_still_paid(
    ams: AmsClient, clock: ShiftableClock
) -> None:
    now = datetime.fromtimestamp(clock() / 1000, tz=UTC)
    meta = card_meta(month=f"{now.month:02d}", year=f"{now.year % 100:02d}")
    body = card_pay_body(meta)
    first = ams.call("payments/pay", body)
    assert first.code == "SUCCESS", first.result
    clock.advance(40 * 24 * 3600)  # past the end of the card's expiry month
    again = ams.call("payments/pay", body)
    assert again.code == "SUCCESS", again.result
    assert again.body["paymentId"] == first.body["paymentId"]


def test_a_session_resent_after_its_expiry_time_is_order_is_closed(
    ams: AmsClient, clock: ShiftableClock
) -> None:
    body = session_body(paymentSessionExpiryTime=in_minutes(clock, 30))
    first = ams.call("payments/createPaymentSession", body)
    assert first.code == "SUCCESS", first.result
    clock.advance(20 * 60)
    assert ams.call("payments/createPaymentSession", body).body == first.body
    clock.advance(11 * 60)
    again = ams.call("payments/createPaymentSession", body)
    assert (again.code, again.result["resultStatus"]) == ("ORDER_IS_CLOSED", "F"), again.result


#: What inquiryPayment's paymentStatus says -> what an identical pay resend answers.
RESEND_ANSWER = {
    "PROCESSING": ("PAYMENT_IN_PROCESS", "U"),
    "PENDING": ("PAYMENT_IN_PROCESS", "U"),
    "SUCCESS": ("SUCCESS", "S"),
    "FAIL": ("ORDER_IS_CLOSED", "F"),
    "CANCELLED": ("ORDER_IS_CANCELED", "F"),
}

STEPS = st.lists(
    st.sampled_from(["succeed", "fail", "pending", "cancel", "expire", "wait", "resend", "resend"]),
    min_size=1,
    max_size=8,
)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=STEPS, explicit_expiry=st.booleans())
def test_a_resend_always_agrees_with_inquiry(
    ams: AmsClient, clock: ShiftableClock, steps: list[str], explicit_expiry: bool
) -> None:
    extra = {"paymentExpiryTime": in_minutes(clock, 10)} if explicit_expiry else {}
    body = pay_body(**extra)
    first = ams.call("payments/pay", body)
    assert first.code == "PAYMENT_IN_PROCESS", first.result
    payment_id = first.body["paymentId"]
    for step in [*steps, "resend"]:
        if step in ("succeed", "fail", "pending"):
            # refused once the payment is final or expired: what matters is the resend
            helper: dict[str, Any] = {
                "paymentRequestId": body["paymentRequestId"],
                "outcome": {"succeed": "SUCCESS", "fail": "FAIL", "pending": "PENDING"}[step],
            }
            if step == "fail":
                helper["resultCode"] = "USER_BALANCE_NOT_ENOUGH"
            ams.call("testHelpers/completePayment", helper)
        elif step == "cancel":
            ams.call("payments/cancel", {"paymentId": payment_id})
        elif step == "expire":
            clock.advance(15 * 60)  # past every wallet expiry, explicit or default
        elif step == "wait":
            clock.advance(3 * 60)
        else:
            resent = ams.call("payments/pay", body)
            status = ams.call("payments/inquiryPayment", {"paymentId": payment_id}).body[
                "paymentStatus"
            ]
            answer = (resent.code, resent.result["resultStatus"])
            assert answer == RESEND_ANSWER[status], (steps, status, resent.result)
            if resent.result["resultStatus"] != "F":
                assert resent.body["paymentId"] == payment_id


def test_refund_capture_and_cancel_resent_after_their_windows_answer_as_stored(
    ams: AmsClient, clock: ShiftableClock
) -> None:
    """The windows (refund 365 days, capture 7 days, cancel T+1) close; the identical
    resend of a call made inside them still gets its stored answer."""
    wallet = pay_body()
    paid = ams.call("payments/pay", wallet).body
    complete(ams, wallet["paymentRequestId"], "SUCCESS")
    refund = {
        "refundRequestId": new_id("RF"),
        "paymentId": paid["paymentId"],
        "refundAmount": {"currency": "HKD", "value": "40"},
    }
    refunded = ams.call("payments/refund", refund)
    assert refunded.code == "SUCCESS", refunded.result

    authorized = ams.call(
        "payments/pay", card_pay_body(card_meta(), authorization=True, capture_mode="MANUAL")
    ).body
    capture = {
        "captureRequestId": new_id("CP"),
        "paymentId": authorized["paymentId"],
        "captureAmount": authorized["paymentAmount"],
    }
    captured = ams.call("payments/capture", capture)
    assert captured.code == "SUCCESS", captured.result

    other = pay_body()
    ams.call("payments/pay", other)
    complete(ams, other["paymentRequestId"], "SUCCESS")
    cancel = {"paymentRequestId": other["paymentRequestId"]}
    cancelled = ams.call("payments/cancel", cancel)
    assert cancelled.code == "SUCCESS", cancelled.result

    clock.advance(400 * 24 * 3600)
    late_refund = ams.call("payments/refund", refund)
    assert late_refund.code == "SUCCESS", late_refund.result
    assert late_refund.body["refundId"] == refunded.body["refundId"]
    late_capture = ams.call("payments/capture", capture)
    assert late_capture.code == "SUCCESS", late_capture.result
    assert late_capture.body["captureId"] == captured.body["captureId"]
    late_cancel = ams.call("payments/cancel", cancel)
    assert late_cancel.code == "SUCCESS", late_cancel.result
    assert late_cancel.body["cancelTime"] == cancelled.body["cancelTime"]
    # a new refund now meets the window
    fresh = {**refund, "refundRequestId": new_id("RF")}
    assert ams.call("payments/refund", fresh).code == "REFUND_WINDOW_EXCEED"
