"""PENDING payments: the buyer has paid and the final result follows.

``testHelpers/completePayment`` with ``outcome`` PENDING (or the wallet test account
``sandbox_pending``) moves a processing payment to PENDING and sends PAYMENT_PENDING
(result S); it then ends SUCCESS or FAIL by the helper, or succeeds by itself after
``async_outcomes.SETTLE_DELAY``, which ``testHelpers/advanceClock`` brings closer."""

from __future__ import annotations

from typing import Any

from openams.gateway.app import Gateway
from openams.gateway.domain.async_outcomes import settle_delay_ms
from tests.ams_client import AmsClient
from tests.conftest import ShiftableClock
from tests.gateway.integration.card_payloads import VISA_3DS, card_meta, card_pay_body
from tests.gateway.integration.payloads import new_id, pay_body


def outbox(gateway: Gateway, client_id: str, payment_id: str) -> list[dict[str, Any]]:
    with gateway.store() as uow:
        return [n.body for n in uow.outbox.for_payment(client_id, payment_id)]


def start_pending(ams: AmsClient, **options: Any) -> tuple[dict[str, Any], str]:
    body = pay_body(**options)
    first = ams.call("payments/pay", body)
    assert first.code == "PAYMENT_IN_PROCESS", first.result
    pending = ams.call(
        "testHelpers/completePayment",
        {"paymentRequestId": body["paymentRequestId"], "outcome": "PENDING"},
    )
    assert pending.code == "SUCCESS", pending.result
    return body, first.body["paymentId"]


def status(ams: AmsClient, payment_id: str) -> tuple[str, str]:
    body = ams.call("payments/inquiryPayment", {"paymentId": payment_id}).body
    return body["paymentStatus"], body["paymentResultCode"]


def test_pending_reads_pending_and_sends_payment_pending(ams: AmsClient, gateway: Gateway) -> None:
    body, payment_id = start_pending(ams)
    assert status(ams, payment_id) == ("PENDING", "PAYMENT_IN_PROCESS")
    [notice] = outbox(gateway, ams.client_id, payment_id)
    assert notice["notifyType"] == "PAYMENT_PENDING"
    assert notice["result"]["resultStatus"] == "S"
    assert notice["paymentId"] == payment_id
    assert "paymentTime" not in notice
    resent = ams.call("payments/pay", body)
    assert (resent.code, resent.result["resultStatus"]) == ("PAYMENT_IN_PROCESS", "U")
    # the same outcome again changes nothing and sends nothing
    again = ams.call("testHelpers/completePayment", {"paymentId": payment_id, "outcome": "PENDING"})
    assert again.code == "SUCCESS"
    assert len(outbox(gateway, ams.client_id, payment_id)) == 1


def test_pending_then_success_and_then_failure(ams: AmsClient, gateway: Gateway) -> None:
    _, paid = start_pending(ams)
    done = ams.call("testHelpers/completePayment", {"paymentId": paid, "outcome": "SUCCESS"})
    assert done.body["paymentStatus"] == "SUCCESS"
    assert [n["notifyType"] for n in outbox(gateway, ams.client_id, paid)] == [
        "PAYMENT_PENDING",
        "PAYMENT_RESULT",
    ]
    _, failed = start_pending(ams)
    refused = ams.call(
        "testHelpers/completePayment",
        {"paymentId": failed, "outcome": "FAIL", "resultCode": "RISK_REJECT"},
    )
    assert refused.body["paymentStatus"] == "FAIL"
    final = outbox(gateway, ams.client_id, failed)[-1]
    assert (final["notifyType"], final["result"]["resultCode"]) == ("PAYMENT_RESULT", "RISK_REJECT")
    # a final payment cannot go back to PENDING
    back = ams.call("testHelpers/completePayment", {"paymentId": paid, "outcome": "PENDING"})
    assert back.code == "ORDER_STATUS_INVALID"


def test_pending_does_not_expire_and_settles_by_itself(
    ams: AmsClient, gateway: Gateway, clock: ShiftableClock
) -> None:
    _, payment_id = start_pending(ams)
    clock.advance(settle_delay_ms() / 1000 - 5)
    assert status(ams, payment_id)[0] == "PENDING"
    clock.advance(10)
    assert gateway.payments.expire_due(100) == 1  # the dispatcher's sweep settles it
    assert status(ams, payment_id) == ("SUCCESS", "SUCCESS")
    final = outbox(gateway, ams.client_id, payment_id)[-1]
    assert (final["notifyType"], final["result"]["resultStatus"]) == ("PAYMENT_RESULT", "S")
    assert "paymentTime" in final


def test_pending_settles_on_read_and_past_the_payment_expiry(
    ams: AmsClient, clock: ShiftableClock
) -> None:
    _, payment_id = start_pending(ams)
    clock.advance(30 * 60)  # past the wallet's 14-minute expiry too: it was paid
    assert status(ams, payment_id) == ("SUCCESS", "SUCCESS")


def test_advance_clock_brings_the_settlement_closer(ams: AmsClient, gateway: Gateway) -> None:
    _, payment_id = start_pending(ams)
    moved = ams.call("testHelpers/advanceClock", {"seconds": settle_delay_ms() // 1000})
    assert moved.body["pendingPayments"] >= 1
    # settled before the answer: nothing is left for the sweep
    assert moved.body["settledPayments"] == 1, moved.body
    assert gateway.payments.expire_due(100) == 0
    assert status(ams, payment_id)[0] == "SUCCESS"


def test_a_pending_payment_can_be_cancelled(ams: AmsClient) -> None:
    _, payment_id = start_pending(ams)
    assert ams.call("payments/cancel", {"paymentId": payment_id}).code == "SUCCESS"
    assert status(ams, payment_id) == ("CANCELLED", "ORDER_IS_CANCELED")


def test_a_resend_of_a_pending_payment_answers_as_the_first_time(ams: AmsClient) -> None:
    """Going PENDING leaves the payment's own expiry alone: the continuation data an
    identical resend gets back is the first answer's."""
    body = pay_body(terminal="WAP", os_type="ANDROID")
    first = ams.call("payments/pay", body)
    ams.call(
        "testHelpers/completePayment",
        {"paymentRequestId": body["paymentRequestId"], "outcome": "PENDING"},
    )
    again = ams.call("payments/pay", body)
    assert again.body == first.body


def test_refund_cancel_and_capture_see_a_due_pending_payment_as_settled(
    ams: AmsClient, gateway: Gateway, clock: ShiftableClock
) -> None:
    """No sweep runs: each call brings the payment up to date first, as a read would."""
    _, refunded = start_pending(ams)
    _, cancelled = start_pending(ams)
    authorization = card_pay_body(card_meta(VISA_3DS), authorization=True, capture_mode="MANUAL")
    held = ams.call("payments/pay", authorization)
    assert held.code == "PAYMENT_IN_PROCESS", held.result  # awaiting its 3-D Secure challenge
    pend = {"paymentId": held.body["paymentId"], "outcome": "PENDING"}
    assert ams.call("testHelpers/completePayment", pend).code == "SUCCESS"
    clock.advance(settle_delay_ms() / 1000 + 1)

    refund = ams.call(
        "payments/refund",
        {
            "refundRequestId": new_id("RF"),
            "paymentId": refunded,
            "refundAmount": {"currency": "HKD", "value": "100"},
        },
    )
    assert refund.code == "SUCCESS", refund.result
    cancel = ams.call("payments/cancel", {"paymentId": cancelled})
    assert cancel.code == "SUCCESS", cancel.result
    capture = ams.call(
        "payments/capture",
        {
            "captureRequestId": new_id("CP"),
            "paymentId": held.body["paymentId"],
            "captureAmount": held.body["paymentAmount"],
        },
    )
    assert capture.code == "SUCCESS", capture.result
    for payment_id in (refunded, cancelled, held.body["paymentId"]):
        kinds = [n["notifyType"] for n in outbox(gateway, ams.client_id, payment_id)]
        assert kinds[:2] == ["PAYMENT_PENDING", "PAYMENT_RESULT"], (payment_id, kinds)
    assert status(ams, cancelled)[0] == "CANCELLED"  # paid, then reversed by the cancel


def test_repeating_a_failure_without_a_code_is_a_no_op(ams: AmsClient) -> None:
    _, payment_id = start_pending(ams)
    failed = {"paymentId": payment_id, "outcome": "FAIL", "resultCode": "RISK_REJECT"}
    assert ams.call("testHelpers/completePayment", failed).code == "SUCCESS"
    again = ams.call("testHelpers/completePayment", {"paymentId": payment_id, "outcome": "FAIL"})
    assert again.code == "SUCCESS", again.result
    assert again.body["paymentResultCode"] == "RISK_REJECT"
    other = {**failed, "resultCode": "USER_NOT_EXIST"}
    assert ams.call("testHelpers/completePayment", other).code == "ORDER_STATUS_INVALID"
