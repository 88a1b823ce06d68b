"""``openams fx``: the daily FX rates used for settlement amounts."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

from openams.cli._common import (
    database_option,
    fail,
    main,
    open_store,
)


@contextmanager
def _fx_service(database_url: str) -> Iterator[Any]:
    from openams.gateway.domain.clock import system_clock
    from openams.gateway.services.fx import FxService

    with open_store(database_url) as store:
        yield FxService(store, system_clock)


def _day_option(help_text: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    return click.option("--date", "day", default=None, metavar="YYYY-MM-DD", help=help_text)


@main.group()
def fx() -> None:
    """Daily FX rates used for settlement amounts (docs/settlement.md)."""


@fx.command("list")
@_day_option("Only the rate of each pair in force on this day (UTC).")
@database_option
def fx_list(day: str | None, database_url: str) -> None:
    """Print the stored rates as CSV (base,quote,rate,date)."""
    from openams.gateway.domain.fx import CSV_COLUMNS, RateError, format_decimal, parse_day

    try:
        on = parse_day(day) if day else None
    except RateError as exc:
        fail(str(exc))
        return
    with _fx_service(database_url) as service:
        rates = service.rates(on)
    click.echo(",".join(CSV_COLUMNS))
    for rate in rates:
        click.echo(f"{rate.base},{rate.quote},{format_decimal(rate.rate)},{rate.day.isoformat()}")


@fx.command("set")
@click.argument("base")
@click.argument("quote")
@click.argument("rate")
@_day_option("The day the rate applies from (UTC); default today.")
@database_option
def fx_set(base: str, quote: str, rate: str, day: str | None, database_url: str) -> None:
    """Set the rate of BASE/QUOTE (one BASE buys RATE QUOTE) from a day on."""
    from datetime import UTC, datetime

    from openams.gateway.domain.fx import FxRate, RateError, format_decimal

    try:
        parsed = FxRate.parse(base, quote, rate, day or datetime.now(UTC).date().isoformat())
    except RateError as exc:
        fail(str(exc))
        return
    with _fx_service(database_url) as service:
        service.set(parsed)
    click.echo(f"{parsed.pair} = {format_decimal(parsed.rate)} from {parsed.day.isoformat()}")


@fx.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@database_option
def fx_import(file: Path, database_url: str) -> None:
    """Load rates from a CSV file with the header base,quote,rate,date (all or nothing)."""
    from openams.gateway.domain.fx import RateError, read_rates_csv

    try:
        rates = read_rates_csv(file.read_text(encoding="utf-8-sig"))
    except (RateError, UnicodeDecodeError) as exc:
        fail(f"{file}: {exc}")
        return
    with _fx_service(database_url) as service:
        count = service.put_all(rates)
    click.echo(f"imported {count} rates from {file}")
