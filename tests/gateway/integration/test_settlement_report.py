"""``openams reports settlement``: the transaction and settlement files of a day, checked
against sums computed straight from the database."""

from __future__ import annotations

import csv
import io
import re
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from click.testing import CliRunner
from sqlalchemy import text

from openams.cli import main
from openams.gateway.app import Gateway
from openams.protocol.money import exponent, to_minor
from tests.ams_client import AmsClient
from tests.conftest import ShiftableClock
from tests.gateway.integration.card_payloads import card_meta, card_pay_body
from tests.gateway.integration.payloads import new_id, pay_body

DAY_MS = 86_400_000


def _complete(ams: AmsClient, payment_id: str, outcome: str = "SUCCESS") -> None:
    done = ams.call("testHelpers/completePayment", {"paymentId": payment_id, "outcome": outcome})
    assert done.result["resultStatus"] == "S", done.body


def _pay(ams: AmsClient, *, complete: str | None = "SUCCESS", **kwargs: Any) -> str:
    reply = ams.call("payments/pay", pay_body(**kwargs))
    assert reply.result["resultStatus"] == "U", reply.body
    if complete is not None:
        _complete(ams, reply.body["paymentId"], complete)
    return str(reply.body["paymentId"])


def _cny(ams: AmsClient, value: str, **kwargs: Any) -> str:
    return _pay(
        ams,
        method="ALIPAY_CN",
        currency="CNY",
        value=value,
        settlementStrategy={"settlementCurrency": "USD"},
        **kwargs,
    )


def _refund(ams: AmsClient, payment_id: str, currency: str, value: str) -> None:
    reply = ams.call(
        "payments/refund",
        {
            "refundRequestId": new_id("RF"),
            "paymentId": payment_id,
            "refundAmount": {"currency": currency, "value": value},
        },
    )
    assert reply.code == "SUCCESS", reply.body


def _run(*args: str) -> Any:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result


def _read(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))


def _minor(text: str, currency: str) -> int:
    """A signed major-unit string with exactly the currency's digits, in minor units."""
    places = exponent(currency)
    pattern = r"-?\d+" + (rf"\.\d{{{places}}}" if places else "")
    assert re.fullmatch(pattern, text), (text, currency)
    return (-1 if text.startswith("-") else 1) * to_minor(text.lstrip("-"), currency)


def _db_sums(gateway: Gateway, client_id: str, day: date) -> dict[str, dict[str, int]]:
    """Gross, refunds and counts per settlement currency, by SQL on the tables."""
    start = int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp() * 1000)
    bounds = {"c": client_id, "s": start, "e": start + DAY_MS}
    settled = (
        "LEFT JOIN transaction_settlements s ON s.client_id = t.client_id "
        "AND s.transaction_type = :kind AND s.transaction_id = t.{id}"
    )
    queries = {
        "PAYMENT": (
            "SELECT COALESCE(s.currency, t.currency), COALESCE(s.amount_value, t.amount_value) "
            "FROM payments t " + settled.format(id="payment_id") + " WHERE t.client_id = :c "
            "AND t.status = 'SUCCESS' AND t.is_authorization = 0 "
            "AND t.paid_at >= :s AND t.paid_at < :e"
        ),
        "CAPTURE": (
            "SELECT COALESCE(s.currency, t.currency), COALESCE(s.amount_value, t.amount_value) "
            "FROM captures t " + settled.format(id="capture_id") + " WHERE t.client_id = :c "
            "AND t.status = 'SUCCESS' AND t.captured_at >= :s AND t.captured_at < :e"
        ),
        "REFUND": (
            "SELECT COALESCE(s.currency, t.currency), COALESCE(s.amount_value, t.amount_value) "
            "FROM refunds t " + settled.format(id="refund_id") + " WHERE t.client_id = :c "
            "AND t.status = 'SUCCESS' AND t.refunded_at >= :s AND t.refunded_at < :e"
        ),
    }
    sums: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    with gateway.engine.connect() as conn:
        for kind, sql in queries.items():
            for currency, value in conn.execute(text(sql), {**bounds, "kind": kind}):
                if kind == "REFUND":
                    sums[currency]["refund"] -= int(value)
                    sums[currency]["refunds"] += 1
                else:
                    sums[currency]["gross"] += int(value)
                    sums[currency]["payments"] += 1
    return {currency: dict(values) for currency, values in sums.items()}


def _days_with_activity(gateway: Gateway, client_id: str) -> set[date]:
    with gateway.engine.connect() as conn:
        times = conn.execute(
            text(
                "SELECT paid_at FROM payments WHERE client_id = :c AND paid_at IS NOT NULL "
                "UNION ALL SELECT refunded_at FROM refunds WHERE client_id = :c "
                "UNION ALL SELECT captured_at FROM captures WHERE client_id = :c"
            ),
            {"c": client_id},
        ).scalars()
        return {datetime.fromtimestamp(ms / 1000, tz=UTC).date() for ms in times}


def test_report_files_match_the_database_day_by_day(
    ams: AmsClient, gateway: Gateway, clock: ShiftableClock, tmp_path: Path
) -> None:
    url = gateway.settings.database_url
    # Day 1: HKD sales (one partly refunded), CNY sales settling in USD (one partly
    # refunded), a USD card authorization captured at once settling in HKD, and
    # payments that never settle (failed, still open).
    hkd = _pay(ams, value="1000")
    _pay(ams, value="2550")
    _refund(ams, hkd, "HKD", "300")
    cny = _cny(ams, "10000")
    _cny(ams, "1001")
    _refund(ams, cny, "CNY", "2500")
    card = ams.call(
        "payments/pay",
        card_pay_body(
            card_meta(),
            value="1999",
            authorization=True,
            settlementStrategy={"settlementCurrency": "HKD"},
        ),
    )
    assert card.code == "SUCCESS", card.body
    _pay(ams, value="700", complete="FAIL")
    _pay(ams, value="800", complete=None)
    # Day 2: more sales, and refunds of day 1's payments.
    clock.advance(DAY_MS / 1000)
    _pay(ams, value="4200")
    _cny(ams, "55555")
    _refund(ams, hkd, "HKD", "700")
    _refund(ams, cny, "CNY", "7500")

    days = sorted(_days_with_activity(gateway, ams.client_id))
    assert len(days) >= 2
    seen_kinds: set[str] = set()
    for day in days:
        out = tmp_path / day.isoformat()
        result = _run(
            "reports",
            "settlement",
            "--date",
            day.isoformat(),
            "--client-id",
            ams.client_id,
            "--out",
            str(out),
            "--database-url",
            url,
        )
        assert result.exit_code == 0, result.output
        stamp = f"{day:%Y%m%d}"
        transactions = _read(out / f"transactions-{ams.client_id}-{stamp}.csv")
        settlement = _read(out / f"settlement-{ams.client_id}-{stamp}.csv")
        expected = _db_sums(gateway, ams.client_id, day)

        by_currency: dict[str, int] = defaultdict(int)
        for row in transactions:
            seen_kinds.add(row["transactionType"])
            currency = row["settlementCurrency"]
            by_currency[currency] += _minor(row["settlementAmountValue"], currency)
            assert row["transactionCurrency"] and row["transactionTime"].startswith(day.isoformat())
            if row["transactionCurrency"] == currency:
                assert row["quotePrice"] == ""
                assert row["settlementAmountValue"] == row["transactionAmountValue"]
            else:
                assert Decimal(row["quotePrice"]) > 0
            if row["transactionType"] == "REFUND":
                assert row["transactionAmountValue"].startswith("-")
        assert {r["settlementCurrency"] for r in settlement} == set(expected)
        for row in settlement:
            currency = row["settlementCurrency"]
            want = expected[currency]
            net = want["gross"] + want["refund"]
            assert _minor(row["grossPaymentAmount"], currency) == want["gross"]
            assert _minor(row["refundAmount"], currency) == want["refund"]
            assert _minor(row["netSettlementAmount"], currency) == net
            assert by_currency[currency] == net
            assert int(row["transactionCount"]) == want["payments"] + want["refunds"]
            assert row["settlementDate"] == day.isoformat()
    assert seen_kinds == {"PAYMENT", "REFUND", "CAPTURE"}


def test_transaction_file_columns_and_formats(
    ams: AmsClient, gateway: Gateway, tmp_path: Path
) -> None:
    hkd = _pay(ams, value="1234")
    _refund(ams, hkd, "HKD", "34")
    today = datetime.fromtimestamp(gateway.clock() / 1000, tz=UTC).date()
    result = _run(
        "reports",
        "settlement",
        "--date",
        today.isoformat(),
        "--client-id",
        ams.client_id,
        "--out",
        str(tmp_path),
        "--database-url",
        gateway.settings.database_url,
    )
    assert result.exit_code == 0, result.output
    rows = _read(tmp_path / f"transactions-{ams.client_id}-{today:%Y%m%d}.csv")
    payment = next(r for r in rows if r["transactionType"] == "PAYMENT")
    refund = next(r for r in rows if r["transactionType"] == "REFUND")
    assert payment["transactionId"] == hkd == payment["paymentId"]
    assert payment["transactionAmountValue"] == "12.34"
    assert payment["transactionCurrency"] == payment["settlementCurrency"] == "HKD"
    assert payment["paymentMethodType"] == "ALIPAY_HK"
    assert payment["referenceOrderId"].startswith("ORDER_")
    assert refund["transactionAmountValue"] == "-0.34" == refund["settlementAmountValue"]
    assert refund["paymentId"] == hkd and refund["transactionRequestId"].startswith("RF_")
    datetime.fromisoformat(refund["transactionTime"])  # ISO 8601


def test_a_missing_rate_fails_clearly_until_the_rate_is_set(
    ams: AmsClient, gateway: Gateway, tmp_path: Path
) -> None:
    _pay(ams, value="1000", settlementStrategy={"settlementCurrency": "ISK"})  # no quote locked
    today = datetime.fromtimestamp(gateway.clock() / 1000, tz=UTC).date()
    url = gateway.settings.database_url
    args = ["reports", "settlement", "--date", today.isoformat(), "--client-id", ams.client_id]
    out = tmp_path / "reports"
    args += ["--out", str(out), "--database-url", url]
    failed = CliRunner().invoke(main, args)
    assert failed.exit_code == 2
    assert "no FX rate for HKD/ISK" in failed.output and "openams fx set" in failed.output
    assert not out.exists()

    yesterday = (today - timedelta(days=1)).isoformat()
    assert _run("fx", "set", "HKD", "ISK", "17.75", "--date", yesterday, "--database-url", url)
    done = _run(*args)
    assert done.exit_code == 0, done.output
    [row] = _read(out / f"transactions-{ams.client_id}-{today:%Y%m%d}.csv")
    # converted at report time, at the rate in force that day: 10.00 * 17.75 = ISK 177.5 -> 178
    assert (row["settlementCurrency"], row["settlementAmountValue"]) == ("ISK", "178")
    assert (row["quoteCurrencyPair"], row["quotePrice"]) == ("HKD/ISK", "17.75")


def test_unknown_merchant_and_bad_date_are_refused(gateway: Gateway, tmp_path: Path) -> None:
    url = gateway.settings.database_url
    for day, client, message in (
        ("2025-01-01", "NOBODY", "no merchant with client id NOBODY"),
        ("2025-13-01", "NOBODY", "is not YYYY-MM-DD"),
    ):
        result = CliRunner().invoke(
            main,
            [
                "reports",
                "settlement",
                "--date",
                day,
                "--client-id",
                client,
                "--out",
                str(tmp_path),
                "--database-url",
                url,
            ],
        )
        assert result.exit_code == 2 and message in result.output, result.output
