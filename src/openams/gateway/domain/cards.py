"""Card data checks for the hosted card page, and what is kept of a card afterwards.

The card number and CVV exist only while a card form is being checked: :func:`check_card`
turns them into a :class:`CardResult` that keeps the brand, the BIN (first six digits),
the last four digits, the expiry and, when the buyer saves the card, a random card token.
Neither the full number nor the CVV is kept, logged or put in an error message.
"""

from __future__ import annotations

import secrets
from dataclasses import asdict, dataclass
from typing import Any

#: (brand, prefixes, lengths). First match wins; prefixes are compared as digit strings.
_BRANDS: tuple[tuple[str, tuple[str, ...], tuple[int, ...]], ...] = (
    ("AMEX", ("34", "37"), (15,)),
    ("DINERS", ("300", "301", "302", "303", "304", "305", "36", "38"), (14, 16)),
    ("JCB", tuple(str(p) for p in range(3528, 3590)), (16, 17, 18, 19)),
    ("DISCOVER", ("6011", "65", *(str(p) for p in range(644, 650))), (16, 19)),
    ("CUP", ("62",), (16, 17, 18, 19)),
    ("MASTERCARD", (*(str(p) for p in range(51, 56)), *(str(p) for p in range(2221, 2721))),
     (16,)),
    ("VISA", ("4",), (13, 16, 19)),
    ("MAESTRO", ("50", "56", "57", "58", "6"), (12, 13, 14, 15, 16, 17, 18, 19)),
)  # fmt: skip

#: Brands the sandbox acquirer takes (what ``brand_of`` can name), in consult's order.
ACCEPTED_BRANDS = ("VISA", "MASTERCARD", "AMEX", "JCB", "DINERS", "DISCOVER", "CUP", "MAESTRO")
#: consult ``supportCardBrands[].logo.logoName`` per brand (at most 12 characters).
BRAND_LOGO_NAMES = {
    "VISA": "Visa",
    "MASTERCARD": "Mastercard",
    "AMEX": "Amex",
    "JCB": "JCB",
    "DINERS": "Diners Club",
    "DISCOVER": "Discover",
    "CUP": "UnionPay",
    "MAESTRO": "Maestro",
}
#: consult ``paymentOptionDetail.funding`` of CARD: the card types the sandbox takes.
CARD_FUNDING = ("CREDIT", "DEBIT")


class CardError(ValueError):
    """Card fields the buyer must correct. ``errors`` maps each wrong field to its message
    (never repeating the field's value); ``field`` and ``message`` are the first of them."""

    def __init__(self, field: str, message: str, *, errors: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.field = field
        self.message = message
        self.errors = errors or {field: message}

    @classmethod
    def of(cls, errors: dict[str, str]) -> CardError:
        field, message = next(iter(errors.items()))
        return cls(field, message, errors=dict(errors))


def digits_only(text: str) -> str:
    """The number as typed, without the spaces and dashes buyers put in."""
    return "".join(ch for ch in text if ch not in " -")


def luhn_ok(number: str) -> bool:
    if not number.isascii() or not number.isdigit():
        return False
    total = 0
    for index, char in enumerate(reversed(number)):
        digit = int(char)
        if index % 2:
            digit = digit * 2 - 9 if digit > 4 else digit * 2
        total += digit
    return total % 10 == 0


def brand_of(number: str) -> str | None:
    for brand, prefixes, _lengths in _BRANDS:
        if number.startswith(prefixes):
            return brand
    return None


def _lengths(brand: str) -> tuple[int, ...]:
    return next(lengths for name, _prefixes, lengths in _BRANDS if name == brand)


def cvv_length(brand: str | None) -> int:
    return 4 if brand == "AMEX" else 3


def parse_expiry(month: str, year: str) -> tuple[int, int]:
    """``("06", "28")`` or ``("6", "2028")`` -> ``(6, 2028)``."""
    month, year = month.strip(), year.strip()
    if not (month.isascii() and month.isdigit() and 1 <= int(month) <= 12):
        raise CardError("expiry", "Expiry month must be 01 to 12.")
    if not (year.isascii() and year.isdigit() and len(year) in (2, 4)):
        raise CardError("expiry", "Expiry year must have 2 or 4 digits.")
    full_year = int(year) + 2000 if len(year) == 2 else int(year)
    return int(month), full_year


def check_expiry(month: int, year: int, *, today: tuple[int, int]) -> None:
    """A card is valid through the last day of its expiry month; ``today`` is (year, month)."""
    if (year, month) < today:
        raise CardError("expiry", "This card has expired.")
    if year > today[0] + 20:
        raise CardError("expiry", "Expiry year is too far in the future.")


@dataclass(frozen=True, slots=True)
class CardResult:
    """What the gateway keeps of a card: never the full number, never the CVV."""

    brand: str
    bin: str
    last_four: str
    expiry_month: int
    expiry_year: int
    holder_name: str | None = None
    card_token: str | None = None
    three_ds_challenged: bool | None = None

    @property
    def masked_number(self) -> str:
        return f"{self.bin}******{self.last_four}"

    def with_three_ds(self, *, challenged: bool) -> CardResult:
        return CardResult(**{**asdict(self), "three_ds_challenged": challenged})

    def to_dict(self) -> dict[str, Any]:
        return {key: value for key, value in asdict(self).items() if value is not None}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CardResult:
        return cls(**data)

    def payment_result_info(self) -> dict[str, Any]:
        """``paymentResultInfo`` of inquiryPayment and notifyPayment (spec §2)."""
        info: dict[str, Any] = {
            "cardNo": self.masked_number,
            "cardBrand": self.brand,
            "cardBin": self.bin,
            "lastFour": self.last_four,
            "expiryMonth": f"{self.expiry_month:02d}",
            "expiryYear": f"{self.expiry_year % 100:02d}",
            "funding": "CREDIT",
            "issuingCountry": "US",
            "paymentMethodRegion": "GLOBAL",
        }
        if self.holder_name:
            info["cardholderName"] = self.holder_name[:64]
        if self.card_token:
            info["cardToken"] = self.card_token
        if self.three_ds_challenged is not None:
            info["threeDSResult"] = {
                "threeDSVersion": "2.2.0",
                "eci": "05" if self.brand != "MASTERCARD" else "02",
                "challenged": self.three_ds_challenged,
                "threeDSOffered": True,
                "liabilityShift": True,
            }
        return info


def new_card_token() -> str:
    return "CT" + secrets.token_hex(15)


def _number_error(pan: str, brand: str | None) -> str | None:
    if not pan.isascii() or not pan.isdigit() or not 12 <= len(pan) <= 19:
        return "Card number must have 12 to 19 digits."
    if not luhn_ok(pan):
        return "Card number is not valid (check the digits)."
    if brand is None:
        return "This card brand is not accepted."
    if len(pan) not in _lengths(brand):
        return f"A {brand} card number does not have {len(pan)} digits."
    return None


def check_card(
    *,
    number: str,
    expiry_month: str,
    expiry_year: str,
    cvv: str,
    holder_name: str | None,
    today: tuple[int, int],
    save: bool,
) -> CardResult:
    """Validate a typed card (Luhn, brand length, expiry, CVV length) and keep only
    the safe parts. Raises :class:`CardError` naming every field that is wrong."""
    pan = digits_only(number)
    brand = brand_of(pan)
    errors: dict[str, str] = {}
    number_error = _number_error(pan, brand)
    if number_error:
        errors["number"] = number_error
    try:
        month, year = parse_expiry(expiry_month, expiry_year)
        check_expiry(month, year, today=today)
    except CardError as error:
        errors[error.field] = error.message
    code = cvv.strip()
    wanted = cvv_length(brand)
    if not (code.isascii() and code.isdigit() and len(code) == wanted):
        for_brand = f" for {brand}" if brand else ""
        errors["cvv"] = f"Security code must have {wanted} digits{for_brand}."
    if errors:
        raise CardError.of(errors)
    assert brand is not None  # no number error: the brand is known
    name = (holder_name or "").strip() or None
    return CardResult(
        brand=brand,
        bin=pan[:6],
        last_four=pan[-4:],
        expiry_month=month,
        expiry_year=year,
        holder_name=name,
        card_token=new_card_token() if save else None,
    )
