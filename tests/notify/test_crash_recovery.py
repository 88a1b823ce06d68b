"""Two `openams worker` processes share the outbox; one is SIGKILLed mid-batch and
restarted. Every notification is delivered at least once, none is lost."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from openams.gateway.app import Gateway
from openams.gateway.domain.notification import DeliveryStatus
from tests.ams_client import AmsClient
from tests.gateway.integration.payloads import pay_body
from tests.notify.receiver import receiver

OPENAMS = str(Path(sys.executable).with_name("openams"))
COUNT = 300


def start_worker(database_url: str, key_file: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "OPENAMS_DATABASE_URL": database_url,
        "OPENAMS_GATEWAY_PRIVATE_KEY_FILE": str(key_file),
        "OPENAMS_NOTIFY_LEASE_SECONDS": "2",
    }
    return subprocess.Popen(
        [OPENAMS, "worker", "--poll-seconds", "0.1"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def statuses(gateway: Gateway, client_id: str) -> list[DeliveryStatus]:
    with gateway.store() as uow:
        return [n.status for n in uow.outbox.for_client(client_id, COUNT * 2)]


def test_sigkill_mid_batch_loses_nothing(
    ams: AmsClient, gateway: Gateway, database_url: str, gateway_key_file: Path
) -> None:
    with receiver(delay_seconds=0.1) as merchant:
        expected = set()
        for _ in range(COUNT):
            body = pay_body(paymentNotifyUrl=merchant.url)
            ams.call("payments/pay", body)
            ams.call(
                "testHelpers/completePayment",
                {"paymentRequestId": body["paymentRequestId"], "outcome": "SUCCESS"},
            )
            expected.add(body["paymentRequestId"])
        first, second = (start_worker(database_url, gateway_key_file) for _ in range(2))
        try:
            deadline = time.monotonic() + 60
            while len(merchant.received) < 40:
                assert time.monotonic() < deadline, "workers delivered nothing"
                time.sleep(0.02)
            first.send_signal(signal.SIGKILL)
            first.wait()
            killed_at = len(merchant.received)
            restarted = start_worker(database_url, gateway_key_file)
            try:
                while any(
                    s is not DeliveryStatus.DELIVERED for s in statuses(gateway, ams.client_id)
                ):
                    assert time.monotonic() < deadline + 60, "notifications were lost"
                    time.sleep(0.2)
            finally:
                restarted.send_signal(signal.SIGTERM)
                restarted.wait(timeout=30)
        finally:
            for worker in (first, second):
                if worker.poll() is None:
                    worker.send_signal(signal.SIGTERM)
                    worker.wait(timeout=30)
    delivered = {m.json["paymentRequestId"] for m in merchant.received}
    assert delivered == expected
    assert killed_at < COUNT  # the kill really happened mid-batch
    assert len(statuses(gateway, ams.client_id)) == COUNT
