"""What one test costs with the openams pytest plugin: one gateway per session (now)
against a gateway per test (before).

Not a test. Writes a small merchant project with ``--tests`` trivial tests (each takes a
client and a notification inbox and makes one consult call) and runs it with pytest in a
subprocess, once per way:

``session``
    the plugin as it is: one gateway for the session, a merchant (new client id, new key
    pair) and an inbox per test;
``session, shared key``
    the same, but every test's merchant signs with the session's key pair (what a new
    key pair per test costs);
``gateway per test``
    a conftest gives each test a gateway of its own (the override docs/sdk.md shows) and
    the session's merchant key pair: what the plugin did before.

A hook in the project's conftest times each test's setup, call and teardown. The first
test also pays for starting the session's gateway, the last for closing it; the per-test
cost is the median of the others. Run::

    .venv/bin/python bench/testing_plugin.py --tests 40
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

TEST = """
def test_{number}(openams_client, openams_notifications):
    answer = openams_client.consult({{
        "productCode": "CASHIER_PAYMENT",
        "paymentAmount": {{"currency": "HKD", "value": "100"}},
        "env": {{"terminalType": "WEB"}},
    }})
    assert answer.payment_options and openams_notifications.url
"""

TIMING = """
import json
import os
import time

import pytest

DURATIONS = []


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    started = time.perf_counter()
    yield
    DURATIONS.append(time.perf_counter() - started)


def pytest_sessionfinish(session):
    with open(os.environ["BENCH_DURATIONS"], "w") as out:
        json.dump(DURATIONS, out)
"""

SHARED_KEY = """

import uuid


@pytest.fixture
def openams_merchant(openams_gateway, openams_keys):
    client_id = "SANDBOX_BENCH_" + uuid.uuid4().hex[:12]
    return openams_gateway.add_merchant(openams_keys.merchant, client_id=client_id)
"""

GATEWAY_PER_TEST = """

from openams.testing import sandbox_settings, start_gateway


@pytest.fixture
def openams_gateway(tmp_path, openams_keys):
    gateway = start_gateway(sandbox_settings(tmp_path / "gateway.db", openams_keys))
    yield gateway
    gateway.close()
"""

WAYS = {
    "session": "",
    "session, shared key": SHARED_KEY,
    "gateway per test": GATEWAY_PER_TEST + SHARED_KEY,
}


@dataclass(frozen=True)
class Run:
    way: str
    durations: list[float]
    wall_seconds: float

    @property
    def per_test(self) -> float:
        return statistics.median(self.durations[1:-1])


def run(way: str, tests: int, folder: Path) -> Run:
    project = folder / way.replace(" ", "-").replace(",", "")
    project.mkdir()
    (project / "conftest.py").write_text(TIMING + WAYS[way])
    (project / "test_trivial.py").write_text("".join(TEST.format(number=n) for n in range(tests)))
    durations_file = project / "durations.json"
    env = dict(os.environ, BENCH_DURATIONS=str(durations_file))
    env.pop("PYTEST_ADDOPTS", None)
    env.pop("PYTEST_DISABLE_PLUGIN_AUTOLOAD", None)
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-W", "error"]
    started = time.perf_counter()
    done = subprocess.run(command, cwd=project, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - started
    if done.returncode != 0:
        sys.exit(f"{way}: pytest failed\n{done.stdout}\n{done.stderr}")
    return Run(way, json.loads(durations_file.read_text()), wall)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tests", type=int, default=20, help="tests per run (at least 3)")
    args = parser.parse_args()
    if args.tests < 3:
        parser.error("--tests must be 3 or more")
    with tempfile.TemporaryDirectory(prefix="openams-bench-plugin-") as folder:
        runs = [run(way, args.tests, Path(folder)) for way in WAYS]
    print(f"{args.tests} tests per run; Python {platform.python_version()}, {platform.machine()}")
    print(f"{'way':<22} {'per test':>10} {'first test':>11} {'last test':>10} {'pytest run':>11}")
    for one in runs:
        print(
            f"{one.way:<22} {one.per_test * 1000:>8.0f}ms {one.durations[0] * 1000:>9.0f}ms "
            f"{one.durations[-1] * 1000:>8.0f}ms {one.wall_seconds:>10.1f}s"
        )
    session, shared, per_test = runs
    print(
        f"a gateway per test costs {per_test.per_test / session.per_test:.1f}x a test on the "
        f"session's gateway, {per_test.per_test / shared.per_test:.0f}x one whose merchant "
        f"shares the session's key pair (median per test, {args.tests - 2} tests each)"
    )


if __name__ == "__main__":
    main()
