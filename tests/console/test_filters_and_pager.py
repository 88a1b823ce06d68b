"""The Payments page's filters and the one Previous / Next pager of the console's lists:
the method filter in any case, a filter that makes no sense shown as a message (never
silently dropped), and Previous back from page 2 on payments and disputes."""

from __future__ import annotations

import re

import httpx
import pytest

from tests.ams_client import AmsClient
from tests.console.test_disputes_console import disputed_payment
from tests.gateway.integration.payloads import pay_body

BASE = "/console/m/SANDBOX_TEST_MERCHANT"
_PAYMENT_LINK = re.compile(r'href="/console/m/SANDBOX_TEST_MERCHANT/payments/(\d+)"')
_DISPUTE_LINK = re.compile(r'href="/console/m/SANDBOX_TEST_MERCHANT/disputes/([^"/]+)"')


def _pay(ams: AmsClient, **extra: str) -> str:
    reply = ams.call("payments/pay", pay_body(**extra))
    assert reply.code == "PAYMENT_IN_PROCESS", reply.body
    return str(reply.body["paymentId"])


def _link(html: str, rel: str) -> str | None:
    found = re.search(rf'rel="{rel}" href="([^"]+)"', html)
    return found.group(1).replace("&amp;", "&") if found else None


@pytest.mark.parametrize("typed", ["alipay_hk", "AliPay_HK", " ALIPAY_HK "])
def test_the_method_filter_ignores_case(console: httpx.Client, ams: AmsClient, typed: str) -> None:
    hk = _pay(ams)
    ph = _pay(ams, method="GCASH", currency="PHP")
    found = console.get(f"{BASE}/payments", params={"method": typed}).text
    assert hk in found and ph not in found


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"from": "2026-02-31"}, "from date &#39;2026-02-31&#39; is not a date: use YYYY-MM-DD"),
        ({"to": "31/01/2026"}, "to date &#39;31/01/2026&#39; is not a date"),
        ({"from": "2026-03-02", "to": "2026-03-01"}, "the from date is after the to date"),
        ({"status": "PAID"}, "status &#39;PAID&#39; is not a payment status (PROCESSING, "),
        ({"method": "ALIPAY HK"}, "is not a payment method type"),
        ({"before": "yesterday"}, "is not a page cursor"),
        ({"q": "x" * 65}, "an id has at most 64 characters"),
    ],
)
def test_a_filter_that_makes_no_sense_gets_a_message(
    console: httpx.Client, ams: AmsClient, query: dict[str, str], message: str
) -> None:
    payment_id = _pay(ams)
    refused = console.get(f"{BASE}/payments", params=query)
    assert refused.status_code == 400
    error = re.search(r'data-testid="filter-error">(.*?)</p>', refused.text, re.S)
    assert error is not None and message in error.group(1), refused.text
    assert payment_id not in refused.text  # no list that would look unfiltered
    for name, value in query.items():  # the form keeps what was typed
        if name in ("from", "to", "method", "q"):
            assert f'value="{value}"' in refused.text


def test_status_filter_in_lowercase_and_valid_dates(console: httpx.Client, ams: AmsClient) -> None:
    payment_id = _pay(ams)
    assert payment_id in console.get(f"{BASE}/payments", params={"status": "processing"}).text
    leap = console.get(f"{BASE}/payments", params={"from": "2024-02-29", "to": "2999-12-31"})
    assert leap.status_code == 200 and payment_id in leap.text


def test_payments_previous_and_next(console: httpx.Client, ams: AmsClient) -> None:
    for _ in range(53):
        _pay(ams)
    _pay(ams, method="GCASH", currency="PHP")  # filtered out below
    first = console.get(f"{BASE}/payments", params={"method": "alipay_hk"}).text
    page_one = _PAYMENT_LINK.findall(first)
    assert len(page_one) == 50 and _link(first, "prev") is None
    next_url = _link(first, "next")
    assert next_url is not None and "method=alipay_hk" in next_url
    second = console.get(next_url).text
    page_two = _PAYMENT_LINK.findall(second)
    assert len(page_two) == 3 and not set(page_two) & set(page_one)
    assert _link(second, "next") is None
    previous = _link(second, "prev")
    assert previous is not None and "method=alipay_hk" in previous
    assert _PAYMENT_LINK.findall(console.get(previous).text) == page_one


def test_disputes_previous_and_next(console: httpx.Client, ams: AmsClient) -> None:
    opened = [disputed_payment(ams, value=str(1000 + n))[1] for n in range(52)]
    first = console.get(f"{BASE}/disputes").text
    page_one = _DISPUTE_LINK.findall(first)
    assert page_one == opened[::-1][:50] and _link(first, "prev") is None
    next_url = _link(first, "next")
    assert next_url is not None
    second = console.get(next_url).text
    assert _DISPUTE_LINK.findall(second) == opened[::-1][50:]
    previous = _link(second, "prev")
    assert previous is not None
    assert _DISPUTE_LINK.findall(console.get(previous).text) == page_one
    bad = console.get(f"{BASE}/disputes", params={"after": "x"})
    assert bad.status_code == 400 and "is not a page cursor" in bad.text
