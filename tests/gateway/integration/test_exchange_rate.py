"""inquireExchangeRate: quotes from the FX table, the same prices payments lock."""

from __future__ import annotations

from decimal import Decimal

import pytest

from openams.gateway.app import Gateway
from tests.ams_client import AmsClient
from tests.gateway.integration.test_settlement_fx import _cny_to_usd, _inquiry, _set_rate, _today


def test_a_pair_is_quoted_as_the_payment_of_that_pair_locks_it(
    ams: AmsClient, gateway: Gateway
) -> None:
    reply = ams.call(
        "payments/inquireExchangeRate",
        {"productCode": "CASHIER_PAYMENT", "sellCurrency": "CNY", "buyCurrency": "USD"},
    )
    assert reply.code == "SUCCESS", reply.body
    [quote] = reply.body["quotes"]
    assert quote["quoteCurrencyPair"] == "CNY/USD"
    assert quote["quotePrice"] == Decimal("0.1404494382")  # inverse of the shipped USD/CNY
    day = _today(gateway).isoformat()
    assert quote["quoteStartTime"] == f"{day}T00:00:00+00:00"
    [payment_quote] = reply.body["paymentQuotes"]
    assert payment_quote == {
        "sellCurrency": "CNY",
        "buyCurrency": "USD",
        "quoteId": quote["quoteId"],
        "exchangeRate": quote["quotePrice"],
    }
    paid = _cny_to_usd(ams, "100")
    locked = _inquiry(ams, paid["paymentId"])["settlementQuote"]
    for key in ("quoteCurrencyPair", "quotePrice", "quoteStartTime", "quoteExpiryTime"):
        assert locked[key] == quote[key], key


def test_a_new_rate_moves_the_quote_of_today(ams: AmsClient, gateway: Gateway) -> None:
    _set_rate(gateway, "CNY", "USD", "0.15")
    reply = ams.call("payments/inquireExchangeRate", {"sellCurrency": "CNY", "buyCurrency": "USD"})
    assert reply.body["quotes"][0]["quotePrice"] == Decimal("0.15")


def test_currency_pairs_and_cross_rates(ams: AmsClient) -> None:
    reply = ams.call(
        "payments/inquireExchangeRate",
        {
            "currencyPairs": [
                {"sellCurrency": "USD", "buyCurrency": "JPY"},
                {"sellCurrency": "EUR", "buyCurrency": "JPY"},
            ],
            "rateType": "REFERENCE",
        },
    )
    assert reply.code == "SUCCESS", reply.body
    pairs = [q["quoteCurrencyPair"] for q in reply.body["quotes"]]
    assert pairs == ["USD/JPY", "EUR/JPY"]
    # JSON numbers (the SDKs type quotePrice as one), never strings
    assert all(isinstance(q["quotePrice"], int | Decimal) for q in reply.body["quotes"])


def test_payment_currency_alone_lists_every_priced_currency(ams: AmsClient) -> None:
    reply = ams.call("payments/inquireExchangeRate", {"paymentCurrency": "USD"})
    assert reply.code == "SUCCESS", reply.body
    pairs = {q["quoteCurrencyPair"] for q in reply.body["quotes"]}
    assert {"USD/CNY", "USD/JPY", "USD/EUR"} <= pairs
    assert all(pair.startswith("USD/") for pair in pairs)


@pytest.mark.parametrize(
    ("body", "code", "words"),
    [
        ({}, "PARAM_ILLEGAL", "sellCurrency and buyCurrency"),
        ({"sellCurrency": "CNY"}, "PARAM_ILLEGAL", "buyCurrency"),
        ({"sellCurrency": "XXZ", "buyCurrency": "USD"}, "PARAM_ILLEGAL", "sellCurrency"),
        (
            {"sellCurrency": "USD", "buyCurrency": "USD", "productCode": "X"},
            "PARAM_ILLEGAL",
            "productCode",
        ),
        (
            {"sellCurrency": "USD", "buyCurrency": "CNY", "rateType": "X"},
            "PARAM_ILLEGAL",
            "rateType",
        ),
        ({"sellCurrency": "USD", "buyCurrency": "ISK"}, "CURRENCY_NOT_SUPPORT", "USD/ISK"),
    ],
)
def test_bad_inquiries_say_what_is_wrong(
    ams: AmsClient, body: dict[str, str], code: str, words: str
) -> None:
    reply = ams.call("payments/inquireExchangeRate", body)
    assert reply.code == code and words in reply.result["resultMessage"], reply.body
