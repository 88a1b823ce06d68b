"""The outbox lists a payment's notifications in the order they were written, also when
two are written in the same millisecond (an authorization and its automatic capture)."""

from __future__ import annotations

from openams.gateway.app import Gateway
from tests.ams_client import AmsClient
from tests.gateway.integration.card_payloads import card_meta, card_pay_body


def test_notifications_written_in_one_millisecond_keep_their_order(
    ams: AmsClient, gateway: Gateway
) -> None:
    orders = []
    for _ in range(20):
        paid = ams.call("payments/pay", card_pay_body(card_meta(), authorization=True))
        assert paid.code == "SUCCESS", paid.result
        with gateway.store() as uow:
            rows = uow.outbox.for_payment(ams.client_id, paid.body["paymentId"])
        orders.append([row.notify_type.value for row in rows])
    assert all(order == ["PAYMENT_RESULT", "CAPTURE_RESULT"] for order in orders), orders
