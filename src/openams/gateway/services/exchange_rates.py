"""inquireExchangeRate: today's quotes from the FX table payments lock their quotes from.

The quote of ``SELL/BUY`` is the price of one unit of ``sellCurrency`` in
``buyCurrency`` on the current UTC day, found by the same lookup (direct, inverse or
through USD) that locks a payment's ``settlementQuote``: a payment in SELL settling in
BUY made today locks the same ``quotePrice``. Quotes run from the start of the UTC day
to the start of the next, as the locked ones do.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from openams.gateway.domain.clock import Clock
from openams.gateway.domain.errors import DomainError, param_illegal
from openams.gateway.domain.fx import (
    FxRate,
    RateError,
    RateNotFound,
    SettlementQuote,
    parse_currency,
    resolve_price,
    utc_day,
)
from openams.gateway.domain.merchant import Merchant
from openams.gateway.domain.ports import UnitOfWorkFactory
from openams.gateway.services.pay_rules import blank
from openams.protocol.results import result
from openams.protocol.vaulting import InquireExchangeRateRequest

PRODUCT_CODES = ("CASHIER_PAYMENT", "AGREEMENT_PAYMENT")
RATE_TYPES = ("TRADE", "REFERENCE", "REFERENCE_TRADE")


def _currency(value: str | None, name: str) -> str:
    try:
        return parse_currency(str(value or ""), name)
    except RateError as exc:
        raise param_illegal(str(exc)) from None


def requested_pairs(request: InquireExchangeRateRequest) -> list[tuple[str, str]] | None:
    """The (sell, buy) pairs asked for; None when only ``paymentCurrency`` is given."""
    pairs: list[tuple[str, str]] = []
    if not blank(request.sell_currency) or not blank(request.buy_currency):
        pairs.append(
            (
                _currency(request.sell_currency, "sellCurrency"),
                _currency(request.buy_currency, "buyCurrency"),
            )
        )
    for index, pair in enumerate(request.currency_pairs or ()):
        pairs.append(
            (
                _currency(pair.sell_currency, f"currencyPairs[{index}].sellCurrency"),
                _currency(pair.buy_currency, f"currencyPairs[{index}].buyCurrency"),
            )
        )
    if pairs:
        return list(dict.fromkeys(pairs))
    if blank(request.payment_currency):
        raise param_illegal(
            "name the rates: sellCurrency and buyCurrency, currencyPairs, or paymentCurrency"
        )
    return None


@dataclass
class ExchangeRateService:
    uow: UnitOfWorkFactory
    clock: Clock

    def inquire(self, _merchant: Merchant, request: InquireExchangeRateRequest) -> dict[str, Any]:
        code = request.product_code
        if not blank(code) and code not in PRODUCT_CODES:
            raise param_illegal(
                f"productCode must be one of {', '.join(PRODUCT_CODES)}, got {code!r}"
            )
        if not blank(request.rate_type) and request.rate_type not in RATE_TYPES:
            raise param_illegal(
                f"rateType must be one of {', '.join(RATE_TYPES)}, got {request.rate_type!r}"
            )
        pairs = requested_pairs(request)
        now = self.clock()
        day = utc_day(now)
        with self.uow() as uow:
            # one read: every pair's rate in force today, the rates `latest` would find
            in_force = {(rate.base, rate.quote): rate for rate in uow.fx_rates.all(day)}

        def lookup(base: str, quote: str, _day: date) -> FxRate | None:
            return in_force.get((base, quote))

        quotes: list[SettlementQuote] = []
        if pairs is None:
            payment = _currency(request.payment_currency, "paymentCurrency")
            others = sorted({c for pair in in_force for c in pair} - {payment})
            for other in others:
                try:
                    price = resolve_price(lookup, payment, other, day)
                except RateNotFound:
                    continue  # only what the table can price
                quotes.append(SettlementQuote.lock(price, day, now))
        else:
            for sell, buy in pairs:
                try:
                    price = resolve_price(lookup, sell, buy, day)
                except RateNotFound:
                    raise DomainError(
                        "CURRENCY_NOT_SUPPORT",
                        f"no exchange rate for {sell}/{buy} on {day.isoformat()}",
                    ) from None
                quotes.append(SettlementQuote.lock(price, day, now))
        return {
            "result": result("SUCCESS", "success"),
            "quotes": [quote.wire() for quote in quotes],
            "paymentQuotes": [
                {
                    "sellCurrency": quote.base,
                    "buyCurrency": quote.quote,
                    "quoteId": quote.quote_id,
                    "exchangeRate": quote.price.normalize(),
                }
                for quote in quotes
            ],
        }
