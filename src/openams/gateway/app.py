"""Composition root: the only place adapters (store, methods, web) are wired to services."""

from __future__ import annotations

import hashlib
import hmac
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from fastapi import FastAPI
from sqlalchemy import Engine
from starlette.responses import JSONResponse
from starlette.staticfiles import StaticFiles

from openams.gateway.domain.clock import Clock, system_clock
from openams.gateway.methods.catalogue import DEFAULT_CATALOGUE
from openams.gateway.notify.dispatcher import Dispatcher
from openams.gateway.services.captures import CaptureService
from openams.gateway.services.cashier import CashierService
from openams.gateway.services.console import ConsoleService
from openams.gateway.services.consult import ConsultService
from openams.gateway.services.continuation import Links
from openams.gateway.services.merchants import MerchantService
from openams.gateway.services.notifications import Notifier, antom_initial_delay
from openams.gateway.services.payments import PaymentService
from openams.gateway.services.refunds import RefundService
from openams.gateway.services.reports import ReportService
from openams.gateway.services.sandbox import SandboxService
from openams.gateway.services.sessions import SessionService
from openams.gateway.services.tickets import TicketSigner
from openams.gateway.settings import Settings
from openams.gateway.store.engine import is_sqlite, make_engine
from openams.gateway.store.gateway_keys import GATEWAY_KEY_VERSION, load_or_create_gateway_key
from openams.gateway.store.migrate import upgrade
from openams.gateway.store.unit_of_work import SqlStore
from openams.gateway.web.api.absolute_target import AbsoluteTargetMiddleware
from openams.gateway.web.api.envelope import ResponseSigner
from openams.gateway.web.api.fastpath import GatewayApp
from openams.gateway.web.api.openapi import openapi_route
from openams.gateway.web.api.operations import build_operations
from openams.gateway.web.api.ratelimit import RateLimiter
from openams.gateway.web.api.router import AmsApi, ApiConfig
from openams.gateway.web.cashier.csrf import Csrf
from openams.gateway.web.cashier.routes import cashier_router
from openams.gateway.web.console.reports import reports_router
from openams.gateway.web.console.routes import ConsoleServices, console_router
from openams.gateway.web.console.security import LoginLimiter, Sessions
from openams.protocol.keys import KeyPair, load_private_key

STATIC_DIR = Path(__file__).parent / "web" / "static"


@dataclass
class Gateway:
    """Every service of one gateway, built on one database."""

    settings: Settings
    engine: Engine
    key_pair: KeyPair
    links: Links
    merchants: MerchantService
    payments: PaymentService
    sessions: SessionService
    consult: ConsultService
    sandbox: SandboxService
    store: SqlStore
    clock: Clock
    cashier: CashierService
    refunds: RefundService
    captures: CaptureService
    console: ConsoleService = field(init=False)

    def __post_init__(self) -> None:
        self.console = ConsoleService(self.store, self.clock)

    def dispatcher(self, **options: Any) -> Dispatcher:
        """A notification dispatcher on this gateway's database and key."""
        return Dispatcher(
            uow=self.store,
            clock=self.clock,
            key=self.key_pair.private_key,
            key_version=GATEWAY_KEY_VERSION,
            payments=self.payments,
            refunds=self.refunds,
            captures=self.captures,
            allow_private_targets=self.settings.allow_private_notify_urls,
            lease_ms=int(self.settings.notify_lease_seconds * 1000),
            timeout_seconds=self.settings.notify_timeout_seconds,
            concurrency=self.settings.notify_concurrency,
            merchant_concurrency=self.settings.notify_merchant_concurrency,
            **options,
        )


def gateway_key(settings: Settings, engine: Engine) -> KeyPair:
    if settings.gateway_private_key_file is not None:
        return KeyPair(load_private_key(settings.gateway_private_key_file.read_bytes()))
    return load_or_create_gateway_key(engine)


def cashier_secret(settings: Settings, key_pair: KeyPair) -> bytes:
    """The hosted pages' HMAC key: configured, or derived from the gateway key."""
    if settings.cashier_secret is not None:
        return settings.cashier_secret.get_secret_value().encode()
    der = key_pair.private_key.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return hmac.new(der, b"openams cashier v1", hashlib.sha256).digest()


def build_gateway(settings: Settings, *, clock: Clock = system_clock) -> Gateway:
    """Connect, migrate, load the gateway key and build the services."""
    engine = make_engine(settings.database_url)
    upgrade(engine)
    store = SqlStore(engine)
    links = Links(settings.base_url)
    catalogue = DEFAULT_CATALOGUE
    delay = settings.notify_initial_delay_ms
    notifier = Notifier(clock, antom_initial_delay if delay is None else (lambda: delay))
    payments = PaymentService(store, catalogue, links, clock, notifier, store.new_payments)
    key_pair = gateway_key(settings, engine)
    tickets = TicketSigner(cashier_secret(settings, key_pair))
    return Gateway(
        settings=settings,
        engine=engine,
        key_pair=key_pair,
        links=links,
        merchants=MerchantService(store, clock),
        payments=payments,
        sessions=SessionService(store, catalogue, links, clock),
        consult=ConsultService(catalogue),
        sandbox=SandboxService(store, payments, notifier),
        store=store,
        clock=clock,
        cashier=CashierService(store, catalogue, links, clock, payments, tickets),
        refunds=RefundService(store, catalogue, clock, notifier, payments),
        captures=CaptureService(store, payments, clock),
    )


def _lifespan(gateway: Gateway) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    """Run the dispatcher (and expiry sweeper) in a thread for the server's lifetime."""

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        stop = threading.Event()
        dispatcher = gateway.dispatcher()
        thread = threading.Thread(
            target=dispatcher.run_forever,
            args=(stop, gateway.settings.dispatcher_poll_seconds),
            name="openams-dispatcher",
            daemon=True,
        )
        thread.start()
        try:
            yield
        finally:
            stop.set()
            thread.join(timeout=30)
            dispatcher.close()

    return lifespan


def rate_limiter(settings: Settings) -> RateLimiter | None:
    if settings.rate_limit_per_second is None:
        return None
    return RateLimiter(settings.rate_limit_per_second, settings.rate_limit_burst)


def console_services(gateway: Gateway) -> ConsoleServices:
    return ConsoleServices(
        console=gateway.console,
        merchants=gateway.merchants,
        payments=gateway.payments,
        refunds=gateway.refunds,
        sandbox=gateway.sandbox,
        gateway_public_pem=gateway.key_pair.public_pem,
        login_limiter=LoginLimiter(
            gateway.settings.console_login_failures_per_user_and_address,
            gateway.settings.console_login_failures_per_address,
            gateway.settings.console_login_window_seconds,
        ),
    )


def create_app(settings: Settings | None = None, *, gateway: Gateway | None = None) -> FastAPI:
    gateway = gateway or build_gateway(settings or Settings())
    config = gateway.settings
    api = AmsApi(
        build_operations(
            gateway.payments,
            gateway.sessions,
            gateway.consult,
            gateway.sandbox,
            gateway.links,
            refunds=gateway.refunds,
            captures=gateway.captures,
        ),
        gateway.merchants.authenticate,
        ResponseSigner(gateway.key_pair.private_key, GATEWAY_KEY_VERSION),
        ApiConfig(
            max_body_bytes=config.max_body_bytes,
            request_time_tolerance_seconds=config.request_time_tolerance_seconds,
            signature_debugger=config.signature_debugger,
        ),
        limiter=rate_limiter(config),
        threads=(2 if is_sqlite(gateway.engine) else 8)
        if config.api_threads is None
        else config.api_threads,
        loop_first=is_sqlite(gateway.engine)
        if config.api_loop_first is None
        else config.api_loop_first,
    )
    app = GatewayApp(
        title="openams gateway",
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
        lifespan=_lifespan(gateway) if config.run_dispatcher else None,
    )
    app.state.gateway = gateway
    for route in api.routes():
        app.router.routes.append(route)
    app.router.routes.append(openapi_route(api.operations))
    tickets = gateway.cashier.tickets
    csrf = Csrf(tickets)
    app.include_router(cashier_router(gateway.cashier, csrf))
    app.include_router(console_router(console_services(gateway), csrf, Sessions(tickets)))
    app.include_router(
        reports_router(
            console_services(gateway), csrf, Sessions(tickets), ReportService(gateway.store)
        )
    )
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> JSONResponse:
        return JSONResponse({"status": "ok"})

    app.ams_api = api  # served ahead of the middleware stack
    app.add_middleware(AbsoluteTargetMiddleware)
    return app
