"""AlipayCN currency, settlement and chinaExtraTransInfo rules (spec §8.3, §8.4)."""

from __future__ import annotations

import json
from collections.abc import Mapping

import pytest
from hypothesis import given
from hypothesis import strategies as st

from openams.gateway.domain.alipaycn import (
    PAYMENT_CURRENCIES,
    SETTLEMENT_CURRENCIES,
    check_alipaycn,
    parse_china_extra_trans_info,
)
from openams.gateway.domain.errors import DomainError
from openams.protocol.money import CURRENCY_EXPONENTS

ALL_CONTRACTED = SETTLEMENT_CURRENCIES
SEED_EXTEND_INFO = (
    '{"chinaExtraTransInfo":{"totalQuantity":"2","businessType":"4",'
    '"goodsInfo":"Macbook 12 inch M3 8G 256G SSD^1|Apple iPad Pro 11 inch^1"}}'
)
DOC_EXTEND_INFO = {
    "chinaExtraTransInfo": {
        "businessType": "4",
        "goodsInfo": "pencil^2|eraser^5|iPhone XS 256G^1",
        "totalQuantity": "8",
    }
}


def check(
    payment: str,
    settlement: str | None,
    extend_info: str | Mapping[str, object] | None = None,
    contracted: tuple[str, ...] = ALL_CONTRACTED,
) -> None:
    check_alipaycn(payment, settlement, extend_info, contracted_settlement_currencies=contracted)


def refusal(
    payment: str,
    settlement: str | None,
    extend_info: str | Mapping[str, object] | None = None,
    contracted: tuple[str, ...] = ALL_CONTRACTED,
) -> DomainError:
    with pytest.raises(DomainError) as caught:
        check(payment, settlement, extend_info, contracted)
    return caught.value


def test_currency_lists() -> None:
    assert len(PAYMENT_CURRENCIES) == 15
    assert "CNY" in PAYMENT_CURRENCIES and "CHF" in PAYMENT_CURRENCIES
    assert set(SETTLEMENT_CURRENCIES) == set(PAYMENT_CURRENCIES) - {"CNY"}
    assert all(c in CURRENCY_EXPONENTS for c in PAYMENT_CURRENCIES)


def test_seed_request_is_accepted() -> None:
    check("USD", "USD", SEED_EXTEND_INFO)


def test_cny_payment_settles_in_usd() -> None:
    check("CNY", "USD")


def test_cny_payment_may_settle_in_any_settlement_currency() -> None:
    for settlement in SETTLEMENT_CURRENCIES:
        check("CNY", settlement)


def test_cny_settlement_is_refused() -> None:
    error = refusal("CNY", "CNY")
    assert error.code == "SETTLE_CONTRACT_NOT_MATCH"
    assert "CNY" in error.message
    assert refusal("USD", "CNY").code == "SETTLE_CONTRACT_NOT_MATCH"


def test_foreign_payment_must_settle_in_its_own_currency() -> None:
    check("USD", "USD")
    error = refusal("USD", "EUR")
    assert error.code == "SETTLE_CONTRACT_NOT_MATCH"
    assert error.message == "an ALIPAY_CN payment in USD must settle in USD, not EUR"


def test_chf_payment_is_allowed() -> None:
    check("CHF", "CHF")


@given(st.sampled_from(SETTLEMENT_CURRENCIES), st.sampled_from(SETTLEMENT_CURRENCIES))
def test_every_pair_of_foreign_currencies(payment: str, settlement: str) -> None:
    if payment == settlement:
        check(payment, settlement)
    else:
        assert refusal(payment, settlement).code == "SETTLE_CONTRACT_NOT_MATCH"


@pytest.mark.parametrize("settlement", [None, ""])
def test_missing_settlement_is_refused(settlement: str | None) -> None:
    error = refusal("USD", settlement)
    assert error.code == "PARAM_ILLEGAL"
    assert "settlementStrategy.settlementCurrency is required" in error.message


def test_malformed_settlement_code() -> None:
    assert refusal("USD", "usd").code == "PARAM_ILLEGAL"
    assert refusal("USD", "DOLLARS").code == "PARAM_ILLEGAL"


@pytest.mark.parametrize("payment", ["BRL", "KRW", "MYR", "PHP"])
def test_payment_currency_outside_the_fifteen(payment: str) -> None:
    error = refusal(payment, payment)
    assert error.code == "CURRENCY_NOT_SUPPORT"
    assert payment in error.message and "CHF" in error.message


def test_settlement_currency_outside_the_list() -> None:
    error = refusal("CNY", "BRL")
    assert error.code == "SETTLE_CONTRACT_NOT_MATCH"
    assert "BRL" in error.message


def test_settlement_must_be_contracted() -> None:
    error = refusal("CNY", "USD", contracted=("EUR", "GBP"))
    assert error.code == "SETTLE_CONTRACT_NOT_MATCH"
    assert "EUR, GBP" in error.message
    check("CNY", "EUR", contracted=("EUR", "GBP"))
    assert refusal("USD", "USD", contracted=()).code == "SETTLE_CONTRACT_NOT_MATCH"


def test_contract_can_be_any_iterable() -> None:
    check_alipaycn("USD", "USD", None, contracted_settlement_currencies=iter(["USD"]))


# --- chinaExtraTransInfo -----------------------------------------------------------------


def test_extend_info_as_string_and_as_object() -> None:
    assert parse_china_extra_trans_info(SEED_EXTEND_INFO) == {
        "totalQuantity": "2",
        "businessType": "4",
        "goodsInfo": "Macbook 12 inch M3 8G 256G SSD^1|Apple iPad Pro 11 inch^1",
    }
    assert parse_china_extra_trans_info(DOC_EXTEND_INFO) == DOC_EXTEND_INFO["chinaExtraTransInfo"]
    assert (
        parse_china_extra_trans_info(json.dumps(DOC_EXTEND_INFO, indent=3))
        == (DOC_EXTEND_INFO["chinaExtraTransInfo"])
    )
    check("CNY", "USD", DOC_EXTEND_INFO)
    check("CNY", "USD", SEED_EXTEND_INFO)


@pytest.mark.parametrize("extend_info", [None, "", "{}", {}, '{"other": 1}'])
def test_china_extra_trans_info_is_optional(extend_info: str | dict[str, object] | None) -> None:
    assert parse_china_extra_trans_info(extend_info) is None
    check("USD", "USD", extend_info)


def test_unknown_fields_are_ignored_and_integers_become_text() -> None:
    info = {"chinaExtraTransInfo": {"totalQuantity": 3, "whatever": [1], "hotelName": None}}
    assert parse_china_extra_trans_info(info) == {"totalQuantity": "3"}


@pytest.mark.parametrize(
    ("extend_info", "fragment"),
    [
        ('{"chinaExtraTransInfo": {', "not valid JSON"),
        ("not json at all", "not valid JSON"),
        ('["chinaExtraTransInfo"]', "must be a JSON object"),
        ('"a string"', "must be a JSON object"),
        ('{"chinaExtraTransInfo": "4"}', "chinaExtraTransInfo must be a JSON object"),
        ('{"chinaExtraTransInfo": ["4"]}', "chinaExtraTransInfo must be a JSON object"),
        ('{"chinaExtraTransInfo": {"businessType": {"code": 4}}}', "businessType must be"),
        ('{"chinaExtraTransInfo": {"goodsInfo": ["pen^1"]}}', "goodsInfo must be a string"),
        ('{"chinaExtraTransInfo": {"totalQuantity": true}}', "totalQuantity must be"),
        ('{"chinaExtraTransInfo": {"totalQuantity": 1.5}}', "totalQuantity must be"),
    ],
)
def test_malformed_extend_info_is_refused(extend_info: str, fragment: str) -> None:
    with pytest.raises(DomainError) as caught:
        parse_china_extra_trans_info(extend_info)
    assert caught.value.code == "PARAM_ILLEGAL"
    assert fragment in caught.value.message
    assert refusal("USD", "USD", extend_info).code == "PARAM_ILLEGAL"


def test_malformed_object_is_refused() -> None:
    with pytest.raises(DomainError) as caught:
        parse_china_extra_trans_info({"chinaExtraTransInfo": {"flightNumber": 123.0}})
    assert caught.value.code == "PARAM_ILLEGAL"
