"""Settlement across currencies: the quote locked at success, grossSettlementAmount and
settlementQuote in notifyPayment, inquiryPayment, refunds and inquiryRefund."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from openams.gateway.app import Gateway
from openams.gateway.domain.fx import FxRate
from openams.gateway.services.fx import FxService
from tests.ams_client import AmsClient
from tests.gateway.integration.payloads import new_id, pay_body

SETTLEMENT_FIELDS = ("grossSettlementAmount", "settlementQuote")


def _today(gateway: Gateway) -> date:
    return datetime.fromtimestamp(gateway.clock() / 1000, tz=UTC).date()


def _set_rate(gateway: Gateway, base: str, quote: str, rate: str) -> None:
    FxService(gateway.store, gateway.clock).set(FxRate.parse(base, quote, rate, _today(gateway)))


def _paid(ams: AmsClient, **kwargs: Any) -> dict[str, Any]:
    paid = ams.call("payments/pay", pay_body(**kwargs))
    assert paid.result["resultStatus"] == "U", paid.body
    done = ams.call(
        "testHelpers/completePayment", {"paymentId": paid.body["paymentId"], "outcome": "SUCCESS"}
    )
    assert done.body["paymentStatus"] == "SUCCESS", done.body
    return paid.body


def _cny_to_usd(ams: AmsClient, value: str) -> dict[str, Any]:
    return _paid(
        ams,
        method="ALIPAY_CN",
        currency="CNY",
        value=value,
        settlementStrategy={"settlementCurrency": "USD"},
    )


def _notes(gateway: Gateway, client_id: str, payment_id: str, kind: str) -> list[dict[str, Any]]:
    with gateway.store() as uow:
        rows = uow.outbox.for_payment(client_id, payment_id)
    return [n.body for n in rows if n.notify_type.value == kind]


def _inquiry(ams: AmsClient, payment_id: str) -> dict[str, Any]:
    reply = ams.call("payments/inquiryPayment", {"paymentId": payment_id})
    assert reply.code == "SUCCESS", reply.body
    return reply.body


def test_cny_payment_settling_in_usd_carries_the_locked_quote(
    ams: AmsClient, gateway: Gateway
) -> None:
    # The shipped table has USD/CNY 7.12 only: CNY/USD is its inverse, 10 digits.
    paid = _cny_to_usd(ams, "100")  # CNY 1.00, the AlipayCN example: USD 0.14
    [note] = _notes(gateway, ams.client_id, paid["paymentId"], "PAYMENT_RESULT")
    assert note["result"]["resultStatus"] == "S"
    assert note["paymentAmount"] == {"currency": "CNY", "value": "100"}
    assert note["grossSettlementAmount"] == {"currency": "USD", "value": "14"}
    quote = note["settlementQuote"]
    assert quote["quoteCurrencyPair"] == "CNY/USD"
    assert quote["quotePrice"] == Decimal("0.1404494382")
    assert quote["quoteId"].startswith("17") and len(quote["quoteId"]) == 34
    day = _today(gateway).isoformat()
    assert quote["quoteStartTime"] == f"{day}T00:00:00+00:00"
    assert quote["quoteExpiryTime"] > quote["quoteStartTime"]

    inquiry = _inquiry(ams, paid["paymentId"])
    assert inquiry["grossSettlementAmount"] == note["grossSettlementAmount"]
    assert inquiry["settlementQuote"] == quote

    bigger = _cny_to_usd(ams, "100000")  # CNY 1000.00 * 0.1404494382 = USD 140.4494382
    assert _inquiry(ams, bigger["paymentId"])["grossSettlementAmount"]["value"] == "14045"


def test_the_locked_quote_does_not_move_with_later_rates(ams: AmsClient, gateway: Gateway) -> None:
    _set_rate(gateway, "CNY", "USD", "0.15")
    paid = _cny_to_usd(ams, "1000")
    _set_rate(gateway, "CNY", "USD", "0.10")
    inquiry = _inquiry(ams, paid["paymentId"])
    assert inquiry["grossSettlementAmount"] == {"currency": "USD", "value": "150"}
    assert inquiry["settlementQuote"]["quotePrice"] == Decimal("0.15")


def test_same_currency_payment_carries_no_settlement_fields(
    ams: AmsClient, gateway: Gateway
) -> None:
    for extra in ({}, {"settlementStrategy": {"settlementCurrency": "HKD"}}):
        paid = _paid(ams, **extra)
        [note] = _notes(gateway, ams.client_id, paid["paymentId"], "PAYMENT_RESULT")
        inquiry = _inquiry(ams, paid["paymentId"])
        refund = ams.call(
            "payments/refund",
            {
                "refundRequestId": new_id("RF"),
                "paymentId": paid["paymentId"],
                "refundAmount": {"currency": "HKD", "value": "40"},
            },
        )
        assert refund.code == "SUCCESS"
        for body in (note, inquiry, refund.body):
            assert not set(SETTLEMENT_FIELDS) & set(body), body


def test_refunds_settle_at_the_payments_quote_and_net_to_zero(
    ams: AmsClient, gateway: Gateway
) -> None:
    _set_rate(gateway, "CNY", "USD", "0.1437")
    paid = _cny_to_usd(ams, "1001")  # CNY 10.01 -> USD 1.438437 -> 144
    gross = _inquiry(ams, paid["paymentId"])["grossSettlementAmount"]
    assert gross == {"currency": "USD", "value": "144"}
    _set_rate(gateway, "CNY", "USD", "0.2")  # refunds keep the payment's quote

    amounts = []
    # CNY 4.00 -> USD 0.5748 -> 57, twice; the last (CNY 2.01, alone 0.288837 -> 29)
    # takes what is left of the gross, 30, so the payment nets to zero.
    for value in ("400", "400", "201"):
        refund = ams.call(
            "payments/refund",
            {
                "refundRequestId": new_id("RF"),
                "paymentId": paid["paymentId"],
                "refundAmount": {"currency": "CNY", "value": value},
                "refundNotifyUrl": "http://www.yourNotifyUrl.com/refunds",
            },
        )
        assert refund.code == "SUCCESS", refund.body
        assert refund.body["settlementQuote"]["quotePrice"] == Decimal("0.1437")
        assert refund.body["settlementQuote"]["quoteCurrencyPair"] == "CNY/USD"
        amounts.append(refund.body["grossSettlementAmount"])
        again = ams.call("payments/inquiryRefund", {"refundId": refund.body["refundId"]})
        assert again.body["grossSettlementAmount"] == refund.body["grossSettlementAmount"]
        assert again.body["settlementQuote"] == refund.body["settlementQuote"]
    assert [a["value"] for a in amounts] == ["57", "57", "30"]
    assert sum(int(a["value"]) for a in amounts) == int(gross["value"])

    notes = _notes(gateway, ams.client_id, paid["paymentId"], "REFUND_RESULT")
    assert sorted(n["grossSettlementAmount"]["value"] for n in notes) == ["30", "57", "57"]
    refunds = _inquiry(ams, paid["paymentId"])["transactions"]
    assert [t["grossSettlementAmount"]["value"] for t in refunds] == ["57", "57", "30"]
    assert all(t["settlementQuote"]["quotePrice"] == Decimal("0.1437") for t in refunds)


def test_rounding_is_half_even_to_the_settlement_currency_exponent(
    ams: AmsClient, gateway: Gateway
) -> None:
    cases = [
        # (rate HKD/target, target, HKD minor units, expected target minor units)
        ("18.5", "JPY", "100", "18"),  # 18.5 JPY: half to even -> 18
        ("19.5", "JPY", "100", "20"),  # 19.5 JPY -> 20
        ("172.5", "KRW", "100", "172"),  # 172.5 KRW -> 172
        ("0.128", "USD", "1", "0"),  # HKD 0.01 -> USD 0.00128 -> 0.00
        ("0.12805", "USD", "100", "13"),  # HKD 1.00 -> USD 0.12805 -> 0.13
    ]
    for rate, target, value, expected in cases:
        _set_rate(gateway, "HKD", target, rate)
        paid = _paid(ams, value=value, settlementStrategy={"settlementCurrency": target})
        inquiry = _inquiry(ams, paid["paymentId"])
        assert inquiry["grossSettlementAmount"] == {"currency": target, "value": expected}, (
            rate,
            target,
        )
        assert Decimal(inquiry["settlementQuote"]["quotePrice"]) == Decimal(rate)


def test_a_missing_rate_leaves_the_payment_unquoted(ams: AmsClient, gateway: Gateway) -> None:
    # ISK has no rate, direct, inverse or against USD: the buyer's payment still
    # succeeds, and FX is simply not pre-locked (Antom then omits the fields).
    paid = _paid(ams, value="1000", settlementStrategy={"settlementCurrency": "ISK"})
    [note] = _notes(gateway, ams.client_id, paid["paymentId"], "PAYMENT_RESULT")
    inquiry = _inquiry(ams, paid["paymentId"])
    assert inquiry["paymentStatus"] == "SUCCESS"
    for body in (note, inquiry):
        assert not set(SETTLEMENT_FIELDS) & set(body), body
    with gateway.store() as uow:
        assert uow.settlements.for_payment(ams.client_id, paid["paymentId"]) == []
