"""openams.testing: a pytest plugin to test a merchant integration against a real gateway.

Installed with openams (entry point ``pytest11``), so its fixtures are available in every
pytest run once openams is installed. Nothing is started until a test asks for a fixture.
One gateway serves the whole session (each pytest-xdist worker its own); each test gets a
merchant of its own, so tests stay independent:

``openams_session_gateway``
    The session's gateway: SQLite in a temporary folder, served by uvicorn on 127.0.0.1
    (random port), closed when the session ends: :class:`SandboxGateway`.
``openams_gateway``
    The test's view of it (``SandboxGateway.for_test()``): ``url``, ``public_key_pem``,
    ``deliver_notifications()``, ``deliveries`` (this test's merchants only).
``openams_merchant``
    A ``SANDBOX_`` merchant of the test's own (new client id, new key pair):
    :class:`SandboxMerchant` (``client_id``, ``private_key_pem``, ``gateway_public_key_pem``,
    ``base_url``, ``advance_clock(seconds)``) - what your application's configuration needs.
``openams_client`` / ``openams_async_client``
    A ready :class:`openams.sdk.Client` / :class:`openams.sdk.AsyncClient` for that merchant.
``openams_notifications``
    A real notification endpoint on 127.0.0.1, registered as the merchant's notify URL:
    :class:`NotificationInbox` (``url``, ``wait_for(n, timeout)``), verifying every
    notification with :func:`openams.sdk.verify_notification` and acknowledging it.
``openams_settings`` / ``openams_keys``
    The gateway settings (session scope; override this fixture to change them) and the
    session's key pairs.

Helpers: :func:`complete_payment` and :func:`complete_payment_async` settle a sandbox
payment as if the buyer had paid (or failed); :func:`complete_refund` and
:func:`complete_capture` (and their ``_async`` twins) end a refund or capture that answered
``REFUND_IN_PROCESS`` / ``CAPTURE_IN_PROCESS``; ``openams_merchant.advance_clock(seconds)``
moves the merchant's clock, delivering what is due before and after. See docs/sdk.md.

This module imports only pytest and the standard library: the gateway, the sdk and uvicorn
are imported when a fixture is first used.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from openams.gateway.settings import Settings
    from openams.sdk import AsyncClient, Client
    from openams.testing._helpers import (
        ADVANCE_CLOCK_PATH,
        COMPLETE_CAPTURE_PATH,
        COMPLETE_PAYMENT_PATH,
        COMPLETE_REFUND_PATH,
        complete_capture,
        complete_capture_async,
        complete_payment,
        complete_payment_async,
        complete_refund,
        complete_refund_async,
    )
    from openams.testing._inbox import (
        NotificationInbox,
        NotificationWaitTimeout,
        ReceivedNotification,
        RejectedNotification,
    )
    from openams.testing._receiver import NotificationReceiver
    from openams.testing._sandbox import (
        CLIENT_ID_PREFIX,
        DeliveryRecord,
        SandboxGateway,
        SandboxKeys,
        SandboxMerchant,
        sandbox_settings,
        start_gateway,
    )

__all__ = [
    "ADVANCE_CLOCK_PATH",
    "CLIENT_ID_PREFIX",
    "COMPLETE_CAPTURE_PATH",
    "COMPLETE_PAYMENT_PATH",
    "COMPLETE_REFUND_PATH",
    "DeliveryRecord",
    "NotificationInbox",
    "NotificationReceiver",
    "NotificationWaitTimeout",
    "ReceivedNotification",
    "RejectedNotification",
    "SandboxGateway",
    "SandboxKeys",
    "SandboxMerchant",
    "complete_capture",
    "complete_capture_async",
    "complete_payment",
    "complete_payment_async",
    "complete_refund",
    "complete_refund_async",
    "openams_async_client",
    "openams_client",
    "openams_gateway",
    "openams_keys",
    "openams_merchant",
    "openams_notifications",
    "openams_session_gateway",
    "openams_settings",
    "sandbox_settings",
    "start_gateway",
]

#: Public names imported on first use (PEP 562), so that loading the plugin stays cheap.
_LAZY = {
    "ADVANCE_CLOCK_PATH": "openams.testing._helpers",
    "COMPLETE_PAYMENT_PATH": "openams.testing._helpers",
    "COMPLETE_REFUND_PATH": "openams.testing._helpers",
    "COMPLETE_CAPTURE_PATH": "openams.testing._helpers",
    "complete_payment": "openams.testing._helpers",
    "complete_payment_async": "openams.testing._helpers",
    "complete_refund": "openams.testing._helpers",
    "complete_refund_async": "openams.testing._helpers",
    "complete_capture": "openams.testing._helpers",
    "complete_capture_async": "openams.testing._helpers",
    "NotificationInbox": "openams.testing._inbox",
    "NotificationWaitTimeout": "openams.testing._inbox",
    "ReceivedNotification": "openams.testing._inbox",
    "RejectedNotification": "openams.testing._inbox",
    "NotificationReceiver": "openams.testing._receiver",
    "CLIENT_ID_PREFIX": "openams.testing._sandbox",
    "DeliveryRecord": "openams.testing._sandbox",
    "SandboxGateway": "openams.testing._sandbox",
    "SandboxKeys": "openams.testing._sandbox",
    "SandboxMerchant": "openams.testing._sandbox",
    "sandbox_settings": "openams.testing._sandbox",
    "start_gateway": "openams.testing._sandbox",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


# ------------------------------------------------------------------- fixtures


@pytest.fixture(scope="session")
def openams_keys(tmp_path_factory: pytest.TempPathFactory) -> SandboxKeys:
    """The gateway's and the merchant's RSA key pairs, generated once per session."""
    from openams.testing._sandbox import SandboxKeys

    return SandboxKeys.generate(tmp_path_factory.mktemp("openams-keys"))


@pytest.fixture(scope="session")
def openams_settings(
    tmp_path_factory: pytest.TempPathFactory, openams_keys: SandboxKeys
) -> Settings:
    """Settings of the session's gateway: a fresh SQLite file, notifications due at once.

    Override this fixture (session scope) to change them, e.g.
    ``sandbox_settings(tmp_path_factory.mktemp("gw") / "db.sqlite", openams_keys, ...)``.
    """
    from openams.testing._sandbox import sandbox_settings

    folder = tmp_path_factory.mktemp("openams-gateway")
    return sandbox_settings(folder / "openams.db", openams_keys)


@pytest.fixture(scope="session")
def openams_session_gateway(openams_settings: Settings) -> Iterator[SandboxGateway]:
    """The session's gateway, served for real on 127.0.0.1; closed when the session ends
    (server, dispatcher, notification receiver, request-log writer, connections)."""
    from openams.testing._sandbox import start_gateway

    gateway = start_gateway(openams_settings)
    try:
        yield gateway
    finally:
        gateway.close()


@pytest.fixture
def openams_gateway(openams_session_gateway: SandboxGateway) -> SandboxGateway:
    """The session's gateway as this test sees it: ``deliveries`` and
    ``deliver_notifications()`` cover only the merchants this test added."""
    return openams_session_gateway.for_test()


@pytest.fixture
def openams_merchant(
    openams_gateway: SandboxGateway, request: pytest.FixtureRequest
) -> SandboxMerchant:
    """A sandbox merchant of this test's own: a new ``SANDBOX_OPENAMS_TEST_...`` client id
    and key pair, named after the test. Its payments, notifications, chaos settings and
    clock are its own."""
    return openams_gateway.add_merchant(name=request.node.nodeid[:256])


@pytest.fixture
def openams_client(openams_merchant: SandboxMerchant) -> Iterator[Client]:
    """An :class:`openams.sdk.Client` for ``openams_merchant``; closed afterwards."""
    client = openams_merchant.client()
    try:
        yield client
    finally:
        client.close()


@pytest.fixture
def openams_async_client(openams_merchant: SandboxMerchant) -> Iterator[AsyncClient]:
    """An :class:`openams.sdk.AsyncClient` for ``openams_merchant``.

    It keeps no connection open between requests, so it works in any event loop
    (``asyncio.run`` in a plain test, pytest-asyncio, anyio) and needs no ``aclose()``.
    """
    client = openams_merchant.async_client()
    try:
        yield client
    finally:
        _close_idle_async_client(client)


@pytest.fixture
def openams_notifications(
    openams_gateway: SandboxGateway, openams_merchant: SandboxMerchant
) -> Iterator[NotificationInbox]:
    """A real notification endpoint, registered as ``openams_merchant``'s notify URL.

    Payments that name no ``paymentNotifyUrl`` notify it; or pass its ``url``. Call
    ``wait_for(n)`` to deliver due notifications and get the typed, verified ones.
    """
    from openams.testing._inbox import NotificationInbox

    inbox = NotificationInbox(openams_gateway, openams_merchant.client_id)
    try:
        openams_gateway.set_notify_url(openams_merchant.client_id, inbox.url)
        yield inbox
    finally:
        inbox.close()


def _close_idle_async_client(client: AsyncClient) -> None:
    """Close an async client after the test, on a private event loop.

    Its pool is empty (no keep-alive), so nothing in it belongs to the test's loop. Inside
    a running loop (never the case for a plain fixture) it is left to the garbage collector.
    """
    import asyncio

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        pass
    else:
        return
    loop = asyncio.new_event_loop()  # not set as the thread's current loop
    try:
        loop.run_until_complete(client.aclose())
    finally:
        loop.close()
