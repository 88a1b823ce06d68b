"""Asynchronous refunds and captures: U answers, PROCESSING inquiries and transactions,
idempotent resends, the sandbox helpers completeRefund / completeCapture, settling by
themselves after the documented delay (virtual clock + the dispatcher's sweep), and the
money rules while they are in process."""

from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import urlsplit

import pytest

from openams.gateway.app import Gateway
from openams.gateway.domain.async_outcomes import (
    BALANCE_SHORT_VALUE,
    IN_PROCESS_VALUE,
    SETTLE_DELAY,
)
from openams.protocol.keys import generate_key_pair
from openams.protocol.signing import parse_signature_header, verify
from tests.ams_client import AmsClient, AmsReply
from tests.conftest import ShiftableClock
from tests.gateway.integration.card_payloads import card_meta, card_pay_body
from tests.gateway.integration.payloads import new_id, pay_body
from tests.gateway.integration.test_settlement_fx import _cny_to_usd, _set_rate
from tests.notify.receiver import Received, receiver

DELAY = int(SETTLE_DELAY.total_seconds())


def _paid(ams: AmsClient, value: str = "1000") -> dict[str, Any]:
    paid = ams.call("payments/pay", pay_body(value=value)).body
    done = ams.call(
        "testHelpers/completePayment", {"paymentId": paid["paymentId"], "outcome": "SUCCESS"}
    )
    assert done.body["paymentStatus"] == "SUCCESS", done.body
    return paid


def _refund(ams: AmsClient, payment_id: str, value: str, **extra: Any) -> AmsReply:
    body = {
        "refundRequestId": extra.pop("request_id", None) or new_id("RF"),
        "paymentId": payment_id,
        "refundAmount": {"currency": "HKD", "value": value},
        **extra,
    }
    return ams.call("payments/refund", body)


def _authorize(ams: AmsClient, value: str = str(IN_PROCESS_VALUE), **extra: Any) -> dict[str, Any]:
    body = card_pay_body(card_meta(), authorization=True, capture_mode="MANUAL", value=value)
    body.update(extra)
    reply = ams.call("payments/pay", body)
    assert reply.code == "SUCCESS", reply.result
    return reply.body


def _capture(ams: AmsClient, payment_id: str, value: str, **extra: Any) -> AmsReply:
    body = {
        "captureRequestId": extra.pop("request_id", None) or new_id("CAP"),
        "paymentId": payment_id,
        "captureAmount": {"currency": "USD", "value": value},
        **extra,
    }
    return ams.call("payments/capture", body)


def _notes(gateway: Gateway, client_id: str, payment_id: str, kind: str) -> list[Any]:
    with gateway.store() as uow:
        rows = uow.outbox.for_payment(client_id, payment_id)
    return [n for n in rows if n.notify_type.value == kind]


def _drain(gateway: Gateway) -> None:
    worker = gateway.dispatcher()
    try:
        worker.drain()
    finally:
        worker.close()


def _verified(gateway: Gateway, note: Received) -> dict[str, Any]:
    header = parse_signature_header(note.headers["signature"])
    assert verify(
        "POST",
        note.path,
        note.headers["client-id"],
        note.headers["request-time"],
        note.body,
        header.signature,
        gateway.key_pair.public_key,
    ), "notification signature does not verify"
    return note.json


def _transaction(ams: AmsClient, payment_id: str, kind: str) -> list[dict[str, Any]]:
    inquiry = ams.call("payments/inquiryPayment", {"paymentId": payment_id}).body
    return [t for t in inquiry.get("transactions", []) if t["transactionType"] == kind]


# ------------------------------------------------------------------------ refunds


def test_async_refund_answers_u_then_ends_by_complete_refund(
    ams: AmsClient, gateway: Gateway
) -> None:
    paid = _paid(ams)
    request_id = new_id("RF")
    with receiver() as merchant:
        url = merchant.url + "/refunds"
        first = _refund(
            ams, paid["paymentId"], "400", request_id=request_id, refundNotifyUrl=url,
            isAsyncRefund=True,
        )  # fmt: skip
        assert (first.code, first.result["resultStatus"]) == ("REFUND_IN_PROCESS", "U")
        refund_id = first.body["refundId"]
        assert first.body["refundRequestId"] == request_id
        assert first.body["paymentId"] == paid["paymentId"]
        assert first.body["refundAmount"] == {"currency": "HKD", "value": "400"}
        assert "refundTime" not in first.body

        inquiry = ams.call("payments/inquiryRefund", {"refundId": refund_id})
        assert inquiry.code == "SUCCESS" and inquiry.body["refundStatus"] == "PROCESSING"
        assert "refundTime" not in inquiry.body
        [row] = _transaction(ams, paid["paymentId"], "REFUND")
        assert row["transactionStatus"] == "PROCESSING" and "transactionResult" not in row
        assert row["transactionId"] == refund_id

        again = _refund(ams, paid["paymentId"], "400", request_id=request_id, isAsyncRefund=True)
        assert again.code == "REFUND_IN_PROCESS" and again.body["refundId"] == refund_id
        _drain(gateway)
        assert merchant.received == []  # nothing to tell before it ends

        done = ams.call(
            "testHelpers/completeRefund", {"refundRequestId": request_id, "outcome": "SUCCESS"}
        )
        assert done.code == "SUCCESS", done.result
        assert done.body["refundStatus"] == "SUCCESS" and done.body["refundTime"]
        _drain(gateway)

    [note] = merchant.received
    assert note.path == urlsplit(url).path
    body = _verified(gateway, note)
    assert body["notifyType"] == "REFUND_RESULT"
    assert body["result"]["resultStatus"] == "S" and body["refundStatus"] == "SUCCESS"
    assert body["refundId"] == refund_id and body["refundTime"] == done.body["refundTime"]

    final = _refund(ams, paid["paymentId"], "400", request_id=request_id, isAsyncRefund=True)
    assert (final.code, final.result["resultStatus"]) == ("SUCCESS", "S")
    assert final.body["refundId"] == refund_id and final.body["refundTime"]
    assert ams.call("payments/inquiryRefund", {"refundId": refund_id}).body["refundStatus"] == (
        "SUCCESS"
    )
    [row] = _transaction(ams, paid["paymentId"], "REFUND")
    assert row["transactionStatus"] == "SUCCESS"
    # the helper is idempotent for the same outcome, refuses another one
    repeat = ams.call("testHelpers/completeRefund", {"refundId": refund_id, "outcome": "SUCCESS"})
    assert repeat.code == "SUCCESS" and repeat.body["refundTime"] == done.body["refundTime"]
    other = ams.call("testHelpers/completeRefund", {"refundId": refund_id, "outcome": "FAIL"})
    assert other.code == "ORDER_STATUS_INVALID"
    assert len(_notes(gateway, ams.client_id, paid["paymentId"], "REFUND_RESULT")) == 1


def test_failed_async_refund_gives_the_amount_back(ams: AmsClient, gateway: Gateway) -> None:
    paid = _paid(ams, value="1000")
    pending = _refund(ams, paid["paymentId"], "1000", isAsyncRefund=True)
    assert pending.code == "REFUND_IN_PROCESS"
    # in process, it counts against what can still be refunded
    assert _refund(ams, paid["paymentId"], "1").code == "REFUND_AMOUNT_EXCEED"
    # ... and a payment with a refund in process cannot be reversed by cancel
    assert ams.call("payments/cancel", {"paymentId": paid["paymentId"]}).code == (
        "ORDER_STATUS_INVALID"
    )
    failed = ams.call(
        "testHelpers/completeRefund",
        {
            "refundId": pending.body["refundId"],
            "outcome": "FAIL",
            "resultCode": "MERCHANT_BALANCE_NOT_ENOUGH",
        },
    )
    assert failed.code == "SUCCESS" and failed.body["refundStatus"] == "FAIL"
    [note] = _notes(gateway, ams.client_id, paid["paymentId"], "REFUND_RESULT")
    assert note.body["refundStatus"] == "FAIL"
    assert note.body["result"]["resultStatus"] == "F"
    assert note.body["result"]["resultCode"] == "MERCHANT_BALANCE_NOT_ENOUGH"
    assert "refundTime" not in note.body
    resend = _refund(ams, paid["paymentId"], "1000", request_id=pending.body["refundRequestId"])
    assert (resend.code, resend.result["resultStatus"]) == ("MERCHANT_BALANCE_NOT_ENOUGH", "F")
    assert resend.body["refundId"] == pending.body["refundId"]
    [row] = _transaction(ams, paid["paymentId"], "REFUND")
    assert row["transactionStatus"] == "FAIL"
    assert row["transactionResult"]["resultCode"] == "MERCHANT_BALANCE_NOT_ENOUGH"
    # the failed amount is refundable again
    assert _refund(ams, paid["paymentId"], "1000").code == "SUCCESS"
    assert _refund(ams, paid["paymentId"], "1").code == "REFUND_AMOUNT_EXCEED"
    same = ams.call(
        "testHelpers/completeRefund",
        {
            "refundId": pending.body["refundId"],
            "outcome": "FAIL",
            "resultCode": "MERCHANT_BALANCE_NOT_ENOUGH",
        },
    )
    assert same.code == "SUCCESS"  # the same outcome again is a no-op
    for changed in (
        {"outcome": "SUCCESS"},
        {"outcome": "FAIL", "resultCode": "PROCESS_FAIL"},
    ):
        reply = ams.call(
            "testHelpers/completeRefund", {"refundId": pending.body["refundId"], **changed}
        )
        assert reply.code == "ORDER_STATUS_INVALID", (changed, reply.result)


def test_in_process_value_is_async_without_the_flag(ams: AmsClient) -> None:
    paid = _paid(ams, value="5000")
    reply = _refund(ams, paid["paymentId"], str(IN_PROCESS_VALUE))
    assert reply.code == "REFUND_IN_PROCESS", reply.result
    explicit_false = _refund(ams, paid["paymentId"], "100", isAsyncRefund=False)
    assert explicit_false.code == "SUCCESS"
    assert _refund(ams, paid["paymentId"], "100", isAsyncRefund="true").code == (
        "REFUND_IN_PROCESS"
    )
    assert _refund(ams, paid["paymentId"], "100", isAsyncRefund="maybe").code == "PARAM_ILLEGAL"


def test_complete_refund_refusals(ams: AmsClient, other_ams: AmsClient, gateway: Gateway) -> None:
    paid = _paid(ams)
    pending = _refund(ams, paid["paymentId"], "100", isAsyncRefund=True).body
    refund_id = pending["refundId"]
    theirs = other_ams.call(
        "testHelpers/completeRefund", {"refundId": refund_id, "outcome": "SUCCESS"}
    )
    assert theirs.code == "ORDER_NOT_EXIST"
    for body in (
        {"outcome": "SUCCESS"},
        {"refundId": refund_id, "outcome": "MAYBE"},
        {"refundId": refund_id, "outcome": "FAIL", "resultCode": "MADE_UP"},
        {"refundId": refund_id, "outcome": "FAIL", "resultCode": "REFUND_IN_PROCESS"},
    ):
        assert ams.call("testHelpers/completeRefund", body).code == "PARAM_ILLEGAL", body
    assert ams.call(
        "testHelpers/completeRefund", {"refundId": "nope", "outcome": "SUCCESS"}
    ).code == ("ORDER_NOT_EXIST")
    # production client ids and the production path never reach the helper
    keys = generate_key_pair()
    gateway.merchants.add("LIVE_REFUNDER", keys.public_pem)
    live = AmsClient(ams.http, "LIVE_REFUNDER", keys.private_key, ams.gateway_public_key)
    assert live.call(
        "testHelpers/completeRefund", {"refundId": refund_id, "outcome": "SUCCESS"}
    ).code == ("ACCESS_DENIED")
    prod_path = AmsClient(
        ams.http, ams.client_id, ams.private_key, ams.gateway_public_key, sandbox=False
    )
    assert prod_path.call(
        "testHelpers/completeRefund", {"refundId": refund_id, "outcome": "SUCCESS"}
    ).code == ("NO_INTERFACE_DEF")
    inquiry = ams.call("payments/inquiryRefund", {"refundId": refund_id})
    assert inquiry.body["refundStatus"] == "PROCESSING"  # none of them touched it


def test_twenty_five_concurrent_async_refunds_never_exceed_the_paid_amount(
    ams: AmsClient, gateway: Gateway, requests_run: str
) -> None:
    paid = _paid(ams, value="1000")

    def send(number: int) -> AmsReply:
        # every other one asynchronous: in process and done count alike
        return _refund(ams, paid["paymentId"], "100", isAsyncRefund=number % 2 == 0)

    with ThreadPoolExecutor(max_workers=25) as pool:
        replies = list(pool.map(send, range(25)))
    codes = Counter(reply.code for reply in replies)
    assert codes["SUCCESS"] + codes["REFUND_IN_PROCESS"] == 10, codes
    assert codes["REFUND_AMOUNT_EXCEED"] == 15, codes
    rows = _transaction(ams, paid["paymentId"], "REFUND")
    assert sum(int(t["transactionAmount"]["value"]) for t in rows) == 1000
    assert (
        len(_notes(gateway, ams.client_id, paid["paymentId"], "REFUND_RESULT")) == codes["SUCCESS"]
    )


def test_concurrent_completions_settle_a_refund_once(
    ams: AmsClient, gateway: Gateway, requests_run: str
) -> None:
    """Ten completions of one refund in process, released together, five rounds: one
    settles it, the others find it ended (a no-op or ORDER_STATUS_INVALID). Without the
    writer lock on SQLite a completion's read transaction could not become a write once
    another had committed (U/UNKNOWN_EXCEPTION)."""
    paid = _paid(ams, value="1000")
    for _ in range(5):
        refund_id = _refund(ams, paid["paymentId"], "100", isAsyncRefund=True).body["refundId"]
        start = threading.Barrier(10)

        def complete(number: int, refund_id: str = refund_id, start: Any = start) -> AmsReply:
            outcome = "SUCCESS" if number % 2 else "FAIL"
            start.wait()
            return ams.call(
                "testHelpers/completeRefund", {"refundId": refund_id, "outcome": outcome}
            )

        with ThreadPoolExecutor(max_workers=10) as pool:
            replies = list(pool.map(complete, range(10)))
        winners = {r.body["refundStatus"] for r in replies if r.code == "SUCCESS"}
        assert len(winners) == 1, [r.result for r in replies]
        assert {r.code for r in replies} <= {"SUCCESS", "ORDER_STATUS_INVALID"}, [
            r.result for r in replies
        ]
    assert len(_notes(gateway, ams.client_id, paid["paymentId"], "REFUND_RESULT")) == 5


@pytest.mark.parametrize("kind", ["refund", "capture"])
def test_concurrent_sweeps_settle_a_due_transaction_once(
    ams: AmsClient, gateway: Gateway, kind: str
) -> None:
    """Sweeps that find the same due refund or capture at once (several dispatchers, or
    one and a read): one ends it, the others find it ended; none fails, one result
    notification."""
    if kind == "refund":
        payment_id = _paid(ams)["paymentId"]
        made = _refund(ams, payment_id, "100", isAsyncRefund=True).body["refundId"]
        settle_if_due, note = gateway.refunds.settle_if_due, "REFUND_RESULT"
    else:
        payment_id = _authorize(ams)["paymentId"]
        made = _capture(ams, payment_id, str(IN_PROCESS_VALUE)).body["captureId"]
        settle_if_due, note = gateway.captures.settle_if_due, "CAPTURE_RESULT"
    with gateway.store() as uow:
        found = uow.refunds.get(ams.client_id, made) or uow.captures.get(ams.client_id, made)
    assert found is not None and found.settle_at is not None
    due_at, start = found.settle_at, threading.Barrier(8)

    def sweep(_: int) -> bool:
        start.wait()
        return settle_if_due(ams.client_id, made, due_at)

    with ThreadPoolExecutor(max_workers=8) as pool:
        ended = list(pool.map(sweep, range(8)))
    assert ended.count(True) == 1, ended
    assert len(_notes(gateway, ams.client_id, payment_id, note)) == 1


# ------------------------------------------------------------------ settle by itself


def test_async_refunds_and_captures_settle_by_themselves_with_the_virtual_clock(
    ams: AmsClient, gateway: Gateway
) -> None:
    paid = _paid(ams, value="5000")
    plain = _refund(ams, paid["paymentId"], "100", isAsyncRefund=True).body
    short = _refund(ams, paid["paymentId"], str(BALANCE_SHORT_VALUE), isAsyncRefund=True)
    assert short.code == "REFUND_IN_PROCESS"  # accepted; the balance check comes later
    held = _authorize(ams)
    capture = _capture(ams, held["paymentId"], str(IN_PROCESS_VALUE))
    assert capture.code == "CAPTURE_IN_PROCESS"

    _drain(gateway)  # not due yet: nothing settles
    status = ams.call("payments/inquiryRefund", {"refundId": plain["refundId"]}).body
    assert status["refundStatus"] == "PROCESSING"

    moved = ams.call("testHelpers/advanceClock", {"seconds": DELAY + 1})
    assert moved.body["pendingRefunds"] == 2 and moved.body["pendingCaptures"] == 1, moved.body
    _drain(gateway)  # the dispatcher's sweep settles the due ones, with notifications

    # read from the outbox first: a read through the API would settle due ones itself
    notes = {
        n.body["refundId"]: n.body
        for n in _notes(gateway, ams.client_id, paid["paymentId"], "REFUND_RESULT")
    }
    assert notes[plain["refundId"]]["result"]["resultStatus"] == "S"
    assert notes[short.body["refundId"]]["result"]["resultCode"] == "MERCHANT_BALANCE_NOT_ENOUGH"
    [captured] = _notes(gateway, ams.client_id, held["paymentId"], "CAPTURE_RESULT")
    assert captured.body["result"]["resultStatus"] == "S" and captured.body["captureTime"]
    done = ams.call("payments/inquiryRefund", {"refundId": plain["refundId"]}).body
    assert done["refundStatus"] == "SUCCESS" and done["refundTime"]
    failed = ams.call("payments/inquiryRefund", {"refundId": short.body["refundId"]}).body
    assert failed["refundStatus"] == "FAIL"
    [row] = _transaction(ams, held["paymentId"], "CAPTURE")
    assert row["transactionStatus"] == "SUCCESS"
    # what failed is refundable again; what succeeded is not
    assert _refund(ams, paid["paymentId"], "4900").code == "SUCCESS"
    assert _refund(ams, paid["paymentId"], "1").code == "REFUND_AMOUNT_EXCEED"


def test_a_due_refund_settles_when_it_is_next_read(
    ams: AmsClient, gateway: Gateway, clock: ShiftableClock
) -> None:
    paid = _paid(ams)
    pending = _refund(ams, paid["paymentId"], "100", isAsyncRefund=True).body
    clock.advance(DELAY + 1)
    inquiry = ams.call("payments/inquiryRefund", {"refundId": pending["refundId"]}).body
    assert inquiry["refundStatus"] == "SUCCESS"  # no dispatcher ran
    resend = _refund(
        ams, paid["paymentId"], "100", request_id=pending["refundRequestId"], isAsyncRefund=True
    )
    assert resend.code == "SUCCESS" and resend.body["refundId"] == pending["refundId"]
    assert len(_notes(gateway, ams.client_id, paid["paymentId"], "REFUND_RESULT")) == 1


def test_a_due_refund_settles_on_its_resend(
    ams: AmsClient, gateway: Gateway, clock: ShiftableClock
) -> None:
    paid = _paid(ams)
    pending = _refund(ams, paid["paymentId"], "100", isAsyncRefund=True).body
    clock.advance(DELAY + 1)
    resend = _refund(
        ams, paid["paymentId"], "100", request_id=pending["refundRequestId"], isAsyncRefund=True
    )
    assert resend.code == "SUCCESS" and resend.body["refundTime"]
    assert len(_notes(gateway, ams.client_id, paid["paymentId"], "REFUND_RESULT")) == 1


def test_a_due_resend_naming_another_payment_is_inconsistent(
    ams: AmsClient, clock: ShiftableClock
) -> None:
    """A refund or capture whose settle time passed, resent with its request id and a
    paymentId it was not made for (one that does not exist): REPEAT_REQ_INCONSISTENT, as
    before its settle time, not ORDER_NOT_EXIST."""
    paid = _paid(ams)
    refund = _refund(ams, paid["paymentId"], "100", isAsyncRefund=True).body
    held = _authorize(ams)
    capture = _capture(ams, held["paymentId"], str(IN_PROCESS_VALUE)).body
    clock.advance(DELAY + 1)
    again = _refund(ams, "NO_SUCH_PAYMENT", "100", request_id=refund["refundRequestId"])
    assert again.code == "REPEAT_REQ_INCONSISTENT", again.result
    resent = _capture(
        ams, "NO_SUCH_PAYMENT", str(IN_PROCESS_VALUE), request_id=capture["captureRequestId"]
    )
    assert resent.code == "REPEAT_REQ_INCONSISTENT", resent.result


def test_due_refunds_and_captures_settle_when_inquiry_payment_reads_them(
    ams: AmsClient, gateway: Gateway, clock: ShiftableClock
) -> None:
    """No dispatcher runs: inquiryPayment itself ends what is due, so its ``transactions``
    agree with inquiryRefund and the resends."""
    paid = _paid(ams)
    refund = _refund(ams, paid["paymentId"], "100", isAsyncRefund=True).body
    authorized = _authorize(ams)
    capture = _capture(ams, authorized["paymentId"], str(IN_PROCESS_VALUE)).body

    def transactions(payment_id: str) -> list[str]:
        body = ams.call("payments/inquiryPayment", {"paymentId": payment_id}).body
        return [row["transactionStatus"] for row in body["transactions"]]

    assert transactions(paid["paymentId"]) == ["PROCESSING"]
    assert transactions(authorized["paymentId"]) == ["PROCESSING"]
    clock.advance(DELAY + 1)
    assert transactions(paid["paymentId"]) == ["SUCCESS"]
    assert transactions(authorized["paymentId"]) == ["SUCCESS"]
    [refunded] = _notes(gateway, ams.client_id, paid["paymentId"], "REFUND_RESULT")
    assert refunded.body["refundId"] == refund["refundId"]
    [captured] = _notes(gateway, ams.client_id, authorized["paymentId"], "CAPTURE_RESULT")
    assert captured.body["captureId"] == capture["captureId"]


# ------------------------------------------------------------------------ captures


def test_async_capture_answers_u_then_ends_by_complete_capture(
    ams: AmsClient, gateway: Gateway
) -> None:
    with receiver() as merchant:
        held = _authorize(ams, paymentNotifyUrl=merchant.url)
        payment_id = held["paymentId"]
        value = str(IN_PROCESS_VALUE)
        request_id = new_id("CAP")
        first = _capture(ams, payment_id, value, request_id=request_id)
        assert (first.code, first.result["resultStatus"]) == ("CAPTURE_IN_PROCESS", "U")
        capture_id = first.body["captureId"]
        assert first.body["captureRequestId"] == request_id
        assert first.body["captureAmount"] == {"currency": "USD", "value": value}
        assert "captureTime" not in first.body

        inquiry = ams.call("payments/inquiryPayment", {"paymentId": payment_id}).body
        assert inquiry["paymentStatus"] == "SUCCESS" and inquiry["authExpiryTime"]
        [row] = inquiry["transactions"]
        assert row["transactionType"] == "CAPTURE" and row["transactionStatus"] == "PROCESSING"
        again = _capture(ams, payment_id, value, request_id=request_id)
        assert again.code == "CAPTURE_IN_PROCESS" and again.body["captureId"] == capture_id
        assert _capture(ams, payment_id, value, request_id=request_id, captureAmount={
            "currency": "USD", "value": "1"}).code == "REPEAT_REQ_INCONSISTENT"  # fmt: skip
        # while it is in process: no second capture, no void, no refund
        busy = _capture(ams, payment_id, value)
        assert (busy.code, busy.result["resultMessage"]) == (
            "ORDER_STATUS_INVALID",
            f"cannot capture: a capture of payment {payment_id} is in process (captureId "
            f"{capture_id}); wait for its CAPTURE_RESULT",
        )
        assert ams.call("payments/cancel", {"paymentId": payment_id}).code == (
            "ORDER_STATUS_INVALID"
        )
        refund = ams.call(
            "payments/refund",
            {
                "refundRequestId": new_id("RF"),
                "paymentId": payment_id,
                "refundAmount": {"currency": "USD", "value": value},
            },
        )
        assert refund.code == "ORDER_STATUS_INVALID"
        assert _notes(gateway, ams.client_id, payment_id, "CAPTURE_RESULT") == []

        done = ams.call(
            "testHelpers/completeCapture", {"captureId": capture_id, "outcome": "SUCCESS"}
        )
        assert done.code == "SUCCESS" and done.body["captureStatus"] == "SUCCESS"
        _drain(gateway)

    captures = [n for n in merchant.received if n.json["notifyType"] == "CAPTURE_RESULT"]
    [note] = captures
    body = _verified(gateway, note)
    assert body["result"]["resultStatus"] == "S"
    assert body["captureId"] == capture_id and body["captureTime"]
    final = _capture(ams, payment_id, value, request_id=request_id)
    assert (final.code, final.result["resultStatus"]) == ("SUCCESS", "S")
    assert final.body["captureTime"] == body["captureTime"]
    [row] = _transaction(ams, payment_id, "CAPTURE")
    assert row["transactionStatus"] == "SUCCESS"
    assert _capture(ams, payment_id, value).code == "ORDER_STATUS_INVALID"  # captured once
    refund = ams.call(
        "payments/refund",
        {
            "refundRequestId": new_id("RF"),
            "paymentId": payment_id,
            "refundAmount": {"currency": "USD", "value": value},
        },
    )
    # refundable now (a refund of the same magic value is itself asynchronous)
    assert refund.code == "REFUND_IN_PROCESS"
    assert ams.call(
        "testHelpers/completeCapture", {"captureRequestId": request_id, "outcome": "SUCCESS"}
    ).code == ("SUCCESS")
    assert ams.call(
        "testHelpers/completeCapture", {"captureRequestId": request_id, "outcome": "FAIL"}
    ).code == ("ORDER_STATUS_INVALID")


def test_failed_async_capture_leaves_the_authorization(
    ams: AmsClient, other_ams: AmsClient, gateway: Gateway
) -> None:
    held = _authorize(ams)
    payment_id, value = held["paymentId"], str(IN_PROCESS_VALUE)
    first = _capture(ams, payment_id, value)
    capture_id = first.body["captureId"]
    theirs = other_ams.call(
        "testHelpers/completeCapture", {"captureId": capture_id, "outcome": "FAIL"}
    )
    assert theirs.code == "ORDER_NOT_EXIST"
    failed = ams.call(
        "testHelpers/completeCapture",
        {"captureId": capture_id, "outcome": "FAIL", "resultCode": "PROCESS_FAIL"},
    )
    assert failed.code == "SUCCESS" and failed.body["captureStatus"] == "FAIL"
    [note] = _notes(gateway, ams.client_id, payment_id, "CAPTURE_RESULT")
    assert note.body["result"] == {
        "resultCode": "PROCESS_FAIL",
        "resultStatus": "F",
        "resultMessage": "processing failed; do not retry",
    }
    assert "captureTime" not in note.body
    resend = _capture(ams, payment_id, value, request_id=first.body["captureRequestId"])
    assert (resend.code, resend.result["resultStatus"]) == ("PROCESS_FAIL", "F")
    [row] = _transaction(ams, payment_id, "CAPTURE")
    assert row["transactionStatus"] == "FAIL"
    # the authorization holds: capture again (a new request) or void it
    inquiry = ams.call("payments/inquiryPayment", {"paymentId": payment_id}).body
    assert inquiry["paymentStatus"] == "SUCCESS" and inquiry["authExpiryTime"]
    retry = _capture(ams, payment_id, value)
    assert retry.code == "CAPTURE_IN_PROCESS" and retry.body["captureId"] != capture_id
    ams.call(
        "testHelpers/completeCapture", {"captureId": retry.body["captureId"], "outcome": "FAIL"}
    )
    assert ams.call("payments/cancel", {"paymentId": payment_id}).code == "SUCCESS"
    assert _capture(ams, payment_id, value).code == "AUTH_CANCELLED"


def test_complete_capture_repeats_only_the_outcome_it_ended_with(ams: AmsClient) -> None:
    """Repeating the failure a capture ended with (the same resultCode) is a no-op;
    another resultCode or outcome is refused, naming how it ended."""
    held = _authorize(ams)
    capture_id = _capture(ams, held["paymentId"], str(IN_PROCESS_VALUE)).body["captureId"]
    missing = ams.call("testHelpers/completeCapture", {"outcome": "SUCCESS"})
    assert (missing.code, missing.result["resultMessage"]) == (
        "PARAM_ILLEGAL",
        "captureId or captureRequestId is required",
    )

    def complete(**extra: str) -> AmsReply:
        body = {"captureId": capture_id, "outcome": "FAIL", **extra}
        return ams.call("testHelpers/completeCapture", body)

    assert complete(resultCode="USER_BALANCE_NOT_ENOUGH").body["captureStatus"] == "FAIL"
    again = complete(resultCode="USER_BALANCE_NOT_ENOUGH")
    assert (again.code, again.body["captureStatus"]) == ("SUCCESS", "FAIL")
    assert complete().code == "SUCCESS"  # no resultCode: whatever it failed with
    ended = f"cannot complete: capture {capture_id} already ended FAIL (USER_BALANCE_NOT_ENOUGH)"
    for refused in (complete(resultCode="PROCESS_FAIL"), complete(outcome="SUCCESS")):
        assert (refused.code, refused.result["resultMessage"]) == ("ORDER_STATUS_INVALID", ended)
    [row] = _transaction(ams, held["paymentId"], "CAPTURE")
    assert row["transactionStatus"] == "FAIL"


def test_a_capture_of_another_value_stays_synchronous(ams: AmsClient) -> None:
    held = _authorize(ams, value="1000")
    reply = _capture(ams, held["paymentId"], "1000")
    assert (reply.code, reply.result["resultStatus"]) == ("SUCCESS", "S")
    done = ams.call(
        "testHelpers/completeCapture", {"captureId": reply.body["captureId"], "outcome": "FAIL"}
    )
    assert done.code == "ORDER_STATUS_INVALID"  # it ended SUCCESS at once


@pytest.mark.parametrize("helper", ["completeRefund", "completeCapture"])
def test_helpers_refuse_production_client_ids(
    ams: AmsClient, gateway: Gateway, helper: str
) -> None:
    keys = generate_key_pair()
    gateway.merchants.add("LIVE_HELPER_USER", keys.public_pem)
    live = AmsClient(ams.http, "LIVE_HELPER_USER", keys.private_key, ams.gateway_public_key)
    reply = live.call(f"testHelpers/{helper}", {"refundId": "1", "outcome": "SUCCESS"})
    assert reply.code == "ACCESS_DENIED"


def test_the_buyer_link_of_a_payment_being_captured_says_it_is_paid(
    ams: AmsClient, gateway: Gateway
) -> None:
    held = _authorize(ams)
    assert _capture(ams, held["paymentId"], str(IN_PROCESS_VALUE)).code == "CAPTURE_IN_PROCESS"
    with gateway.store() as uow:
        payment = uow.payments.get(ams.client_id, held["paymentId"])
    assert payment is not None and payment.status.value == "CAPTURING"
    page = ams.http.get(f"/cashier/{payment.token}")
    assert page.status_code == 409, page.text[:300]
    assert "already complete" in page.text


def test_async_refunds_settle_at_the_locked_quote_when_they_end_and_net_to_zero(
    ams: AmsClient, gateway: Gateway
) -> None:
    _set_rate(gateway, "CNY", "USD", "0.1437")
    paid = _cny_to_usd(ams, "1001")  # CNY 10.01 -> USD 144 (test_settlement_fx)
    payment_id = paid["paymentId"]

    def refund(value: str, **extra: Any) -> AmsReply:
        body = {
            "refundRequestId": new_id("RF"),
            "paymentId": payment_id,
            "refundAmount": {"currency": "CNY", "value": value},
            **extra,
        }
        return ams.call("payments/refund", body)

    first = refund("201")  # synchronous: CNY 2.01 -> 29
    assert first.body["grossSettlementAmount"] == {"currency": "USD", "value": "29"}
    failing = refund("400", isAsyncRefund=True)
    succeeding = refund("400", isAsyncRefund=True)
    assert "grossSettlementAmount" not in succeeding.body  # settled when it ends
    done = ams.call(
        "testHelpers/completeRefund",
        {"refundId": succeeding.body["refundId"], "outcome": "SUCCESS"},
    )
    assert done.body["grossSettlementAmount"] == {"currency": "USD", "value": "57"}
    failed = ams.call(
        "testHelpers/completeRefund", {"refundId": failing.body["refundId"], "outcome": "FAIL"}
    )
    assert "grossSettlementAmount" not in failed.body  # a failed refund settles nothing
    last = refund("400")  # completes the payment: takes what is left of the gross
    assert last.body["grossSettlementAmount"] == {"currency": "USD", "value": "58"}
    rows = _transaction(ams, payment_id, "REFUND")
    settled = [
        int(t["grossSettlementAmount"]["value"]) for t in rows if "grossSettlementAmount" in t
    ]
    assert sum(settled) == 144 and len(settled) == 3
