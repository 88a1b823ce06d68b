"""What every ``openams`` command shares: the root group, common options, helpers."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from openams.gateway.settings import DEFAULT_DATABASE_URL, Settings

if TYPE_CHECKING:
    from openams.gateway.app import Gateway
    from openams.gateway.domain.merchant import Merchant

DEMO_CLIENT_ID = "SANDBOX_OPENAMS_DEMO"
DEMO_KEY_DIR = Path("var") / "sandbox-merchant"

database_option = click.option(
    "--database-url",
    envvar="OPENAMS_DATABASE_URL",
    default=DEFAULT_DATABASE_URL,
    show_default=True,
    show_envvar=True,
    help="SQLAlchemy URL; sqlite:///path or postgresql://user@host/db.",
)


host_option = click.option(
    "--host", envvar="OPENAMS_HOST", default="127.0.0.1", show_default=True, show_envvar=True
)
port_option = click.option(
    "--port", envvar="OPENAMS_PORT", default=8080, type=int, show_default=True, show_envvar=True
)
public_url_option = click.option(
    "--public-url",
    envvar="OPENAMS_PUBLIC_URL",
    default=None,
    show_envvar=True,
    help="Base URL buyers and merchants use; default http(s)://host:port.",
)


def settings_from(**values: Any) -> Settings:
    return Settings(**{key: value for key, value in values.items() if value is not None})


def fail(message: str) -> None:
    click.echo(f"error: {message}", err=True)
    sys.exit(2)


@click.group()
@click.version_option(package_name="openams")
def main() -> None:
    """openams: a self-hosted Antom AMS gateway, merchant SDK and reference shop."""


def default_public_url(host: str, port: int, ssl_certfile: str | None) -> str:
    scheme = "https" if ssl_certfile else "http"
    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    default_port = 443 if scheme == "https" else 80
    return f"{scheme}://{shown}" + ("" if port == default_port else f":{port}")


def print_console_admin(gateway: Gateway) -> None:
    """On the first start, the console admin's password: printed once, never logged."""
    from openams.gateway.web.console.first_start import admin_banner

    banner = admin_banner(gateway.console, gateway.settings.base_url)
    if banner is not None:
        click.echo(banner)


@contextmanager
def open_store(database_url: str) -> Iterator[Any]:
    """The migrated database's unit-of-work factory (no gateway key needed); the engine
    is disposed of on leaving."""
    from openams.gateway.store.engine import make_engine
    from openams.gateway.store.migrate import upgrade
    from openams.gateway.store.unit_of_work import SqlStore

    engine = make_engine(settings_from(database_url=database_url).database_url)
    try:
        upgrade(engine)
        yield SqlStore(engine)
    finally:
        engine.dispose()


def log_config() -> dict[str, Any]:
    """uvicorn's logging, plus the gateway's own loggers at INFO on the same handler: one
    line per AMS call naming its result (the access log would say "200 OK" for all)."""
    import copy

    from uvicorn.config import LOGGING_CONFIG

    from openams.cli.line_batches import CallLineFormatter, LineBatchHandler
    from openams.gateway.web.api.recorder import CALLS_LOGGER

    config = copy.deepcopy(LOGGING_CONFIG)
    config["loggers"]["openams"] = {"handlers": ["default"], "level": "INFO", "propagate": False}
    # The per-call lines come in batches from the request log's writer: written per batch.
    config["formatters"]["calls"] = {
        **config["formatters"]["default"],
        "()": f"{CallLineFormatter.__module__}.{CallLineFormatter.__name__}",
    }
    config["handlers"]["calls"] = {
        **config["handlers"]["default"],
        "class": f"{LineBatchHandler.__module__}.{LineBatchHandler.__name__}",
        "formatter": "calls",
    }
    config["loggers"][CALLS_LOGGER] = {"handlers": ["calls"], "level": "INFO", "propagate": False}
    return config


def existing_database(database_url: str) -> str:
    """``database_url``, once it is known to hold a database: a command that reads never
    creates an empty one (a mistyped path would look like a gateway with no data)."""
    from sqlalchemy.engine import make_url

    from openams.gateway.store.engine import normalize_url

    url = make_url(normalize_url(database_url))
    name = url.database
    in_a_file = url.get_backend_name() == "sqlite" and name and name != ":memory:"
    if in_a_file and not name.startswith("file:") and not Path(name).is_file():
        fail(
            f"no database at {Path(name).resolve()} (from --database-url {database_url}); "
            "start the gateway there first, or give the URL it uses"
        )
    return database_url


def open_gateway(database_url: str) -> Gateway:
    """The gateway on an existing database (see :func:`existing_database`)."""
    from openams.gateway.app import build_gateway

    return build_gateway(settings_from(database_url=existing_database(database_url)))


def merchant_of(gateway: Gateway, client_id: str, *, sandbox: bool = False) -> Merchant:
    """The merchant, or a failure that says which database was searched."""
    merchant = gateway.merchants.get(client_id)
    if merchant is None:
        fail(f"no merchant {client_id} in {gateway.settings.database_url}")
    assert merchant is not None
    if sandbox and not merchant.is_sandbox:
        fail(f"{client_id} is not a sandbox (SANDBOX_) merchant")
    return merchant


def echo_json(value: Any) -> None:
    """One JSON document on one line (numbers as they are: quotePrice stays exact)."""
    from openams.gateway import compact_json

    click.echo(compact_json.dumps(value))
