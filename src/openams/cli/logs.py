"""``openams logs``: the request log, newest first, or followed as calls happen."""

from __future__ import annotations

import time

import click

from openams.cli._common import database_option, echo_json, main, open_gateway

#: How often ``--follow`` looks for new entries.
FOLLOW_POLL_SECONDS = 0.25


@main.command()
@database_option
@click.option("--client-id", envvar="OPENAMS_CLIENT_ID", default=None, show_envvar=True)
@click.option("--path", "path", default=None, help="Only paths containing this text.")
@click.option("--result-code", default=None, help="Only this resultCode (INVALID_SIGNATURE...).")
@click.option("--limit", default=20, type=click.IntRange(1, 500), show_default=True)
@click.option("--follow", is_flag=True, help="Print new calls as they happen (Ctrl-C stops).")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line, bodies included.")
def logs(
    database_url: str,
    client_id: str | None,
    path: str | None,
    result_code: str | None,
    limit: int,
    follow: bool,
    as_json: bool,
) -> None:
    """The AMS calls the gateway answered: newest first, or followed with --follow."""
    from openams.gateway.domain.request_log import LogEntry, LogQuery
    from openams.gateway.services.request_log import entry_view

    gateway = open_gateway(database_url)
    query = LogQuery(client_id=client_id, path=path, result_code=result_code, limit=limit)

    def show(entry: LogEntry) -> None:
        if as_json:
            echo_json(entry_view(entry))
            return
        ids = " ".join(f"{name}={value}" for name, value in entry.request_ids().items())
        click.echo(
            f"{entry_view(entry)['time']}  #{entry.log_id}  {entry.client_id or '-'}  "
            f"{entry.path}  {entry.result_status or '-'} {entry.result_code or '-'}  "
            f"{entry.latency_us / 1000:.1f} ms  {ids}".rstrip()
        )

    try:
        if not follow:
            for entry in gateway.request_log.search(query):
                show(entry)
            return
        newest = gateway.request_log.search(LogQuery(limit=1))
        seen = newest[0].log_id if newest else 0
        click.echo(f"following the request log of {gateway.settings.database_url}", err=True)
        while True:
            fresh = gateway.request_log.search(
                LogQuery(
                    client_id=client_id,
                    path=path,
                    result_code=result_code,
                    after=seen,
                    limit=500,
                )
            )
            for entry in reversed(fresh):  # oldest of the new first
                show(entry)
            if fresh:
                seen = max(seen, *(entry.log_id or 0 for entry in fresh))
            time.sleep(FOLLOW_POLL_SECONDS)
    except KeyboardInterrupt:
        pass
    finally:
        gateway.close()
