"""``openams fx list | set | import`` against a real database."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

from click.testing import CliRunner, Result

from openams.cli import main
from openams.gateway.app import Gateway
from openams.gateway.domain.alipaycn import SETTLEMENT_CURRENCIES
from openams.gateway.domain.fx import read_rates_csv
from openams.gateway.services.fx import FxService, price_on
from openams.gateway.store.fx import SHIPPED_RATES_CSV


def _fx(url: str, *args: str) -> Result:
    return CliRunner().invoke(main, ["fx", *args, "--database-url", url])


def _listed(result: Result) -> list[tuple[str, str, str, str]]:
    assert result.exit_code == 0, result.output
    lines = result.output.strip().splitlines()
    assert lines[0] == "base,quote,rate,date"
    return [tuple(line.split(",")) for line in lines[1:]]  # type: ignore[misc]


def test_the_shipped_table_covers_every_alipaycn_currency(gateway: Gateway) -> None:
    url = gateway.settings.database_url
    listed = _listed(_fx(url, "list"))
    shipped = read_rates_csv(SHIPPED_RATES_CSV.read_text())
    assert len(listed) == len(shipped)
    with gateway.store() as uow:  # every AlipayCN payment currency into every settlement one
        for currency in SETTLEMENT_CURRENCIES:
            for base in {"CNY", currency}:
                assert price_on(uow, base, currency, date(2026, 1, 1)).price > 0, (base, currency)
        assert price_on(uow, "CNY", "USD", date(2026, 1, 1)).source == "inverse"


def test_set_then_list_by_day(gateway: Gateway) -> None:
    url = gateway.settings.database_url
    assert _fx(url, "set", "cny", "usd", "0.1401", "--date", "2025-03-01").exit_code == 0
    assert _fx(url, "set", "CNY", "USD", "0.1399", "--date", "2025-03-05").exit_code == 0
    replaced = _fx(url, "set", "CNY", "USD", "0.1398", "--date", "2025-03-05")
    assert replaced.output.strip() == "CNY/USD = 0.1398 from 2025-03-05"

    def cny_usd(day: str) -> list[tuple[str, str, str, str]]:
        return [
            row for row in _listed(_fx(url, "list", "--date", day)) if row[:2] == ("CNY", "USD")
        ]

    assert cny_usd("2025-02-28") == []
    assert cny_usd("2025-03-04") == [("CNY", "USD", "0.1401", "2025-03-01")]
    assert cny_usd("2025-03-05") == [("CNY", "USD", "0.1398", "2025-03-05")]
    every = [row for row in _listed(_fx(url, "list")) if row[:2] == ("CNY", "USD")]
    assert [row[3] for row in every] == ["2025-03-01", "2025-03-05"]
    # The latest rate on or before the day is the one a payment uses.
    fx = FxService(gateway.store, gateway.clock)
    assert fx.price("CNY", "USD", date(2025, 3, 4)).price == Decimal("0.1401")
    assert fx.price("CNY", "USD", date(2030, 1, 1)).price == Decimal("0.1398")


def test_import_is_all_or_nothing(gateway: Gateway, tmp_path: Path) -> None:
    url = gateway.settings.database_url
    good = tmp_path / "rates.csv"
    good.write_text("base,quote,rate,date\nEUR,JPY,161.5,2025-04-01\n\nGBP,HKD,9.91,2025-04-01\n")
    imported = _fx(url, "import", str(good))
    assert imported.exit_code == 0 and "imported 2 rates" in imported.output
    listed = _listed(_fx(url, "list", "--date", "2025-04-01"))
    assert ("EUR", "JPY", "161.5", "2025-04-01") in listed
    assert ("GBP", "HKD", "9.91", "2025-04-01") in listed

    bad = tmp_path / "bad.csv"
    bad.write_text("base,quote,rate,date\nEUR,CHF,0.95,2025-04-02\nEUR,XXX,1,2025-04-02\n")
    refused = _fx(url, "import", str(bad))
    assert refused.exit_code == 2
    assert "line 3" in refused.output and "'XXX' is not an active ISO 4217 code" in refused.output
    assert ("EUR", "CHF", "0.95", "2025-04-02") not in _listed(_fx(url, "list"))


def test_bad_input_gets_a_clear_error(gateway: Gateway, tmp_path: Path) -> None:
    url = gateway.settings.database_url
    headerless = tmp_path / "headerless.csv"
    headerless.write_text("EUR,JPY,161.5,2025-04-01\n")
    cases = [
        (("set", "CNY", "USD", "0"), "must be a positive number"),
        (("set", "CNY", "USD", "1e400"), "too large"),
        (("set", "CNY", "USD", "0.1234567890123"), "more than 12 decimal places"),
        (("set", "CNY", "CNY", "1"), "always 1"),
        (("set", "CNY", "USD", "0.14", "--date", "01/02/2025"), "is not YYYY-MM-DD"),
        (("list", "--date", "tomorrow"), "is not YYYY-MM-DD"),
        (("import", str(headerless)), "line 1: the header must be base,quote,rate,date"),
    ]
    for args, message in cases:
        result = _fx(url, *args)
        assert result.exit_code == 2, (args, result.output)
        assert message in result.output, (args, result.output)
