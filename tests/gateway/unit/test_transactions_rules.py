"""The transition table, the capture and refund amount rules, the refusals of a reused
capture or refund request id, and the card-data helpers."""

from __future__ import annotations

from pathlib import Path

import pytest

from openams.gateway.domain.errors import DomainError
from openams.gateway.domain.simulation import TEST_CARDS
from openams.gateway.domain.transactions import (
    Capture,
    Refund,
    TransactionStatus,
    check_capture_amount,
    check_refund_amount,
    new_capture_id,
    new_refund_id,
)
from openams.gateway.domain.transitions import (
    FINAL_STATES,
    TERMINAL_STATES,
    TRANSITIONS,
    PaymentEvent,
    PaymentStatus,
    apply,
    can,
)
from openams.gateway.domain.vault import SavedCard
from openams.gateway.services.cards import (
    card_flag,
    holder_name,
    read_card,
    saved_charge,
    scrub_card_data,
)
from openams.protocol.money import Money

P, A, S, F, C = (
    PaymentStatus.PROCESSING,
    PaymentStatus.AUTHORIZED,
    PaymentStatus.SUCCESS,
    PaymentStatus.FAIL,
    PaymentStatus.CANCELLED,
)
DOCS = Path(__file__).resolve().parents[3] / "docs" / "cards.md"
NOW = 1_800_000_000_000  # 2027-01-15


def test_terminal_states_are_fail_and_cancelled() -> None:
    assert {F, C} == TERMINAL_STATES
    assert TERMINAL_STATES < FINAL_STATES
    for (source, _event), _target in TRANSITIONS.items():
        assert source not in TERMINAL_STATES


def test_every_state_is_reachable_from_processing() -> None:
    seen, frontier = {P}, [P]
    while frontier:
        state = frontier.pop()
        for (source, _event), target in TRANSITIONS.items():
            if source is state and target not in seen:
                seen.add(target)
                frontier.append(target)
    assert seen == set(PaymentStatus)


def test_capture_refund_and_void_are_guarded_by_the_table() -> None:
    capturing = PaymentStatus.CAPTURING
    assert [s for s in PaymentStatus if can(s, PaymentEvent.CAPTURE)] == [A, capturing]
    assert [s for s in PaymentStatus if can(s, PaymentEvent.BEGIN_CAPTURE)] == [A]
    assert apply(A, PaymentEvent.BEGIN_CAPTURE) is capturing
    assert apply(capturing, PaymentEvent.CAPTURE) is S
    assert apply(capturing, PaymentEvent.CAPTURE_FAIL) is A  # the hold stays
    assert capturing.wire == "SUCCESS"
    for event in (PaymentEvent.VOID, PaymentEvent.CANCEL, PaymentEvent.REFUND):
        assert not can(capturing, event)  # nothing else while a capture is in process
    assert [s for s in PaymentStatus if can(s, PaymentEvent.VOID)] == [A]
    assert [s for s in PaymentStatus if can(s, PaymentEvent.REFUND)] == [S]
    assert apply(S, PaymentEvent.REFUND) is S
    assert apply(A, PaymentEvent.CAPTURE) is S
    assert apply(A, PaymentEvent.VOID) is C
    assert apply(A, PaymentEvent.AUTH_EXPIRE) is C
    with pytest.raises(DomainError) as refused:
        apply(P, PaymentEvent.REFUND)
    assert refused.value.code == "ORDER_STATUS_INVALID"
    assert "payment status is PROCESSING" in refused.value.message
    assert "captured payment can be refunded" in refused.value.message


@pytest.mark.parametrize(
    ("state", "event", "message"),
    [
        (
            P,
            PaymentEvent.BEGIN_CAPTURE,
            "cannot begin capture the payment: payment status is PROCESSING; only an "
            "authorized, uncaptured payment can be captured",
        ),
        (
            PaymentStatus.CAPTURING,
            PaymentEvent.AUTH_EXPIRE,
            "cannot auth expire the payment: payment status is CAPTURING",
        ),
        (F, PaymentEvent.SUCCEED, "cannot succeed the payment: payment status is FAIL"),
    ],
)
def test_a_refused_event_says_what_and_why_in_words(
    state: PaymentStatus, event: PaymentEvent, message: str
) -> None:
    """The event in words (underscores as spaces), the state, and the reason only when
    the table has one for the event."""
    with pytest.raises(DomainError) as refused:
        apply(state, event)
    assert refused.value.code == "ORDER_STATUS_INVALID"
    assert refused.value.message == message


def _refund(payment_id: str = "P1", value: int = 500) -> Refund:
    return Refund(
        "R1", "C", payment_id, "RQ1", Money("HKD", value), TransactionStatus.SUCCESS, NOW, NOW
    )


def _capture(payment_id: str = "P1", value: int = 500) -> Capture:
    return Capture(
        "K1", "C", payment_id, "CQ1", Money("USD", value), TransactionStatus.SUCCESS, NOW, NOW
    )


@pytest.mark.parametrize(
    ("payment_id", "value", "named"),
    [
        ("P2", 500, "paymentId"),
        ("P1", 501, "refundAmount"),
        ("P2", 501, "paymentId and refundAmount"),
    ],
)
def test_a_reused_refund_request_id_names_what_differs(
    payment_id: str, value: int, named: str
) -> None:
    first = _refund()
    assert first.repeat_problem("P1", Money("HKD", 500)) is None
    problem = first.repeat_problem(payment_id, Money("HKD", value))
    assert problem is not None and problem.code == "REPEAT_REQ_INCONSISTENT"
    assert problem.message == (
        f"refundRequestId RQ1 was first used with a different {named}; resend the identical "
        "request or use a new refundRequestId"
    )


@pytest.mark.parametrize(
    ("payment_id", "value", "named"),
    [
        ("P2", 500, "paymentId"),
        ("P1", 501, "captureAmount"),
        ("P2", 501, "paymentId and captureAmount"),
    ],
)
def test_a_reused_capture_request_id_names_what_differs(
    payment_id: str, value: int, named: str
) -> None:
    first = _capture()
    assert first.repeat_problem("P1", Money("USD", 500)) is None
    problem = first.repeat_problem(payment_id, Money("USD", value))
    assert problem is not None and problem.code == "REPEAT_REQ_INCONSISTENT"
    assert problem.message == (
        f"captureRequestId CQ1 was first used with a different {named}; resend the identical "
        "request or use a new captureRequestId"
    )


def test_authorized_reads_as_success_on_the_wire() -> None:
    assert A.wire == "SUCCESS"
    assert [s.wire for s in (P, S, F, C)] == ["PROCESSING", "SUCCESS", "FAIL", "CANCELLED"]


def test_capture_amount_must_be_the_full_authorized_amount() -> None:
    authorized = Money("USD", 1000)
    check_capture_amount(authorized, Money("USD", 1000))
    for requested, code in (
        (Money("USD", 1001), "CAPTURE_AMOUNT_EXCEED_AUTH_LIMIT"),
        (Money("USD", 999), "BUSINESS_NOT_SUPPORT"),
        (Money("EUR", 1000), "PARAM_ILLEGAL"),
    ):
        with pytest.raises(DomainError) as refused:
            check_capture_amount(authorized, requested)
        assert refused.value.code == code


def test_refunds_stay_within_the_captured_amount() -> None:
    paid = Money("HKD", 1000)
    check_refund_amount(paid, captured=1000, refunded=600, requested=Money("HKD", 400))
    with pytest.raises(DomainError) as refused:
        check_refund_amount(paid, captured=1000, refunded=600, requested=Money("HKD", 401))
    assert refused.value.code == "REFUND_AMOUNT_EXCEED"
    assert "HKD 4.00 can still be refunded" in refused.value.message
    with pytest.raises(DomainError) as nothing_left:
        check_refund_amount(paid, captured=1000, refunded=1000, requested=Money("HKD", 1))
    assert "nothing is left" in nothing_left.value.message
    with pytest.raises(DomainError) as currency:
        check_refund_amount(paid, captured=1000, refunded=0, requested=Money("USD", 1))
    assert currency.value.code == "PARAM_ILLEGAL"


def test_a_refusal_names_only_what_was_refunded() -> None:
    """Nothing refunded yet: the message does not say "0.00 is already refunded"."""
    paid = Money("HKD", 1000)
    with pytest.raises(DomainError) as refused:
        check_refund_amount(paid, captured=1000, refunded=0, requested=Money("HKD", 1001))
    assert refused.value.message == (
        "cannot refund HKD 10.01: the payment captured HKD 10.00; at most HKD 10.00 can "
        "still be refunded"
    )


def test_capture_and_refund_ids_are_34_digits_kind_first() -> None:
    for made, kind in [(new_capture_id(NOW), "18"), (new_refund_id(NOW), "19")] * 50:
        assert len(made) == 34 and made.isdigit() and made.startswith(f"{kind}20270115"), made


def test_scrub_masks_the_number_and_drops_the_cvv_without_touching_the_input() -> None:
    wire = {
        "paymentMethod": {
            "paymentMethodType": "CARD",
            "paymentMethodMetaData": {"cardNo": "4111 1111 1111 1111", "cvv": "123", "x": 1},
        }
    }
    clean = scrub_card_data(wire)
    assert clean["paymentMethod"]["paymentMethodMetaData"] == {
        "cardNo": "411111******1111",
        "x": 1,
    }
    assert wire["paymentMethod"]["paymentMethodMetaData"]["cvv"] == "123"
    plain = {"paymentMethod": {"paymentMethodType": "ALIPAY_HK"}}
    assert scrub_card_data(plain) is plain


def test_a_read_card_keeps_no_number_and_no_cvv() -> None:
    charge = read_card(
        {"cardNo": "4000000000003220", "cvv": "987", "expiryMonth": "12", "expiryYear": "29"},
        now_ms=NOW,
        amount_value=1000,
    )
    assert charge.three_ds and charge.decline is None
    text = repr(charge)
    assert "4000000000003220" not in text and "987" not in text
    assert (charge.card.bin, charge.card.last_four) == ("400000", "3220")


def test_saved_card_keeps_the_issuer_behaviour() -> None:
    declined = read_card(
        {"cardNo": "4000000000009995", "cvv": "987", "expiryMonth": "12", "expiryYear": "29"},
        now_ms=NOW,
        amount_value=1000,
    )
    assert declined.decline is not None
    assert declined.card_decline is not None
    saved = SavedCard(
        card_token="CT1",
        client_id="C",
        card=declined.card,
        created_at=NOW,
        decline_code=declined.card_decline.result_code,
        decline_message=declined.card_decline.result_message,
    )
    again = saved_charge(saved, now_ms=NOW, amount_value=1000)
    assert again.decline is not None
    assert again.decline.result_code == "USER_BALANCE_NOT_ENOUGH"
    assert again.decline.result_message == declined.card_decline.result_message
    assert again.decline.result_message != again.decline.result_code
    risky = saved_charge(SavedCard("CT2", "C", declined.card, NOW), now_ms=NOW, amount_value=11)
    assert risky.decline is not None and risky.decline.result_code == "RISK_REJECT"


@pytest.mark.parametrize(
    ("value", "name"),
    [
        ({"firstName": "Alan", "lastName": "Wallex"}, "Alan Wallex"),
        ({"fullName": " Ada Lovelace "}, "Ada Lovelace"),
        ("Grace Hopper", "Grace Hopper"),
        ({}, None),
        (None, None),
        (42, None),
    ],
)
def test_cardholder_name_forms(value: object, name: str | None) -> None:
    assert holder_name(value) == name


@pytest.mark.parametrize(
    ("value", "flag"),
    [
        (True, True),
        (False, False),
        (None, False),
        ("true", True),
        (" TRUE ", True),
        ("False", False),
    ],
)
def test_a_card_flag_is_a_boolean_or_its_word_in_any_case(value: object, flag: bool) -> None:
    assert card_flag({"tokenize": value}, "tokenize") is flag


@pytest.mark.parametrize("value", ["yes", "1", 1, ""])
def test_a_card_flag_refuses_anything_else(value: object) -> None:
    with pytest.raises(DomainError) as refused:
        card_flag({"tokenize": value}, "tokenize")
    assert refused.value.code == "INVALID_PAYMENT_METHOD_META_DATA"
    assert refused.value.message == "paymentMethodMetaData.tokenize must be true or false"


def test_docs_list_every_test_card() -> None:
    text = DOCS.read_text()
    for number in TEST_CARDS:
        assert number in text, f"docs/cards.md does not list the test card {number}"
