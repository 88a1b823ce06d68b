"""The daily settlement report: a transaction file and a settlement file (CSV).

Rows are built from :class:`~openams.gateway.domain.ledger.LedgerEntry` (which
transactions settle on a day is decided there). Amounts are major-unit decimal strings
with exactly the currency's exponent digits (``12.34``, JPY ``1500``); refunds are
negative. A transaction settles for its locked amount when its payment locked a quote;
otherwise, across currencies, at the rate of the transaction's UTC day (raising
:class:`~openams.gateway.domain.fx.RateNotFound` when there is none), and in its own
currency when the payment settles in its own currency. ``docs/settlement.md`` has the
columns and an example.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from openams.gateway.domain.clock import iso
from openams.gateway.domain.errors import DomainError
from openams.gateway.domain.fx import (
    SettlementKind,
    day_start_ms,
    format_decimal,
    resolve_price,
    utc_day,
)
from openams.gateway.domain.ledger import LedgerEntry
from openams.gateway.domain.ports import UnitOfWork, UnitOfWorkFactory
from openams.protocol.money import Money, convert, major

TRANSACTION_COLUMNS: tuple[str, ...] = (
    "transactionId",
    "transactionRequestId",
    "transactionType",
    "paymentId",
    "transactionTime",
    "transactionAmountValue",
    "transactionCurrency",
    "settlementAmountValue",
    "settlementCurrency",
    "quoteCurrencyPair",
    "quotePrice",
    "paymentMethodType",
    "referenceOrderId",
    "productCode",
    "customerId",
)

SETTLEMENT_COLUMNS: tuple[str, ...] = (
    "settlementCurrency",
    "transactionCount",
    "grossPaymentAmount",
    "refundAmount",
    "disputeAmount",
    "netSettlementAmount",
    "paymentCount",
    "refundCount",
    "disputeCount",
    "settlementDate",
    "customerId",
)

DAY_MS = int(timedelta(days=1).total_seconds() * 1000)


@dataclass(frozen=True, slots=True)
class Settled:
    """One transaction in the settlement currency."""

    entry: LedgerEntry
    #: positive: what the transaction settles for, in ``currency``
    amount: Money
    pair: str
    price: str


def _settle(uow: UnitOfWork, entry: LedgerEntry) -> Settled:
    if entry.settlement is not None:
        quote = entry.settlement.quote
        return Settled(entry, entry.settlement.amount, quote.pair, format_decimal(quote.price))
    target = entry.target_currency
    if target == entry.amount.currency:
        return Settled(entry, entry.amount, "", "")
    price = resolve_price(uow.fx_rates.latest, entry.amount.currency, target, utc_day(entry.at))
    value = convert(entry.amount.value, entry.amount.currency, target, price.price)
    return Settled(
        entry, Money(target, value), f"{price.base}/{price.quote}", format_decimal(price.price)
    )


def _transaction_row(client_id: str, settled: Settled) -> dict[str, str]:
    entry, sign = settled.entry, settled.entry.sign
    return {
        "transactionId": entry.transaction_id,
        "transactionRequestId": entry.request_id,
        "transactionType": entry.kind.value,
        "paymentId": entry.payment_id,
        "transactionTime": iso(entry.at),
        "transactionAmountValue": major(sign * entry.amount.value, entry.amount.currency),
        "transactionCurrency": entry.amount.currency,
        "settlementAmountValue": major(sign * settled.amount.value, settled.amount.currency),
        "settlementCurrency": settled.amount.currency,
        "quoteCurrencyPair": settled.pair,
        "quotePrice": settled.price,
        "paymentMethodType": entry.method_type,
        "referenceOrderId": entry.reference_order_id or "",
        "productCode": entry.product_code,
        "customerId": client_id,
    }


def _settlement_rows(client_id: str, day: date, settled: Iterable[Settled]) -> list[dict[str, str]]:
    totals: dict[str, dict[str, int]] = {}
    for item in settled:
        currency = item.amount.currency
        total = totals.setdefault(
            currency,
            {"gross": 0, "refund": 0, "dispute": 0, "payments": 0, "refunds": 0, "disputes": 0},
        )
        if item.entry.kind is SettlementKind.REFUND:
            total["refund"] -= item.amount.value
            total["refunds"] += 1
        elif item.entry.kind is SettlementKind.DISPUTE:
            total["dispute"] -= item.amount.value
            total["disputes"] += 1
        else:
            total["gross"] += item.amount.value
            total["payments"] += 1
    return [
        {
            "settlementCurrency": currency,
            "transactionCount": str(t["payments"] + t["refunds"] + t["disputes"]),
            "grossPaymentAmount": major(t["gross"], currency),
            "refundAmount": major(t["refund"], currency),
            "disputeAmount": major(t["dispute"], currency),
            "netSettlementAmount": major(t["gross"] + t["refund"] + t["dispute"], currency),
            "paymentCount": str(t["payments"]),
            "refundCount": str(t["refunds"]),
            "disputeCount": str(t["disputes"]),
            "settlementDate": day.isoformat(),
            "customerId": client_id,
        }
        for currency, t in sorted(totals.items())
    ]


#: Columns that hold numbers (a refund's amounts are negative): written as they are.
NUMERIC_COLUMNS: frozenset[str] = frozenset(
    {
        "transactionAmountValue",
        "settlementAmountValue",
        "quotePrice",
        "transactionCount",
        "grossPaymentAmount",
        "refundAmount",
        "disputeAmount",
        "netSettlementAmount",
        "paymentCount",
        "refundCount",
        "disputeCount",
    }
)
#: A text cell starting with one of these is a formula to a spreadsheet (OWASP "CSV
#: injection"); a leading ``'`` is escaped too, so the prefix can always be undone.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "'")


def neutralise(value: str) -> str:
    """A text cell a spreadsheet shows as text: ``'`` before a formula-like start."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def to_csv(columns: Sequence[str], rows: Iterable[dict[str, str]]) -> str:
    """The rows as CSV; every text cell through :func:`neutralise`, numbers untouched."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(columns), lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(
        {k: v if k in NUMERIC_COLUMNS else neutralise(v) for k, v in row.items()} for row in rows
    )
    return out.getvalue()


@dataclass(frozen=True, slots=True)
class SettlementReport:
    client_id: str
    day: date
    transactions: list[dict[str, str]]
    settlements: list[dict[str, str]]

    @property
    def transaction_file_name(self) -> str:
        return f"transactions-{self.client_id}-{self.day:%Y%m%d}.csv"

    @property
    def settlement_file_name(self) -> str:
        return f"settlement-{self.client_id}-{self.day:%Y%m%d}.csv"

    def transactions_csv(self) -> str:
        return to_csv(TRANSACTION_COLUMNS, self.transactions)

    def settlement_csv(self) -> str:
        return to_csv(SETTLEMENT_COLUMNS, self.settlements)


@dataclass
class ReportService:
    uow: UnitOfWorkFactory

    def settlement_report(self, client_id: str, day: date) -> SettlementReport:
        """The day's report (UTC). Raises ``DomainError`` (CLIENT_INVALID) for an unknown
        merchant and ``RateNotFound`` when a transaction needs a rate the table lacks."""
        start = day_start_ms(day)
        with self.uow() as uow:
            if uow.merchants.get(client_id) is None:
                raise DomainError("CLIENT_INVALID", f"no merchant with client id {client_id}")
            settled = [
                _settle(uow, e) for e in uow.ledger.entries(client_id, start, start + DAY_MS)
            ]
        return SettlementReport(
            client_id=client_id,
            day=day,
            transactions=[_transaction_row(client_id, item) for item in settled],
            settlements=_settlement_rows(client_id, day, settled),
        )
