"""Money on the console: major units with the currency, and the refund box parsing what
a person types with the currency's exponent.

JPY has no decimals, HKD two, KWD three. No payment method of the gateway takes KWD
(``methods/catalogue.py``), so KWD reaches the console as a settlement currency (an
HKD payment settled in KWD at a locked quote) and, for the refund box, through
:func:`parse_major` itself.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from openams.gateway.app import Gateway
from openams.gateway.domain.fx import FxRate
from openams.gateway.services.fx import FxService
from openams.protocol.money import AmountError, major, parse_major, show
from tests.ams_client import AmsClient
from tests.console.conftest import csrf_of
from tests.gateway.integration.payloads import pay_body

BASE = "/console/m/SANDBOX_TEST_MERCHANT"


@pytest.mark.parametrize(
    ("currency", "minor", "shown"),
    [
        ("JPY", 3000, "JPY 3000"),
        ("JPY", 1, "JPY 1"),
        ("HKD", 3000, "HKD 30.00"),
        ("HKD", 5, "HKD 0.05"),
        ("KWD", 30000, "KWD 30.000"),
        ("KWD", 1, "KWD 0.001"),
    ],
)
def test_show_and_parse_are_each_others_inverse(currency: str, minor: int, shown: str) -> None:
    assert show(minor, currency) == shown
    assert parse_major(shown.split()[1], currency) == minor


@given(
    st.integers(min_value=1, max_value=10**13),
    st.sampled_from(["JPY", "HKD", "KWD", "BHD", "USD"]),
)
def test_any_amount_round_trips(minor: int, currency: str) -> None:
    assert parse_major(major(minor, currency), currency) == minor


@pytest.mark.parametrize(
    ("typed", "currency", "message"),
    [
        ("", "HKD", "enter an amount in HKD, e.g. 30.00"),
        ("   ", "JPY", "enter an amount in JPY, e.g. 30"),
        ("30.001", "HKD", "30.001 has more decimals than HKD allows (at most 2 decimals)"),
        ("1.5", "JPY", "1.5 has more decimals than JPY allows (no decimals)"),
        ("1.2345", "KWD", "1.2345 has more decimals than KWD allows (at most 3 decimals)"),
        ("-5", "HKD", "-5 is negative"),
        ("-0.50", "HKD", "-0.50 is negative"),
        ("abc", "HKD", "'abc' is not an amount"),
        ("1e3", "HKD", "'1e3' is not an amount"),
        ("1.2.3", "HKD", "is not an amount"),
        ("NaN", "KWD", "is not an amount"),
        ("0", "HKD", "greater than zero"),
        ("0.000", "KWD", "greater than zero"),
    ],
)
def test_parse_major_refuses_with_a_clear_message(typed: str, currency: str, message: str) -> None:
    with pytest.raises(AmountError) as refused:
        parse_major(typed, currency)
    assert message in str(refused.value)


def _paid(ams: AmsClient, **kwargs: object) -> str:
    paid = ams.call("payments/pay", pay_body(**kwargs))  # type: ignore[arg-type]
    assert paid.code == "PAYMENT_IN_PROCESS", paid.body
    payment_id = str(paid.body["paymentId"])
    done = ams.call("testHelpers/completePayment", {"paymentId": payment_id, "outcome": "SUCCESS"})
    assert done.body["paymentStatus"] == "SUCCESS", done.body
    return payment_id


def _refund(console: httpx.Client, page: str, amount: str) -> str:
    token = csrf_of(console.get(page).text)
    reply = console.post(f"{page}/refund", data={"csrf_token": token, "amount": amount})
    assert reply.status_code == 303, reply.text
    return console.get(reply.headers["location"]).text


def _field(html: str, testid: str) -> str:
    found = re.search(rf'data-testid="{testid}">(.*?)</', html, re.S)
    assert found, testid
    return re.sub(r"<[^>]+>", "", found.group(1)).strip()


def _refund_box(html: str) -> str:
    found = re.search(r'name="amount"[^>]*value="([^"]*)"', html)
    assert found, "no refund box"
    return found.group(1)


@pytest.mark.parametrize(
    ("method", "currency", "value", "typed", "refunded", "left"),
    [
        ("PAYPAY", "JPY", "8800", "3000", "JPY 3000", "5800"),
        ("ALIPAY_HK", "HKD", "8800", "30.00", "HKD 30.00", "58.00"),
        ("ALIPAY_HK", "HKD", "8800", "30", "HKD 30.00", "58.00"),
    ],
)
def test_amounts_read_and_refund_in_major_units(
    console: httpx.Client,
    ams: AmsClient,
    gateway: Gateway,
    method: str,
    currency: str,
    value: str,
    typed: str,
    refunded: str,
    left: str,
) -> None:
    payment_id = _paid(ams, method=method, currency=currency, value=value)
    page = f"{BASE}/payments/{payment_id}"
    whole = show(int(value), currency)
    listing = console.get(f"{BASE}/payments", params={"q": payment_id}).text
    assert whole in listing and "minor units" not in listing
    detail = console.get(page).text
    assert _field(detail, "amount") == whole
    assert f"created for {whole}" in detail
    assert _refund_box(detail) == major(int(value), currency)  # all of it, in major units

    after = _refund(console, page, typed)
    assert f"of {refunded} accepted" in after
    assert f": {refunded} SUCCESS" in after  # the timeline entry, with its currency
    assert _field(after, "refunded") == refunded
    assert _refund_box(after) == left
    detail_now = gateway.console.detail("SANDBOX_TEST_MERCHANT", payment_id)
    assert detail_now is not None
    assert [r.amount.value for r in detail_now.refunds] == [parse_major(typed, currency)]


@pytest.mark.parametrize(
    ("method", "currency", "value", "typed", "message"),
    [
        ("ALIPAY_HK", "HKD", "8800", "30.001", "more decimals than HKD allows"),
        ("PAYPAY", "JPY", "8800", "1.5", "more decimals than JPY allows"),
        ("ALIPAY_HK", "HKD", "8800", "-3", "is negative"),
        ("ALIPAY_HK", "HKD", "8800", "", "enter an amount in HKD"),
        ("ALIPAY_HK", "HKD", "8800", "thirty", "is not an amount"),
        ("ALIPAY_HK", "HKD", "8800", "90.00", "cannot refund HKD 90.00"),
    ],
)
def test_a_refused_refund_says_why_in_the_currency_and_refunds_nothing(
    console: httpx.Client,
    ams: AmsClient,
    gateway: Gateway,
    method: str,
    currency: str,
    value: str,
    typed: str,
    message: str,
) -> None:
    payment_id = _paid(ams, method=method, currency=currency, value=value)
    text = _refund(console, f"{BASE}/payments/{payment_id}", typed)
    alert = re.search(r'role="alert">(.*?)</p>', text, re.S)
    assert alert is not None and message in alert.group(1), text
    detail = gateway.console.detail("SANDBOX_TEST_MERCHANT", payment_id)
    assert detail is not None and detail.refunds == []


def test_a_three_decimal_settlement_amount_reads_in_major_units(
    console: httpx.Client, ams: AmsClient, gateway: Gateway
) -> None:
    today = datetime.fromtimestamp(gateway.clock() / 1000, tz=UTC).date()
    FxService(gateway.store, gateway.clock).set(FxRate.parse("HKD", "KWD", "0.0385", today))
    payment_id = _paid(ams, value="10000", settlementStrategy={"settlementCurrency": "KWD"})
    detail = console.get(f"{BASE}/payments/{payment_id}").text
    assert _field(detail, "amount") == "HKD 100.00"
    assert _field(detail, "settlement").startswith("KWD 3.850 at 0.0385 HKD/KWD")
