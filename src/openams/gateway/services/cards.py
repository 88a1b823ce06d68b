"""Server-to-server card payments (spec §10): the card data a pay request carries in
``paymentMethod.paymentMethodMetaData``, or a saved ``cardToken`` sent as
``paymentMethod.paymentMethodId``.

The card number and CVV go no further than :func:`read_card`: it checks them (length,
Luhn, brand, expiry, CVV length), asks the sandbox issuer (the test-card table in
:mod:`openams.gateway.domain.simulation`) what it would do, and returns a
:class:`CardCharge` that keeps only the brand, the BIN, the last four digits and the
expiry. Error messages never repeat the number or the CVV, and the request stored with
the payment has the number masked and the CVV removed (:func:`scrub_card_data`).

Refusals before any payment is created:

- ``INVALID_PAYMENT_METHOD_META_DATA``: a missing or malformed field, a number that
  fails the Luhn check or has the wrong length for its brand, an expired card, a CVV of
  the wrong length, an unknown or expired cardToken;
- ``BUSINESS_NOT_SUPPORT``: a card brand the gateway does not accept.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any, cast

from openams.gateway.domain.cards import (
    ACCEPTED_BRANDS,
    CardError,
    CardResult,
    brand_of,
    check_card,
    check_expiry,
    digits_only,
    luhn_ok,
)
from openams.gateway.domain.clock import from_ms
from openams.gateway.domain.errors import DomainError
from openams.gateway.domain.payment import Payment
from openams.gateway.domain.ports import UnitOfWork
from openams.gateway.domain.simulation import (
    Decision,
    Outcome,
    card_answer_lost,
    card_decision,
    card_needs_challenge,
)
from openams.gateway.domain.vault import SavedCard
from openams.gateway.services.settlement import Settlement

CARD = "CARD"
META_DATA = "INVALID_PAYMENT_METHOD_META_DATA"
#: The keys whose presence makes a pay request a server-to-server card payment.
CARD_KEYS = ("cardNo", "cvv")
_CARD_KEY_SET = frozenset(CARD_KEYS)
#: Where a pay request carries card data (error messages name the field by it).
META_DATA_FIELD = "paymentMethodMetaData"
_FIELD_NAMES = {"number": "cardNo", "expiry": "expiryMonth/expiryYear", "cvv": "cvv"}


@dataclass(frozen=True, slots=True)
class CardCharge:
    """A card ready to be charged: never the number, never the CVV."""

    card: CardResult
    #: the issuer asks for a 3-D Secure challenge before it decides
    three_ds: bool
    #: the issuer's refusal (None: it approves)
    decline: Decision | None
    #: the card came from a saved cardToken
    saved: bool = False
    #: how the sandbox issuer treats this card, kept with a new cardToken
    card_decline: Decision | None = None
    card_three_ds: bool = False
    #: the sandbox loses the first pay answer (``U/UNKNOWN_EXCEPTION``)
    answer_lost: bool = False


def has_card_data(meta: Mapping[str, Any] | None) -> bool:
    return meta is not None and any(key in meta for key in CARD_KEYS)


def _meta_error(message: str) -> DomainError:
    return DomainError(META_DATA, message)


def _text(meta: Mapping[str, Any], key: str, where: str, *, required: bool = True) -> str:
    value = meta.get(key)
    if value is None or value == "":
        if required:
            raise _meta_error(f"{where}.{key} is required for a card")
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise _meta_error(f"{where}.{key} must be a string")
    return str(value)


def card_flag(meta: Mapping[str, Any], key: str, where: str = META_DATA_FIELD) -> bool:
    """A boolean card field: ``true``/``false``, or those words as text."""
    value = meta.get(key)
    if value is None or isinstance(value, bool):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise _meta_error(f"{where}.{key} must be true or false")


def holder_name(value: Any) -> str | None:
    """``cardholderName``: ``{firstName, middleName, lastName}`` or ``{fullName}`` or text."""
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, Mapping):
        full = value.get("fullName")
        if isinstance(full, str) and full.strip():
            return full.strip()
        parts = [value.get(k) for k in ("firstName", "middleName", "lastName")]
        name = " ".join(p.strip() for p in parts if isinstance(p, str) and p.strip())
        return name or None
    return None


def today(now_ms: int) -> tuple[int, int]:
    moment = from_ms(now_ms)
    return moment.year, moment.month


def read_card(
    meta: Mapping[str, Any],
    *,
    now_ms: int,
    amount_value: int,
    where: str = META_DATA_FIELD,
    save: bool | None = None,
) -> CardCharge:
    """Check the card data of a pay request (or of a vaulting, ``where`` naming the object
    that carries it) and decide what the sandbox issuer does. ``save`` overrides the
    request's ``tokenize``."""
    pan = digits_only(_text(meta, "cardNo", where))
    if not (pan.isascii() and pan.isdigit() and 12 <= len(pan) <= 19):
        raise _meta_error(f"{where}.cardNo must be 12 to 19 digits")
    if not luhn_ok(pan):
        raise _meta_error(
            f"{where}.cardNo is not a valid card number: it fails the Luhn "
            "check digit; check the digits the buyer typed"
        )
    brand = brand_of(pan)
    if brand is None or brand not in ACCEPTED_BRANDS:
        raise DomainError(
            "BUSINESS_NOT_SUPPORT",
            "the card brand is not supported (the number matches no accepted brand); "
            f"accepted brands: {', '.join(ACCEPTED_BRANDS)}",
        )
    cvv = _text(meta, "cvv", where)
    try:
        card = check_card(
            number=pan,
            expiry_month=_text(meta, "expiryMonth", where),
            expiry_year=_text(meta, "expiryYear", where),
            cvv=cvv,
            holder_name=holder_name(meta.get("cardholderName")),
            today=today(now_ms),
            save=card_flag(meta, "tokenize", where) if save is None else save,
        )
    except CardError as exc:
        raise _meta_error(
            f"{where}.{_FIELD_NAMES.get(exc.field, exc.field)}: {exc.message}"
        ) from None
    return card_charge(card, pan, amount_value)


def card_charge(card: CardResult, pan: str, amount_value: int) -> CardCharge:
    """What the sandbox issuer does with a checked card (``pan``: its digits)."""
    decision = card_decision(amount_value, pan)
    card_only = card_decision(0, pan)  # the card's own behaviour, without amount rules
    challenge = card_needs_challenge(pan)
    charge = _charge(
        card,
        decision,
        three_ds=challenge,
        card_decline=card_only if card_only.outcome is Outcome.FAIL else None,
    )
    return replace(charge, answer_lost=card_answer_lost(pan))


def _charge(
    card: CardResult,
    decision: Decision,
    *,
    three_ds: bool,
    card_decline: Decision | None,
    saved: bool = False,
) -> CardCharge:
    # Risk control refuses before any challenge (as the hosted card page does).
    risk = decision.outcome is Outcome.FAIL and decision.result_code == "RISK_REJECT"
    challenge = three_ds and not risk
    decline = decision if decision.outcome is Outcome.FAIL and not challenge else None
    return CardCharge(
        card=card,
        three_ds=challenge,
        decline=decline,
        saved=saved,
        card_decline=card_decline,
        card_three_ds=three_ds,
    )


def saved_charge(saved: SavedCard, *, now_ms: int, amount_value: int) -> CardCharge:
    """A payment with a saved card: the card must not have expired since it was saved."""
    card = saved.card
    try:
        check_expiry(card.expiry_month, card.expiry_year, today=today(now_ms))
    except CardError:
        raise _meta_error(
            f"the card saved as cardToken {saved.card_token} expired at the end of "
            f"{card.expiry_month:02d}/{card.expiry_year}; ask the buyer for a new card"
        ) from None
    amount_rule = card_decision(amount_value, "")
    decision = amount_rule
    if decision.outcome is not Outcome.FAIL and saved.decline_code:
        decision = Decision.fail(saved.decline_code, saved.decline_message or saved.decline_code)
    return _charge(
        replace(card, three_ds_challenged=None),
        decision,
        three_ds=saved.three_ds,
        card_decline=None,
        saved=True,
    )


def scrub_card_data(wire: dict[str, Any]) -> dict[str, Any]:
    """The request as stored (and logged): every card number masked (BIN and last four),
    no CVV, wherever in the body they are."""
    return cast(dict[str, Any], _scrubbed(wire)) if _carries_card_data(wire) else wire


def _carries_card_data(value: Any) -> bool:
    # A walk with a stack, not recursion with generators: it runs on every pay and every
    # request-log entry, and this is about four times faster.
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, dict):
            if not _CARD_KEY_SET.isdisjoint(item):
                return True
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
    return False


def _scrubbed(value: Any) -> Any:
    if isinstance(value, list):
        return [_scrubbed(item) for item in value]
    if not isinstance(value, dict):
        return value
    clean = {key: _scrubbed(item) for key, item in value.items() if key != "cvv"}
    number = clean.pop("cardNo", None)
    if isinstance(number, str | int):
        pan = digits_only(str(number))
        if pan.isdigit() and len(pan) >= 12:
            clean["cardNo"] = f"{pan[:6]}******{pan[-4:]}"
    return clean


def save_card(
    uow: UnitOfWork,
    client_id: str,
    card: CardResult,
    now: int,
    *,
    three_ds: bool = False,
    decline: Decision | None = None,
) -> None:
    """Make ``card.card_token`` a saved card of ``client_id`` (pay accepts it from now
    on), with how the sandbox issuer treats the card it came from."""
    assert card.card_token is not None
    uow.cards.add(
        SavedCard(
            card_token=card.card_token,
            client_id=client_id,
            card=replace(card, three_ds_challenged=None),
            created_at=now,
            three_ds=three_ds,
            decline_code=decline.result_code if decline else None,
            decline_message=decline.result_message if decline else None,
        )
    )


#: A run of 12 to 19 digits, spaces or dashes between them allowed: a card number.
_PAN = re.compile(r"(?<!\d)\d(?:[ -]?\d){11,18}(?!\d)")
#: A "cvv" member and its value, quoted or not.
_CVV = re.compile(r'"cvv"\s*:\s*("(?:[^"\\]|\\.)*"|[^,}\s]*)\s*,?', re.IGNORECASE)


def scrub_card_text(text: str) -> str:
    """A body that is not a JSON object, as logged: anything shaped like a card number
    masked as :func:`scrub_card_data` masks one, any ``"cvv"`` member removed."""

    def mask(match: re.Match[str]) -> str:
        pan = digits_only(match.group(0))
        return f"{pan[:6]}******{pan[-4:]}"

    return _PAN.sub(mask, _CVV.sub("", text))


@dataclass
class CardPayments:
    settlement: Settlement

    def resolve(
        self,
        uow: UnitOfWork,
        client_id: str,
        *,
        charge: CardCharge | None,
        card_token: str | None,
        now_ms: int,
        amount_value: int,
    ) -> CardCharge | None:
        """The card to charge: the one in the request, or the saved ``card_token``."""
        if charge is not None or card_token is None:
            return charge
        saved = uow.cards.get(client_id, card_token)
        if saved is None:
            raise _meta_error(
                f"paymentMethod.paymentMethodId {card_token!r} is not a cardToken of this "
                "merchant; pay with the card data (tokenize=true) to get one"
            )
        return saved_charge(saved, now_ms=now_ms, amount_value=amount_value)

    def charge(self, uow: UnitOfWork, payment: Payment, charge: CardCharge, now: int) -> None:
        """Apply the issuer's answer to a new payment, in the caller's unit of work:
        declined (FAIL), approved (SUCCESS, or AUTHORIZED and perhaps captured), or
        waiting for the buyer's 3-D Secure challenge (stays PROCESSING)."""
        card = charge.card
        if charge.decline is not None:
            # a declined card is not saved; a saved one keeps its token
            token = card.card_token if charge.saved else None
            payment.card = replace(card, card_token=token, three_ds_challenged=False)
            code = charge.decline.result_code or "PROCESS_FAIL"
            self.settlement.fail(uow, payment, now, code, charge.decline.result_message or code)
            return
        if card.card_token is not None and not charge.saved:
            save_card(
                uow,
                payment.client_id,
                card,
                now,
                three_ds=charge.card_three_ds,
                decline=charge.card_decline,
            )
        if charge.three_ds:
            payment.card = card  # no threeDSResult until the buyer answers the challenge
            uow.payments.save(payment)
            return
        payment.card = card.with_three_ds(challenged=False)
        self.settlement.succeed(uow, payment, now)

    def complete_challenge(self, payment: Payment) -> None:
        """A server-to-server card payment awaiting its challenge is being completed."""
        if payment.card is not None and payment.card.three_ds_challenged is None:
            payment.card = payment.card.with_three_ds(challenged=True)

    def save_hosted_card(self, uow: UnitOfWork, payment: Payment, now: int) -> None:
        """A card the buyer saved on the hosted page becomes a usable cardToken."""
        card = payment.card
        if card is None or card.card_token is None:
            return
        if uow.cards.get(payment.client_id, card.card_token) is not None:
            return
        save_card(uow, payment.client_id, card, now)
