"""ISO 4217 minor units and integer-only amounts.

Every active ISO 4217 currency is known, not only the 24 the official SDK lists.
Amount values travel as strings of digits in the currency's minor unit
(USD 1.00 -> "100", JPY 1 -> "1") and are never floats.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation

MAX_VALUE_DIGITS = 16

_ZERO_DECIMALS = "BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF"
_THREE_DECIMALS = "BHD IQD JOD KWD LYD OMR TND"
_FOUR_DECIMALS = "CLF UYW"
_TWO_DECIMALS = (
    "AED AFN ALL AMD AOA ARS AUD AWG AZN BAM BBD BDT BGN BMD BND BOB BOV BRL BSD BTN "
    "BWP BYN BZD CAD CDF CHE CHF CHW CNY COP COU CRC CUP CVE CZK DKK DOP DZD EGP ERN "
    "ETB EUR FJD FKP GBP GEL GHS GIP GMD GTQ GYD HKD HNL HTG HUF IDR ILS INR IRR JMD "
    "KES KGS KHR KPW KYD KZT LAK LBP LKR LRD LSL MAD MDL MGA MKD MMK MNT MOP MRU MUR "
    "MVR MWK MXN MXV MYR MZN NAD NGN NIO NOK NPR NZD PAB PEN PGK PHP PKR PLN QAR RON "
    "RSD RUB SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT "
    "TOP TRY TTD TWD TZS UAH USD USN UYU UZS VED VES WST XCD XCG YER ZAR ZMW ZWG"
)


def _table() -> dict[str, int]:
    table: dict[str, int] = {}
    for exponent, codes in (
        (0, _ZERO_DECIMALS),
        (2, _TWO_DECIMALS),
        (3, _THREE_DECIMALS),
        (4, _FOUR_DECIMALS),
    ):
        for code in codes.split():
            table[code] = exponent
    return table


#: ISO 4217 code -> number of minor-unit digits. The one table of exponents.
CURRENCY_EXPONENTS: dict[str, int] = _table()

#: Currencies whose minor value must be a multiple of this (Antom rule: IDR in whole rupiah).
MINOR_VALUE_MULTIPLE: dict[str, int] = {"IDR": 100}


class AmountError(ValueError):
    """An amount or currency that breaks the wire rules; the message says which."""


def exponent(currency: str) -> int:
    try:
        return CURRENCY_EXPONENTS[currency]
    except KeyError:
        raise AmountError(f"unknown currency {currency!r}: not an active ISO 4217 code") from None


def is_currency(code: str) -> bool:
    return code in CURRENCY_EXPONENTS


@dataclass(frozen=True, slots=True, order=True)
class Money:
    """A positive amount in minor units of one currency."""

    currency: str
    value: int

    @classmethod
    def parse(cls, currency: object, value: object) -> Money:
        """Validate a wire amount (``{"currency", "value"}``) and return it as integers."""
        if not isinstance(currency, str) or not currency:
            raise AmountError("currency is required: a 3-letter ISO 4217 code")
        if not is_currency(currency):
            raise AmountError(f"currency {currency!r} is not an active ISO 4217 code")
        if isinstance(value, bool) or value is None:
            raise AmountError("value is required: a string of digits in minor units")
        if isinstance(value, int):
            text = str(value)
        elif isinstance(value, str):
            text = value.strip()
        else:
            raise AmountError(
                "value must be a string of digits in the currency's minor unit, not a "
                f"{type(value).__name__}"
            )
        if not text or not text.isascii() or not text.isdigit():
            raise AmountError(
                f"value {text[:32]!r} must be a string of digits in minor units "
                f'(e.g. {currency} 1.00 is "{10 ** exponent(currency)}")'
            )
        # The wire field holds at most 16 characters, leading zeros included (as the
        # official SDK's AmountUtil.validate counts them).
        if len(text) > MAX_VALUE_DIGITS:
            raise AmountError(f"value has more than {MAX_VALUE_DIGITS} digits")
        minor = int(text)
        if minor <= 0:
            raise AmountError("value must be greater than zero")
        multiple = MINOR_VALUE_MULTIPLE.get(currency)
        if multiple and minor % multiple:
            raise AmountError(
                f"{currency} value must be a multiple of {multiple} minor units "
                f"(whole units only), got {minor}"
            )
        return cls(currency, minor)

    def wire(self) -> dict[str, str]:
        return {"currency": self.currency, "value": str(self.value)}

    def to_decimal(self) -> Decimal:
        return Decimal(self.value).scaleb(-exponent(self.currency))

    def __str__(self) -> str:
        return show(self.value, self.currency)


def to_minor(major: str | int | Decimal, currency: str) -> int:
    """``to_minor("12.34", "USD") == 1234``; refuses precision the currency lacks.

    Floats are refused (money is never a float), and so is anything that is not a
    finite, non-negative amount of at most 16 minor-unit digits.
    """
    if isinstance(major, bool | float) or not isinstance(major, str | int | Decimal):
        raise AmountError(
            f"amount must be a decimal string, int or Decimal, not a {type(major).__name__}"
        )
    places = exponent(currency)
    try:
        amount = Decimal(major.strip() if isinstance(major, str) else major)
    except InvalidOperation:
        raise AmountError(f"{str(major)[:32]!r} is not a decimal amount") from None
    if not amount.is_finite():
        raise AmountError(f"{major} is not a finite amount")
    if amount < 0:
        raise AmountError(f"{major} is negative")
    if amount and amount.adjusted() + places >= MAX_VALUE_DIGITS:
        raise AmountError(f"{major} {currency} has more than {MAX_VALUE_DIGITS} minor-unit digits")
    scaled = amount.scaleb(places)
    if scaled != scaled.to_integral_value():
        raise AmountError(f"{major} has more decimals than {currency} allows")
    return int(scaled)


def from_minor(value: int, currency: str) -> Decimal:
    return Decimal(value).scaleb(-exponent(currency))


def major(value: int, currency: str) -> str:
    """Signed minor units as major units with the currency's exponent digits:
    ``major(3000, "HKD") == "30.00"``, ``major(3000, "JPY") == "3000"``."""
    return f"{from_minor(value, currency):.{exponent(currency)}f}"


def show(value: int, currency: str) -> str:
    """Minor units as people read them: ``show(3000, "HKD") == "HKD 30.00"``."""
    return f"{currency} {major(value, currency)}"


_TYPED_AMOUNT = re.compile(r"[0-9]+(?:\.[0-9]+)?|\.[0-9]+")


def parse_major(text: str, currency: str) -> int:
    """An amount a person typed in major units (``"30.00"``) as minor units of
    ``currency``. Refuses, saying why, an empty text, anything but digits with at most one
    decimal point, a negative or zero amount, and more decimals than the currency has."""
    places = exponent(currency)
    example = major(30 * 10**places, currency)
    typed = text.strip().replace(",", "") if text else ""
    if not typed:
        raise AmountError(f"enter an amount in {currency}, e.g. {example}")
    if typed.startswith("-") and _TYPED_AMOUNT.fullmatch(typed[1:]):
        raise AmountError(f"{typed[:32]} is negative: enter a positive amount")
    if not _TYPED_AMOUNT.fullmatch(typed):
        raise AmountError(
            f"{typed[:32]!r} is not an amount: write it in {currency} with digits "
            f"and a decimal point, e.g. {example}"
        )
    decimals = len(typed.partition(".")[2])
    if decimals > places:
        allowed = "no decimals" if places == 0 else f"at most {places} decimals"
        raise AmountError(f"{typed[:32]} has more decimals than {currency} allows ({allowed})")
    minor = to_minor(typed, currency)
    if minor == 0:
        raise AmountError("the amount must be greater than zero")
    return minor


def convert(value: int, source: str, target: str, rate: Decimal) -> int:
    """Convert minor units at ``rate`` (target per source), rounded half-even by exponent."""
    major = from_minor(value, source) * rate
    quantum = Decimal(1).scaleb(-exponent(target))
    return int(major.quantize(quantum, rounding=ROUND_HALF_EVEN).scaleb(exponent(target)))
