"""The cashier's pure rules: card checks, outcome simulation, tickets, small page helpers."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from openams.gateway.domain import simulation as sim
from openams.gateway.domain.cards import CardError, CardResult, brand_of, check_card, luhn_ok
from openams.gateway.services.tickets import TicketSigner
from openams.gateway.web.cashier.routes import countdown, safe_redirect

TODAY = (2026, 11)
DOCS = Path(__file__).resolve().parents[2] / "docs" / "sandbox.md"


def card(number: str, month: str = "12", year: str = "30", cvv: str = "123") -> CardResult:
    return check_card(
        number=number,
        expiry_month=month,
        expiry_year=year,
        cvv=cvv,
        holder_name=" Ada ",
        today=TODAY,
        save=False,
    )


def test_every_test_card_is_a_valid_card_of_its_brand() -> None:
    for number, test_card in sim.TEST_CARDS.items():
        assert luhn_ok(number), number
        assert brand_of(number) == test_card.brand
        kept = card(number, cvv="1234" if test_card.brand == "AMEX" else "123")
        assert (kept.bin, kept.last_four) == (number[:6], number[-4:])


@pytest.mark.parametrize(
    ("number", "month", "year", "cvv", "field"),
    [
        ("4111 1111 1111", "12", "30", "123", "number"),  # Luhn fails
        ("4111-1111-1111-1112", "12", "30", "123", "number"),
        ("41111111111111111111", "12", "30", "123", "number"),  # 20 digits
        ("٤١١١١١١١١١١١١١١١", "12", "30", "123", "number"),  # not ASCII digits
        ("3782 8224 6310 0055", "12", "30", "1234", "number"),  # Amex with 16 digits
        ("9999 9999 9999 9995", "12", "30", "123", "number"),  # unknown brand
        ("4111 1111 1111 1111", "0", "30", "123", "expiry"),
        ("4111 1111 1111 1111", "10", "2026", "123", "expiry"),  # October < November
        ("4111 1111 1111 1111", "12", "299", "123", "expiry"),
        ("4111 1111 1111 1111", "12", "2099", "123", "expiry"),
        ("4111 1111 1111 1111", "12", "30", "1234", "cvv"),
        ("378282246310005", "12", "30", "123", "cvv"),
    ],
)
def test_card_checks_name_the_wrong_field_without_repeating_it(
    number: str, month: str, year: str, cvv: str, field: str
) -> None:
    with pytest.raises(CardError) as refused:
        card(number, month, year, cvv)
    assert refused.value.field == field
    assert number.replace(" ", "") not in refused.value.message
    assert cvv not in refused.value.message.split()


def test_a_card_is_valid_through_its_expiry_month() -> None:
    assert card("4111111111111111", "11", "26").expiry_year == 2026


def test_the_kept_card_has_no_number_and_no_cvv() -> None:
    kept = check_card(
        number="4000 0000 0000 3220",
        expiry_month="6",
        expiry_year="2028",
        cvv="987",
        holder_name="Ada",
        today=TODAY,
        save=True,
    )
    stored = repr(kept.to_dict())
    assert "4000000000003220" not in stored
    # the CVV as a value of its own, not three digits inside the random hex card token
    assert not re.search(r"(?<![0-9A-Za-z])987(?![0-9A-Za-z])", stored), stored
    assert CardResult.from_dict(kept.to_dict()) == kept
    info = kept.with_three_ds(challenged=True).payment_result_info()
    assert info["cardNo"] == "400000******3220"
    assert (info["expiryMonth"], info["expiryYear"]) == ("06", "28")
    assert info["cardToken"] == kept.card_token and kept.card_token
    assert info["threeDSResult"]["challenged"] is True


def test_wallet_outcomes() -> None:
    assert sim.wallet_decision(11, "sandbox_nobalance").result_code == "RISK_REJECT"
    assert sim.wallet_decision(100, "anyone") == sim.SUCCESS
    assert sim.wallet_decision(100, " Sandbox_NoBalance ").result_code == "USER_BALANCE_NOT_ENOUGH"
    assert sim.wallet_decision(100, "sandbox_abnormal@x.test").result_code == (
        "USER_STATUS_ABNORMAL"
    )
    assert sim.wallet_decision(100, "sandbox_processing").outcome is sim.Outcome.PROCESSING
    assert sim.wallet_decision(1100, "anyone") == sim.SUCCESS  # only the value 11 itself


def test_card_and_transfer_outcomes() -> None:
    assert sim.card_decision(100, "4111111111111111") == sim.SUCCESS
    assert sim.card_decision(100, "4000000000000002").result_code == "PROCESS_FAIL"
    assert sim.card_decision(11, "4111111111111111").result_code == "RISK_REJECT"
    assert sim.card_needs_challenge("4000000000003220")
    assert not sim.card_needs_challenge("4111111111111111")
    after = sim.card_decision(100, "4000000000003220")
    assert sim.challenge_decision("123456", after) == sim.SUCCESS
    assert sim.challenge_decision("654321", after) == sim.THREE_DS_FAILED
    failing = sim.card_decision(100, "4000000000003063")
    assert sim.challenge_decision("123456", failing) == sim.THREE_DS_FAILED
    assert sim.transfer_decision(11) == sim.RISK_REJECTED
    assert sim.transfer_decision(12) == sim.SUCCESS


def test_tickets_are_bound_to_their_purpose_and_content() -> None:
    signer = TicketSigner(b"k" * 32)
    ticket = signer.sign("wallet", {"t": "abc", "a": "buyer"})
    assert signer.unsign("wallet", ticket) == {"t": "abc", "a": "buyer"}
    assert signer.unsign("3ds", ticket) is None
    payload, mac = ticket.split(".")
    assert signer.unsign("wallet", f"{payload}x.{mac}") is None
    assert signer.unsign("wallet", f"{payload}.{mac[:-2]}AA") is None
    assert signer.unsign("wallet", None) is None
    assert signer.unsign("wallet", "no-dot") is None
    assert TicketSigner(b"j" * 32).unsign("wallet", ticket) is None
    assert signer.check("csrf", "m", signer.mac("csrf", "m"))
    assert not signer.check("csrf", "m", None)
    with pytest.raises(ValueError):
        TicketSigner(b"short")


def test_page_helpers() -> None:
    assert countdown(838) == "13:58"
    assert countdown(3 * 3600 + 5) == "3:00:05"
    assert countdown(7 * 86400 - 1) == "6d 23:59:59"
    assert countdown(-5) == "0:00"
    assert safe_redirect(" https://m.test/r?a=1 ") == "https://m.test/r?a=1"
    assert safe_redirect("imeituan://") == "imeituan://"
    for bad in ("javascript://x/%0Aalert(1)", "JaVaScRiPt:alert(1)", "data:text/html,x", "", None):
        assert safe_redirect(bad) is None


def test_docs_list_every_test_card_and_account() -> None:
    text = DOCS.read_text(encoding="utf-8")
    for number in sim.TEST_CARDS:
        spaced = " ".join(number[i : i + 4] for i in range(0, len(number), 4))
        assert number in text or spaced in text, number
    for account in sim.TEST_ACCOUNTS:
        assert f"`{account}`" in text
    assert sim.THREE_DS_CODE in text and f"`{sim.RISK_REJECT_VALUE}`" in text
