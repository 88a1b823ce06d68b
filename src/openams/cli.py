"""The ``openams`` command line. Every option can also come from an ``OPENAMS_*`` variable."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from openams.gateway.settings import DEFAULT_DATABASE_URL, Settings
from openams.protocol.keys import generate_key_pair, load_public_key, pem_body, public_key_pem

if TYPE_CHECKING:
    from openams.gateway.app import Gateway
    from openams.shop import ShopSettings

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


def _settings(**values: Any) -> Settings:
    return Settings(**{key: value for key, value in values.items() if value is not None})


def _fail(message: str) -> None:
    click.echo(f"error: {message}", err=True)
    sys.exit(2)


@click.group()
@click.version_option(package_name="openams")
def main() -> None:
    """openams: a self-hosted Antom AMS gateway, merchant SDK and reference shop."""


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
        _settings(
            host=host,
            port=port,
            database_url=database_url,
            public_url=public_url or _default_public_url(host, port, ssl_certfile),
            access_log=access_log,
        ),
        ssl_certfile,
        ssl_keyfile,
        workers=workers,
    )


def _default_public_url(host: str, port: int, ssl_certfile: str | None) -> str:
    scheme = "https" if ssl_certfile else "http"
    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    default_port = 443 if scheme == "https" else 80
    return f"{scheme}://{shown}" + ("" if port == default_port else f":{port}")


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
        "access_log": settings.access_log,
    }
    # Migrate, make the gateway key and the console admin once, here, before any worker
    # process exists; each worker then builds its gateway from the same settings.
    gateway = build_gateway(settings)
    _print_console_admin(gateway)
    if workers == 1:
        uvicorn.run(create_app(settings, gateway=gateway), **options)
        return
    gateway.engine.dispose()
    for name, value in settings.model_dump(exclude_none=True).items():
        if name in ("host", "port", "database_url", "public_url", "access_log"):
            os.environ[f"OPENAMS_{name.upper()}"] = str(value)
    uvicorn.run(f"{create_app.__module__}:create_app", factory=True, workers=workers, **options)


def _print_console_admin(gateway: Gateway) -> None:
    """On the first start, the console admin's password: printed once, never logged."""
    from openams.gateway.web.console.first_start import admin_banner

    banner = admin_banner(gateway.console, gateway.settings.base_url)
    if banner is not None:
        click.echo(banner)


@main.group()
def keys() -> None:
    """RSA key pairs for merchants."""


@keys.command("generate")
@click.option(
    "--out",
    envvar="OPENAMS_KEYS_OUT",
    required=True,
    show_envvar=True,
    type=click.Path(file_okay=False, path_type=Path),
)
@database_option
def keys_generate(out: Path, database_url: str) -> None:
    """Write OUT/private_key.pem (PKCS#1) and OUT/public_key.pem (SPKI)."""
    del database_url  # accepted for uniformity; keys live in files
    out.mkdir(parents=True, exist_ok=True)
    private, public = out / "private_key.pem", out / "public_key.pem"
    if private.exists():
        _fail(f"{private} exists; refusing to overwrite a private key")
    pair = generate_key_pair()
    private.write_text(pair.private_pem)
    private.chmod(0o600)
    public.write_text(pair.public_pem)
    click.echo(f"wrote {private}\nwrote {public}")


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
@database_option
def merchants_add(
    client_id: str,
    public_key_file: Path,
    key_version: str,
    notify_url: str | None,
    name: str | None,
    database_url: str,
) -> None:
    """Register a merchant, or add a key version (older versions stay valid)."""
    from openams.gateway.app import build_gateway
    from openams.gateway.domain.errors import DomainError

    gateway = build_gateway(_settings(database_url=database_url))
    try:
        merchant = gateway.merchants.add(
            client_id,
            public_key_file.read_text(),
            key_version=key_version,
            notify_url=notify_url,
            name=name,
        )
    except DomainError as exc:
        _fail(exc.message)
    else:
        click.echo(f"merchant {merchant.client_id}: key version {key_version} registered")


@main.command("gateway-key")
@database_option
def gateway_key(database_url: str) -> None:
    """Print the gateway's public key (SPKI PEM), made on first start."""
    from openams.gateway.app import build_gateway

    gateway = build_gateway(_settings(database_url=database_url))
    click.echo(gateway.key_pair.public_pem, nl=False)


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

    gateway = build_gateway(_settings(database_url=database_url))
    try:
        gateway.console.set_password(username, password)
    except ValueError as exc:
        _fail(str(exc))
    finally:
        gateway.engine.dispose()
    click.echo(f"console user {username}: password set")


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
def dev(
    host: str,
    port: int,
    database_url: str,
    public_url: str | None,
    client_id: str,
    key_dir: Path,
    shop_port: int | None,
    shop_database: Path | None,
) -> None:
    """The main job: a local gateway with a ready sandbox merchant and the reference shop
    beside it (same process, its own port), URLs printed."""
    from openams.gateway.app import build_gateway, create_app

    settings = _settings(
        host=host,
        port=port,
        database_url=database_url,
        public_url=public_url or _default_public_url(host, port, None),
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
    shop_url = _default_public_url(host, shop_port, None)
    shop_settings = _shop_settings(
        gateway_url=_default_public_url(host, port, None),
        client_id=client_id,
        private_key_file=private.resolve(),
        gateway_public_key_file=gateway_public.resolve(),
        public_url=shop_url,
        database_path=(shop_database or key_dir.parent / "shop.db").resolve(),
    )
    gateway.merchants.set_notify_url(client_id, shop_settings.notify_url)
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
  console            {base}/console

try it:  open {shop_url} and buy something, or .venv/bin/python examples/pay.py
"""
    )
    _print_console_admin(gateway)
    import threading

    import uvicorn

    from openams.shop import create_shop_app

    shop_server = uvicorn.Server(
        uvicorn.Config(
            create_shop_app(shop_settings), host=host, port=shop_port, log_level="warning"
        )
    )
    shop_thread = threading.Thread(target=shop_server.run, name="openams-shop", daemon=True)
    shop_thread.start()
    try:
        uvicorn.run(create_app(settings, gateway=gateway), host=host, port=port, log_level="info")
    finally:
        shop_server.should_exit = True
        shop_thread.join(timeout=10)


def _shop_settings(**values: Any) -> ShopSettings:
    """Shop settings from explicit values; ``OPENAMS_SHOP_*`` variables fill the rest."""
    from openams.shop import ShopSettings

    return ShopSettings(**values)


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

    gateway = build_gateway(_settings(database_url=database_url))
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    dispatcher = gateway.dispatcher()
    click.echo(f"openams worker {dispatcher.owner}: delivering notifications", err=True)
    try:
        dispatcher.run_forever(stop, poll_seconds)
    finally:
        dispatcher.close()


@main.group()
def notifications() -> None:
    """The notification outbox: what was sent, and sending again."""


@notifications.command("list")
@database_option
@click.option("--client-id", envvar="OPENAMS_CLIENT_ID", default=None, show_envvar=True)
@click.option("--payment-id", envvar="OPENAMS_PAYMENT_ID", default=None, show_envvar=True)
@click.option(
    "--limit", envvar="OPENAMS_LIMIT", default=50, type=int, show_default=True, show_envvar=True
)
def notifications_list(
    database_url: str, client_id: str | None, payment_id: str | None, limit: int
) -> None:
    """Notifications, newest first, with each attempt."""
    from openams.gateway.app import build_gateway

    gateway = build_gateway(_settings(database_url=database_url))
    with gateway.store() as uow:
        if payment_id is not None:
            if client_id is None:
                _fail("--payment-id needs --client-id")
            rows = uow.outbox.for_payment(str(client_id), payment_id)
        else:
            rows = uow.outbox.for_client(client_id, limit)
        for n in rows:
            click.echo(
                f"{n.notification_id} {n.notify_type.value:<15} {n.status.value:<9} "
                f"attempts={n.attempts} client={n.client_id} payment={n.payment_id} "
                f"url={n.url or '-'}"
            )
            for a in uow.outbox.attempts(n.notification_id):
                click.echo(
                    f"    #{a.attempt_number} {a.kind:<9} status={a.http_status or '-'} "
                    f"latency={a.latency_ms if a.latency_ms is not None else '-'}ms "
                    f"ack={'yes' if a.acknowledged else 'no'} {a.error or ''}".rstrip()
                )


@notifications.command("resend")
@database_option
@click.option("--client-id", envvar="OPENAMS_CLIENT_ID", required=True, show_envvar=True)
@click.option("--payment-id", envvar="OPENAMS_PAYMENT_ID", default=None, show_envvar=True)
@click.option(
    "--payment-request-id", envvar="OPENAMS_PAYMENT_REQUEST_ID", default=None, show_envvar=True
)
def notifications_resend(
    database_url: str, client_id: str, payment_id: str | None, payment_request_id: str | None
) -> None:
    """Queue a payment's latest notification again."""
    from openams.gateway.app import build_gateway
    from openams.gateway.domain.errors import DomainError

    gateway = build_gateway(_settings(database_url=database_url))
    merchant = gateway.merchants.get(client_id)
    if merchant is None:
        _fail(f"no merchant {client_id}")
    assert merchant is not None
    try:
        body = gateway.sandbox.resend(merchant, payment_id, payment_request_id)
    except DomainError as exc:
        _fail(f"{exc.code}: {exc.message}")
    else:
        click.echo(f"queued {body['notificationId']} for payment {body['paymentId']}")


@notifications.command("chaos")
@database_option
@click.option("--client-id", envvar="OPENAMS_CLIENT_ID", required=True, show_envvar=True)
@click.option("--duplicate/--no-duplicate", default=False, help="Deliver everything twice.")
@click.option("--delay-seconds", default=0, type=int, help="Hold new notifications back.")
@click.option("--out-of-order/--in-order", default=False, help="Newest first.")
@click.option("--drop-first", default=0, type=int, help="Lose the first N attempts.")
def notifications_chaos(
    database_url: str,
    client_id: str,
    duplicate: bool,
    delay_seconds: int,
    out_of_order: bool,
    drop_first: int,
) -> None:
    """Set (or, with no flags, clear) a sandbox merchant's notification chaos."""
    from openams.gateway.app import build_gateway
    from openams.gateway.domain.chaos import ChaosSettings
    from openams.gateway.domain.errors import DomainError

    gateway = build_gateway(_settings(database_url=database_url))
    merchant = gateway.merchants.get(client_id)
    if merchant is None or not merchant.is_sandbox:
        _fail(f"{client_id} is not a sandbox merchant")
    assert merchant is not None
    try:
        chaos = ChaosSettings.validated(
            duplicate=duplicate,
            delay_seconds=delay_seconds,
            out_of_order=out_of_order,
            drop_first=drop_first,
        )
    except DomainError as exc:
        _fail(exc.message)
    else:
        gateway.sandbox.set_chaos(merchant, chaos)
        click.echo(f"{client_id}: {chaos}")


@contextmanager
def _store(database_url: str) -> Iterator[Any]:
    """The migrated database's unit-of-work factory (no gateway key needed); the engine
    is disposed of on leaving."""
    from openams.gateway.store.engine import make_engine
    from openams.gateway.store.migrate import upgrade
    from openams.gateway.store.unit_of_work import SqlStore

    engine = make_engine(_settings(database_url=database_url).database_url)
    try:
        upgrade(engine)
        yield SqlStore(engine)
    finally:
        engine.dispose()


@contextmanager
def _fx_service(database_url: str) -> Iterator[Any]:
    from openams.gateway.domain.clock import system_clock
    from openams.gateway.services.fx import FxService

    with _store(database_url) as store:
        yield FxService(store, system_clock)


def _day_option(help_text: str) -> Any:
    return click.option("--date", "day", default=None, metavar="YYYY-MM-DD", help=help_text)


@main.group()
def fx() -> None:
    """Daily FX rates used for settlement amounts (docs/settlement.md)."""


@fx.command("list")
@_day_option("Only the rate of each pair in force on this day (UTC).")
@database_option
def fx_list(day: str | None, database_url: str) -> None:
    """Print the stored rates as CSV (base,quote,rate,date)."""
    from openams.gateway.domain.fx import CSV_COLUMNS, RateError, format_decimal, parse_day

    try:
        on = parse_day(day) if day else None
    except RateError as exc:
        _fail(str(exc))
        return
    with _fx_service(database_url) as service:
        rates = service.rates(on)
    click.echo(",".join(CSV_COLUMNS))
    for rate in rates:
        click.echo(f"{rate.base},{rate.quote},{format_decimal(rate.rate)},{rate.day.isoformat()}")


@fx.command("set")
@click.argument("base")
@click.argument("quote")
@click.argument("rate")
@_day_option("The day the rate applies from (UTC); default today.")
@database_option
def fx_set(base: str, quote: str, rate: str, day: str | None, database_url: str) -> None:
    """Set the rate of BASE/QUOTE (one BASE buys RATE QUOTE) from a day on."""
    from datetime import UTC, datetime

    from openams.gateway.domain.fx import FxRate, RateError, format_decimal

    try:
        parsed = FxRate.parse(base, quote, rate, day or datetime.now(UTC).date().isoformat())
    except RateError as exc:
        _fail(str(exc))
        return
    with _fx_service(database_url) as service:
        service.set(parsed)
    click.echo(f"{parsed.pair} = {format_decimal(parsed.rate)} from {parsed.day.isoformat()}")


@fx.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@database_option
def fx_import(file: Path, database_url: str) -> None:
    """Load rates from a CSV file with the header base,quote,rate,date (all or nothing)."""
    from openams.gateway.domain.fx import RateError, read_rates_csv

    try:
        rates = read_rates_csv(file.read_text(encoding="utf-8-sig"))
    except (RateError, UnicodeDecodeError) as exc:
        _fail(f"{file}: {exc}")
        return
    with _fx_service(database_url) as service:
        count = service.put_all(rates)
    click.echo(f"imported {count} rates from {file}")


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
        with _store(database_url) as store:
            report = ReportService(store).settlement_report(client_id, on)
    except RateError as exc:
        _fail(str(exc))
        return
    except DomainError as exc:
        _fail(f"{exc.code}: {exc.message}")
        return
    except RateNotFound as exc:
        _fail(str(exc))
        return
    out.mkdir(parents=True, exist_ok=True)
    for name, text in (
        (report.transaction_file_name, report.transactions_csv()),
        (report.settlement_file_name, report.settlement_csv()),
    ):
        path = out / name
        path.write_text(text, encoding="utf-8", newline="")
        click.echo(f"wrote {path}")
