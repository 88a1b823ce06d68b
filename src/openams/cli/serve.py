"""``openams serve`` and ``openams worker``: the gateway's long-running processes."""

from __future__ import annotations

import os
from typing import Any

import click

from openams.cli._common import (
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
from openams.gateway.heap import settle_heap
from openams.gateway.settings import Settings


@main.command()
@host_option
@port_option
@database_option
@public_url_option
@click.option(
    "--ssl-certfile",
    envvar="OPENAMS_SSL_CERTFILE",
    default=None,
    show_envvar=True,
    type=click.Path(exists=True, dir_okay=False),
    help="Serve HTTPS with this cert.",
)
@click.option(
    "--ssl-keyfile",
    envvar="OPENAMS_SSL_KEYFILE",
    default=None,
    show_envvar=True,
    type=click.Path(exists=True, dir_okay=False),
    help="Private key for --ssl-certfile.",
)
@click.option(
    "--workers",
    envvar="OPENAMS_WORKERS",
    default=1,
    type=click.IntRange(min=1),
    show_default=True,
    show_envvar=True,
    help="Gateway processes sharing the port (use PostgreSQL for more than one).",
)
@click.option(
    "--access-log/--no-access-log",
    envvar="OPENAMS_ACCESS_LOG",
    default=False,
    show_default=True,
    show_envvar=True,
    help="Log one line per HTTP request.",
)
def serve(
    host: str,
    port: int,
    database_url: str,
    public_url: str | None,
    ssl_certfile: str | None,
    ssl_keyfile: str | None,
    workers: int,
    access_log: bool,
) -> None:
    """Run the gateway (migrations are applied on start)."""
    _serve(
        settings_from(
            host=host,
            port=port,
            database_url=database_url,
            public_url=public_url or default_public_url(host, port, ssl_certfile),
            access_log=access_log,
        ),
        ssl_certfile,
        ssl_keyfile,
        workers=workers,
    )


def _serve(
    settings: Settings,
    ssl_certfile: str | None = None,
    ssl_keyfile: str | None = None,
    *,
    workers: int = 1,
) -> None:
    import uvicorn

    from openams.gateway.app import build_gateway, create_app
    from openams.gateway.web.http_protocol import PROTOCOL_PATH, ConnectionLimits, configure

    # The limits on each connection (docs/decisions.md, "Connection limits"); --workers
    # processes read the same OPENAMS_* variables.
    configure(ConnectionLimits.from_settings(settings))
    options: dict[str, Any] = {
        "host": settings.host,
        "port": settings.port,
        "http": PROTOCOL_PATH,
        "timeout_keep_alive": settings.keep_alive_seconds,
        "ssl_certfile": ssl_certfile,
        "ssl_keyfile": ssl_keyfile,
        "log_level": "info",
        "log_config": log_config(),
        "access_log": settings.access_log,
    }
    # Migrate, make the gateway key and the console admin once, here, before any worker
    # process exists; each worker then builds its gateway from the same settings.
    gateway = build_gateway(settings)
    print_console_admin(gateway)
    if workers == 1:
        app = create_app(settings, gateway=gateway)
        settle_heap()
        uvicorn.run(app, **options)
        return
    gateway.engine.dispose()
    for name, value in settings.model_dump(exclude_none=True).items():
        if name in ("host", "port", "database_url", "public_url", "access_log"):
            os.environ[f"OPENAMS_{name.upper()}"] = str(value)
    uvicorn.run(f"{__name__}:{worker_app.__name__}", factory=True, workers=workers, **options)


def worker_app() -> Any:
    """One ``--workers`` process's app, its heap settled (gateway/heap.py)."""
    from openams.gateway.app import create_app

    app = create_app()
    settle_heap()
    return app


@main.command()
@database_option
@click.option(
    "--poll-seconds",
    envvar="OPENAMS_DISPATCHER_POLL_SECONDS",
    default=0.5,
    type=float,
    show_default=True,
    show_envvar=True,
)
def worker(database_url: str, poll_seconds: float) -> None:
    """Deliver notifications (and expire payments) without serving HTTP: for scale-out."""
    import signal
    import threading

    from openams.gateway.app import build_gateway

    gateway = build_gateway(settings_from(database_url=database_url))
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    dispatcher = gateway.dispatcher()
    settle_heap()
    click.echo(f"openams worker {dispatcher.owner}: delivering notifications", err=True)
    try:
        dispatcher.run_forever(stop, poll_seconds)
    finally:
        dispatcher.close()
