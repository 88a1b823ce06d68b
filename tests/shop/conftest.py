"""A real shop (uvicorn on 127.0.0.1) wired to a real sandbox gateway (openams.testing)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from openams.gateway.settings import Settings
from openams.shop import Shop, ShopSettings, create_shop_app
from openams.testing import SandboxGateway, SandboxKeys, SandboxMerchant
from openams.testing._sandbox import sandbox_settings
from openams.testing._server import LiveServer, bind_local, socket_url
from tests.conftest import fresh_database

DESKTOP_UA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/120.0 Safari/537.36"
IPHONE_UA = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1"
)
APP_UA = "Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 Mobile OpenAMSShopApp/1.0"


@dataclass
class RunningShop:
    url: str
    settings: ShopSettings
    gateway: SandboxGateway
    merchant: SandboxMerchant
    shop: Shop

    def browser(self, user_agent: str = DESKTOP_UA) -> httpx.Client:
        return httpx.Client(
            base_url=self.url, headers={"User-Agent": user_agent}, trust_env=False, timeout=30
        )


ShopStarter = Callable[..., RunningShop]


@pytest.fixture(scope="session")
def openams_settings(
    tmp_path_factory: pytest.TempPathFactory, openams_keys: SandboxKeys
) -> Iterator[Settings]:
    """The shop's gateway on a fresh database: SQLite, or a PostgreSQL schema of its own
    when OPENAMS_TEST_DATABASE_URL is set (the shop keeps its own SQLite file either way)."""
    with fresh_database(tmp_path_factory.mktemp("openams-gateway")) as url:
        folder = tmp_path_factory.mktemp("openams-gateway-files")
        yield sandbox_settings(folder / "unused.db", openams_keys, database_url=url)


@pytest.fixture
def start_shop(
    tmp_path: Path,
    openams_gateway: SandboxGateway,
    openams_merchant: SandboxMerchant,
) -> Iterator[ShopStarter]:
    """Start a shop on uvicorn with ``ShopSettings`` overrides (one per test, at most)."""
    keys = tmp_path / "shop-keys"
    keys.mkdir()
    (keys / "private_key.pem").write_text(openams_merchant.private_key_pem)
    (keys / "gateway_public_key.pem").write_text(openams_gateway.public_key_pem)
    started: list[tuple[LiveServer, Shop]] = []

    def start(**overrides: Any) -> RunningShop:
        sock = bind_local()
        values: dict[str, Any] = {
            "gateway_url": openams_gateway.url,
            "client_id": openams_merchant.client_id,
            "private_key_file": keys / "private_key.pem",
            "gateway_public_key_file": keys / "gateway_public_key.pem",
            "public_url": socket_url(sock),
            "database_path": tmp_path / "shop.db",
            "secret": "test-secret",
            "poll_interval_seconds": 0.0,
            **overrides,
        }
        settings = ShopSettings(_env_prefix="OPENAMS_SHOP_TESTING_UNUSED_", **values)
        app = create_shop_app(settings, background_poll=False)
        server = LiveServer(app, sock, name="openams-shop").start()
        started.append((server, app.state.shop))
        openams_gateway.set_notify_url(openams_merchant.client_id, settings.notify_url)
        return RunningShop(server.url, settings, openams_gateway, openams_merchant, app.state.shop)

    try:
        yield start
    finally:
        for server, shop in started:
            server.stop()
            shop.client.close()
            shop.engine.dispose()


@pytest.fixture
def running_shop(start_shop: ShopStarter) -> RunningShop:
    return start_shop()
