"""SIGKILL ``openams serve`` at random moments during a burst of pays and completions,
restart it, and prove nothing was lost or done twice:

- every pay that was answered (U/PAYMENT_IN_PROCESS) exists, with the paymentId it was
  answered with;
- one payment per paymentRequestId: a pay whose answer was lost and was sent again got
  the same payment, never a second one;
- completion is idempotent: each final payment has exactly one PAYMENT_RESULT
  notification, and completing it again changes nothing;
- after the restart every final payment's notification reaches a real receiver, with the
  payment's final result.

Clients behave as the AMS documents ask: on a lost answer (connection refused or cut)
they resend the identical signed request until they get one.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from openams.gateway.app import Gateway
from openams.gateway.domain.notification import DeliveryStatus
from openams.gateway.store.tables import notifications, payments
from openams.protocol.keys import KeyPair
from tests.ams_client import AmsClient, AmsReply
from tests.conftest import UNUSED_TLS
from tests.gateway.integration.payloads import pay_body
from tests.notify.receiver import Receiver, receiver
from tests.ports import free_port

OPENAMS = str(Path(sys.executable).with_name("openams"))
CLIENT_ID = "SANDBOX_FAULTS"
PAYS = 300
CLIENTS = 6
KILLS = 5
SEED = int(os.environ.get("OPENAMS_FAULTS_SEED", "20261122"))
LOST = (httpx.TransportError,)


@dataclass
class Gateway_Process:
    database_url: str
    key_file: Path
    port: int
    log: Path
    process: subprocess.Popen[bytes] | None = None
    starts: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        env = {
            **os.environ,
            "OPENAMS_DATABASE_URL": self.database_url,
            "OPENAMS_GATEWAY_PRIVATE_KEY_FILE": str(self.key_file),
            "OPENAMS_NOTIFY_INITIAL_DELAY_MS": "0",
            "OPENAMS_NOTIFY_LEASE_SECONDS": "2",
            "OPENAMS_DISPATCHER_POLL_SECONDS": "0.1",
        }
        with open(self.log, "ab") as out:
            self.process = subprocess.Popen(
                [OPENAMS, "serve", "--port", str(self.port), "--public-url", self.url],
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        self.starts += 1
        deadline = time.monotonic() + 60
        while True:
            assert self.process.poll() is None, self.log.read_text()[-3000:]
            try:
                health = httpx.get(self.url + "/healthz", timeout=1, verify=UNUSED_TLS)
                if health.status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "openams serve did not start"
            time.sleep(0.05)

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@dataclass
class Ledger:
    """What the clients were told, and how often an answer was lost."""

    answered: dict[str, str] = field(default_factory=dict)  # paymentRequestId -> paymentId
    completed: dict[str, str] = field(default_factory=dict)  # paymentId -> outcome
    lost: Counter[str] = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)


@pytest.fixture
def served(database_url: str, gateway_key_file: Path, tmp_path: Path) -> Iterator[Gateway_Process]:
    process = Gateway_Process(database_url, gateway_key_file, free_port(), tmp_path / "serve.log")
    try:
        yield process
    finally:
        process.stop()


def _until_answered(call: Any, ledger: Ledger, what: str, stop: float) -> AmsReply:
    """Send until an answer arrives: the identical request each time."""
    while True:
        try:
            reply: AmsReply = call()
            return reply
        except LOST:
            with ledger.lock:
                ledger.lost[what] += 1
            assert time.monotonic() < stop, f"no answer to {what} before the deadline"
            time.sleep(0.05)


def _client_work(
    ams: AmsClient, bodies: list[dict[str, Any]], ledger: Ledger, rng: random.Random, stop: float
) -> None:
    for body in bodies:
        raw = json.dumps(body).encode()  # the identical bytes on every resend
        reply = _until_answered(lambda raw=raw: ams.call("payments/pay", raw), ledger, "pay", stop)
        assert reply.code == "PAYMENT_IN_PROCESS", reply.result
        payment_id = reply.body["paymentId"]
        with ledger.lock:
            ledger.answered[body["paymentRequestId"]] = payment_id
        outcome = "SUCCESS" if rng.random() < 0.7 else "FAIL"
        complete = {"paymentId": payment_id, "outcome": outcome}
        done = _until_answered(
            lambda complete=complete: ams.call("testHelpers/completePayment", complete),
            ledger,
            "complete",
            stop,
        )
        assert done.code == "SUCCESS", done.result
        assert done.body["paymentStatus"] == outcome
        with ledger.lock:
            ledger.completed[payment_id] = outcome


def _progress(ledger: Ledger) -> int:
    with ledger.lock:
        return len(ledger.answered) + len(ledger.completed)


def _kill_during_the_burst(
    served: Gateway_Process,
    ledger: Ledger,
    rng: random.Random,
    done: threading.Event,
    kills: list[float],
) -> None:
    """KILLS SIGKILLs spread over the burst whatever the machine's speed: the k-th once
    k/(KILLS+1) of the pays and completions are answered, then a random moment later
    (so it lands inside a request, a commit or a delivery, not between them)."""
    work = 2 * PAYS
    for k in range(1, KILLS + 1):
        while _progress(ledger) < k * work // (KILLS + 1):
            if done.wait(0.01):
                return
        if done.wait(rng.uniform(0.0, 0.1)):
            return
        served.kill()
        kills.append(time.monotonic())
        time.sleep(rng.uniform(0.0, 0.3))  # clients find the port closed meanwhile
        served.start()


def _delivered(merchant: Receiver) -> tuple[dict[str, set[str]], int]:
    """paymentId -> the result statuses received; and how many deliveries were cut short
    (the gateway died while sending: the receiver saw a truncated body, did not
    acknowledge it, and the notification was sent again)."""
    seen: dict[str, set[str]] = {}
    cut = 0
    for message in list(merchant.received):
        try:
            body = message.json
        except ValueError:
            cut += 1
            continue
        seen.setdefault(body["paymentId"], set()).add(body["result"]["resultStatus"])
    return seen, cut


def test_sigkill_serve_during_pays_and_completions_loses_nothing(
    served: Gateway_Process, gateway: Gateway, merchant_keys: KeyPair
) -> None:
    rng = random.Random(SEED)
    ledger = Ledger()
    kills: list[float] = []
    with receiver() as merchant:
        gateway.merchants.add(CLIENT_ID, merchant_keys.public_pem, notify_url=merchant.url)
        served.start()
        bodies = [pay_body() for _ in range(PAYS)]
        for body in bodies:
            del body["paymentNotifyUrl"]  # the merchant's default: the receiver
        stop = time.monotonic() + 240
        done = threading.Event()
        errors: list[BaseException] = []

        def client(index: int) -> None:
            try:
                with httpx.Client(base_url=served.url, timeout=10) as http:
                    ams = AmsClient(
                        http, CLIENT_ID, merchant_keys.private_key, gateway.key_pair.public_key
                    )
                    own = bodies[index::CLIENTS]
                    _client_work(ams, own, ledger, random.Random(SEED + index), stop)
            except BaseException as exc:  # reported below
                errors.append(exc)

        killer = threading.Thread(
            target=_kill_during_the_burst, args=(served, ledger, rng, done, kills)
        )
        threads = [threading.Thread(target=client, args=(i,)) for i in range(CLIENTS)]
        killer.start()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        done.set()
        killer.join()
        assert not errors, errors
        assert served.process is not None and served.process.poll() is None

        # every answered pay exists, with the id it was answered with; one per request id
        with gateway.engine.connect() as conn:
            stored = {
                row.payment_request_id: (row.payment_id, row.status)
                for row in conn.execute(
                    select(
                        payments.c.payment_request_id, payments.c.payment_id, payments.c.status
                    ).where(payments.c.client_id == CLIENT_ID)
                )
            }
            per_payment = Counter(
                row.payment_id
                for row in conn.execute(
                    select(notifications.c.payment_id).where(
                        notifications.c.client_id == CLIENT_ID,
                        notifications.c.notify_type == "PAYMENT_RESULT",
                    )
                )
            )
        assert len(ledger.answered) == PAYS
        assert len(stored) == PAYS
        for request_id, payment_id in ledger.answered.items():
            assert stored[request_id][0] == payment_id
            assert stored[request_id][1] == ledger.completed[payment_id]
        # one notification per final payment: no completion happened twice
        assert per_payment == Counter({p: 1 for p in ledger.completed})

        # completing again (after everything) changes nothing
        with httpx.Client(base_url=served.url, timeout=10) as http:
            ams = AmsClient(http, CLIENT_ID, merchant_keys.private_key, gateway.key_pair.public_key)
            for payment_id, outcome in list(ledger.completed.items())[:20]:
                again = ams.call(
                    "testHelpers/completePayment", {"paymentId": payment_id, "outcome": outcome}
                )
                assert again.code == "SUCCESS" and again.body["paymentStatus"] == outcome
        with gateway.engine.connect() as conn:
            total = conn.execute(
                select(func.count())
                .select_from(notifications)
                .where(notifications.c.client_id == CLIENT_ID)
            ).scalar_one()
        assert total == PAYS

        # after the restarts, every final payment's notification is delivered
        deadline = time.monotonic() + 120
        while True:
            with gateway.store() as uow:
                pending = [
                    n
                    for n in uow.outbox.for_client(CLIENT_ID, PAYS * 2)
                    if n.status is not DeliveryStatus.DELIVERED
                ]
            if not pending:
                break
            assert time.monotonic() < deadline, f"{len(pending)} notifications not delivered"
            time.sleep(0.2)
        delivered, cut = _delivered(merchant)
        expected = {
            payment_id: {"S" if outcome == "SUCCESS" else "F"}
            for payment_id, outcome in ledger.completed.items()
        }
        assert delivered == expected
        duplicates = len(merchant.received) - cut - len(delivered)

    assert len(kills) == KILLS  # every kill happened during the burst
    assert served.starts == len(kills) + 1
    print(
        f"\nfaults: {PAYS} pays + {PAYS} completions from {CLIENTS} clients, "
        f"{len(kills)} SIGKILLs; "
        f"answers lost and resent: {dict(ledger.lost)}; notifications delivered: "
        f"{len(delivered)} payments, {duplicates} duplicate deliveries (at least once), "
        f"{cut} cut short by a kill"
    )
