"""``openams dev``: the main job, a gateway with a sandbox merchant and the shop."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from openams.protocol.keys import generate_key_pair, load_public_key, pem_body, public_key_pem

if TYPE_CHECKING:
    from openams.shop import ShopSettings

from openams.cli._common import (
    DEMO_CLIENT_ID,
    DEMO_KEY_DIR,
    database_option,
    default_public_url,
    host_option,
    log_config,
    main,
    port_option,
    print_console_admin,
    public_url_option,
    settings_from,
)


@main.command()
@host_option
@port_option
@database_option
@public_url_option
@click.option(
    "--client-id",
    envvar="OPENAMS_CLIENT_ID",
    default=DEMO_CLIENT_ID,
    show_default=True,
    show_envvar=True,
)
@click.option(
    "--key-dir",
    envvar="OPENAMS_KEY_DIR",
    default=DEMO_KEY_DIR,
    show_default=True,
    show_envvar=True,
    type=click.Path(file_okay=False, path_type=Path),
)
@click.option(
    "--shop-port",
    envvar="OPENAMS_SHOP_PORT",
    default=None,
    type=int,
    show_envvar=True,
    help="Port of the reference shop; default --port + 1.",
)
@click.option(
    "--shop-database",
    envvar="OPENAMS_SHOP_DATABASE_PATH",
    default=None,
    show_envvar=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The shop's own SQLite file; default KEY_DIR/../shop.db.",
)
@click.option(
    "--shop-admin-secret",
    envvar="OPENAMS_SHOP_ADMIN_SECRET",
    default=None,
    show_envvar=True,
    help=(
        "Password of the shop's admin pages (orders with refund and cancel, "
        "reconciliation); made up at each start when unset. Printed with the URLs."
    ),
)
def dev(
    host: str,
    port: int,
    database_url: str,
    public_url: str | None,
    client_id: str,
    key_dir: Path,
    shop_port: int | None,
    shop_database: Path | None,
    shop_admin_secret: str | None,
) -> None:
    """The main job: a local gateway with a ready sandbox merchant and the reference shop
    beside it (same process, its own port), URLs printed: the shop's admin pages
    (refunds, cancels, reconciliation) with their secret among them."""
    from openams.gateway.app import build_gateway, create_app

    settings = settings_from(
        host=host,
        port=port,
        database_url=database_url,
        public_url=public_url or default_public_url(host, port, None),
    )
    gateway = build_gateway(settings)
    key_dir.mkdir(parents=True, exist_ok=True)
    private, public = key_dir / "private_key.pem", key_dir / "public_key.pem"
    if not private.exists():
        pair = generate_key_pair()
        private.write_text(pair.private_pem)
        private.chmod(0o600)
        public.write_text(pair.public_pem)
    merchant_public = public_key_pem(load_public_key(public.read_text()))
    gateway.merchants.add(client_id, merchant_public, name="openams demo merchant")
    gateway_public = key_dir / "gateway_public_key.pem"
    gateway_public.write_text(gateway.key_pair.public_pem)
    base = settings.base_url
    shop_port = shop_port if shop_port is not None else port + 1
    shop_url = default_public_url(host, shop_port, None)
    shop_settings = _shop_settings(
        gateway_url=default_public_url(host, port, None),
        client_id=client_id,
        private_key_file=private.resolve(),
        gateway_public_key_file=gateway_public.resolve(),
        public_url=shop_url,
        database_path=(shop_database or key_dir.parent / "shop.db").resolve(),
        admin_secret=shop_admin_secret or secrets.token_urlsafe(12),
    )
    gateway.merchants.set_notify_url(client_id, shop_settings.notify_url)
    gateway.frame_origins.add(client_id, [shop_url])  # the shop's embedded checkout
    admin_secret_origin = (
        "from OPENAMS_SHOP_ADMIN_SECRET"
        if shop_admin_secret
        else "new at each start; set OPENAMS_SHOP_ADMIN_SECRET to keep one"
    )
    click.echo(
        f"""
openams gateway      {base}
  AMS API            {base}/ams/sandbox/api/v1/payments/pay  (and /ams/api/v1/...)
  database           {settings.database_url}

sandbox merchant     {client_id}
  private key        {private.resolve()}
  public key         {public.resolve()}  (registered, keyVersion 1)
  gateway public key {gateway_public.resolve()}
  private key body   {pem_body(private.read_text())[:24]}...  (bare base64 for the official SDK)
  notify URL         {shop_settings.notify_url}  (the shop's)

openams shop         {shop_url}
  database           {shop_settings.database_path}
  store entry code   {shop_url}/store  (scan it with the wallet simulator: {base}/wallet/scan)
  shop admin         {shop_url}/admin/orders  (refunds, cancels, reconciliation)
  admin secret       {shop_settings.admin_secret}  ({admin_secret_origin})
  console            {base}/console

try it:  open {shop_url} and buy something, or .venv/bin/python examples/pay.py
"""
    )
    print_console_admin(gateway)
    import threading

    import uvicorn

    from openams.shop import create_shop_app

    shop_server = uvicorn.Server(
        uvicorn.Config(
            create_shop_app(shop_settings),
            host=host,
            port=shop_port,
            log_level="warning",
            timeout_keep_alive=settings.keep_alive_seconds,
        )
    )
    shop_thread = threading.Thread(target=shop_server.run, name="openams-shop", daemon=True)
    shop_thread.start()
    try:
        uvicorn.run(
            create_app(settings, gateway=gateway),
            host=host,
            port=port,
            log_level="info",
            log_config=log_config(),
            timeout_keep_alive=settings.keep_alive_seconds,
        )
    finally:
        shop_server.should_exit = True
        shop_thread.join(timeout=10)


def _shop_settings(**values: Any) -> ShopSettings:
    """Shop settings from explicit values; ``OPENAMS_SHOP_*`` variables fill the rest."""
    from openams.shop import ShopSettings

    return ShopSettings(**values)
