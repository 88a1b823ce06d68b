"""refund and inquiryRefund: partial and multiple refunds, idempotency, the refund window,
REFUND_RESULT notifications, transactions, and concurrent refunds of one payment."""

from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import urlsplit

import pytest

from openams.gateway.app import Gateway
from openams.gateway.domain.notification import DeliveryStatus
from openams.protocol.signing import parse_signature_header, verify
from tests.ams_client import AmsClient, AmsReply
from tests.conftest import ShiftableClock
from tests.gateway.integration.card_payloads import card_meta, card_pay_body
from tests.gateway.integration.payloads import new_id, pay_body
from tests.notify.receiver import receiver


def _paid(ams: AmsClient, **kwargs: Any) -> dict[str, Any]:
    body = pay_body(**kwargs)
    paid = ams.call("payments/pay", body).body
    done = ams.call(
        "testHelpers/completePayment", {"paymentId": paid["paymentId"], "outcome": "SUCCESS"}
    )
    assert done.body["paymentStatus"] == "SUCCESS"
    return paid


def _refund(
    ams: AmsClient, payment_id: str, value: str, *, request_id: str | None = None, **extra: Any
) -> AmsReply:
    body = {
        "refundRequestId": request_id or new_id("RF"),
        "paymentId": payment_id,
        "refundAmount": {"currency": extra.pop("currency", "HKD"), "value": value},
        **extra,
    }
    return ams.call("payments/refund", body)


def _refund_notes(gateway: Gateway, client_id: str, payment_id: str) -> list[Any]:
    with gateway.store() as uow:
        rows = uow.outbox.for_payment(client_id, payment_id)
    return [n for n in rows if n.notify_type.value == "REFUND_RESULT"]


def test_partial_and_multiple_refunds_up_to_the_paid_amount(
    ams: AmsClient, gateway: Gateway
) -> None:
    paid = _paid(ams, value="1000")
    first = _refund(ams, paid["paymentId"], "300", refundReason="damaged")
    assert first.code == "SUCCESS" and first.result["resultStatus"] == "S", first.result
    assert first.body["refundAmount"] == {"currency": "HKD", "value": "300"}
    assert first.body["paymentId"] == paid["paymentId"]
    assert first.body["refundId"] and first.body["refundTime"]
    second = _refund(ams, paid["paymentId"], "700")
    assert second.code == "SUCCESS"
    assert second.body["refundId"] != first.body["refundId"]
    over = _refund(ams, paid["paymentId"], "1")
    assert over.code == "REFUND_AMOUNT_EXCEED" and over.result["resultStatus"] == "F"
    assert "HKD 10.00" in over.result["resultMessage"]

    inquiry = ams.call("payments/inquiryPayment", {"paymentId": paid["paymentId"]}).body
    assert inquiry["paymentStatus"] == "SUCCESS"
    refunds = [t for t in inquiry["transactions"] if t["transactionType"] == "REFUND"]
    assert [t["transactionId"] for t in refunds] == [
        first.body["refundId"],
        second.body["refundId"],
    ]
    assert refunds[0]["transactionAmount"] == {"currency": "HKD", "value": "300"}
    assert refunds[0]["transactionStatus"] == "SUCCESS"
    assert refunds[0]["transactionResult"]["resultStatus"] == "S"
    assert len(_refund_notes(gateway, ams.client_id, paid["paymentId"])) == 2


def test_refund_is_idempotent_on_refund_request_id(ams: AmsClient, gateway: Gateway) -> None:
    paid = _paid(ams, value="1000")
    request_id = new_id("RF")
    first = _refund(ams, paid["paymentId"], "400", request_id=request_id)
    again = _refund(ams, paid["paymentId"], "400", request_id=request_id)
    assert first.code == again.code == "SUCCESS"
    assert again.body == first.body
    for changed in (
        _refund(ams, paid["paymentId"], "500", request_id=request_id),
        _refund(ams, paid["paymentId"], "400", request_id=request_id, currency="USD"),
        _refund(ams, _paid(ams)["paymentId"], "400", request_id=request_id),
    ):
        assert changed.code == "REPEAT_REQ_INCONSISTENT", changed.result
        assert request_id in changed.result["resultMessage"]
    assert len(_refund_notes(gateway, ams.client_id, paid["paymentId"])) == 1


def test_refund_refusals(ams: AmsClient) -> None:
    unpaid = ams.call("payments/pay", pay_body()).body
    assert _refund(ams, unpaid["paymentId"], "100").code == "ORDER_STATUS_INVALID"
    assert _refund(ams, "40400000000000000", "100").code == "ORDER_NOT_EXIST"
    paid = _paid(ams)
    assert _refund(ams, paid["paymentId"], "100", currency="USD").code == "PARAM_ILLEGAL"
    assert _refund(ams, paid["paymentId"], "0").code == "PARAM_ILLEGAL"
    assert _refund(ams, paid["paymentId"], "101").code == "REFUND_AMOUNT_EXCEED"
    bad_url = _refund(ams, paid["paymentId"], "10", refundNotifyUrl="not-a-url")
    assert bad_url.code == "PARAM_ILLEGAL"
    missing = ams.call("payments/refund", {"paymentId": paid["paymentId"]})
    assert missing.code == "PARAM_ILLEGAL"
    # a reversed (cancelled) payment is not refunded again
    reversed_ = _paid(ams)
    assert ams.call("payments/cancel", {"paymentId": reversed_["paymentId"]}).code == "SUCCESS"
    assert _refund(ams, reversed_["paymentId"], "100").code == "ORDER_IS_CANCELED"


def test_partly_refunded_payment_is_not_cancelled(ams: AmsClient) -> None:
    paid = _paid(ams)
    assert _refund(ams, paid["paymentId"], "10").code == "SUCCESS"
    reply = ams.call("payments/cancel", {"paymentId": paid["paymentId"]})
    assert reply.code == "ORDER_STATUS_INVALID"
    assert "refund" in reply.result["resultMessage"]


@pytest.mark.parametrize(("days", "code"), [(364, "SUCCESS"), (366, "REFUND_WINDOW_EXCEED")])
def test_refund_window(ams: AmsClient, clock: ShiftableClock, days: int, code: str) -> None:
    paid = _paid(ams)
    clock.advance(days * 24 * 3600)
    reply = _refund(ams, paid["paymentId"], "100")
    assert reply.code == code, reply.result


def test_refund_notification_goes_to_refund_notify_url(ams: AmsClient, gateway: Gateway) -> None:
    paid = _paid(ams)
    with receiver() as merchant:
        reply = _refund(ams, paid["paymentId"], "25", refundNotifyUrl=merchant.url + "/refunds")
        worker = gateway.dispatcher()
        try:
            worker.drain()
        finally:
            worker.close()
    path = urlsplit(merchant.url).path + "/refunds"
    refunds = [r for r in merchant.received if r.path == path]
    assert len(refunds) == 1
    note = refunds[0]
    body = note.json
    assert body["notifyType"] == "REFUND_RESULT"
    assert body["result"]["resultStatus"] == "S"
    assert body["refundStatus"] == "SUCCESS"
    assert body["refundId"] == reply.body["refundId"]
    assert body["refundRequestId"] == reply.body["refundRequestId"]
    assert body["refundAmount"] == {"currency": "HKD", "value": "25"}
    assert body["refundTime"]
    header = parse_signature_header(note.headers["signature"])
    assert verify(
        "POST",
        path,
        note.headers["client-id"],
        note.headers["request-time"],
        note.body,
        header.signature,
        gateway.key_pair.public_key,
    )
    [stored] = _refund_notes(gateway, ams.client_id, paid["paymentId"])
    assert stored.status is DeliveryStatus.DELIVERED


def test_refund_notification_falls_back_to_the_merchant_url(
    ams: AmsClient, gateway: Gateway
) -> None:
    paid = _paid(ams)
    _refund(ams, paid["paymentId"], "25")
    [note] = _refund_notes(gateway, ams.client_id, paid["paymentId"])
    assert note.url is None and note.status is DeliveryStatus.NO_URL  # nobody to tell
    gateway.merchants.set_notify_url(ams.client_id, "https://merchant.example/notify")
    _refund(ams, paid["paymentId"], "25")
    notes = _refund_notes(gateway, ams.client_id, paid["paymentId"])
    assert notes[-1].url == "https://merchant.example/notify"


def test_inquiry_refund(ams: AmsClient, other_ams: AmsClient) -> None:
    paid = _paid(ams)
    refund = _refund(ams, paid["paymentId"], "40").body
    by_id = ams.call("payments/inquiryRefund", {"refundId": refund["refundId"]})
    by_request = ams.call("payments/inquiryRefund", {"refundRequestId": refund["refundRequestId"]})
    assert by_id.code == "SUCCESS"
    assert by_id.body == by_request.body
    assert by_id.body["refundStatus"] == "SUCCESS"
    assert by_id.body["refundAmount"] == {"currency": "HKD", "value": "40"}
    assert by_id.body["refundTime"] == refund["refundTime"]
    assert ams.call("payments/inquiryRefund", {}).code == "PARAM_ILLEGAL"
    assert ams.call("payments/inquiryRefund", {"refundId": "nope"}).code == "ORDER_NOT_EXIST"
    # another merchant's refund looks like no refund
    theirs = other_ams.call("payments/inquiryRefund", {"refundId": refund["refundId"]})
    assert theirs.code == "ORDER_NOT_EXIST"
    assert other_ams.call(
        "payments/refund",
        {
            "refundRequestId": new_id("RF"),
            "paymentId": paid["paymentId"],
            "refundAmount": {"currency": "HKD", "value": "1"},
        },
    ).code == ("ORDER_NOT_EXIST")


def test_card_payment_refund(ams: AmsClient) -> None:
    paid = ams.call("payments/pay", card_pay_body(card_meta())).body
    reply = _refund(ams, paid["paymentId"], "1000", currency="USD")
    assert reply.code == "SUCCESS", reply.result


def test_twenty_five_concurrent_refunds_never_exceed_the_paid_amount(
    ams: AmsClient, gateway: Gateway, requests_run: str
) -> None:
    paid = _paid(ams, value="1000")
    with ThreadPoolExecutor(max_workers=25) as pool:
        replies = list(pool.map(lambda _: _refund(ams, paid["paymentId"], "100"), range(25)))
    codes = Counter(reply.code for reply in replies)
    assert codes == {"SUCCESS": 10, "REFUND_AMOUNT_EXCEED": 15}, codes
    inquiry = ams.call("payments/inquiryPayment", {"paymentId": paid["paymentId"]}).body
    refunded = sum(
        int(t["transactionAmount"]["value"])
        for t in inquiry["transactions"]
        if t["transactionType"] == "REFUND"
    )
    assert refunded == 1000
    assert len(_refund_notes(gateway, ams.client_id, paid["paymentId"])) == 10


def test_concurrent_refunds_of_uneven_amounts_and_repeats(
    ams: AmsClient, requests_run: str
) -> None:
    paid = _paid(ams, value="1000")
    repeated = new_id("RF")
    jobs = [(new_id("RF"), str(70 + 13 * i)) for i in range(20)] + [(repeated, "150")] * 10

    def send(job: tuple[str, str]) -> AmsReply:
        return _refund(ams, paid["paymentId"], job[1], request_id=job[0])

    with ThreadPoolExecutor(max_workers=30) as pool:
        replies = list(pool.map(send, jobs))
    accepted = {
        r.body["refundId"]: int(r.body["refundAmount"]["value"])
        for r in replies
        if r.code == "SUCCESS"
    }
    assert sum(accepted.values()) <= 1000
    repeats = [r for (rid, _v), r in zip(jobs, replies, strict=True) if rid == repeated]
    assert len({r.code for r in repeats}) == 1
    if repeats[0].code == "SUCCESS":
        assert len({r.body["refundId"] for r in repeats}) == 1
    assert {r.code for r in replies} <= {"SUCCESS", "REFUND_AMOUNT_EXCEED"}
    inquiry = ams.call("payments/inquiryPayment", {"paymentId": paid["paymentId"]}).body
    refunds = [t for t in inquiry["transactions"] if t["transactionType"] == "REFUND"]
    assert {t["transactionId"] for t in refunds} == set(accepted)


def test_one_refund_request_id_raced_for_two_payments_refunds_one(
    ams: AmsClient, requests_run: str
) -> None:
    """Two payments refunded at once with the same refundRequestId: one refund is made,
    the other request is told the id was first used for another payment. Each payment is
    locked on its own, so on PostgreSQL both may find the id unused and race to insert it;
    the loser must answer REPEAT_REQ_INCONSISTENT from the winner's refund, never an
    error."""
    for _ in range(12):
        first, second = _paid(ams, value="1000"), _paid(ams, value="1000")
        shared = new_id("RF")
        ready = threading.Barrier(2)

        def send(
            payment_id: str, shared: str = shared, ready: threading.Barrier = ready
        ) -> AmsReply:
            ready.wait()
            return _refund(ams, payment_id, "300", request_id=shared)

        with ThreadPoolExecutor(max_workers=2) as pool:
            replies = list(pool.map(send, (first["paymentId"], second["paymentId"])))
        codes = sorted(reply.code for reply in replies)
        assert codes == ["REPEAT_REQ_INCONSISTENT", "SUCCESS"], [r.result for r in replies]
        winner = next(r for r in replies if r.code == "SUCCESS")
        loser = next(r for r in replies if r.code != "SUCCESS")
        assert loser.result["resultStatus"] == "F"
        assert "paymentId" in loser.result["resultMessage"]
        refunded = {
            p["paymentId"]: [
                t["transactionId"]
                for t in ams.call(
                    "payments/inquiryPayment", {"paymentId": p["paymentId"]}
                ).body.get("transactions", [])
                if t["transactionType"] == "REFUND"
            ]
            for p in (first, second)
        }
        assert sorted(len(ids) for ids in refunded.values()) == [0, 1]
        assert [winner.body["refundId"]] in refunded.values()


def test_after_a_full_refund_not_one_minor_unit_more(ams: AmsClient) -> None:
    paid = _paid(ams, value="1000")
    assert _refund(ams, paid["paymentId"], "1000").code == "SUCCESS"
    reply = _refund(ams, paid["paymentId"], "1")
    assert reply.code == "REFUND_AMOUNT_EXCEED", reply.result
