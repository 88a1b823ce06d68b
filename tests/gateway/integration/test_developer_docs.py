"""Every command in docs/developers.md's ``sh`` blocks runs, as written, against the
database of a gateway that has served calls and sent notifications."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from openams.gateway.app import Gateway
from tests.ams_client import AmsClient
from tests.gateway.integration.payloads import pay_body
from tests.notify.receiver import receiver

DOC = Path(__file__).parents[3] / "docs" / "developers.md"


def doc_commands() -> list[str]:
    blocks = re.findall(r"```sh\n(.*?)```", DOC.read_text(), flags=re.DOTALL)
    lines = [line.strip() for block in blocks for line in block.splitlines()]
    return [line for line in lines if line and not line.startswith("#")]


def test_the_documented_commands_run(ams: AmsClient, gateway: Gateway) -> None:
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
    gateway.recorder.flush()
    with gateway.store() as uow:
        (notification,) = uow.outbox.search(ams.client_id, limit=5)
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "OPENAMS_DATABASE_URL": gateway.settings.database_url,
        "CLIENT_ID": ams.client_id,
        "NOTIFICATION_ID": notification.notification_id,
    }
    commands = doc_commands()
    assert len(commands) >= 10
    for command in commands:
        done = subprocess.run(
            ["sh", "-c", command], capture_output=True, text=True, env=env, timeout=120
        )
        assert done.returncode == 0, (command, done.stdout, done.stderr)
        assert "Traceback" not in done.stderr, (command, done.stderr)
