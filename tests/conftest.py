"""Shared fixtures: a real database per test (SQLite file, or PostgreSQL when
OPENAMS_TEST_DATABASE_URL is set), the gateway app, and a registered sandbox merchant."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest
from sqlalchemy import create_engine, text

from openams.gateway.app import Gateway, build_gateway, create_app
from openams.gateway.domain.clock import system_clock
from openams.gateway.settings import Settings
from openams.gateway.store.engine import normalize_url
from openams.protocol.keys import KeyPair, generate_key_pair
from tests.ams_client import AmsClient
from tests.live_server import live_server

POSTGRES_URL = os.environ.get("OPENAMS_TEST_DATABASE_URL")
PUBLIC_URL = "http://gateway.test"


@pytest.fixture(scope="session")
def merchant_keys() -> KeyPair:
    return generate_key_pair()


@pytest.fixture(scope="session")
def other_merchant_keys() -> KeyPair:
    return generate_key_pair()


@pytest.fixture
def database_url(tmp_path: Path) -> Iterator[str]:
    """A fresh database: a SQLite file, or a throw-away PostgreSQL schema."""
    if not POSTGRES_URL:
        yield f"sqlite:///{tmp_path / 'openams.db'}"
        return
    schema = f"t_{uuid.uuid4().hex[:16]}"
    admin = create_engine(normalize_url(POSTGRES_URL), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    separator = "&" if "?" in POSTGRES_URL else "?"
    yield f"{POSTGRES_URL}{separator}options={quote(f'-csearch_path={schema}')}"
    with admin.connect() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture(scope="session")
def gateway_key_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One gateway key for the session: saves generating a key pair in every test."""
    path = tmp_path_factory.mktemp("gateway-key") / "gateway_private_key.pem"
    path.write_text(generate_key_pair().private_pem)
    return path


@pytest.fixture
def settings(database_url: str, gateway_key_file: Path) -> Settings:
    return Settings(
        database_url=database_url,
        public_url=PUBLIC_URL,
        gateway_private_key_file=gateway_key_file,
        notify_initial_delay_ms=0,
    )


class ShiftableClock:
    """The real clock plus an offset that tests move forward."""

    def __init__(self) -> None:
        self.offset_ms = 0

    def __call__(self) -> int:
        return system_clock() + self.offset_ms

    def advance(self, seconds: float) -> None:
        self.offset_ms += int(seconds * 1000)


@pytest.fixture
def clock() -> ShiftableClock:
    return ShiftableClock()


@pytest.fixture
def gateway(settings: Settings, clock: ShiftableClock) -> Iterator[Gateway]:
    built = build_gateway(settings, clock=clock)
    yield built
    built.engine.dispose()


@pytest.fixture
def http(gateway: Gateway) -> Iterator[httpx.Client]:
    """An HTTP client talking to the gateway served for real on 127.0.0.1."""
    with live_server(create_app(gateway=gateway)) as url, httpx.Client(base_url=url) as client:
        yield client


@pytest.fixture
def merchant(gateway: Gateway, merchant_keys: KeyPair) -> str:
    client_id = "SANDBOX_TEST_MERCHANT"
    gateway.merchants.add(client_id, merchant_keys.public_pem, name="Test Merchant")
    return client_id


@pytest.fixture
def ams(http: httpx.Client, gateway: Gateway, merchant: str, merchant_keys: KeyPair) -> AmsClient:
    return AmsClient(http, merchant, merchant_keys.private_key, gateway.key_pair.public_key)


@pytest.fixture
def other_ams(http: httpx.Client, gateway: Gateway, other_merchant_keys: KeyPair) -> AmsClient:
    client_id = "SANDBOX_OTHER_MERCHANT"
    gateway.merchants.add(client_id, other_merchant_keys.public_pem)
    return AmsClient(http, client_id, other_merchant_keys.private_key, gateway.key_pair.public_key)
