"""Console: the settlement report page and its two CSV downloads (issue #7)."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime

import httpx

from openams.gateway.app import Gateway
from openams.gateway.services.reports import ReportService
from tests.ams_client import AmsClient
from tests.gateway.integration.payloads import new_id, pay_body


def _paid(ams: AmsClient, **kwargs: object) -> str:
    paid = ams.call("payments/pay", pay_body(**kwargs)).body
    ams.call("testHelpers/completePayment", {"paymentId": paid["paymentId"], "outcome": "SUCCESS"})
    return str(paid["paymentId"])


def _today(gateway: Gateway) -> str:
    return datetime.fromtimestamp(gateway.clock() / 1000, tz=UTC).date().isoformat()


def test_download_both_files_for_a_day(
    console: httpx.Client, ams: AmsClient, gateway: Gateway
) -> None:
    hkd = _paid(ams, value="1500")
    _paid(
        ams,
        method="ALIPAY_CN",
        currency="CNY",
        value="100",
        settlementStrategy={"settlementCurrency": "USD"},
    )
    refund = ams.call(
        "payments/refund",
        {
            "refundRequestId": new_id("RF"),
            "paymentId": hkd,
            "refundAmount": {"currency": "HKD", "value": "500"},
        },
    )
    assert refund.code == "SUCCESS"
    day = _today(gateway)
    base = f"/console/m/{ams.client_id}/reports"

    page = console.get(base, params={"date": day})
    assert page.status_code == 200
    assert f'href="{base}"' in console.get(f"/console/m/{ams.client_id}/payments").text
    links = re.findall(r'href="([^"]+\.csv\?date=[^"]+)"', page.text)
    assert links == [f"{base}/transactions.csv?date={day}", f"{base}/settlement.csv?date={day}"]
    assert "HKD" in page.text and "USD" in page.text

    expected = ReportService(gateway.store).settlement_report(
        ams.client_id, datetime.fromisoformat(day).date()
    )
    stamp = day.replace("-", "")
    for link, name, body in zip(
        links,
        (f"transactions-{ams.client_id}-{stamp}.csv", f"settlement-{ams.client_id}-{stamp}.csv"),
        (expected.transactions_csv(), expected.settlement_csv()),
        strict=True,
    ):
        download = console.get(link)
        assert download.status_code == 200
        assert download.headers["content-type"] == "text/csv; charset=utf-8"
        assert download.headers["content-disposition"] == f"attachment; filename*=UTF-8''{name}"
        assert download.text == body
    settlement = {
        row["settlementCurrency"]: row
        for row in csv.DictReader(io.StringIO(console.get(links[1]).text))
    }
    assert settlement["HKD"]["netSettlementAmount"] == "10.00"
    assert settlement["HKD"]["refundAmount"] == "-5.00"
    assert settlement["USD"]["grossPaymentAmount"] == "0.14"


def test_reports_need_a_session_and_good_input(
    console: httpx.Client, http: httpx.Client, ams: AmsClient, gateway: Gateway
) -> None:
    base = f"/console/m/{ams.client_id}/reports"
    for url in (base, f"{base}/settlement.csv?date=2025-01-01"):
        anonymous = http.get(url, follow_redirects=False)
        assert anonymous.status_code == 303
        assert anonymous.headers["location"] == "/console/login"
    assert console.get(base, params={"date": "2025-02-30"}).status_code == 400
    assert console.get(f"{base}/settlement.csv").status_code == 400  # no date
    assert console.get(f"{base}/other.csv?date=2025-01-01").status_code == 404
    assert (
        console.get("/console/m/NOBODY/reports/settlement.csv?date=2025-01-01").status_code == 404
    )
    empty = console.get(base, params={"date": "2001-01-01"})
    assert empty.status_code == 200 and "No transaction settled on 2001-01-01" in empty.text

    _paid(ams, value="1000", settlementStrategy={"settlementCurrency": "ISK"})  # no rate
    missing = console.get(f"{base}/transactions.csv", params={"date": _today(gateway)})
    assert missing.status_code == 409
    assert "no FX rate for HKD/ISK" in missing.text


def test_formula_cells_are_neutralised_and_the_shop_still_reconciles(
    console: httpx.Client, ams: AmsClient, gateway: Gateway
) -> None:
    """Issue 18 item 7: merchant-supplied ids that a spreadsheet would run as formulas are
    written with a leading ``'``; amounts (negative refunds too) stay plain numbers; the
    shop's reconciliation parser undoes the prefix and matches the file."""
    from openams.shop.reconcile import Outcome, ShopTransaction, parse_transactions, reconcile

    suffix = new_id("")[-8:]
    ids = {
        "=": (f'=HYPERLINK("http://x")-{suffix}', f"=HYPERLINK(1)-{suffix}"),
        "+": (f"+PR{suffix}", f"+ORD{suffix}"),
        "-": (f"-PR{suffix}", f"-ORD{suffix}"),
        "@": (f"@SUM(A1)-{suffix}", f"@ORD{suffix}"),
        "'": (f"'quoted-{suffix}", f"'ORD{suffix}"),
    }
    paid: dict[str, str] = {}
    for request_id, order_id in ids.values():
        order = dict(pay_body(value="1500")["order"], referenceOrderId=order_id)
        paid[request_id] = _paid(ams, request_id=request_id, value="1500", order=order)
    refund_id = f"=1+2-{suffix}"
    first = next(iter(paid.values()))
    refund = ams.call(
        "payments/refund",
        {
            "refundRequestId": refund_id,
            "paymentId": first,
            "refundAmount": {"currency": "HKD", "value": "500"},
        },
    )
    assert refund.code == "SUCCESS"
    day = _today(gateway)
    text = console.get(
        f"/console/m/{ams.client_id}/reports/transactions.csv", params={"date": day}
    ).text
    rows = list(csv.DictReader(io.StringIO(text)))
    by_request = {row["transactionRequestId"]: row for row in rows}
    for request_id, order_id in ids.values():
        row = by_request[f"'{request_id}"]
        assert row["referenceOrderId"] == f"'{order_id}"
        assert row["transactionAmountValue"] == "15.00"
    refund_row = by_request[f"'{refund_id}"]
    assert refund_row["transactionAmountValue"] == "-5.00"
    assert refund_row["settlementAmountValue"] == "-5.00"
    for row in rows:  # no cell a spreadsheet would evaluate
        assert not any(v[:1] in ("=", "+", "@", "\t", "\r") for v in row.values())
        text_cells = [v for k, v in row.items() if not k.endswith("Value") and k != "quotePrice"]
        assert not any(v.startswith("-") for v in text_cells)
    settlement = console.get(
        f"/console/m/{ams.client_id}/reports/settlement.csv", params={"date": day}
    ).text
    (hkd,) = list(csv.DictReader(io.StringIO(settlement)))
    assert hkd["refundAmount"] == "-5.00" and hkd["netSettlementAmount"] == "70.00"

    parsed = parse_transactions(text.encode())
    assert {p.request_id for p in parsed} == {*paid, refund_id}
    assert {p.reference_order_id for p in parsed} == {o for _, o in ids.values()}
    paid_at = datetime.now(UTC)
    shop = [
        ShopTransaction(r, "PAYMENT", o, 1500, "HKD", "SUCCESS", paid_at) for r, o in ids.values()
    ]
    shop.append(ShopTransaction(refund_id, "REFUND", ids["="][1], 500, "HKD", "SUCCESS", paid_at))
    report = reconcile(parsed, shop)
    assert [f.outcome for f in report.findings] == [Outcome.MATCHED] * len(parsed)
