"""Daily FX rates, settlement quotes and settlement amounts (spec §8.5).

A rate ``BASE/QUOTE = r`` on a day says one unit of BASE buys ``r`` units of QUOTE on
that day and on every later day until a newer rate for the pair. The rate a day uses
is the freshest of three candidates, each the latest on or before the day:

1. the direct pair ``BASE/QUOTE``;
2. the inverse pair ``QUOTE/BASE`` (price ``1 / r``);
3. the cross through USD, ``USD/QUOTE / USD/BASE`` (each leg direct or inverse);

"freshest" is the latest effective day (a cross is as old as its older leg); on a tie
direct beats inverse beats cross. Derived prices keep :data:`DERIVED_DIGITS`
significant digits. Amounts are converted with :func:`openams.protocol.money.convert`:
minor units of the source, times the price, rounded half-even to the target's exponent.
"""

from __future__ import annotations

import csv
import io
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_EVEN, Context, Decimal, InvalidOperation
from enum import StrEnum

from openams.gateway.domain.clock import from_ms, iso, to_ms
from openams.protocol.money import Money, convert, is_currency

#: Significant digits of a price derived from other rates (inverse or cross).
DERIVED_DIGITS = 10
#: The currency cross rates go through.
PIVOT = "USD"
#: At most this many digits after the point in a rate someone sets.
MAX_RATE_PLACES = 12

_DERIVED = Context(prec=DERIVED_DIGITS, rounding=ROUND_HALF_EVEN)


class RateError(ValueError):
    """A rate that cannot be stored (bad currency, date or number); the message says why."""


class RateNotFound(LookupError):
    """No rate for a pair on or before a day; the message says how to add one."""

    def __init__(self, base: str, quote: str, day: date) -> None:
        super().__init__(
            f"no FX rate for {base}/{quote} on or before {day.isoformat()}: add one with "
            f"`openams fx set {base} {quote} RATE --date {day.isoformat()}` "
            f"(or a {PIVOT} rate for each currency)"
        )
        self.base, self.quote, self.day = base, quote, day


def format_decimal(value: Decimal) -> str:
    """Plain notation, no exponent, no trailing zeros: ``0.1404494382``, ``7.12``, ``150``."""
    text = format(value.normalize(), "f")
    return text


def parse_rate(text: str | Decimal) -> Decimal:
    """A positive, finite decimal with at most :data:`MAX_RATE_PLACES` places."""
    try:
        rate = Decimal(text.strip() if isinstance(text, str) else text)
    except InvalidOperation:
        raise RateError(f"rate {str(text)[:32]!r} is not a decimal number") from None
    if not rate.is_finite() or rate <= 0:
        raise RateError(f"rate {text} must be a positive number")
    exponent = rate.normalize().as_tuple().exponent
    assert isinstance(exponent, int)
    if -exponent > MAX_RATE_PLACES:
        raise RateError(f"rate {text} has more than {MAX_RATE_PLACES} decimal places")
    if rate.adjusted() >= 12:
        raise RateError(f"rate {text} is too large")
    return rate


def parse_currency(code: str, what: str = "currency") -> str:
    value = code.strip().upper()
    if not is_currency(value):
        raise RateError(f"{what} {code!r} is not an active ISO 4217 code")
    return value


def parse_day(text: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise RateError(f"date {text[:32]!r} is not YYYY-MM-DD") from None


def utc_day(ms: int) -> date:
    return from_ms(ms).date()


def day_start_ms(day: date) -> int:
    return to_ms(datetime(day.year, day.month, day.day, tzinfo=UTC))


@dataclass(frozen=True, slots=True)
class FxRate:
    """One unit of ``base`` buys ``rate`` units of ``quote`` from ``day`` on."""

    base: str
    quote: str
    day: date
    rate: Decimal

    @classmethod
    def parse(cls, base: str, quote: str, rate: str | Decimal, day: str | date) -> FxRate:
        b, q = parse_currency(base, "base currency"), parse_currency(quote, "quote currency")
        if b == q:
            raise RateError(f"{b}/{q}: a currency's rate to itself is always 1")
        return cls(b, q, day if isinstance(day, date) else parse_day(day), parse_rate(rate))

    @property
    def pair(self) -> str:
        return f"{self.base}/{self.quote}"


#: ``lookup(base, quote, day)``: the latest stored rate of that exact pair on or before day.
RateLookup = Callable[[str, str, date], FxRate | None]


@dataclass(frozen=True, slots=True)
class Price:
    """What :func:`resolve_price` found: the price of one ``base`` in ``quote``."""

    base: str
    quote: str
    price: Decimal
    #: the effective day of the rate(s) used
    day: date
    #: ``direct``, ``inverse`` or ``cross``
    source: str


def _inverse(rate: FxRate) -> Decimal:
    return _DERIVED.divide(Decimal(1), rate.rate)


def _leg(lookup: RateLookup, base: str, quote: str, day: date) -> tuple[Decimal, date] | None:
    """Price of one ``base`` in ``quote`` from a direct or inverse stored rate."""
    if base == quote:
        return Decimal(1), date.min
    found = [
        (rate.day, 1, rate.rate) for rate in [lookup(base, quote, day)] if rate is not None
    ] + [(rate.day, 0, _inverse(rate)) for rate in [lookup(quote, base, day)] if rate is not None]
    if not found:
        return None
    best = max(found, key=lambda item: (item[0], item[1]))
    return best[2], best[0]


def resolve_price(lookup: RateLookup, base: str, quote: str, day: date) -> Price:
    """The price of one ``base`` in ``quote`` on ``day``; raises :class:`RateNotFound`."""
    if base == quote:
        return Price(base, quote, Decimal(1), day, "direct")
    candidates: list[tuple[date, int, Price]] = []
    direct = lookup(base, quote, day)
    if direct is not None:
        candidates.append((direct.day, 2, Price(base, quote, direct.rate, direct.day, "direct")))
    inverse = lookup(quote, base, day)
    if inverse is not None:
        price = _inverse(inverse)
        candidates.append((inverse.day, 1, Price(base, quote, price, inverse.day, "inverse")))
    if PIVOT not in (base, quote):
        to_base = _leg(lookup, PIVOT, base, day)
        to_quote = _leg(lookup, PIVOT, quote, day)
        if to_base is not None and to_quote is not None:
            price = _DERIVED.divide(to_quote[0], to_base[0])
            oldest = min(to_base[1], to_quote[1])
            candidates.append((oldest, 0, Price(base, quote, price, oldest, "cross")))
    if not candidates:
        raise RateNotFound(base, quote, day)
    return max(candidates, key=lambda item: (item[0], item[1]))[2]


# --------------------------------------------------------------------- quotes


def new_quote_id(now_ms: int) -> str:
    """34 characters in Antom's style: a two-digit kind, the day, then random digits."""
    return f"17{from_ms(now_ms):%Y%m%d}{secrets.randbelow(10**24):024d}"


@dataclass(frozen=True, slots=True)
class SettlementQuote:
    """The rate a payment's settlement was locked at (``settlementQuote`` on the wire)."""

    quote_id: str
    base: str
    quote: str
    price: Decimal
    #: the UTC day the quote applies to: its start and the start of the next day
    start_ms: int
    expiry_ms: int

    @classmethod
    def lock(cls, price: Price, day: date, now_ms: int) -> SettlementQuote:
        start = day_start_ms(day)
        return cls(
            quote_id=new_quote_id(now_ms),
            base=price.base,
            quote=price.quote,
            price=price.price,
            start_ms=start,
            expiry_ms=start + int(timedelta(days=1).total_seconds() * 1000),
        )

    @property
    def pair(self) -> str:
        return f"{self.base}/{self.quote}"

    def wire(self) -> dict[str, object]:
        """``quotePrice`` is a ``Decimal``: a JSON number with exactly its digits on the
        wire (Antom's SDKs type it as a number; docs/decisions.md, "Wire types")."""
        return {
            "quoteId": self.quote_id,
            "quoteCurrencyPair": self.pair,
            "quotePrice": self.price.normalize(),
            "quoteStartTime": iso(self.start_ms),
            "quoteExpiryTime": iso(self.expiry_ms),
        }


def settle(amount: Money, quote: SettlementQuote) -> Money:
    """``amount`` (in the quote's base currency) in the settlement currency, rounded
    half-even to the settlement currency's exponent."""
    assert amount.currency == quote.base, (amount.currency, quote.base)
    return Money(quote.quote, convert(amount.value, amount.currency, quote.quote, quote.price))


class SettlementKind(StrEnum):
    PAYMENT = "PAYMENT"
    CAPTURE = "CAPTURE"
    REFUND = "REFUND"
    #: an accepted or lost chargeback: the disputed amount goes back to the buyer
    DISPUTE = "DISPUTE"


@dataclass(frozen=True, slots=True)
class TransactionSettlement:
    """What one transaction settles for, at its payment's locked quote."""

    client_id: str
    transaction_id: str
    payment_id: str
    kind: SettlementKind
    #: the gross settlement amount (``grossSettlementAmount``), never negative
    amount: Money
    quote: SettlementQuote
    created_at: int

    def wire(self) -> dict[str, object]:
        return {"grossSettlementAmount": self.amount.wire(), "settlementQuote": self.quote.wire()}


def share_of_gross(
    amount: Money,
    *,
    payment_amount: Money,
    gross: Money,
    moved_before: int,
    settled_before: int,
    quote: SettlementQuote,
) -> Money:
    """The settlement amount of a refund (or capture) of ``amount``.

    Converted on its own, except the one that completes the payment (``moved_before +
    amount == payment_amount``): that one takes what is left of the payment's gross, so
    a fully refunded payment nets to exactly zero in the settlement currency.
    """
    if moved_before + amount.value >= payment_amount.value:
        return Money(gross.currency, max(0, gross.value - settled_before))
    return settle(amount, quote)


# ----------------------------------------------------------------------- CSV

#: The header of a rates file (``openams fx import``, the table shipped with openams).
CSV_COLUMNS = ("base", "quote", "rate", "date")


def read_rates_csv(text: str) -> list[FxRate]:
    """Parse a rates file: a ``base,quote,rate,date`` header, then one rate per line.

    Raises :class:`RateError` naming the line of the first bad row; nothing is partial.
    """
    rows = list(csv.reader(io.StringIO(text)))
    if not rows or [cell.strip().lower() for cell in rows[0]] != list(CSV_COLUMNS):
        raise RateError(f"line 1: the header must be {','.join(CSV_COLUMNS)}")
    rates: list[FxRate] = []
    for number, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(CSV_COLUMNS):
            raise RateError(f"line {number}: expected 4 fields (base,quote,rate,date)")
        base, quote, rate, day = row
        try:
            rates.append(FxRate.parse(base, quote, rate, day))
        except RateError as exc:
            raise RateError(f"line {number}: {exc}") from None
    return rates


@dataclass(frozen=True, slots=True)
class SettlementBook:
    """The locked settlements of one payment: its own, its captures' and refunds'."""

    entries: tuple[TransactionSettlement, ...] = ()

    def find(self, kind: SettlementKind, transaction_id: str) -> TransactionSettlement | None:
        for entry in self.entries:
            if entry.kind is kind and entry.transaction_id == transaction_id:
                return entry
        return None

    def total(self, kind: SettlementKind) -> int:
        return sum(entry.amount.value for entry in self.entries if entry.kind is kind)


def settles_across_currencies(payment_currency: str, settlement_currency: str | None) -> bool:
    return bool(settlement_currency) and settlement_currency != payment_currency
