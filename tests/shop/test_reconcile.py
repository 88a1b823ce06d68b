"""The reconciliation parser and comparator, with hand-made transaction files."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from openams.shop.reconcile import (
    Outcome,
    ReconciliationFileError,
    ShopTransaction,
    date_from_filename,
    parse_transactions,
    reconcile,
)

# Columns in an unusual order, with extra ones the parser does not need.
HEADER = (
    "settlementCurrency,transactionType,transactionRequestId,transactionId,paymentId,"
    "transactionTime,transactionCurrency,transactionAmountValue,settlementAmountValue,"
    "quotePrice,paymentMethodType,referenceOrderId,extraColumn"
)
DAY = date(2026, 11, 21)
PAID = datetime(2026, 11, 21, 9, 30, tzinfo=UTC)


def csv_of(*rows: str, header: str = HEADER) -> bytes:
    return ("\r\n".join((header, *rows)) + "\r\n").encode()


def row(
    request_id: str,
    value: str = "88.00",
    currency: str = "HKD",
    kind: str = "PAYMENT",
    when: str = "2026-11-21T09:30:01+00:00",
) -> str:
    return (
        f"USD,{kind},{request_id},T-{request_id},P-{request_id},{when},{currency},{value},"
        f"11.30,0.128,ALIPAY_HK,ORDER-{request_id},x"
    )


def shop_payment(
    request_id: str,
    amount: int = 8800,
    currency: str = "HKD",
    status: str = "SUCCESS",
    paid_at: datetime | None = PAID,
) -> ShopTransaction:
    return ShopTransaction(
        request_id, "PAYMENT", f"ORDER-{request_id}", amount, currency, status, paid_at
    )


def test_rows_are_read_by_header_name_with_amounts_in_minor_units() -> None:
    rows = parse_transactions(
        b"\xef\xbb\xbf"  # a BOM, as spreadsheet programs write
        + csv_of(row("PAY1"), row("PAY2", "1500", "JPY"), row("R1", "-12.34", "USD", "REFUND"))
    )
    assert [(r.request_id, r.transaction_type, r.amount, r.currency) for r in rows] == [
        ("PAY1", "PAYMENT", 8800, "HKD"),
        ("PAY2", "PAYMENT", 1500, "JPY"),
        ("R1", "REFUND", -1234, "USD"),
    ]
    assert rows[0].line == 2 and rows[0].payment_id == "P-PAY1"
    assert rows[0].time == datetime(2026, 11, 21, 9, 30, 1, tzinfo=UTC)
    assert rows[0].reference_order_id == "ORDER-PAY1"


def test_every_outcome_is_found() -> None:
    rows = parse_transactions(
        csv_of(
            row("MATCH"),
            row("UNKNOWN"),
            row("AMOUNT", "80.00"),
            row("CURRENCY", "88.00", "USD"),
            row("PENDING"),
        )
    )
    shop = [
        shop_payment("MATCH"),
        shop_payment("AMOUNT"),
        shop_payment("CURRENCY"),
        shop_payment("PENDING", status="PENDING", paid_at=None),
        shop_payment("MISSING"),
        shop_payment("OTHER-DAY", paid_at=datetime(2026, 11, 20, 23, 59, tzinfo=UTC)),
        shop_payment("FAILED", status="FAIL", paid_at=None),
    ]
    report = reconcile(rows, shop, DAY)
    outcomes = {f.request_id: f.outcome for f in report.findings}
    assert outcomes == {
        "MATCH": Outcome.MATCHED,
        "UNKNOWN": Outcome.UNKNOWN_TO_SHOP,
        "AMOUNT": Outcome.AMOUNT_DIFFERS,
        "CURRENCY": Outcome.AMOUNT_DIFFERS,
        "PENDING": Outcome.STATUS_DIFFERS,
        "MISSING": Outcome.MISSING_FROM_FILE,
    }
    assert report.counts == {
        Outcome.MATCHED: 1,
        Outcome.UNKNOWN_TO_SHOP: 1,
        Outcome.MISSING_FROM_FILE: 1,
        Outcome.AMOUNT_DIFFERS: 2,
        Outcome.STATUS_DIFFERS: 1,
    }
    assert len(report.mismatches) == 5
    amount = next(f for f in report.findings if f.request_id == "AMOUNT")
    assert (amount.file_amount, amount.shop_amount) == ("HKD 80.00", "HKD 88.00")
    assert "PENDING" in next(f for f in report.findings if f.request_id == "PENDING").detail


def test_the_day_comes_from_the_rows_or_the_file_name() -> None:
    rows = parse_transactions(csv_of(row("A")))
    assert reconcile(rows, [shop_payment("B")]).date == DAY
    assert reconcile(rows, [shop_payment("B")]).count(Outcome.MISSING_FROM_FILE) == 1
    spread = parse_transactions(csv_of(row("A"), row("C", when="2026-11-22T01:00:00Z")))
    unknown_day = reconcile(spread, [shop_payment("B")])
    assert unknown_day.date is None and unknown_day.count(Outcome.MISSING_FROM_FILE) == 0
    assert date_from_filename("transactions-SANDBOX_X-20261121.csv") == DAY
    assert date_from_filename("settlement-SANDBOX_X-20261121.csv") is None
    assert date_from_filename("transactions-SANDBOX_X-20261399.csv") is None


def test_an_empty_day_reports_every_shop_payment_of_that_day_missing() -> None:
    report = reconcile(parse_transactions(csv_of()), [shop_payment("A")], DAY)
    assert [f.outcome for f in report.findings] == [Outcome.MISSING_FROM_FILE]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "the file is empty"),
        (b"\xff\xfe\x00t\x00r", "not UTF-8"),
        (b"name,amount\r\ntea,1\r\n", "the header lacks transactionId, transactionRequestId"),
        (csv_of(row("A", "12.345", "USD")), "line 2: transactionAmountValue"),
        (csv_of(row("A", "1500.5", "JPY")), "more decimals than JPY allows"),
        (csv_of(row("A", "ten", "USD")), "not a decimal amount"),
        (csv_of(row("A", "1.00", "XYZ")), "unknown currency 'XYZ'"),
        (csv_of(row("A", when="yesterday")), "line 2: transactionTime 'yesterday'"),
        (csv_of(row("A", kind="VOID")), "transactionType 'VOID' is not one of"),
        (csv_of(row("A"), row("A")), "line 3: PAYMENT A is already on line 2"),
        (csv_of(row("A"), "PAYMENT,B"), "line 3: 13 columns expected"),
        (csv_of(row("A") + ",surplus"), "line 2: 13 columns expected"),
        (csv_of(row("")), "line 2: transactionRequestId is empty"),
        (csv_of('"unterminated'), "not valid CSV"),
    ],
)
def test_a_malformed_file_gets_a_clear_message(data: bytes, message: str) -> None:
    with pytest.raises(ReconciliationFileError) as raised:
        parse_transactions(data)
    assert message in str(raised.value)


def test_errors_are_listed_with_their_lines_up_to_a_limit() -> None:
    data = csv_of(*(row(f"A{i}", "bad") for i in range(30)))
    with pytest.raises(ReconciliationFileError) as raised:
        parse_transactions(data)
    message = str(raised.value)
    assert message.startswith("line 2: ") and "line 11: " in message
    assert message.count("line ") == 10


def test_the_gateways_formula_prefix_is_undone() -> None:
    """The gateway writes ``'`` before a text cell that starts like a formula (issue 18
    item 7); the parser reads the id the merchant sent, so the comparison still matches.
    A leading ``'`` not followed by a formula start is kept as it is."""
    data = csv_of(
        row("'=HYPERLINK(1)").replace("ORDER-'=", "'-ORDER-="),
        row("'-5", value="-88.00", kind="REFUND"),
        row("'plain"),
    )
    parsed = parse_transactions(data)
    assert [p.request_id for p in parsed] == ["=HYPERLINK(1)", "-5", "'plain"]
    assert parsed[0].reference_order_id == "-ORDER-=HYPERLINK(1)"
    assert parsed[0].transaction_id == "T-'=HYPERLINK(1)"
    assert parsed[1].amount == -8800
    shop = [
        shop_payment("=HYPERLINK(1)"),
        ShopTransaction("-5", "REFUND", "ORDER--5", 8800, "HKD", "SUCCESS", PAID),
        shop_payment("'plain"),
    ]
    outcomes = [f.outcome for f in reconcile(parsed, shop, DAY).findings]
    assert outcomes == [Outcome.MATCHED] * 3
