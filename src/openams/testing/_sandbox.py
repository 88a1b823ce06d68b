"""A sandbox gateway served on 127.0.0.1, its merchants, and the notification dispatcher."""

from __future__ import annotations

import copy
import functools
import secrets
import ssl
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from openams.gateway.app import Gateway, build_gateway, create_app
from openams.gateway.domain.notification import ClaimedNotification, DeliveryAttempt
from openams.gateway.notify.dispatcher import Dispatcher
from openams.gateway.settings import Settings
from openams.protocol.keys import KeyPair, generate_key_pair
from openams.sdk import AsyncClient, Client
from openams.testing._helpers import ADVANCE_CLOCK_PATH, checked_answer
from openams.testing._receiver import NotificationReceiver
from openams.testing._server import LiveServer, bind_local, socket_url

#: Client ids ``add_merchant`` makes start with this (``SANDBOX_`` selects the sandbox
#: paths), then 12 hex digits: each test's merchant has its own.
CLIENT_ID_PREFIX = "SANDBOX_OPENAMS_TEST_"


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

    client_id: str
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
    and :meth:`advance_clock` call it), so a test decides when they arrive.

    The pytest plugin starts one per test session and gives each test a view of it
    (:meth:`for_test`): the same server, but ``deliveries`` and the count
    ``deliver_notifications()`` returns cover only the merchants the test added.
    """

    def __init__(self, gateway: Gateway, server: LiveServer) -> None:
        self._shared = _Shared(gateway, server)
        #: The merchants this view covers; None: every merchant (the gateway's own view).
        self._client_ids: set[str] | None = None

    def for_test(self) -> SandboxGateway:
        """The same gateway as one test sees it: ``deliveries`` and
        ``deliver_notifications()`` count only the merchants added through this view.
        Closing a view leaves the gateway running."""
        view = copy.copy(self)  # the same _Shared
        view._client_ids = set()
        return view

    @property
    def gateway(self) -> Gateway:
        return self._shared.gateway

    @property
    def url(self) -> str:
        return self._shared.server.url

    @property
    def settings(self) -> Settings:
        return self._shared.gateway.settings

    @property
    def public_key_pem(self) -> str:
        """The gateway public key: a merchant verifies responses and notifications with it."""
        return self._shared.gateway.key_pair.public_pem

    @property
    def notification_receiver(self) -> NotificationReceiver:
        """The server every ``NotificationInbox`` of this gateway is mounted on."""
        return self._shared.receiver()

    def add_merchant(
        self,
        keys: KeyPair | None = None,
        *,
        client_id: str | None = None,
        notify_url: str | None = None,
        name: str | None = None,
    ) -> SandboxMerchant:
        """Register a merchant (its public key, key version 1) and return its credentials.

        Without ``keys``, a new key pair is made for it; without ``client_id``, it gets a
        new one (``SANDBOX_OPENAMS_TEST_`` and 12 hex digits), so its payments,
        notifications, chaos settings and clock are its own.
        """
        if keys is None:
            keys = generate_key_pair()
        if client_id is None:
            client_id = f"{CLIENT_ID_PREFIX}{secrets.token_hex(6).upper()}"
        self.gateway.merchants.add(client_id, keys.public_pem, notify_url=notify_url, name=name)
        if self._client_ids is not None:
            self._client_ids.add(client_id)
        return SandboxMerchant(
            client_id=client_id,
            private_key_pem=keys.private_pem,
            public_key_pem=keys.public_pem,
            gateway_public_key_pem=self.public_key_pem,
            base_url=self.url,
            sandbox=self,
            key_pair=keys,
        )

    def set_notify_url(self, client_id: str, notify_url: str | None) -> None:
        """The merchant's default notify URL, used by payments that name none."""
        self.gateway.merchants.set_notify_url(client_id, notify_url)

    # ---------------------------------------------------------- notifications

    def deliver_notifications(self) -> int:
        """Run the dispatcher until nothing is due: sign and POST every due notification,
        record the attempts, expire overdue payments. Returns the attempts made for the
        merchants this view covers."""
        made = self._shared.deliver()
        return sum(1 for record in made if self._covers(record.client_id))

    @property
    def deliveries(self) -> list[DeliveryRecord]:
        """Every attempt so far for the merchants this view covers, oldest first (a copy)."""
        return [record for record in self._shared.records() if self._covers(record.client_id)]

    def deliveries_for(self, client_id: str) -> list[DeliveryRecord]:
        """Every attempt so far to one merchant, oldest first."""
        return [record for record in self._shared.records() if record.client_id == client_id]

    def _covers(self, client_id: str) -> bool:
        return self._client_ids is None or client_id in self._client_ids

    # ------------------------------------------------------------------ clock

    def advance_clock(self, merchant: SandboxMerchant, seconds: int) -> dict[str, Any]:
        """Move ``merchant``'s sandbox clock ``seconds`` on, delivering on both sides.

        First delivers what is already due (so a first attempt that chaos drops is made
        now, and its retry scheduled from now); then calls ``testHelpers/advanceClock``
        with the merchant's own client; then delivers what has become due (retries,
        expiry notifications, refunds and captures settling). Returns the gateway's
        verified answer; raises ``openams.sdk.ApiError`` when it refuses (``seconds``
        out of range). Only this merchant's clock moves.
        """
        self.deliver_notifications()
        with merchant.client() as client:
            answer = checked_answer(
                client.request(ADVANCE_CLOCK_PATH, {"seconds": seconds}),
                client.sandbox,
                ADVANCE_CLOCK_PATH,
            )
        self.deliver_notifications()
        return answer

    # -------------------------------------------------------------- lifecycle

    def close(self) -> None:
        """Stop the server, the dispatcher and the notification receiver, and close the
        gateway (its request-log writer ends, its connections are released). A view
        made by :meth:`for_test` closes nothing."""
        if self._client_ids is None:
            self._shared.close()


class _Shared:
    """What a gateway and its per-test views share."""

    def __init__(self, gateway: Gateway, server: LiveServer) -> None:
        self.gateway = gateway
        self.server = server
        self._deliveries: list[DeliveryRecord] = []
        self._dispatcher: Dispatcher | None = None
        self._receiver: NotificationReceiver | None = None
        self._lock = threading.Lock()
        self._closed = False

    def receiver(self) -> NotificationReceiver:
        with self._lock:
            self._check_open()
            if self._receiver is None:
                self._receiver = NotificationReceiver()
            return self._receiver

    def deliver(self) -> list[DeliveryRecord]:
        """Drain the dispatcher; returns the attempts it made."""
        with self._lock:
            self._check_open()
            if self._dispatcher is None:
                # the dispatcher's own clients: one deadline per attempt, the checked
                # address pinned, no HTTP(S)_PROXY from the environment
                self._dispatcher = self.gateway.dispatcher(on_attempt=self._record)
            before = len(self._deliveries)
            self._dispatcher.drain()
            return self._deliveries[before:]

    def records(self) -> list[DeliveryRecord]:
        with self._lock:
            return list(self._deliveries)

    def _record(self, notification: ClaimedNotification, attempt: DeliveryAttempt) -> None:
        record = DeliveryRecord(
            client_id=notification.client_id,
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

    def _check_open(self) -> None:
        if self._closed:
            raise RuntimeError("the sandbox gateway is closed")

    def close(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
            dispatcher, self._dispatcher = self._dispatcher, None
            receiver, self._receiver = self._receiver, None
        # The server first (no new requests); the dispatcher's attempts in flight still
        # reach the receiver; the gateway last (its request-log writer, its connections).
        try:
            self.server.stop()
        finally:
            try:
                if dispatcher is not None:
                    dispatcher.close()
            finally:
                try:
                    if receiver is not None:
                        receiver.close()
                finally:
                    self.gateway.close()


def start_gateway(settings: Settings) -> SandboxGateway:
    """Build a gateway from ``settings`` and serve it on a free port of 127.0.0.1.

    Unless ``settings.public_url`` is set, the gateway's links (``normalUrl`` and the
    cashier pages) point at the live server. ``close()`` it when done.
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
        gateway.close()
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
    #: The sandbox gateway it was registered on (``advance_clock`` needs it).
    sandbox: SandboxGateway | None = field(default=None, repr=False, compare=False)
    #: The parsed key pair, when known: clients skip parsing (and validating) the PEM.
    key_pair: KeyPair | None = field(default=None, repr=False, compare=False)

    def advance_clock(self, seconds: int) -> dict[str, Any]:
        """This merchant's clock ``seconds`` on: :meth:`SandboxGateway.advance_clock`."""
        if self.sandbox is None:
            raise RuntimeError("advance_clock needs a merchant made by SandboxGateway.add_merchant")
        return self.sandbox.advance_clock(self, seconds)

    def client(self, **overrides: Any) -> Client:
        """A new :class:`openams.sdk.Client` for this merchant (close it when done).

        Without ``transport=``, it ignores ``HTTP(S)_PROXY``: the gateway is on 127.0.0.1.
        """
        options = self._options(overrides)
        options.setdefault("transport", httpx.HTTPTransport(verify=_tls_context()))
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
            httpx.AsyncHTTPTransport(
                verify=_tls_context(), limits=httpx.Limits(max_keepalive_connections=0)
            ),
        )
        return AsyncClient(**options)

    def _options(self, overrides: dict[str, Any]) -> dict[str, Any]:
        options: dict[str, Any] = {
            "client_id": self.client_id,
            "private_key": self.private_key_pem
            if self.key_pair is None
            else self.key_pair.private_key,
            "gateway_public_key": self.gateway_public_key_pem,
            "base_url": self.base_url,
        }
        options.update(overrides)
        return options


@functools.cache
def _tls_context() -> ssl.SSLContext:
    """httpx's default verification, made once: each transport would otherwise load the
    CA bundle again (tens of milliseconds per client; the gateway is plain HTTP anyway)."""
    return httpx.create_ssl_context()
