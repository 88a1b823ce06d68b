"""wait_for_payment: polls inquiryPayment until the status is final, with a fake clock."""

from __future__ import annotations

from typing import Any

import pytest

from openams.sdk import ApiError, Client, WaitTimeoutError
from tests.sdk.fake_gateway import FakeGateway, Sleeps, ams_result


def inquiry(status: str | None, **fields: Any) -> dict[str, Any]:
    extra = {"paymentStatus": status} if status else {}
    return ams_result("SUCCESS", paymentRequestId="PAY_1", paymentId="P1", **extra, **fields)


@pytest.mark.parametrize("final", ["SUCCESS", "FAIL", "CANCELLED"])
def test_polls_until_final(final: str, client: Client, fake: FakeGateway, sleeps: Sleeps) -> None:
    fake.enqueue("inquiryPayment", inquiry("PROCESSING"), inquiry("PENDING"), inquiry(final))
    response = client.wait_for_payment("PAY_1", interval=2)
    assert response.payment_status == final
    assert len(fake.requests) == 3
    assert all(r.json == {"paymentRequestId": "PAY_1"} for r in fake.requests)
    assert sleeps.calls == [2, 2]


def test_already_final_does_not_sleep(client: Client, fake: FakeGateway, sleeps: Sleeps) -> None:
    fake.enqueue("inquiryPayment", inquiry("SUCCESS"))
    assert client.wait_for_payment(payment_id="P1").payment_status == "SUCCESS"
    assert fake.requests[0].json == {"paymentId": "P1"}
    assert sleeps.calls == []


def test_times_out_with_the_last_answer(client: Client, fake: FakeGateway, sleeps: Sleeps) -> None:
    fake.enqueue("inquiryPayment", *[inquiry("PROCESSING")] * 10)
    with pytest.raises(WaitTimeoutError) as caught:
        client.wait_for_payment("PAY_1", interval=2, timeout=5)
    assert caught.value.response.payment_status == "PROCESSING"
    assert "PAY_1" in str(caught.value)
    # inquiries at t=0, 2, 4 and 5 (the last sleep is cut to the remaining second)
    assert sleeps.calls == [2, 2, 1]
    assert len(fake.requests) == 4


def test_missing_status_keeps_polling(client: Client, fake: FakeGateway, sleeps: Sleeps) -> None:
    fake.enqueue("inquiryPayment", inquiry(None), inquiry("SUCCESS"))
    assert client.wait_for_payment("PAY_1", interval=1).payment_status == "SUCCESS"
    assert sleeps.calls == [1]


def test_inquiry_failure_propagates(client: Client, fake: FakeGateway) -> None:
    fake.enqueue("inquiryPayment", ams_result("ORDER_NOT_EXIST"))
    with pytest.raises(ApiError, match="ORDER_NOT_EXIST"):
        client.wait_for_payment("PAY_404")


def test_arguments_are_checked(client: Client) -> None:
    with pytest.raises(ValueError, match="payment_request_id or payment_id"):
        client.wait_for_payment()
    with pytest.raises(ValueError, match="interval"):
        client.wait_for_payment("PAY_1", interval=0)
