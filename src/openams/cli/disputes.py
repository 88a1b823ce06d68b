"""``openams disputes``: a merchant's disputes from the command line (docs/disputes.md)."""

from __future__ import annotations

import csv
import io

import click

from openams.cli._common import database_option, fail, main, open_store


@main.group()
def disputes() -> None:
    """Disputes (chargebacks, retrieval requests) of a merchant."""


@disputes.command("list")
@click.option("--client-id", envvar="OPENAMS_CLIENT_ID", required=True, show_envvar=True)
@click.option("--limit", default=100, type=int, show_default=True)
@database_option
def disputes_list(client_id: str, limit: int, database_url: str) -> None:
    """Newest first, as CSV: id, status, type, amount (major units), payment, deadline."""
    from openams.gateway.domain.clock import iso
    from openams.protocol.money import major

    if not 0 < limit <= 10_000:
        fail("--limit must be between 1 and 10000")
        return
    with open_store(database_url) as store, store() as uow:
        if uow.merchants.get(client_id) is None:
            fail(f"no merchant with client id {client_id}")
            return
        found = uow.disputes.for_client(client_id, limit)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(
        ["disputeId", "status", "disputeType", "amount", "currency", "paymentId", "defenseDueTime"]
    )
    for d in found:
        writer.writerow(
            [
                d.dispute_id,
                d.status.value + (f" ({d.accept_reason})" if d.accept_reason else ""),
                d.dispute_type.value,
                major(d.amount.value, d.amount.currency),
                d.amount.currency,
                d.payment_id,
                iso(d.defense_due_at),
            ]
        )
    click.echo(out.getvalue(), nl=False)
