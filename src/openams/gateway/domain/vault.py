"""Saved cards: what a ``cardToken`` stands for when a later pay sends it as
``paymentMethod.paymentMethodId``.

The vault never holds the card number or the CVV. It keeps what the payment result
already shows (brand, BIN, last four digits, expiry, holder name) plus how the
sandbox issuer treats the card, decided from the test-card table when the card was
tokenized: a token of the 3-D Secure test card is challenged again, a token of a
declining test card is declined again.
"""

from __future__ import annotations

from dataclasses import dataclass

from openams.gateway.domain.cards import CardResult


@dataclass(frozen=True, slots=True)
class SavedCard:
    card_token: str
    client_id: str
    card: CardResult
    created_at: int
    #: the sandbox issuer asks for a 3-D Secure challenge on every payment
    three_ds: bool = False
    #: the sandbox issuer declines with this result (None: it approves)
    decline_code: str | None = None
    decline_message: str | None = None
