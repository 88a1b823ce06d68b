"""``openams reports``: reconciliation reports."""

from __future__ import annotations

from pathlib import Path

import click

from openams.cli._common import (
    database_option,
    fail,
    main,
    open_store,
)


@main.group()
def reports() -> None:
    """Reconciliation reports."""


@reports.command("settlement")
@click.option("--date", "day", required=True, metavar="YYYY-MM-DD", help="The UTC day.")
@click.option("--client-id", envvar="OPENAMS_CLIENT_ID", required=True, show_envvar=True)
@click.option(
    "--out",
    default=".",
    show_default=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Directory for the two CSV files.",
)
@database_option
def reports_settlement(day: str, client_id: str, out: Path, database_url: str) -> None:
    """Write the day's transaction file and settlement file for a merchant."""
    from openams.gateway.domain.errors import DomainError
    from openams.gateway.domain.fx import RateError, RateNotFound, parse_day
    from openams.gateway.services.reports import ReportService

    try:
        on = parse_day(day)
        with open_store(database_url) as store:
            report = ReportService(store).settlement_report(client_id, on)
    except RateError as exc:
        fail(str(exc))
        return
    except DomainError as exc:
        fail(f"{exc.code}: {exc.message}")
        return
    except RateNotFound as exc:
        fail(str(exc))
        return
    out.mkdir(parents=True, exist_ok=True)
    for name, text in (
        (report.transaction_file_name, report.transactions_csv()),
        (report.settlement_file_name, report.settlement_csv()),
    ):
        path = out / name
        path.write_text(text, encoding="utf-8", newline="")
        click.echo(f"wrote {path}")
