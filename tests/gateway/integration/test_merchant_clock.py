"""A merchant's clock is its own offset from real time (sandbox ``advanceClock``).

Nothing stored is rewritten by an advance: the merchant's time (real time plus its
offset) is what its deadlines are compared with, and what its new payments, refunds and
notifications are stamped with. The advance does what became due before it answers, so
every read after the answer agrees with it; another merchant's clock does not move."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from openams.gateway.app import Gateway
from openams.gateway.domain.clock import from_ms, parse_datetime, to_ms
from openams.gateway.domain.notification import RETRY_INTERVALS, DeliveryStatus
from openams.gateway.domain.payment import Payment
from openams.gateway.notify.dispatcher import Dispatcher
from openams.gateway.services.console import PaymentFilters
from tests.ams_client import AmsClient
from tests.conftest import ShiftableClock
from tests.gateway.integration.payloads import pay_body
from tests.gateway.integration.vaulting_payloads import session_body
from tests.notify.receiver import fail_then_ack, receiver

#: A wallet payment expires 14 minutes after it was made.
PAST_EXPIRY_S = 15 * 60


@pytest.fixture
def dispatcher(gateway: Gateway) -> Iterator[Dispatcher]:
    worker = gateway.dispatcher()
    yield worker
    worker.close()


def pay(ams: AmsClient, **extra: object) -> str:
    reply = ams.call("payments/pay", pay_body(**extra))
    assert reply.code == "PAYMENT_IN_PROCESS", reply.result
    return str(reply.body["paymentId"])


def stored(gateway: Gateway, client_id: str, payment_id: str) -> Payment:
    with gateway.store() as uow:
        payment = uow.payments.get(client_id, payment_id)
    assert payment is not None
    return payment


def advance(ams: AmsClient, seconds: int) -> dict[str, object]:
    reply = ams.call("testHelpers/advanceClock", {"seconds": seconds})
    assert reply.code == "SUCCESS", reply.result
    return reply.body


def inquiry_status(ams: AmsClient, payment_id: str) -> tuple[str, str]:
    body = ams.call("payments/inquiryPayment", {"paymentId": payment_id}).body
    return body["paymentStatus"], body.get("paymentResultCode", "")


def test_an_advance_rewrites_no_stored_deadline(ams: AmsClient, gateway: Gateway) -> None:
    payment_id = pay(ams)
    before = stored(gateway, ams.client_id, payment_id)
    answer = advance(ams, 60)
    after = stored(gateway, ams.client_id, payment_id)
    assert (after.created_at, after.expires_at) == (before.created_at, before.expires_at)
    assert after.status.value == "PROCESSING"
    assert answer["clockOffsetSeconds"] == 60 and answer["pendingPayments"] == 1
    assert answer["expiredPayments"] == 0
    with gateway.store() as uow:
        assert uow.merchants.clock_offset(ams.client_id) == 60_000


def test_an_expiring_payment_reads_closed_right_after_the_answer(
    ams: AmsClient, gateway: Gateway
) -> None:
    """No dispatcher runs here: the advance itself closed the payment."""
    payment_id = pay(ams)
    answer = advance(ams, PAST_EXPIRY_S)
    assert answer["pendingPayments"] == 1 and answer["expiredPayments"] == 1, answer
    assert "1 payments expired" in str(answer["message"])
    assert inquiry_status(ams, payment_id) == ("FAIL", "ORDER_IS_CLOSED")
    page = gateway.console.payments(ams.client_id, filters=PaymentFilters())
    assert [p.status.value for p in page.rows] == ["FAIL"]
    closed = stored(gateway, ams.client_id, payment_id)
    assert closed.closed_at is not None and closed.created_at < closed.expires_at
    # closed on the merchant's clock: at least the expiry, not the real time before it
    assert closed.closed_at >= closed.expires_at
    # the PAYMENT_RESULT is queued, stamped on the merchant's clock
    with gateway.store() as uow:
        notes = uow.outbox.for_payment(ams.client_id, payment_id)
    assert [n.notify_type.value for n in notes] == ["PAYMENT_RESULT"]
    assert notes[0].created_at >= closed.expires_at


def test_the_answer_counts_what_changed_and_keeps_the_old_fields(ams: AmsClient) -> None:
    first, second = pay(ams), pay(ams)
    answer = advance(ams, PAST_EXPIRY_S)
    for field in (
        "advancedSeconds",
        "pendingNotifications",
        "pendingPayments",
        "pendingRefunds",
        "pendingCaptures",
        "pendingDisputes",
    ):
        assert field in answer
    assert answer["advancedSeconds"] == PAST_EXPIRY_S
    assert (answer["pendingPayments"], answer["expiredPayments"]) == (2, 2)
    expired = [inquiry_status(ams, p)[0] for p in (first, second)]
    assert expired == ["FAIL", "FAIL"]
    # nothing left to do: a second advance finds nothing open
    again = advance(ams, 1)
    assert (again["pendingPayments"], again["expiredPayments"]) == (0, 0)
    assert again["clockOffsetSeconds"] == PAST_EXPIRY_S + 1


def test_an_async_refund_settles_before_the_answer(ams: AmsClient) -> None:
    payment_id = pay(ams)
    done = ams.call("testHelpers/completePayment", {"paymentId": payment_id, "outcome": "SUCCESS"})
    assert done.code == "SUCCESS"
    body = {
        "refundRequestId": f"RF_{payment_id}",
        "paymentId": payment_id,
        "refundAmount": {"currency": "HKD", "value": "50"},
        "isAsyncRefund": True,
    }
    refund = ams.call("payments/refund", body)
    assert refund.code == "REFUND_IN_PROCESS", refund.result
    answer = advance(ams, 61)
    assert (answer["pendingRefunds"], answer["settledRefunds"]) == (1, 1), answer
    status = ams.call("payments/inquiryRefund", {"refundId": refund.body["refundId"]})
    assert status.body["refundStatus"] == "SUCCESS"
    refunded_at = parse_datetime(status.body["refundTime"])
    created = parse_datetime(
        ams.call("payments/inquiryPayment", {"paymentId": payment_id}).body["paymentCreateTime"]
    )
    assert to_ms(refunded_at) - to_ms(created) >= 61_000  # on the merchant's clock


def test_advancing_one_merchant_leaves_another_alone(
    ams: AmsClient, other_ams: AmsClient, gateway: Gateway, clock: ShiftableClock
) -> None:
    mine, theirs = pay(ams), pay(other_ams)
    answer = advance(ams, PAST_EXPIRY_S)
    assert answer["pendingPayments"] == 1  # only the caller's
    assert inquiry_status(ams, mine)[0] == "FAIL"
    assert inquiry_status(other_ams, theirs)[0] == "PROCESSING"
    assert gateway.payments.expire_due(100) == 0
    with gateway.store() as uow:
        assert uow.merchants.clock_offset(other_ams.client_id) == 0
    # the other merchant's new payments are stamped on its own (real) clock
    later = stored(gateway, other_ams.client_id, pay(other_ams))
    assert later.created_at < clock() + 1000
    ahead = stored(gateway, ams.client_id, pay(ams))
    assert ahead.created_at >= later.created_at + PAST_EXPIRY_S * 1000


def test_the_sweep_reads_each_merchants_clock(
    ams: AmsClient, other_ams: AmsClient, gateway: Gateway, clock: ShiftableClock
) -> None:
    """The cross-merchant sweep (no advance doing the work): ten minutes ahead, then five
    real minutes, close only the payment of the merchant whose clock is ahead."""
    mine, theirs = pay(ams), pay(other_ams)
    assert advance(ams, 10 * 60)["expiredPayments"] == 0
    clock.advance(5 * 60)
    assert gateway.payments.expire_due(100) == 1
    assert stored(gateway, ams.client_id, mine).status.value == "FAIL"
    assert stored(gateway, other_ams.client_id, theirs).status.value == "PROCESSING"


def test_a_retry_due_after_an_advance_is_delivered(
    ams: AmsClient, gateway: Gateway, dispatcher: Dispatcher
) -> None:
    with receiver(fail_then_ack(1)) as merchant:
        payment_id = pay(ams, paymentNotifyUrl=merchant.url)
        ams.call("testHelpers/completePayment", {"paymentId": payment_id, "outcome": "SUCCESS"})
        dispatcher.drain()
        assert len(merchant.received) == 1  # refused; the retry waits two minutes
        dispatcher.drain()
        assert len(merchant.received) == 1
        retry_s = int(RETRY_INTERVALS[1].total_seconds())
        answer = advance(ams, retry_s)
        assert (answer["pendingNotifications"], answer["dueNotifications"]) == (1, 1), answer
        assert "1 notifications due now, queued for delivery" in str(answer["message"])
        dispatcher.drain()
    assert len(merchant.received) == 2
    with gateway.store() as uow:
        (note,) = uow.outbox.for_payment(ams.client_id, payment_id)
        attempts = uow.outbox.attempts(note.notification_id)
    assert note.status is DeliveryStatus.DELIVERED
    # the second attempt is stamped on the merchant's clock, past the advance
    assert attempts[1].attempted_at - attempts[0].attempted_at >= retry_s * 1000


def test_another_merchants_retry_stays_waiting(
    ams: AmsClient, other_ams: AmsClient, dispatcher: Dispatcher
) -> None:
    with receiver(fail_then_ack(1)) as merchant:
        payment_id = pay(other_ams, paymentNotifyUrl=merchant.url)
        other_ams.call(
            "testHelpers/completePayment", {"paymentId": payment_id, "outcome": "SUCCESS"}
        )
        dispatcher.drain()
        advance(ams, 7 * 24 * 3600)
        dispatcher.drain()
    assert len(merchant.received) == 1


STEPS = st.lists(
    st.one_of(
        st.tuples(st.just("advance"), st.integers(min_value=1, max_value=7 * 24 * 3600)),
        st.tuples(st.just("pay"), st.integers(min_value=1, max_value=13)),
        st.tuples(st.just("wait"), st.integers(min_value=1, max_value=20 * 60)),
    ),
    min_size=1,
    max_size=8,
)


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=STEPS)
def test_expires_is_never_before_created(
    ams: AmsClient, gateway: Gateway, clock: ShiftableClock, steps: list[tuple[str, int]]
) -> None:
    """Over random advances, real time passing and payments made (with an explicit
    ``paymentExpiryTime`` minutes ahead on the merchant's clock or the method's default):
    every payment's expiry stays after its creation, stored times are never rewritten,
    and the merchant's time never runs backwards."""
    seen: dict[str, tuple[int, int]] = {}
    last_now = 0
    for kind, amount in steps:
        if kind == "advance":
            answer = advance(ams, amount)
            now = to_ms(parse_datetime(str(answer["merchantTime"])))
            assert now >= last_now
            last_now = now
        elif kind == "wait":
            clock.advance(amount)
        else:
            with gateway.store() as uow:
                merchant_now = clock() + uow.merchants.clock_offset(ams.client_id)
            expiry = from_ms((merchant_now // 1000 + amount * 60) * 1000)
            extra = {"paymentExpiryTime": expiry.isoformat()} if amount % 2 else {}
            payment_id = pay(ams, **extra)
            made = stored(gateway, ams.client_id, payment_id)
            assert made.created_at >= last_now
            seen[payment_id] = (made.created_at, made.expires_at)
        for payment_id, (created, expires) in seen.items():
            payment = stored(gateway, ams.client_id, payment_id)
            assert (payment.created_at, payment.expires_at) == (created, expires)
            assert payment.created_at < payment.expires_at
            if payment.closed_at is not None:
                assert payment.created_at <= payment.closed_at


def test_a_vaulting_session_ages_on_the_merchants_clock(
    ams: AmsClient, other_ams: AmsClient
) -> None:
    mine, theirs = session_body(), session_body()
    assert ams.call("vaults/createVaultingSession", mine).code == "SUCCESS"
    assert other_ams.call("vaults/createVaultingSession", theirs).code == "SUCCESS"
    advance(ams, 3600)

    def status(client: AmsClient, body: dict[str, object]) -> tuple[str, str]:
        reply = client.call(
            "vaults/inquireVaulting", {"vaultingRequestId": body["vaultingRequestId"]}
        )
        return reply.body["vaultingStatus"], reply.body["vaultingResultCode"]

    assert status(ams, mine) == ("FAIL", "ORDER_IS_CLOSED")
    assert status(other_ams, theirs)[0] == "PROCESSING"
