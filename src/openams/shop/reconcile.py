"""Reconciling the gateway's daily transaction file with the shop's own payments.

Pure: no database, no web, no gateway. :func:`parse_transactions` reads the CSV that
``openams reports settlement`` writes (``transactions-<clientId>-<YYYYMMDD>.csv``),
by header name, so extra columns and any column order are fine. :func:`reconcile`
compares its rows with the shop's payments by request id (paymentRequestId,
refundRequestId, captureRequestId) and sorts each into one :class:`Outcome`.

A file that cannot be read raises :class:`ReconciliationFileError`, whose message says
what is wrong and on which line.
"""

from __future__ import annotations

import csv
import enum
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from openams.protocol.money import AmountError, from_minor, to_minor

#: Columns the comparison needs; the file may have more, in any order.
REQUIRED_COLUMNS: tuple[str, ...] = (
    "transactionId",
    "transactionRequestId",
    "transactionType",
    "paymentId",
    "transactionTime",
    "transactionAmountValue",
    "transactionCurrency",
)
TRANSACTION_TYPES = frozenset({"PAYMENT", "REFUND", "CAPTURE"})
MAX_FILE_BYTES = 5 * 1024 * 1024
#: Errors listed before the parser gives up on a file.
MAX_REPORTED_ERRORS = 10
_FILE_DATE = re.compile(r"transactions-.+-(\d{8})\.csv$")


class ReconciliationFileError(ValueError):
    """The uploaded file is not a transaction file this page can read."""


class Outcome(enum.Enum):
    MATCHED = "matched"
    UNKNOWN_TO_SHOP = "in the file, unknown to the shop"
    MISSING_FROM_FILE = "paid in the shop, missing from the file"
    AMOUNT_DIFFERS = "amount or currency differs"
    STATUS_DIFFERS = "status differs"


@dataclass(frozen=True)
class FileTransaction:
    """One row of the transaction file; amounts in minor units (refunds may be negative)."""

    line: int
    transaction_id: str
    request_id: str
    transaction_type: str
    payment_id: str
    time: datetime
    amount: int
    currency: str
    reference_order_id: str = ""
    payment_method_type: str = ""


@dataclass(frozen=True)
class ShopTransaction:
    """One of the shop's payment attempts, as the shop sees it."""

    request_id: str
    transaction_type: str
    order_id: str
    amount: int
    currency: str
    status: str  # the shop's status: PENDING, SUCCESS, FAIL, CANCELLING, CANCELLED
    paid_at: datetime | None = None


@dataclass(frozen=True)
class Finding:
    outcome: Outcome
    request_id: str
    transaction_type: str
    order_id: str
    file_amount: str
    shop_amount: str
    detail: str


@dataclass
class Report:
    """The comparison of one file with the shop: a finding per transaction."""

    date: date | None
    findings: list[Finding] = field(default_factory=list)

    def count(self, outcome: Outcome) -> int:
        return sum(1 for finding in self.findings if finding.outcome is outcome)

    @property
    def counts(self) -> dict[Outcome, int]:
        return {outcome: self.count(outcome) for outcome in Outcome}

    @property
    def mismatches(self) -> list[Finding]:
        return [f for f in self.findings if f.outcome is not Outcome.MATCHED]


def date_from_filename(filename: str | None) -> date | None:
    """The day in ``transactions-<clientId>-<YYYYMMDD>.csv``; None for any other name."""
    match = _FILE_DATE.search(filename or "")
    if match is None:
        return None
    try:
        return datetime.strptime(match.group(1), "%Y%m%d").date()
    except ValueError:
        return None


def _text(data: bytes) -> str:
    if not data.strip():
        raise ReconciliationFileError("the file is empty")
    if len(data) > MAX_FILE_BYTES:
        raise ReconciliationFileError(
            f"the file is larger than {MAX_FILE_BYTES // (1024 * 1024)} MiB"
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ReconciliationFileError(
            f"the file is not UTF-8 text (byte {exc.start}); upload the CSV as written"
        ) from None


#: The gateway writes a text cell that starts like a formula with a leading ``'`` (CSV
#: injection, docs/settlement.md); it escapes a leading ``'`` the same way.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "'")


def _text_cell(value: str | None) -> str:
    """A text cell as the merchant sent it: stripped, the gateway's ``'`` prefix undone."""
    text = (value or "").strip()
    return text[1:] if text.startswith("'") and text[1:].startswith(_FORMULA_STARTS) else text


def _time(text: str) -> datetime:
    moment = datetime.fromisoformat(text.strip())
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _minor(text: str, currency: str) -> int:
    """A major-unit decimal (``12.34``; JPY ``1500``) in minor units; a leading ``-`` kept."""
    value = text.strip()
    negative = value.startswith("-")
    minor = to_minor(value[1:] if negative else value, currency)
    return -minor if negative else minor


def _row(line: int, row: dict[str, str]) -> FileTransaction:
    """One data row; raises ValueError with a message about the bad field."""
    for name in REQUIRED_COLUMNS:
        if not (row.get(name) or "").strip():
            raise ValueError(f"{name} is empty")
    kind = row["transactionType"].strip().upper()
    if kind not in TRANSACTION_TYPES:
        raise ValueError(
            f"transactionType {row['transactionType'][:20]!r} is not one of "
            f"{', '.join(sorted(TRANSACTION_TYPES))}"
        )
    currency = row["transactionCurrency"].strip().upper()
    try:
        amount = _minor(row["transactionAmountValue"], currency)
    except AmountError as exc:
        raise ValueError(f"transactionAmountValue: {exc}") from None
    try:
        moment = _time(row["transactionTime"])
    except ValueError:
        raise ValueError(
            f"transactionTime {row['transactionTime'][:40]!r} is not an ISO 8601 time"
        ) from None
    return FileTransaction(
        line=line,
        transaction_id=_text_cell(row["transactionId"]),
        request_id=_text_cell(row["transactionRequestId"]),
        transaction_type=kind,
        payment_id=_text_cell(row["paymentId"]),
        time=moment,
        amount=amount,
        currency=currency,
        reference_order_id=_text_cell(row.get("referenceOrderId")),
        payment_method_type=_text_cell(row.get("paymentMethodType")),
    )


def parse_transactions(data: bytes) -> list[FileTransaction]:
    """Every row of a transaction file, or :class:`ReconciliationFileError` saying why not."""
    reader = csv.DictReader(io.StringIO(_text(data), newline=""), strict=True)
    try:
        header = [name.strip() for name in reader.fieldnames or []]
    except csv.Error as exc:
        raise ReconciliationFileError(f"line 1: not a CSV header ({exc})") from None
    reader.fieldnames = header
    missing = [name for name in REQUIRED_COLUMNS if name not in header]
    if missing:
        raise ReconciliationFileError(
            "this is not a transaction file: the header lacks "
            + ", ".join(missing)
            + " (expected the transactions-<clientId>-<YYYYMMDD>.csv of "
            "openams reports settlement)"
        )
    rows: list[FileTransaction] = []
    errors: list[str] = []
    seen: dict[tuple[str, str], int] = {}
    try:
        for row in reader:
            line = reader.line_num
            if None in row or any(value is None for value in row.values()):
                errors.append(f"line {line}: {len(header)} columns expected")
            else:
                try:
                    parsed = _row(line, row)
                except ValueError as exc:
                    errors.append(f"line {line}: {exc}")
                else:
                    key = (parsed.transaction_type, parsed.request_id)
                    if key in seen:
                        errors.append(
                            f"line {line}: {parsed.transaction_type} {parsed.request_id} "
                            f"is already on line {seen[key]}"
                        )
                    seen[key] = line
                    rows.append(parsed)
            if len(errors) >= MAX_REPORTED_ERRORS:
                break
    except csv.Error as exc:
        errors.append(f"line {reader.line_num}: not valid CSV ({exc})")
    if errors:
        raise ReconciliationFileError("; ".join(errors))
    return rows


def _money(amount: int, currency: str) -> str:
    return f"{currency} {from_minor(amount, currency)}" if currency else str(amount)


def _day_of(rows: Sequence[FileTransaction]) -> date | None:
    days = {row.time.astimezone(UTC).date() for row in rows}
    return days.pop() if len(days) == 1 else None


def reconcile(
    rows: Sequence[FileTransaction],
    shop: Iterable[ShopTransaction],
    day: date | None = None,
) -> Report:
    """Compare the file's rows with the shop's transactions.

    ``day`` (UTC) is the file's date; without it, the one date all rows share. Shop
    payments paid that day but absent from the file are MISSING_FROM_FILE; with no day
    known, that check is skipped.
    """
    day = day or _day_of(rows)
    known = {(t.transaction_type, t.request_id): t for t in shop}
    report = Report(date=day)
    in_file: set[tuple[str, str]] = set()
    for row in rows:
        key = (row.transaction_type, row.request_id)
        in_file.add(key)
        ours = known.get(key)
        report.findings.append(_compare(row, ours))
    for key, ours in sorted(known.items()):
        if key in in_file or ours.status not in ("SUCCESS", "CANCELLING"):
            continue
        paid_day = ours.paid_at.astimezone(UTC).date() if ours.paid_at else None
        if day is not None and paid_day == day:
            report.findings.append(
                Finding(
                    Outcome.MISSING_FROM_FILE,
                    ours.request_id,
                    ours.transaction_type,
                    ours.order_id,
                    "",
                    _money(ours.amount, ours.currency),
                    f"the shop recorded it paid on {paid_day.isoformat()} (UTC)",
                )
            )
    return report


def _compare(row: FileTransaction, ours: ShopTransaction | None) -> Finding:
    file_amount = _money(row.amount, row.currency)
    if ours is None:
        order = row.reference_order_id
        return Finding(
            Outcome.UNKNOWN_TO_SHOP,
            row.request_id,
            row.transaction_type,
            order,
            file_amount,
            "",
            f"line {row.line}: the shop has no {row.transaction_type.lower()} with this id",
        )
    shop_amount = _money(ours.amount, ours.currency)

    def finding(outcome: Outcome, detail: str) -> Finding:
        return Finding(
            outcome,
            row.request_id,
            row.transaction_type,
            ours.order_id,
            file_amount,
            shop_amount,
            detail,
        )

    if ours.status != "SUCCESS":
        return finding(
            Outcome.STATUS_DIFFERS,
            f"line {row.line}: settled by the gateway, but the shop has it {ours.status}",
        )
    if (abs(row.amount), row.currency) != (ours.amount, ours.currency):
        return finding(Outcome.AMOUNT_DIFFERS, f"line {row.line}: {file_amount} != {shop_amount}")
    return finding(Outcome.MATCHED, f"line {row.line}")
