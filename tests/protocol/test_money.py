"""Money: minor-unit exponents, wire value validation and conversions (never floats)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from openams.protocol.money import (
    CURRENCY_EXPONENTS,
    MAX_VALUE_DIGITS,
    MINOR_VALUE_MULTIPLE,
    AmountError,
    Money,
    convert,
    exponent,
    from_minor,
    is_currency,
    to_minor,
)

#: The official SDK's tools/resources/amount-currency-rules.json (1.7.1): 24 currencies.
_SDK_ZERO = "CLP JPY KRW VND"
_SDK_TWO = "AUD BDT BRL CAD CNY EUR GBP HKD IDR MXN MYR NZD PEN PHP PKR PLN SGD THB TWD USD"
OFFICIAL_SDK_EXPONENTS = {
    **{code: 0 for code in _SDK_ZERO.split()},
    **{code: 2 for code in _SDK_TWO.split()},
}


# ------------------------------------------------------------------ the exponent table


def test_table_contains_every_official_sdk_currency_with_the_same_exponent() -> None:
    assert len(OFFICIAL_SDK_EXPONENTS) == 24
    mismatched = {
        code: (CURRENCY_EXPONENTS.get(code), want)
        for code, want in OFFICIAL_SDK_EXPONENTS.items()
        if CURRENCY_EXPONENTS.get(code) != want
    }
    assert mismatched == {}


@pytest.mark.parametrize(
    ("currency", "expected"),
    [("JPY", 0), ("KRW", 0), ("USD", 2), ("HKD", 2), ("KWD", 3), ("BHD", 3), ("CLF", 4)],
)
def test_exponent_per_class(currency: str, expected: int) -> None:
    assert exponent(currency) == expected


def test_table_is_well_formed() -> None:
    assert set(CURRENCY_EXPONENTS.values()) == {0, 2, 3, 4}
    for code in CURRENCY_EXPONENTS:
        assert len(code) == 3
        assert code.isascii()
        assert code.isupper()
        assert code.isalpha()


@pytest.mark.parametrize("code", ["XXX", "usd", "US", "USDT", "", "BTC"])
def test_unknown_currency_is_refused(code: str) -> None:
    assert not is_currency(code)
    with pytest.raises(AmountError, match="currency"):
        exponent(code)
    with pytest.raises(AmountError, match="currency"):
        Money.parse(code, "100")


@pytest.mark.parametrize("currency", [None, 840, b"USD", ""])
def test_non_string_currency_is_refused(currency: object) -> None:
    with pytest.raises(AmountError, match="currency"):
        Money.parse(currency, "100")


# ------------------------------------------------------------------ Money.parse


@pytest.mark.parametrize(
    ("currency", "value", "minor", "text"),
    [
        ("JPY", "1", 1, "JPY 1"),
        ("JPY", "1000", 1000, "JPY 1000"),
        ("USD", "100", 100, "USD 1.00"),
        ("USD", "1", 1, "USD 0.01"),
        ("HKD", "12345", 12345, "HKD 123.45"),
        ("KWD", "1000", 1000, "KWD 1.000"),
        ("KWD", "1", 1, "KWD 0.001"),
        ("CLF", "10000", 10000, "CLF 1.0000"),
        ("CLF", "12345", 12345, "CLF 1.2345"),
        ("IDR", "10000", 10000, "IDR 100.00"),
    ],
)
def test_parse_each_exponent_class(currency: str, value: str, minor: int, text: str) -> None:
    money = Money.parse(currency, value)
    assert money == Money(currency, minor)
    assert money.wire() == {"currency": currency, "value": str(minor)}
    assert str(money) == text
    assert money.to_decimal() == from_minor(minor, currency)


def test_parse_strips_leading_zeros() -> None:
    assert Money.parse("USD", "00100") == Money("USD", 100)
    assert Money.parse("USD", "00100").wire()["value"] == "100"


def test_parse_accepts_a_json_integer() -> None:
    assert Money.parse("USD", 100) == Money("USD", 100)


def test_sixteen_digits_is_the_limit() -> None:
    biggest = "9" * MAX_VALUE_DIGITS
    assert MAX_VALUE_DIGITS == 16
    assert Money.parse("USD", biggest).value == int(biggest)
    with pytest.raises(AmountError, match="16"):
        Money.parse("USD", "1" + "0" * MAX_VALUE_DIGITS)
    with pytest.raises(AmountError, match="16"):
        Money.parse("USD", 10**MAX_VALUE_DIGITS)


def test_sixteen_characters_counts_leading_zeros_as_the_official_sdk_does() -> None:
    """The wire field holds at most 16 characters; AmountUtil.validate refuses 17."""
    assert Money.parse("USD", "0" * 15 + "1").value == 1
    with pytest.raises(AmountError, match="16"):
        Money.parse("USD", "0" * 16 + "1")


@pytest.mark.parametrize("value", ["0", "000", 0])
def test_zero_is_refused(value: object) -> None:
    with pytest.raises(AmountError, match="greater than zero"):
        Money.parse("USD", value)


@pytest.mark.parametrize("value", ["-1", "-100", -100])
def test_negative_is_refused(value: object) -> None:
    with pytest.raises(AmountError, match="digits"):
        Money.parse("USD", value)


@pytest.mark.parametrize("value", [1.0, 100.5, Decimal("100")])
def test_float_and_decimal_values_are_refused(value: object) -> None:
    with pytest.raises(AmountError, match="string of digits"):
        Money.parse("USD", value)


@pytest.mark.parametrize("value", [True, False])
def test_bool_is_refused(value: bool) -> None:
    with pytest.raises(AmountError, match="required"):
        Money.parse("USD", value)


def test_none_is_refused() -> None:
    with pytest.raises(AmountError, match="value is required"):
        Money.parse("USD", None)


@pytest.mark.parametrize(
    "value",
    [
        "",
        "1.00",
        "1,000",
        "1e3",
        "0x10",
        "\uff11\uff10\uff10",
        "\u00b2",
        "10 0",
        "+100",
        "abc",
        "1_000",
    ],
)
def test_non_digit_strings_are_refused_with_an_example(value: str) -> None:
    with pytest.raises(AmountError, match=r'USD 1\.00 is "100"'):
        Money.parse("USD", value)


def test_messages_name_the_currency_example_per_exponent() -> None:
    with pytest.raises(AmountError, match=r'JPY 1\.00 is "1"'):
        Money.parse("JPY", "1.5")
    with pytest.raises(AmountError, match=r'KWD 1\.00 is "1000"'):
        Money.parse("KWD", "x")


def test_idr_must_be_a_multiple_of_100() -> None:
    assert MINOR_VALUE_MULTIPLE == {"IDR": 100}
    assert Money.parse("IDR", "1500000").value == 1500000
    for value in ("150", "1000001", "99"):
        with pytest.raises(AmountError, match="multiple of 100"):
            Money.parse("IDR", value)
    # the rule is IDR's alone
    assert Money.parse("USD", "150").value == 150


@given(
    currency=st.sampled_from(sorted(CURRENCY_EXPONENTS)),
    minor=st.integers(min_value=1, max_value=10**MAX_VALUE_DIGITS - 1),
)
def test_property_parse_wire_round_trip(currency: str, minor: int) -> None:
    minor *= MINOR_VALUE_MULTIPLE.get(currency, 1)
    if minor >= 10**MAX_VALUE_DIGITS:
        return
    money = Money.parse(currency, str(minor))
    assert money.value == minor
    assert Money.parse(**money.wire()) == money
    assert to_minor(money.to_decimal(), currency) == minor


# ------------------------------------------------------------------ to_minor / from_minor


@pytest.mark.parametrize(
    ("major", "currency", "minor"),
    [
        ("12.34", "USD", 1234),
        ("12.3", "USD", 1230),
        ("12", "USD", 1200),
        ("12.340", "USD", 1234),
        ("0.01", "USD", 1),
        ("100", "JPY", 100),
        ("100.0", "JPY", 100),
        ("1.234", "KWD", 1234),
        ("1.2345", "CLF", 12345),
        (Decimal("9.99"), "EUR", 999),
        (7, "USD", 700),
    ],
)
def test_to_minor(major: str | Decimal, currency: str, minor: int) -> None:
    assert to_minor(major, currency) == minor


@pytest.mark.parametrize(
    ("major", "currency"),
    [("12.345", "USD"), ("1.5", "JPY"), ("0.0001", "KWD"), ("1.23456", "CLF"), ("0.001", "HKD")],
)
def test_to_minor_refuses_excess_precision(major: str, currency: str) -> None:
    with pytest.raises(AmountError, match=f"more decimals than {currency} allows"):
        to_minor(major, currency)


@pytest.mark.parametrize("major", ["abc", "", "NaN", "Infinity", "-Infinity", "1e400000", "1,00"])
def test_to_minor_refuses_what_is_not_a_finite_amount(major: str) -> None:
    with pytest.raises(AmountError):
        to_minor(major, "USD")


@pytest.mark.parametrize("major", [1.5, 0.1, True])
def test_to_minor_refuses_floats_and_bools(major: object) -> None:
    with pytest.raises(AmountError, match=r"float|bool"):
        to_minor(major, "USD")  # type: ignore[arg-type]


def test_to_minor_refuses_negative_amounts() -> None:
    with pytest.raises(AmountError, match="negative"):
        to_minor("-1.00", "USD")


def test_to_minor_refuses_more_than_16_digits() -> None:
    assert to_minor("99999999999999.99", "USD") == 9999999999999999
    with pytest.raises(AmountError, match="16"):
        to_minor("100000000000000.00", "USD")


def test_to_minor_refuses_unknown_currency() -> None:
    with pytest.raises(AmountError, match="currency"):
        to_minor("1.00", "XXX")


@pytest.mark.parametrize(
    ("minor", "currency", "major"),
    [
        (1234, "USD", "12.34"),
        (1, "USD", "0.01"),
        (100, "JPY", "100"),
        (1234, "KWD", "1.234"),
        (12345, "CLF", "1.2345"),
    ],
)
def test_from_minor(minor: int, currency: str, major: str) -> None:
    assert from_minor(minor, currency) == Decimal(major)
    assert str(from_minor(minor, currency)) == major


# ------------------------------------------------------------------ convert


@pytest.mark.parametrize(
    ("value", "source", "target", "rate", "expected"),
    [
        # exact
        (10000, "CNY", "USD", Decimal("0.14"), 1400),
        (100, "USD", "JPY", Decimal("150"), 150),
        # half-even to the TARGET exponent: 0.5 JPY goes to the even neighbour
        (1, "USD", "JPY", Decimal("150"), 2),  # 1.5 -> 2
        (3, "USD", "JPY", Decimal("150"), 4),  # 4.5 -> 4
        (5, "USD", "JPY", Decimal("150"), 8),  # 7.5 -> 8
        (1, "USD", "JPY", Decimal("250"), 2),  # 2.5 -> 2
        # USD (2) target: 0.125 -> 0.12, 0.135 -> 0.14
        (125, "JPY", "USD", Decimal("0.001"), 12),
        (135, "JPY", "USD", Decimal("0.001"), 14),
        # KWD (3) target: 1.0005 -> 1.000, 1.0015 -> 1.002
        (10005, "USD", "KWD", Decimal("0.01"), 1000),
        (10015, "USD", "KWD", Decimal("0.01"), 1002),
        # CLF (4) target: 0.00125 CLF -> 0.0012
        (125, "USD", "CLF", Decimal("0.001"), 12),
    ],
)
def test_convert_rounds_half_even_by_target_exponent(
    value: int, source: str, target: str, rate: Decimal, expected: int
) -> None:
    assert convert(value, source, target, rate) == expected


def test_convert_same_currency_at_par_is_identity() -> None:
    assert convert(12345, "USD", "USD", Decimal(1)) == 12345
