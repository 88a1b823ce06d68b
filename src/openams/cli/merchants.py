"""``openams merchants`` and ``openams gateway-key``."""

from __future__ import annotations

from pathlib import Path

import click

from openams.cli._common import (
    database_option,
    fail,
    main,
    settings_from,
)

frame_origin_option = click.option(
    "--frame-origin",
    "frame_origins",
    multiple=True,
    metavar="ORIGIN",
    help="An origin (https://shop.example) that may frame the merchant's session pages; "
    "repeatable.",
)


@main.group()
def merchants() -> None:
    """Merchants (client ids) and their public keys."""


@merchants.command("add")
@click.option("--client-id", envvar="OPENAMS_CLIENT_ID", required=True, show_envvar=True)
@click.option(
    "--public-key-file",
    envvar="OPENAMS_PUBLIC_KEY_FILE",
    required=True,
    show_envvar=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
)
@click.option(
    "--key-version", envvar="OPENAMS_KEY_VERSION", default="1", show_default=True, show_envvar=True
)
@click.option("--notify-url", envvar="OPENAMS_NOTIFY_URL", default=None, show_envvar=True)
@click.option("--name", envvar="OPENAMS_MERCHANT_NAME", default=None, show_envvar=True)
@frame_origin_option
@database_option
def merchants_add(
    client_id: str,
    public_key_file: Path,
    key_version: str,
    notify_url: str | None,
    name: str | None,
    frame_origins: tuple[str, ...],
    database_url: str,
) -> None:
    """Register a merchant, or add a key version (older versions stay valid)."""
    from openams.gateway.app import build_gateway
    from openams.gateway.domain.errors import DomainError
    from openams.gateway.domain.frame_origins import normalize_origins

    try:  # a bad origin is refused before anything is registered
        normalize_origins(list(frame_origins))
    except DomainError as exc:
        fail(exc.message)
    gateway = build_gateway(settings_from(database_url=database_url))
    try:
        merchant = gateway.merchants.add(
            client_id,
            public_key_file.read_text(),
            key_version=key_version,
            notify_url=notify_url,
            name=name,
        )
        origins = gateway.frame_origins.add(client_id, list(frame_origins)) if frame_origins else []
    except DomainError as exc:
        fail(exc.message)
    else:
        click.echo(f"merchant {merchant.client_id}: key version {key_version} registered")
        if origins:
            click.echo(f"merchant {client_id}: frame origins {' '.join(origins)}")
    finally:
        gateway.close()


@main.command("gateway-key")
@database_option
def gateway_key(database_url: str) -> None:
    """Print the gateway's public key (SPKI PEM), made on first start."""
    from openams.gateway.app import build_gateway

    gateway = build_gateway(settings_from(database_url=database_url))
    click.echo(gateway.key_pair.public_pem, nl=False)
