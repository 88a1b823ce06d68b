"""paymentRequestId is the idempotency key: replays, inconsistencies, closed orders, races."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import func, select

from openams.gateway.app import Gateway
from openams.gateway.store.tables import payments
from tests.ams_client import AmsClient
from tests.conftest import ShiftableClock
from tests.gateway.integration.payloads import pay_body


def test_identical_repeat_returns_same_payment_and_continuation(ams: AmsClient) -> None:
    body = pay_body()
    first = ams.call("payments/pay", body).body
    again = ams.call("payments/pay", body).body
    assert first["result"]["resultCode"] == "PAYMENT_IN_PROCESS", first  # not two equal errors
    assert again == first


def test_repeat_with_other_amount_method_or_currency_is_inconsistent(ams: AmsClient) -> None:
    body = pay_body()
    ams.call("payments/pay", body)
    variants = [
        pay_body(request_id=body["paymentRequestId"], value="200"),
        pay_body(request_id=body["paymentRequestId"], method="GCASH", currency="PHP"),
        pay_body(request_id=body["paymentRequestId"], currency="USD", method="CARD"),
    ]
    for variant in variants:
        reply = ams.call("payments/pay", variant)
        assert reply.code == "REPEAT_REQ_INCONSISTENT", reply.result
        assert reply.result["resultStatus"] == "F"
        assert (
            "paymentAmount" in reply.result["resultMessage"]
            or "paymentMethod" in (reply.result["resultMessage"])
        )


def test_repeat_of_cancelled_payment_is_order_is_canceled(ams: AmsClient) -> None:
    body = pay_body()
    ams.call("payments/pay", body)
    cancel = ams.call("payments/cancel", {"paymentRequestId": body["paymentRequestId"]})
    assert cancel.code == "SUCCESS"
    assert ams.call("payments/pay", body).code == "ORDER_IS_CANCELED"


def test_repeat_of_failed_payment_is_order_is_closed(ams: AmsClient) -> None:
    body = pay_body()
    ams.call("payments/pay", body)
    failed = ams.call(
        "testHelpers/completePayment",
        {
            "paymentRequestId": body["paymentRequestId"],
            "outcome": "FAIL",
            "resultCode": "USER_BALANCE_NOT_ENOUGH",
        },
    )
    assert failed.body["paymentStatus"] == "FAIL"
    reply = ams.call("payments/pay", body)
    assert reply.code == "ORDER_IS_CLOSED"
    assert "USER_BALANCE_NOT_ENOUGH" in reply.result["resultMessage"]


def test_repeat_of_expired_payment_is_order_is_closed(
    ams: AmsClient, clock: ShiftableClock
) -> None:
    body = pay_body()
    ams.call("payments/pay", body)
    clock.advance(15 * 60)
    assert ams.call("payments/pay", body).code == "ORDER_IS_CLOSED"


def test_hundred_identical_concurrent_pays_create_one_payment(
    ams: AmsClient, gateway: Gateway, requests_run: str
) -> None:
    body = pay_body()
    with ThreadPoolExecutor(max_workers=100) as pool:
        replies = list(pool.map(lambda _: ams.call("payments/pay", body), range(100)))
    ids = {reply.body.get("paymentId") for reply in replies}
    codes = {reply.code for reply in replies}
    assert codes == {"PAYMENT_IN_PROCESS"}, codes
    assert len(ids) == 1
    with gateway.engine.connect() as conn:
        count = conn.execute(
            select(func.count())
            .select_from(payments)
            .where(payments.c.payment_request_id == body["paymentRequestId"])
        ).scalar_one()
    assert count == 1


def test_request_ids_are_scoped_per_merchant(ams: AmsClient, other_ams: AmsClient) -> None:
    body = pay_body()
    mine = ams.call("payments/pay", body).body["paymentId"]
    theirs = other_ams.call("payments/pay", body).body["paymentId"]
    assert mine != theirs
