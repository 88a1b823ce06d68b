"""Shared fixtures: a real database per test (SQLite file, or PostgreSQL when
OPENAMS_TEST_DATABASE_URL is set), the gateway app, and a registered sandbox merchant.

Every test has its own database, server ports (tests/ports.py) and temporary files, so
the suite runs in parallel under pytest-xdist (``make test`` runs ``pytest -n 4``); the
few tests that must share one worker are listed in ``XDIST_GROUPS``."""

from __future__ import annotations

import os
import shutil
import ssl
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from sqlalchemy import create_engine, make_url, text

from openams.gateway.app import Gateway, build_gateway, create_app
from openams.gateway.domain.clock import system_clock
from openams.gateway.settings import Settings
from openams.gateway.store.engine import make_engine, normalize_url
from openams.gateway.store.migrate import upgrade
from openams.protocol.keys import KeyPair, generate_key_pair
from tests import transport_origin
from tests.ams_client import AmsClient
from tests.live_server import live_server

POSTGRES_URL = os.environ.get("OPENAMS_TEST_DATABASE_URL")
PUBLIC_URL = "http://gateway.test"
#: For the plain-HTTP test clients, which never use it: httpx builds a TLS context for
#: every client it creates unless given one (~30 ms of CPU), once per test here.
UNUSED_TLS = ssl.create_default_context()
#: Tests that run in one xdist worker, by node id prefix: tests/official serves the
#: gateway on 127.0.0.1:443 for its whole session and shares .venv-official.
XDIST_GROUPS = {"tests/official/": "official"}
#: The fixtures that open a fresh database (a SQLite file, or a PostgreSQL schema). With
#: OPENAMS_TEST_DATABASE_URL set (`.ci/run`'s PostgreSQL pass) only the tests that use one
#: of them run: the others never reach PostgreSQL, and the SQLite pass ran them already.
DATABASE_FIXTURES = frozenset({"database_url", "official_database_url", "openams_settings"})

transport_origin.install()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> Iterator[None]:
    """An unclosed asyncio transport's warning names the test that opened it."""
    transport_origin.running(item.nodeid)
    yield


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """On PostgreSQL, deselect (not skip) the tests that open no database."""
    if not POSTGRES_URL:
        return
    keep: list[pytest.Item] = []
    drop: list[pytest.Item] = []
    for item in items:
        uses = DATABASE_FIXTURES.intersection(getattr(item, "fixturenames", ()))
        (keep if uses else drop).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


@pytest.hookimpl(tryfirst=True, optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """xdist's ``load`` scheduling, except that each of ``XDIST_GROUPS`` is one unit of
    work (handed to one worker, and first, being the largest).

    Not ``xdist_group`` marks with ``--dist loadgroup``: xdist 3.8 tags the grouped tests
    by rewriting ``item._nodeid``, which pytest 9.2 no longer reads (its node ids are
    structured), so the marks silently group nothing (pytest-xdist issue 1386)."""
    if config.getvalue("dist") not in ("load", "loadgroup"):
        return None  # an explicitly chosen --dist of another kind
    from xdist.scheduler import LoadScopeScheduling

    class GroupedLoadScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            for prefix, group in XDIST_GROUPS.items():
                if nodeid.startswith(prefix):
                    return group
            return nodeid  # every other test on its own, as --dist load

    return GroupedLoadScheduling(config, log)


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: Any) -> None:
    """When a worker dies, say how: its exit status (a signal's name when a signal ended
    it) and what the kernel logged about it, so that a crash in CI explains itself."""
    if not error:
        return
    import signal
    import subprocess
    import sys

    popen = getattr(getattr(getattr(node, "gateway", None), "_io", None), "popen", None)
    if popen is None:
        return
    try:
        status = popen.wait(timeout=10)
    except subprocess.TimeoutExpired:
        status = None
    how = (
        "still running 10 s after its channel closed"
        if status is None
        else f"killed by {signal.Signals(-status).name}"
        if status < 0
        else f"exit status {status}"
    )
    print(f"\n[worker pid {popen.pid}] {how}", file=sys.stderr)
    try:
        kernel = subprocess.run(["dmesg"], capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        return
    lines = [line for line in kernel.splitlines() if str(popen.pid) in line]
    for line in lines[-5:]:
        print(f"[kernel] {line}", file=sys.stderr)


@pytest.fixture(scope="session")
def merchant_keys() -> KeyPair:
    return generate_key_pair()


@pytest.fixture(scope="session")
def other_merchant_keys() -> KeyPair:
    return generate_key_pair()


@contextmanager
def fresh_database(directory: Path) -> Iterator[str]:
    """The URL of a fresh database: a SQLite file in ``directory``, or a PostgreSQL
    schema of its own (dropped afterwards) when OPENAMS_TEST_DATABASE_URL is set."""
    if not POSTGRES_URL:
        yield f"sqlite:///{directory / 'openams.db'}"
        return
    schema = f"t_{uuid.uuid4().hex[:16]}"
    admin = create_engine(normalize_url(POSTGRES_URL), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    separator = "&" if "?" in POSTGRES_URL else "?"
    try:
        yield f"{POSTGRES_URL}{separator}options={quote(f'-csearch_path={schema}')}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def database_url(tmp_path: Path) -> Iterator[str]:
    """A fresh database: a SQLite file, or a throw-away PostgreSQL schema."""
    with fresh_database(tmp_path) as url:
        yield url


@pytest.fixture(scope="session")
def gateway_key_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One gateway key for the session: saves generating a key pair in every test."""
    path = tmp_path_factory.mktemp("gateway-key") / "gateway_private_key.pem"
    path.write_text(generate_key_pair().private_pem)
    return path


#: Where AMS requests run, for the tests of races (those that ask for ``requests_run``):
#: on the event loop first (SQLite's default, where one request is answered at a time, so
#: nothing interleaves) and on the request threads (PostgreSQL's default, and SQLite's
#: with OPENAMS_API_LOOP_FIRST=false), where concurrent requests really interleave. The
#: PostgreSQL pass runs PostgreSQL's configuration only: loop-first there answers one
#: request at a time with every database round trip on the loop, which a hundred
#: concurrent requests on a busy machine turn into client timeouts, not into races.
REQUESTS_RUN = ("request-threads",) if POSTGRES_URL else ("loop-first", "request-threads")


@pytest.fixture(params=REQUESTS_RUN)
def requests_run(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def settings(database_url: str, gateway_key_file: Path, request: pytest.FixtureRequest) -> Settings:
    loop_first = None  # the default for the database
    if "requests_run" in request.fixturenames:
        loop_first = request.getfixturevalue("requests_run") == "loop-first"
    return Settings(
        database_url=database_url,
        public_url=PUBLIC_URL,
        gateway_private_key_file=gateway_key_file,
        notify_initial_delay_ms=0,
        api_loop_first=loop_first,
    )


class ShiftableClock:
    """The real clock plus an offset that tests move forward; ``freeze`` stops the real
    part, for a test that needs an exact age (the machine's speed then cannot add to it)."""

    def __init__(self) -> None:
        self.offset_ms = 0
        self.frozen_at: int | None = None

    def __call__(self) -> int:
        now = system_clock() if self.frozen_at is None else self.frozen_at
        return now + self.offset_ms

    def freeze(self) -> None:
        self.frozen_at = system_clock()

    def advance(self, seconds: float) -> None:
        self.offset_ms += int(seconds * 1000)


@pytest.fixture
def clock() -> ShiftableClock:
    return ShiftableClock()


@pytest.fixture(scope="session")
def migrated_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated to head once per session (per xdist worker)."""
    path = tmp_path_factory.mktemp("migrated") / "openams.db"
    engine = make_engine(f"sqlite:///{path}")
    try:
        upgrade(engine)
    finally:
        engine.dispose()
    wal = path.with_name(path.name + "-wal")
    assert not wal.exists() or wal.stat().st_size == 0, "the template is not checkpointed"
    return path


@pytest.fixture
def gateway(
    settings: Settings, clock: ShiftableClock, request: pytest.FixtureRequest
) -> Iterator[Gateway]:
    """The gateway on the test's database. A SQLite database that does not exist yet
    starts as a copy of ``migrated_sqlite``, so ``build_gateway``'s migration finds it up
    to date instead of running every migration for every test; tests that use
    ``database_url`` alone (the CLI's, the migration tests) still start from an empty
    file, and the PostgreSQL pass migrates each test's schema from scratch."""
    url = make_url(settings.database_url)
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        database = Path(url.database)
        if not database.exists():
            database.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(request.getfixturevalue("migrated_sqlite"), database)
    built = build_gateway(settings, clock=clock)
    yield built
    built.close()


#: Seconds a test's HTTP client waits for an answer (httpx's default is 5). The suite runs
#: in parallel workers, often beside other work: on a loaded machine a correct answer
#: has been seen to take longer than 5 s, and a test must not fail for that.
LOADED_MACHINE_TIMEOUT = 60.0


@pytest.fixture
def http(gateway: Gateway) -> Iterator[httpx.Client]:
    """An HTTP client talking to the gateway served for real on 127.0.0.1."""
    with (
        live_server(create_app(gateway=gateway)) as url,
        httpx.Client(base_url=url, verify=UNUSED_TLS, timeout=LOADED_MACHINE_TIMEOUT) as client,
    ):
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
