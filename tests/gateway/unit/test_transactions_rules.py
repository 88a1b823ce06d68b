"""The transition table, the capture and refund amount rules, and the card-data helpers."""

from __future__ import annotations

from pathlib import Path

import pytest

from openams.gateway.domain.errors import DomainError
from openams.gateway.domain.simulation import TEST_CARDS
from openams.gateway.domain.transactions import check_capture_amount, check_refund_amount
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


def test_docs_list_every_test_card() -> None:
    text = DOCS.read_text()
    for number in TEST_CARDS:
        assert number in text, f"docs/cards.md does not list the test card {number}"
