"""Sandbox outcome rules: how a buyer's action on a hosted page ends the payment.

Every rule here is a pure function of what the buyer typed or clicked and the payment
amount. The hosted pages apply the decision through ``PaymentService.complete`` (the
one path to a final state). The table in docs/sandbox.md lists the same rules.

Order of precedence: the decline button, then the risk-reject amount, then the test
buyer account or test card, then success.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

#: ``paymentAmount.value`` (minor units, any currency) that is always rejected by risk
#: control, as in Antom's sandbox.
RISK_REJECT_VALUE = 11

#: How long a "processing, then success" payment stays PROCESSING after the buyer pays.
PROCESSING_DELAY_MS = 3000

#: The one-time code the sandbox 3-D Secure challenge accepts.
THREE_DS_CODE = "123456"


class Outcome(StrEnum):
    SUCCESS = "SUCCESS"
    FAIL = "FAIL"
    #: stays PROCESSING for :data:`PROCESSING_DELAY_MS`, then SUCCESS
    PROCESSING = "PROCESSING"
    #: PENDING at once (PAYMENT_PENDING), SUCCESS after ``async_outcomes.SETTLE_DELAY``
    PENDING = "PENDING"


@dataclass(frozen=True, slots=True)
class Decision:
    outcome: Outcome
    result_code: str | None = None
    result_message: str | None = None

    @classmethod
    def fail(cls, code: str, message: str) -> Decision:
        return cls(Outcome.FAIL, code, message)


SUCCESS = Decision(Outcome.SUCCESS)
PROCESSING_THEN_SUCCESS = Decision(Outcome.PROCESSING)
PENDING_THEN_SUCCESS = Decision(Outcome.PENDING)
RISK_REJECTED = Decision.fail(
    "RISK_REJECT", f"rejected by risk control (sandbox: amount value {RISK_REJECT_VALUE})"
)
DECLINED = Decision.fail("PROCESS_FAIL", "the buyer declined the payment on the sandbox page")
THREE_DS_FAILED = Decision.fail(
    "USER_PAYMENT_VERIFICATION_FAILED", "3-D Secure authentication failed"
)

#: Wallet test accounts (login name, case-insensitive; ``name@anything`` works too).
TEST_ACCOUNTS: dict[str, Decision] = {
    "sandbox_nobalance": Decision.fail(
        "USER_BALANCE_NOT_ENOUGH", "user balance not enough (sandbox test account)"
    ),
    "sandbox_abnormal": Decision.fail(
        "USER_STATUS_ABNORMAL", "the user status is abnormal (sandbox test account)"
    ),
    "sandbox_processing": PROCESSING_THEN_SUCCESS,
    "sandbox_pending": PENDING_THEN_SUCCESS,
}


@dataclass(frozen=True, slots=True)
class SandboxCard:
    number: str
    brand: str
    description: str
    #: the decision when the card is used (after the challenge, for 3DS cards)
    decision: Decision = SUCCESS
    three_ds: bool = False
    #: server-to-server: the payment is made, but its pay answer is lost on the way
    #: (``U/UNKNOWN_EXCEPTION``); the merchant's identical resend gets the real result
    answer_lost: bool = False


#: Test cards (any future expiry, any CVV of the right length). Any other valid card
#: number succeeds without a challenge.
TEST_CARDS: dict[str, SandboxCard] = {
    card.number: card
    for card in (
        SandboxCard("4111111111111111", "VISA", "success, frictionless"),
        SandboxCard("5555555555554444", "MASTERCARD", "success, frictionless"),
        SandboxCard("378282246310005", "AMEX", "success, frictionless (4-digit CVV)"),
        SandboxCard(
            "4000000000003220", "VISA", "3-D Secure challenge, then success", three_ds=True
        ),
        SandboxCard(
            "5454545454545454", "MASTERCARD", "3-D Secure challenge, then success", three_ds=True
        ),
        SandboxCard(
            "4000000000003063",
            "VISA",
            "3-D Secure challenge that always fails",
            THREE_DS_FAILED,
            three_ds=True,
        ),
        SandboxCard(
            "4000000000000002",
            "VISA",
            "declined by the issuer",
            Decision.fail("PROCESS_FAIL", "card declined by the issuer (sandbox test card)"),
        ),
        SandboxCard(
            "4000000000009995",
            "VISA",
            "insufficient funds",
            Decision.fail("USER_BALANCE_NOT_ENOUGH", "insufficient funds (sandbox test card)"),
        ),
        *(
            SandboxCard(
                number, "VISA", description, Decision.fail(code, f"{text} (sandbox test card)")
            )
            for number, code, description, text in (
                ("4000000000000119", "DO_NOT_HONOR", "declined: do not honor", "do not honor"),
                (
                    "4000000000000127",
                    "INVALID_AMOUNT",
                    "declined: invalid amount",
                    "invalid amount",
                ),
                (
                    "4000000000000135",
                    "CARD_NOT_SUPPORTED",
                    "declined: card not supported",
                    "the card is not supported",
                ),
                (
                    "4000000000000143",
                    "INVALID_CARD_NUMBER",
                    "declined: invalid card number",
                    "the issuer reports the card number invalid",
                ),
                (
                    "4000000000000150",
                    "INVALID_EXPIRATION_DATE",
                    "declined: invalid expiration date",
                    "the issuer reports the expiration date invalid",
                ),
            )
        ),
        SandboxCard(
            "4000000000000168",
            "VISA",
            "success, but the pay answer is lost (U/UNKNOWN_EXCEPTION; resend it)",
            answer_lost=True,
        ),
        SandboxCard(
            "4100000000000019",
            "VISA",
            "rejected by risk control",
            Decision.fail("RISK_REJECT", "rejected by risk control (sandbox test card)"),
        ),
    )
}


def account_key(account: str) -> str:
    name = account.strip().lower()
    return name.split("@", 1)[0]


def wallet_decision(amount_value: int, account: str) -> Decision:
    """A wallet (or banking app) buyer logged in as ``account`` and confirmed."""
    if amount_value == RISK_REJECT_VALUE:
        return RISK_REJECTED
    return TEST_ACCOUNTS.get(account_key(account), SUCCESS)


def card_answer_lost(card_number: str) -> bool:
    card = TEST_CARDS.get(card_number)
    return card is not None and card.answer_lost


def card_needs_challenge(card_number: str) -> bool:
    card = TEST_CARDS.get(card_number)
    return card is not None and card.three_ds


def card_decision(amount_value: int, card_number: str) -> Decision:
    """A buyer paid with ``card_number`` (digits only); 3DS cards after their challenge."""
    if amount_value == RISK_REJECT_VALUE:
        return RISK_REJECTED
    card = TEST_CARDS.get(card_number)
    return card.decision if card is not None else SUCCESS


def issuer_decision(bin_: str, last_four: str) -> Decision:
    """The decision of the test card with this BIN and last four (success for others):
    how a card kept without its number is recognised after a 3-D Secure challenge."""
    for number, card in TEST_CARDS.items():
        if number.startswith(bin_) and number.endswith(last_four):
            return card.decision
    return SUCCESS


def challenge_decision(code: str, after: Decision) -> Decision:
    """The 3-D Secure challenge answered with ``code``; ``after`` is the card's decision."""
    if code.strip() != THREE_DS_CODE:
        return THREE_DS_FAILED
    return after


def transfer_decision(amount_value: int) -> Decision:
    """The sandbox reported the bank transfer (or online banking payment) as received."""
    if amount_value == RISK_REJECT_VALUE:
        return RISK_REJECTED
    return SUCCESS
