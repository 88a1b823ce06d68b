"""``openams merchants set``: which web origins may frame a merchant's payment-session
pages (the Web SDK's embedded checkout); ``merchants add --frame-origin`` too.

Registers onto the ``merchants`` group of :mod:`openams.cli.merchants`.
"""

from __future__ import annotations

import click

from openams.cli._common import database_option, fail, settings_from
from openams.cli.merchants import frame_origin_option, merchants


@merchants.command("set")
@click.option("--client-id", envvar="OPENAMS_CLIENT_ID", required=True, show_envvar=True)
@frame_origin_option
@click.option(
    "--no-frame-origins",
    is_flag=True,
    help="Remove every frame origin: no site may frame the merchant's pages.",
)
@database_option
def merchants_set(
    client_id: str, frame_origins: tuple[str, ...], no_frame_origins: bool, database_url: str
) -> None:
    """Change a merchant's settings: --frame-origin replaces its list of frame origins."""
    from openams.gateway.app import build_gateway
    from openams.gateway.domain.errors import DomainError

    if not frame_origins and not no_frame_origins:
        fail("nothing to set: give --frame-origin ORIGIN (repeatable) or --no-frame-origins")
        return
    if frame_origins and no_frame_origins:
        fail("--frame-origin and --no-frame-origins contradict each other")
        return
    gateway = build_gateway(settings_from(database_url=database_url))
    try:
        origins = gateway.frame_origins.replace(client_id, list(frame_origins))
    except DomainError as exc:
        fail(exc.message)
        return
    finally:
        gateway.close()
    click.echo(f"merchant {client_id}: frame origins {' '.join(origins) or '(none)'}")
