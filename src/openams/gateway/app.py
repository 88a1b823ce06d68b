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
from openams.gateway.services.developer_console import DeveloperConsole
from openams.gateway.services.disputes import DisputeService
from openams.gateway.services.exchange_rates import ExchangeRateService
from openams.gateway.services.frame_origins import FrameOriginService
from openams.gateway.services.merchants import MerchantService
from openams.gateway.services.notification_events import NotificationEvents
from openams.gateway.services.notifications import Notifier, antom_initial_delay
from openams.gateway.services.payment_codes import PaymentCodeService
from openams.gateway.services.payments import PaymentService
from openams.gateway.services.refunds import RefundService
from openams.gateway.services.reports import ReportService
from openams.gateway.services.request_log import RequestLogService
from openams.gateway.services.sandbox import SandboxService
from openams.gateway.services.sessions import SessionService
from openams.gateway.services.tickets import TicketSigner
from openams.gateway.services.vaulting import VaultingService
from openams.gateway.settings import Settings
from openams.gateway.store.engine import is_sqlite, make_engine
from openams.gateway.store.gateway_keys import GATEWAY_KEY_VERSION, load_or_create_gateway_key
from openams.gateway.store.migrate import upgrade
from openams.gateway.store.unit_of_work import SqlStore
from openams.gateway.web.api.absolute_target import AbsoluteTargetMiddleware
from openams.gateway.web.api.dispute_operations import dispute_operations
from openams.gateway.web.api.envelope import ResponseSigner
from openams.gateway.web.api.fastpath import GatewayApp
from openams.gateway.web.api.openapi import openapi_route
from openams.gateway.web.api.operations import build_operations
from openams.gateway.web.api.ratelimit import RateLimiter
from openams.gateway.web.api.recorder import RequestRecorder
from openams.gateway.web.api.reference import reference_routes
from openams.gateway.web.api.router import AmsApi, ApiConfig, Operation
from openams.gateway.web.cashier.csrf import Csrf
from openams.gateway.web.cashier.payment_code_routes import payment_code_router
from openams.gateway.web.cashier.routes import cashier_router
from openams.gateway.web.cashier.vaulting import vaulting_router
from openams.gateway.web.console.developers import developers_router
from openams.gateway.web.console.disputes import disputes_router
from openams.gateway.web.console.reports import reports_router
from openams.gateway.web.console.routes import ConsoleServices, console_router
from openams.gateway.web.console.security import LoginLimiter, Sessions
from openams.gateway.web.console.vaulted_cards import vaulted_cards_router
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
    payment_codes: PaymentCodeService
    vaultings: VaultingService
    exchange_rates: ExchangeRateService
    console: ConsoleService = field(init=False)
    request_log: RequestLogService = field(init=False)
    #: Stores the AMS exchanges of this gateway's apps, off the request path.
    recorder: RequestRecorder = field(init=False)
    frame_origins: FrameOriginService = field(init=False)
    disputes: DisputeService = field(init=False)

    def __post_init__(self) -> None:
        self.console = ConsoleService(self.store, self.clock)
        self.request_log = RequestLogService(
            self.store,
            self.clock,
            max_per_merchant=self.settings.request_log_max_per_merchant,
            max_age_days=self.settings.request_log_max_age_days,
        )
        self.recorder = RequestRecorder(
            self.request_log if self.settings.request_log else None, clock=self.clock
        )
        self.frame_origins = FrameOriginService(self.store)
        self.disputes = DisputeService(
            self.store, self.payments.catalogue, self.clock, self.payments.notifier, self.payments
        )
        self.sandbox.disputes = self.disputes  # an advance applies due dispute deadlines

    def close(self) -> None:
        """Store what the request log holds, end its writer, release the database."""
        self.recorder.close()
        self.engine.dispose()

    def dispatcher(self, **options: Any) -> Dispatcher:
        """A notification dispatcher on this gateway's database and key."""
        options.setdefault("database_on_loop", is_sqlite(self.engine))
        return Dispatcher(
            uow=self.store,
            clock=self.clock,
            key=self.key_pair.private_key,
            key_version=GATEWAY_KEY_VERSION,
            payments=self.payments,
            refunds=self.refunds,
            captures=self.captures,
            sweeps=(self.disputes.settle_due,),
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
    merchants = MerchantService(store, clock)
    refunds = RefundService(store, catalogue, clock, notifier, payments)
    captures = CaptureService(store, payments, clock)
    sandbox = SandboxService(
        store, payments, notifier, refunds, captures, clock_moved=merchants.forget
    )
    return Gateway(
        settings=settings,
        engine=engine,
        key_pair=key_pair,
        links=links,
        merchants=merchants,
        payments=payments,
        sessions=SessionService(store, catalogue, links, clock),
        consult=ConsultService(catalogue),
        sandbox=sandbox,
        store=store,
        clock=clock,
        cashier=CashierService(store, catalogue, links, clock, payments, tickets),
        refunds=refunds,
        captures=captures,
        payment_codes=PaymentCodeService(store, clock, tickets),
        vaultings=VaultingService(store, links, clock, notifier),
        exchange_rates=ExchangeRateService(store, clock),
    )


def _lifespan(gateway: Gateway) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    """Run the dispatcher (and expiry sweeper) in a thread for the server's lifetime, when
    the settings ask for it; on the way out, store what the request log still holds."""

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        if not gateway.settings.run_dispatcher:
            try:
                yield
            finally:
                gateway.recorder.flush()
            return
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
            gateway.recorder.flush()

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
        developers=DeveloperConsole(
            gateway.store, gateway.request_log, flush_log=gateway.recorder.flush
        ),
        frame_origins=gateway.frame_origins,
        login_limiter=LoginLimiter(
            gateway.settings.console_login_failures_per_user_and_address,
            gateway.settings.console_login_failures_per_address,
            gateway.settings.console_login_window_seconds,
        ),
    )


def gateway_operations(gateway: Gateway) -> dict[str, Operation]:
    """Every AMS API of the gateway by name (``payments/pay``, ``testHelpers/...``)."""
    return build_operations(
        gateway.payments,
        gateway.sessions,
        gateway.consult,
        gateway.sandbox,
        gateway.links,
        refunds=gateway.refunds,
        captures=gateway.captures,
        events=NotificationEvents(gateway.store, gateway.clock),
        payment_codes=gateway.payment_codes,
        vaultings=gateway.vaultings,
        exchange_rates=gateway.exchange_rates,
    ) | dispute_operations(gateway.disputes)


def console_sessions(gateway: Gateway) -> Sessions:
    """Console sessions that age on the gateway's clock (the virtual clock in tests)."""
    clock = gateway.clock
    return Sessions(gateway.cashier.tickets, now=lambda: clock() / 1000)


def create_app(settings: Settings | None = None, *, gateway: Gateway | None = None) -> FastAPI:
    gateway = gateway or build_gateway(settings or Settings())
    config = gateway.settings
    api = AmsApi(
        gateway_operations(gateway),
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
        recorder=gateway.recorder,
        writer=gateway.store.writer_lock if is_sqlite(gateway.engine) else None,
    )
    app = GatewayApp(
        title="openams gateway",
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
        lifespan=_lifespan(gateway),
    )
    app.state.gateway = gateway
    for route in api.routes():
        app.router.routes.append(route)
    app.router.routes.append(openapi_route(api.operations))
    app.router.routes.extend(reference_routes())
    tickets = gateway.cashier.tickets
    csrf = Csrf(tickets)
    app.include_router(cashier_router(gateway.cashier, csrf))
    app.include_router(payment_code_router(gateway.payment_codes, gateway.cashier, csrf))
    app.include_router(vaulting_router(gateway.vaultings, csrf))
    # one set of console services and one session keeper for every console page group
    services, sessions = console_services(gateway), console_sessions(gateway)
    app.include_router(console_router(services, csrf, sessions))
    app.include_router(reports_router(services, csrf, sessions, ReportService(gateway.store)))
    app.include_router(developers_router(services, csrf, sessions, base_url=config.base_url))
    app.include_router(vaulted_cards_router(services, csrf, sessions, gateway.vaultings))
    app.include_router(disputes_router(services, csrf, sessions, gateway.disputes))
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> JSONResponse:
        return JSONResponse({"status": "ok"})

    app.ams_api = api  # served ahead of the middleware stack
    app.add_middleware(AbsoluteTargetMiddleware)
    return app
