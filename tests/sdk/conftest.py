"""Fixtures for the SDK tests: keys, a fake gateway, and clients wired to it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from openams.protocol.keys import generate_key_pair
from openams.sdk import AsyncClient, Backoff, Client
from tests.sdk.fake_gateway import (
    BASE_URL,
    CLIENT_ID,
    AsyncClientFactory,
    ClientFactory,
    FakeGateway,
    Keys,
    Sleeps,
    identity_jitter,
)


@pytest.fixture(scope="session")
def keys() -> Keys:
    return Keys(generate_key_pair(), generate_key_pair(), generate_key_pair())


@pytest.fixture
def fake(keys: Keys) -> FakeGateway:
    return FakeGateway(
        client_id=CLIENT_ID,
        merchant_public_key=keys.merchant.public_key,
        gateway_private_key=keys.gateway.private_key,
    )


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


def _options(keys: Keys, fake: FakeGateway, sleeps: Sleeps, **overrides: Any) -> dict[str, Any]:
    options: dict[str, Any] = {
        "client_id": fake.client_id,
        "private_key": keys.merchant.private_pem,
        "gateway_public_key": keys.gateway.public_pem,
        "base_url": BASE_URL,
        "transport": fake.transport(),
        "backoff": Backoff(jitter=identity_jitter),
        "clock": sleeps.clock,
    }
    options.update(overrides)
    return options


@pytest.fixture
def make_client(keys: Keys, fake: FakeGateway, sleeps: Sleeps) -> Iterator[ClientFactory]:
    made: list[Client] = []

    def factory(**overrides: Any) -> Client:
        options = _options(keys, fake, sleeps, **overrides)
        options.setdefault("sleep", sleeps.sleep)
        client = Client(**options)
        made.append(client)
        return client

    yield factory
    for client in made:
        client.close()


@pytest.fixture
def client(make_client: ClientFactory) -> Client:
    return make_client()


@pytest.fixture
def make_async_client(keys: Keys, fake: FakeGateway, sleeps: Sleeps) -> AsyncClientFactory:
    """Async clients are closed by the test (``async with``) inside its own event loop."""

    def factory(**overrides: Any) -> AsyncClient:
        options = _options(keys, fake, sleeps, **overrides)
        options.setdefault("sleep", sleeps.asleep)
        return AsyncClient(**options)

    return factory
