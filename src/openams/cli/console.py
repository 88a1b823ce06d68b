"""``openams console``: the merchant console's sign-in accounts."""

from __future__ import annotations

import click

from openams.cli._common import (
    database_option,
    fail,
    main,
    settings_from,
)


@main.group()
def console() -> None:
    """The merchant console (/console) and its sign-in accounts."""


@console.command("set-password")
@click.option("--username", default="admin", show_default=True)
@click.password_option("--password", envvar="OPENAMS_CONSOLE_PASSWORD", show_envvar=True)
@database_option
def console_set_password(username: str, password: str, database_url: str) -> None:
    """Set (or create) a console user's password."""
    from openams.gateway.app import build_gateway

    gateway = build_gateway(settings_from(database_url=database_url))
    try:
        gateway.console.set_password(username, password)
    except ValueError as exc:
        fail(str(exc))
    finally:
        gateway.close()
    click.echo(f"console user {username}: password set")
