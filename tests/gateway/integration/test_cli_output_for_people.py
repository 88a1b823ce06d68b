"""Every ``openams`` command prints lines for people: no Python repr (``{'...'}``,
``Namespace(``, ``<... object at 0x...>``, ``datetime.datetime(``) in what it prints,
whether it succeeds or refuses. Each command runs as a real process against the
database of a gateway that has taken payments; the commands that serve until stopped
are listed with the reason they are not run here, and the list is checked against the
command tree, so a new command cannot be left out."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import click
import pytest

from openams.cli import main
from openams.gateway.app import Gateway
from tests.ams_client import AmsClient
from tests.gateway.integration.payloads import pay_body
from tests.notify.receiver import receiver

OPENAMS = str(Path(sys.executable).with_name("openams"))

#: Python reprs, never meant for people.
REPR = re.compile(
    r"\{'|\['|Namespace\(|<[\w.]+ object|object at 0x|datetime\.(?:datetime|date|timedelta)\("
    r"|Decimal\(|<class '|<function |\b[A-Z]\w+\(\w+=|Traceback"
)

#: Commands that serve until stopped: run by their own tests, not here.
NOT_RUN = {
    ("dev",): "serves the gateway and the shop until stopped (tests/shop, tests/console)",
    ("serve",): "serves until stopped (tests/gateway/integration/test_cli.py)",
    ("worker",): "delivers until stopped (tests/faults, tests/load)",
}

#: Each command's runs: argument lists, then the exit code each run must end with.
RUNS: dict[tuple[str, ...], list[tuple[list[str], int]]] = {
    ("console", "set-password"): [(["--username", "ops", "--password", "a-long-password"], 0)],
    ("disputes", "list"): [([], 0)],
    ("merchants", "add"): [
        (["--client-id", "SANDBOX_OTHER", "--public-key-file", "{keys}/public_key.pem"], 0)
    ],
    ("merchants", "set"): [(["--frame-origin", "https://shop.example"], 0)],
    ("gateway-key",): [([], 0)],
    ("fx", "list"): [([], 0)],
    ("fx", "set"): [(["USD", "CNY", "7.1", "--date", "2026-11-22"], 0)],
    ("fx", "import"): [(["{rates}"], 0)],
    ("keys", "generate"): [(["--out", "{keys}"], 0)],
    ("logs",): [([], 0), (["--json", "--limit", "1"], 0)],
    ("notifications", "list"): [([], 0), (["--json"], 0)],
    ("notifications", "show"): [(["{notification}"], 0), (["N_NOPE"], 2)],
    ("notifications", "resend"): [(["{notification}"], 0)],
    ("notifications", "chaos"): [(["--drop-first", "1"], 0), ([], 0)],
    ("reports", "settlement"): [(["--date", "2026-11-22", "--out", "{reports}"], 0)],
    ("sandbox", "complete-payment"): [
        (["--payment-id", "{payment}", "--outcome", "SUCCESS"], 0),
        (["--payment-id", "{payment}", "--outcome", "FAIL"], 1),
    ],
    ("sandbox", "complete-refund"): [(["--refund-id", "R_NOPE", "--outcome", "SUCCESS"], 1)],
    ("sandbox", "complete-capture"): [(["--capture-id", "C_NOPE", "--outcome", "SUCCESS"], 1)],
    ("sandbox", "advance-clock"): [(["--seconds", "60"], 0)],
    ("sandbox", "chaos"): [(["--duplicate"], 0), ([], 0)],
    ("sandbox", "send-test-notification"): [(["--notify-type", "REFUND_RESULT"], 0)],
    ("vaultings", "list"): [([], 0)],
}


def leaf_commands(group: click.Group, path: tuple[str, ...] = ()) -> set[tuple[str, ...]]:
    leaves: set[tuple[str, ...]] = set()
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            leaves |= leaf_commands(command, (*path, name))
        else:
            leaves.add((*path, name))
    return leaves


def test_every_command_is_run_or_listed_with_its_reason() -> None:
    assert leaf_commands(main) == set(RUNS) | set(NOT_RUN)
    assert not set(RUNS) & set(NOT_RUN)


@pytest.mark.parametrize("command", sorted(RUNS), ids=" ".join)
def test_the_command_prints_no_python_repr(
    command: tuple[str, ...], ams: AmsClient, gateway: Gateway, tmp_path: Path
) -> None:
    with receiver() as merchant:
        paid = ams.call("payments/pay", pay_body(paymentNotifyUrl=merchant.url))
        ams.call(
            "testHelpers/completePayment",
            {"paymentId": paid.body["paymentId"], "outcome": "SUCCESS"},
        )
        worker = gateway.dispatcher()
        try:
            worker.drain()
        finally:
            worker.close()
    pending = ams.call("payments/pay", pay_body())
    gateway.recorder.flush()
    with gateway.store() as uow:
        (notification,) = uow.outbox.search(ams.client_id, limit=5)
    rates = tmp_path / "rates.csv"
    rates.write_text("base,quote,rate,date\nUSD,HKD,7.8,2026-11-22\n")
    values = {
        "keys": str(tmp_path / "keys"),
        "rates": str(rates),
        "reports": str(tmp_path / "reports"),
        "payment": pending.body["paymentId"],
        "notification": notification.notification_id,
    }
    env = {
        **os.environ,
        "OPENAMS_DATABASE_URL": gateway.settings.database_url,
        "OPENAMS_CLIENT_ID": ams.client_id,
        "OPENAMS_NOTIFY_INITIAL_DELAY_MS": "0",
    }
    if command == ("merchants", "add"):  # it reads the key that keys generate writes
        subprocess.run([OPENAMS, "keys", "generate", "--out", values["keys"]], env=env, check=True)
    for args, code in RUNS[command]:
        argv = [OPENAMS, *command, *(arg.format(**values) for arg in args)]
        done = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=120)
        assert done.returncode == code, (argv, done.stdout, done.stderr)
        for stream in (done.stdout, done.stderr):
            found = REPR.search(stream)
            assert found is None, (argv, found and found.group(), stream)
        if "--json" in args:
            for line in done.stdout.splitlines():
                json.loads(line)  # --json stays JSON
        elif command[0] == "sandbox" or command[-1] == "chaos":
            assert not done.stdout.lstrip().startswith("{"), (argv, done.stdout)
