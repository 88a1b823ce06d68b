"""The outbox lists a payment's notifications in the order they were written, also when
two are written in the same millisecond (an authorization and its automatic capture)."""

from __future__ import annotations

from openams.gateway.app import Gateway
from openams.gateway.domain.notification import DeliveryStatus, Notification, NotifyType
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


def test_latest_status_is_each_payments_newest_notification(gateway: Gateway) -> None:
    """One query for a page of payments (the console's Vaulted cards): the status of
    each one's newest notification, payments without any left out."""

    def note(number: int, payment_id: str, status: DeliveryStatus) -> Notification:
        return Notification(
            notification_id=f"N{number:015d}",
            client_id="SANDBOX_LATEST",
            notify_type=NotifyType.PAYMENT_RESULT,
            subject_id=payment_id,
            payment_id=payment_id,
            url="http://127.0.0.1:9/notify",
            body={"paymentId": payment_id},
            created_at=1_000 + number,
            next_attempt_at=1_000 + number,
            status=status,
        )

    with gateway.store(write=True) as uow:
        for added in (
            note(1, "P1", DeliveryStatus.DELIVERED),
            note(2, "P2", DeliveryStatus.FAILED),
            note(3, "P1", DeliveryStatus.PENDING),  # P1's newest
            note(4, "P3", DeliveryStatus.NO_URL),
        ):
            uow.outbox.add(added)
        uow.commit()
    with gateway.store() as uow:
        latest = uow.outbox.latest_status("SANDBOX_LATEST", ["P1", "P2", "P4"])
        assert uow.outbox.latest_status("SANDBOX_LATEST", []) == {}
    assert latest == {"P1": DeliveryStatus.PENDING, "P2": DeliveryStatus.FAILED}
