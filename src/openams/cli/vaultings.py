"""``openams vaultings``: a merchant's vaulted cards (issue 20), as CSV."""

from __future__ import annotations

import csv
import sys

import click

from openams.cli._common import database_option, main, open_gateway

COLUMNS = (
    "created",
    "vaultingRequestId",
    "vaultingId",
    "how",
    "status",
    "brand",
    "maskedCardNo",
    "expiry",
    "cardToken",
    "resultCode",
    "notification",
)


@main.group()
def vaultings() -> None:
    """Cards vaulted with vaultPaymentMethod or createVaultingSession."""


@vaultings.command("list")
@database_option
@click.option("--client-id", envvar="OPENAMS_CLIENT_ID", required=True, show_envvar=True)
@click.option(
    "--limit", envvar="OPENAMS_LIMIT", default=200, type=int, show_default=True, show_envvar=True
)
def vaultings_list(database_url: str, client_id: str, limit: int) -> None:
    """The merchant's vaultings, newest first: state, card as kept, token, notification."""
    from openams.gateway.domain.clock import iso

    gateway = open_gateway(database_url)
    try:
        rows = gateway.vaultings.vaulted_cards(client_id, limit)
    finally:
        gateway.close()
    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(COLUMNS)
    for row in rows:
        v, card = row.vaulting, row.vaulting.card
        writer.writerow(
            (
                iso(v.created_at),
                v.vaulting_request_id,
                v.vaulting_id,
                "hosted form" if v.kind.value == "SESSION" else "server to server",
                row.status.value,
                card.brand if card else "",
                card.masked_number if card else "",
                f"{card.expiry_month:02d}/{card.expiry_year}" if card else "",
                row.card_token,
                row.result_code,
                row.notification,
            )
        )
