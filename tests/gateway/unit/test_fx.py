"""FX rate resolution, settlement rounding and the net-zero refund rule (pure domain)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from openams.gateway.domain.fx import (
    FxRate,
    RateError,
    RateNotFound,
    SettlementQuote,
    read_rates_csv,
    resolve_price,
    settle,
    share_of_gross,
)
from openams.protocol.money import Money

D = date


def _lookup(*rates: FxRate):  # type: ignore[no-untyped-def]
    def latest(base: str, quote: str, day: date) -> FxRate | None:
        found = [r for r in rates if (r.base, r.quote) == (base, quote) and r.day <= day]
        return max(found, key=lambda r: r.day) if found else None

    return latest


def test_the_freshest_candidate_wins_and_ties_prefer_direct() -> None:
    usd_cny = FxRate.parse("USD", "CNY", "8", "2024-01-01")
    cny_usd_old = FxRate.parse("CNY", "USD", "0.2", "2023-01-01")
    lookup = _lookup(usd_cny, cny_usd_old)
    fresh = resolve_price(lookup, "CNY", "USD", D(2024, 6, 1))
    assert (fresh.source, fresh.price, fresh.day) == ("inverse", Decimal("0.125"), D(2024, 1, 1))
    before = resolve_price(lookup, "CNY", "USD", D(2023, 6, 1))
    assert (before.source, before.price) == ("direct", Decimal("0.2"))
    tie = _lookup(FxRate.parse("CNY", "USD", "0.14", "2024-01-01"), usd_cny)
    assert resolve_price(tie, "CNY", "USD", D(2024, 1, 1)).source == "direct"


def test_cross_rates_go_through_usd_and_keep_ten_digits() -> None:
    lookup = _lookup(
        FxRate.parse("USD", "HKD", "7.82", "2024-01-01"),
        FxRate.parse("USD", "JPY", "150", "2024-02-01"),
    )
    price = resolve_price(lookup, "HKD", "JPY", D(2024, 3, 1))
    assert price.source == "cross"
    assert price.price == Decimal("19.18158568")  # 150 / 7.82, 10 significant digits
    assert price.day == D(2024, 1, 1)  # as old as its older leg
    with pytest.raises(RateNotFound, match=r"no FX rate for HKD/JPY on or before 2024-01-15"):
        resolve_price(lookup, "HKD", "JPY", D(2024, 1, 15))
    assert resolve_price(lookup, "JPY", "JPY", D(2024, 1, 1)).price == 1


@pytest.mark.parametrize(
    ("amount", "price", "target", "expected"),
    [
        (Money("CNY", 100), "0.1404494382", "USD", 14),
        (Money("USD", 1), "150.5", "JPY", 2),  # 1.505 JPY -> 2
        (Money("USD", 1), "250", "JPY", 2),  # 2.5 JPY -> 2 (half to even)
        (Money("USD", 1), "350", "JPY", 4),  # 3.5 JPY -> 4
        (Money("JPY", 1500), "0.0067", "USD", 1005),
        (Money("KRW", 10_000), "0.000735", "USD", 735),
        (Money("USD", 100), "0.385", "KWD", 385),  # three-decimal target
    ],
)
def test_settle_rounds_half_even_by_the_target_exponent(
    amount: Money, price: str, target: str, expected: int
) -> None:
    quote = SettlementQuote("Q", amount.currency, target, Decimal(price), 0, 1)
    assert settle(amount, quote) == Money(target, expected)


def test_the_refund_that_completes_the_payment_takes_the_rest() -> None:
    quote = SettlementQuote("Q", "CNY", "USD", Decimal("0.1437"), 0, 1)
    paid, gross = Money("CNY", 1001), Money("USD", 144)
    first = share_of_gross(
        Money("CNY", 400),
        payment_amount=paid,
        gross=gross,
        moved_before=0,
        settled_before=0,
        quote=quote,
    )
    last = share_of_gross(
        Money("CNY", 601),
        payment_amount=paid,
        gross=gross,
        moved_before=400,
        settled_before=first.value,
        quote=quote,
    )
    assert (first.value, last.value) == (57, 87)
    assert first.value + last.value == gross.value


def test_rate_files_name_the_bad_line() -> None:
    rates = read_rates_csv("Base,Quote,Rate,Date\r\nusd,eur,0.92,2025-01-01\r\n")
    assert rates == [FxRate("USD", "EUR", D(2025, 1, 1), Decimal("0.92"))]
    with pytest.raises(RateError, match="line 2: expected 4 fields"):
        read_rates_csv("base,quote,rate,date\nUSD,EUR,0.92\n")
    with pytest.raises(RateError, match="line 2: rate NaN must be a positive number"):
        read_rates_csv("base,quote,rate,date\nUSD,EUR,NaN,2025-01-01\n")
