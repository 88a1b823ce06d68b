"""A sandbox gateway served on 127.0.0.1, its merchants, and the notification dispatcher."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from openams.gateway.app import Gateway, build_gateway, create_app
from openams.gateway.domain.notification import DeliveryAttempt, Notification
from openams.gateway.notify.dispatcher import Dispatcher
from openams.gateway.settings import Settings
from openams.protocol.keys import KeyPair, generate_key_pair
from openams.sdk import AsyncClient, Client
from openams.testing._server import LiveServer, bind_local, socket_url

#: The client id ``openams_merchant`` registers: ``SANDBOX_`` selects the sandbox paths.
DEFAULT_CLIENT_ID = "SANDBOX_OPENAMS_TEST_MERCHANT"


@dataclass(frozen=True)
class SandboxKeys:
    """Key pairs made once per test session: the gateway's and the merchant's."""

    gateway: KeyPair
    merchant: KeyPair
    gateway_key_file: Path

    @classmethod
    def generate(cls, folder: Path) -> SandboxKeys:
        gateway = generate_key_pair()
        key_file = folder / "gateway_private_key.pem"
        key_file.write_text(gateway.private_pem)
        return cls(gateway=gateway, merchant=generate_key_pair(), gateway_key_file=key_file)


def sandbox_settings(database_file: Path, keys: SandboxKeys, **overrides: Any) -> Settings:
    """Gateway settings for a test: SQLite in ``database_file``, notifications due at once,
    no background dispatcher. ``OPENAMS_*`` environment variables are ignored."""
    values: dict[str, Any] = {
        "database_url": f"sqlite:///{database_file}",
        "gateway_private_key_file": keys.gateway_key_file,
        "notify_initial_delay_ms": 0,
        "run_dispatcher": False,
    }
    values.update(overrides)
    # A prefix no variable uses: the tests see the same gateway on every machine.
    return Settings(_env_prefix="OPENAMS_TESTING_UNUSED_", **values)


@dataclass(frozen=True)
class DeliveryRecord:
    """One delivery attempt the dispatcher made (or refused to make)."""

    notification_id: str
    notify_type: str
    url: str | None
    attempt_number: int
    kind: str
    http_status: int | None
    acknowledged: bool
    error: str | None

    def describe(self) -> str:
        outcome = "acknowledged" if self.acknowledged else (self.error or "not acknowledged")
        status = f"HTTP {self.http_status}, " if self.http_status is not None else ""
        return (
            f"{self.notify_type} to {self.url} (attempt {self.attempt_number}, {self.kind}): "
            f"{status}{outcome}"
        )


class SandboxGateway:
    """A gateway on its own SQLite file, served for real on ``url`` (127.0.0.1).

    ``gateway`` holds the services for anything the helpers do not cover. Notifications
    are delivered only when :meth:`deliver_notifications` runs (``NotificationInbox.wait_for``
    calls it), so a test decides when they arrive.
    """

    def __init__(self, gateway: Gateway, server: LiveServer) -> None:
        self.gateway = gateway
        self.url = server.url
        self._server = server
        self._deliveries: list[DeliveryRecord] = []
        self._dispatcher: Dispatcher | None = None
        self._lock = threading.Lock()
        self._closed = False

    @property
    def settings(self) -> Settings:
        return self.gateway.settings

    @property
    def public_key_pem(self) -> str:
        """The gateway public key: a merchant verifies responses and notifications with it."""
        return self.gateway.key_pair.public_pem

    def add_merchant(
        self,
        keys: KeyPair,
        *,
        client_id: str = DEFAULT_CLIENT_ID,
        notify_url: str | None = None,
        name: str | None = None,
    ) -> SandboxMerchant:
        """Register a merchant (its public key, key version 1) and return its credentials."""
        self.gateway.merchants.add(client_id, keys.public_pem, notify_url=notify_url, name=name)
        return SandboxMerchant(
            client_id=client_id,
            private_key_pem=keys.private_pem,
            public_key_pem=keys.public_pem,
            gateway_public_key_pem=self.public_key_pem,
            base_url=self.url,
        )

    def set_notify_url(self, client_id: str, notify_url: str | None) -> None:
        """The merchant's default notify URL, used by payments that name none."""
        self.gateway.merchants.set_notify_url(client_id, notify_url)

    # ---------------------------------------------------------- notifications

    def deliver_notifications(self) -> int:
        """Run the dispatcher until nothing is due: sign and POST every due notification,
        record the attempts, expire overdue payments. Returns the notifications handled."""
        with self._lock:
            if self._closed:
                raise RuntimeError("the sandbox gateway is closed")
            if self._dispatcher is None:
                # the dispatcher's own clients: one deadline per attempt, the checked
                # address pinned, no HTTP(S)_PROXY from the environment
                self._dispatcher = self.gateway.dispatcher(on_attempt=self._record)
            return self._dispatcher.drain()

    @property
    def deliveries(self) -> list[DeliveryRecord]:
        """Every attempt so far, oldest first (a copy)."""
        with self._lock:
            return list(self._deliveries)

    def _record(self, notification: Notification, attempt: DeliveryAttempt) -> None:
        record = DeliveryRecord(
            notification_id=notification.notification_id,
            notify_type=notification.notify_type.value,
            url=notification.url,
            attempt_number=attempt.attempt_number,
            kind=attempt.kind,
            http_status=attempt.http_status,
            acknowledged=attempt.acknowledged,
            error=attempt.error,
        )
        self._deliveries.append(record)  # list.append is atomic; readers copy under the lock

    # -------------------------------------------------------------- lifecycle

    def close(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
            dispatcher, self._dispatcher = self._dispatcher, None
        try:
            self._server.stop()
        finally:
            if dispatcher is not None:
                dispatcher.close()
            self.gateway.engine.dispose()


def start_gateway(settings: Settings) -> SandboxGateway:
    """Build a gateway from ``settings`` and serve it on a free port of 127.0.0.1.

    Unless ``settings.public_url`` is set, the gateway's links (``normalUrl`` and the
    cashier pages) point at the live server.
    """
    sock = bind_local()
    try:
        if settings.public_url is None:
            settings = settings.model_copy(update={"public_url": socket_url(sock)})
        gateway = build_gateway(settings)
    except BaseException:
        sock.close()
        raise
    try:
        server = LiveServer(create_app(gateway=gateway), sock, name="openams-gateway").start()
    except BaseException:
        sock.close()
        gateway.engine.dispose()
        raise
    return SandboxGateway(gateway, server)


@dataclass(frozen=True)
class SandboxMerchant:
    """What a merchant's configuration needs to talk to the sandbox gateway."""

    client_id: str
    private_key_pem: str
    public_key_pem: str
    gateway_public_key_pem: str
    base_url: str

    def client(self, **overrides: Any) -> Client:
        """A new :class:`openams.sdk.Client` for this merchant (close it when done).

        Without ``transport=``, it ignores ``HTTP(S)_PROXY``: the gateway is on 127.0.0.1.
        """
        options = self._options(overrides)
        options.setdefault("transport", httpx.HTTPTransport())
        return Client(**options)

    def async_client(self, **overrides: Any) -> AsyncClient:
        """A new :class:`openams.sdk.AsyncClient` for this merchant.

        Without ``transport=``, it ignores ``HTTP(S)_PROXY`` and keeps no connection alive
        between requests, so it holds nothing bound to an event loop and may be used from
        any loop (each ``asyncio.run``, pytest-asyncio, anyio) and left unclosed.
        """
        options = self._options(overrides)
        options.setdefault(
            "transport",
            httpx.AsyncHTTPTransport(limits=httpx.Limits(max_keepalive_connections=0)),
        )
        return AsyncClient(**options)

    def _options(self, overrides: dict[str, Any]) -> dict[str, Any]:
        options: dict[str, Any] = {
            "client_id": self.client_id,
            "private_key": self.private_key_pem,
            "gateway_public_key": self.gateway_public_key_pem,
            "base_url": self.base_url,
        }
        options.update(overrides)
        return options
