"""Acknowledged notifications per second of one dispatcher, against the RSA bound.

Not a test. One run:

1. the bound: RSA-2048 signatures per second (SHA256withRSA, PKCS#1 v1.5, the one
   signature the gateway makes per notification) with bare ``cryptography``, on the
   dispatcher's CPU, before and after the deliveries (the mean of the two is used);
2. a receiver in its own process pinned to the other CPU (uvicorn, httptools, uvloop)
   that acknowledges every POST and counts the 200 answers it gave and the distinct
   notifications it saw;
3. ``--count`` PAYMENT_RESULT notifications in a throw-away database (a SQLite file in
   a temporary directory, or a schema dropped afterwards on ``--database-url``), then
   one dispatcher, pinned to its CPU (what ``taskset -c 0`` does), drains them.

The figure: acknowledged deliveries (the receiver's 200s, checked against the outbox's
DELIVERED rows) per wall second of the drain, divided by the bound. The same per CPU
second of the dispatcher's process is printed beside it, and the dispatcher's own
signatures timed where it makes them: ``signature_us`` each, ``other_us`` (the rest of
the process's CPU per acknowledged notification) and ``signature_share`` (their share
of that CPU), which move less with the machine's speed than the bound's ratio does.
Reproduce::

    .venv/bin/python bench/bench_notifications.py --count 2000 --runs 3
    .venv/bin/python bench/bench_notifications.py --count 2000 --runs 3 \\
        --database-url postgresql+psycopg://postgres@127.0.0.1:5432/test

``--workers 1,2`` instead runs ``openams worker`` processes (unpinned) on a backlog of
``--count`` and reports each set's rate, the notifications sent twice and those lost::

    .venv/bin/python bench/bench_notifications.py --count 20000 --workers 1,2 \\
        --database-url postgresql+psycopg://postgres@127.0.0.1:5432/test

Before the drain the heap is settled as ``openams worker`` settles it
(``gateway/heap.py``; ``--settle-heap false`` leaves it as built), and the garbage
collector's time during the drain is printed (``collector_s``, ``collections``).

``--merchants N`` shares the count out among N merchants (each has its own limit of
attempts in flight, 4 by default). ``--profile FILE`` writes a cProfile of the drain
(one run), as seen from the delivery loop's thread.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import gc
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from loadgen import OPENAMS, database_label, free_port, pin, temporary_database
from sqlalchemy import func, select

from openams.gateway.app import Gateway, build_gateway
from openams.gateway.domain.notification import DeliveryStatus, NotifyType
from openams.gateway.heap import settle_heap
from openams.gateway.settings import Settings
from openams.gateway.store.tables import notifications
from openams.protocol import signing
from openams.protocol.keys import generate_key_pair
from openams.protocol.signing import signed_content

RECEIVER = """
import json
ACK = json.dumps({"result": {"resultCode": "SUCCESS", "resultStatus": "S",
                             "resultMessage": "success"}}).encode()
HEADERS = [(b"content-type", b"application/json")]
state = {"acks": 0, "seen": set(), "first": None, "last": None}

async def app(scope, receive, send):
    if scope["type"] != "http":
        return
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            break
    if scope["method"] == "GET":
        counts = {"acks": state["acks"], "distinct": len(state["seen"]),
                  "first": state["first"], "last": state["last"]}
        answer = json.dumps(counts).encode()
    else:
        state["seen"].add(json.loads(body)["paymentId"])
        answer = ACK
    await send({"type": "http.response.start", "status": 200, "headers": HEADERS})
    await send({"type": "http.response.body", "body": answer})
    if scope["method"] == "POST":
        state["acks"] += 1
        import time
        now = time.time()
        state["first"] = state["first"] or now
        state["last"] = now
"""


# ------------------------------------------------------------------ the bound


def pin_every_thread(cpus: set[int]) -> None:
    """``taskset -c`` for this process: every thread it has now (the affinity of a
    thread is its own) and, through the calling thread, every thread started later."""
    for task in os.listdir("/proc/self/task"):
        with contextlib.suppress(OSError):
            os.sched_setaffinity(int(task), cpus)


def signatures_per_second(seconds: float, cpus: set[int]) -> dict[str, float]:
    """RSA-2048 SHA256withRSA signatures of a notification's signed content, as fast
    as one CPU makes them: the bare ``cryptography`` call, nothing around it."""
    previous = os.sched_getaffinity(0)
    pin(cpus)
    try:
        key = generate_key_pair().private_key
        content = signed_content(
            "POST", "/notify", "SANDBOX_BENCH", "2026-01-01T00:00:00.000+00:00", body(0)
        )
        scheme, digest = padding.PKCS1v15(), hashes.SHA256()
        count = 0
        wall, cpu = time.perf_counter(), time.process_time()
        while time.perf_counter() - wall < seconds:
            key.sign(content, scheme, digest)
            count += 1
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    finally:
        os.sched_setaffinity(0, previous)
    return {"wall": count / wall, "cpu": count / cpu}


# --------------------------------------------------------------- the receiver


@dataclass
class Receiver:
    process: subprocess.Popen[bytes]
    url: str

    def counts(self) -> dict[str, Any]:
        return dict(httpx.get(self.url, timeout=30).json())


@contextlib.contextmanager
def receiver(workdir: Path, cpus: set[int]) -> Iterator[Receiver]:
    (workdir / "receiver.py").write_text(RECEIVER)
    port = free_port()
    command = [sys.executable, "-m", "uvicorn", "receiver:app", "--port", str(port)]
    command += ["--http", "httptools", "--loop", "uvloop", "--log-level", "warning"]
    command += ["--no-access-log", "--lifespan", "off"]
    process = subprocess.Popen(
        command,
        cwd=workdir,
        env={**os.environ, "PYTHONPATH": str(workdir)},
        preexec_fn=lambda: pin(cpus),
    )
    found = Receiver(process, f"http://127.0.0.1:{port}/notify")
    try:
        for _ in range(300):
            try:
                found.counts()
                break
            except httpx.TransportError:
                time.sleep(0.05)
        yield found
    finally:
        process.terminate()
        process.wait()


# ---------------------------------------------------------------- the outbox


def body(i: int) -> bytes:
    return json.dumps(notification_body(i), separators=(",", ":")).encode()


def notification_body(i: int) -> dict[str, Any]:
    payment_id = f"2026010112345678{i:08d}"
    return {
        "notifyType": "PAYMENT_RESULT",
        "result": {"resultCode": "SUCCESS", "resultStatus": "S", "resultMessage": "success"},
        "paymentRequestId": f"BENCH_{payment_id}",
        "paymentId": payment_id,
        "paymentAmount": {"currency": "HKD", "value": "100"},
        "paymentCreateTime": "2026-01-01T00:00:00+08:00",
        "paymentTime": "2026-01-01T00:00:05+08:00",
    }


def fill_outbox(gateway: Gateway, count: int, url: str, start: int = 0) -> str:
    """``count`` notifications of a new sandbox merchant; ``start`` tells merchants'
    payment ids apart (the receiver counts distinct ones)."""
    client_id = f"SANDBOX_BENCH_{uuid.uuid4().hex[:8]}"
    gateway.merchants.add(client_id, generate_key_pair().public_pem)
    notifier = gateway.payments.notifier
    with gateway.store(write=True) as uow:
        for i in range(start * count, (start + 1) * count):
            payload = notification_body(i)
            notifier.enqueue(
                uow,
                client_id=client_id,
                notify_type=NotifyType.PAYMENT_RESULT,
                subject_id=payload["paymentId"],
                payment_id=payload["paymentId"],
                url=url,
                body=payload,
            )
        uow.commit()
    return client_id


def delivered_rows(gateway: Gateway) -> int:
    with gateway.engine.connect() as conn:
        return int(
            conn.execute(
                select(func.count())
                .select_from(notifications)
                .where(notifications.c.status == DeliveryStatus.DELIVERED.value)
            ).scalar_one()
        )


# -------------------------------------------------------------------- a run


def on_loop(dispatcher: Any, work: Any) -> None:
    """``work()`` on the dispatcher's delivery loop thread (where it does everything)."""

    async def run() -> None:
        work()

    dispatcher._deliveries.call(run)


def one_dispatcher(args: argparse.Namespace, profile: Path | None) -> dict[str, Any]:
    """One pinned dispatcher drains ``--count`` notifications; the bound around it."""
    dispatcher_cpus, receiver_cpus = {args.dispatcher_cpu}, {args.receiver_cpu}
    before = signatures_per_second(args.crypto_seconds, dispatcher_cpus)
    with (
        tempfile.TemporaryDirectory(prefix="openams-bench-") as tmp,
        temporary_database(args.database_url, Path(tmp)) as url,
        receiver(Path(tmp), receiver_cpus) as merchant,
    ):
        gateway = build_gateway(Settings(database_url=url, notify_initial_delay_ms=0))
        try:
            for part in range(args.merchants):  # the count shared out among them
                fill_outbox(gateway, args.count // args.merchants, merchant.url, start=part)
            options: dict[str, Any] = {}
            if args.concurrency:
                options["concurrency"] = args.concurrency
            if args.database_work != "default":
                options["database_on_loop"] = args.database_work == "loop"
            dispatcher = gateway.dispatcher(**options)
            if args.settle_heap:
                settle_heap()  # as `openams worker` does before it delivers
            previous = os.sched_getaffinity(0)
            pin_every_thread(dispatcher_cpus)
            profiler = cProfile.Profile() if profile else None
            try:
                collector = CollectorTime()
                signatures = SignatureTime()
                wall, cpu = time.perf_counter(), time.process_time()
                if profiler:  # cProfile sees one thread: the delivery loop's
                    on_loop(dispatcher, profiler.enable)
                dispatcher.drain(max_passes=10 * args.count)
                if profiler:
                    on_loop(dispatcher, profiler.disable)
                wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
                collector.stop()
                signatures.stop()
            finally:
                gc.unfreeze()  # the next run starts as this one did
                dispatcher.close()
                pin_every_thread(previous)
            if profiler and profile:
                profiler.dump_stats(profile)
            counts = merchant.counts()
            delivered = delivered_rows(gateway)
        finally:
            gateway.close()
    after = signatures_per_second(args.crypto_seconds, dispatcher_cpus)
    bound = {key: (before[key] + after[key]) / 2 for key in before}
    acknowledged = min(counts["acks"], delivered)
    return {
        "database": database_label(args.database_url),
        "database_work": args.database_work,
        "notifications": args.count,
        "acknowledged": counts["acks"],
        "delivered_rows": delivered,
        "sent_twice": counts["acks"] - counts["distinct"],
        "seconds": round(wall, 2),
        "dispatcher_cpu_s": round(cpu, 2),
        "acks_per_s": round(acknowledged / wall),
        "bound_signatures_per_s": round(bound["wall"]),
        "ratio": round(acknowledged / wall / bound["wall"], 3),
        "acks_per_cpu_s": round(acknowledged / cpu),
        "bound_per_cpu_s": round(bound["cpu"]),
        "ratio_cpu": round(acknowledged / cpu / bound["cpu"], 3),
        "signature_us": round(signatures.microseconds()),
        "other_us": round(cpu / acknowledged * 1e6 - signatures.microseconds()),
        "signature_share": round(signatures.seconds / cpu, 3),
        "settled_heap": args.settle_heap,
        "collector_s": round(collector.seconds, 3),
        "collections": collector.collections,
    }


class SignatureTime:
    """The dispatcher's own signatures from now until stop(): CPU time of each
    ``sign_content`` call on the thread that makes it. Measured at the same moments as
    the rest of the dispatcher's work, so ``signature_share`` (signature time over the
    process's CPU time) moves less with the machine's speed than the bound's ratio,
    which compares two measurements made seconds apart."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self.count = 0
        self._original = signing.sign_content

        def timed(content: bytes, private_key: Any) -> str:
            started = time.thread_time()
            try:
                return self._original(content, private_key)
            finally:
                self.seconds += time.thread_time() - started
                self.count += 1

        signing.sign_content = timed

    def stop(self) -> None:
        signing.sign_content = self._original

    def microseconds(self) -> float:
        return self.seconds / self.count * 1e6 if self.count else 0.0


class CollectorTime:
    """The cyclic garbage collector's time in this process from now until stop()."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self.collections = 0
        self._started = 0.0
        gc.callbacks.append(self._callback)

    def stop(self) -> None:
        gc.callbacks.remove(self._callback)

    def _callback(self, phase: str, _info: dict[str, int]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self.seconds += time.perf_counter() - self._started
            self.collections += 1


@contextlib.contextmanager
def workers(url: str, key_file: Path, count: int, log: Path) -> Iterator[None]:
    env = {
        **os.environ,
        "OPENAMS_DATABASE_URL": url,
        "OPENAMS_GATEWAY_PRIVATE_KEY_FILE": str(key_file),
    }
    with open(log, "ab") as output:
        started = [
            subprocess.Popen(
                [OPENAMS, "worker", "--poll-seconds", "0.2"],
                env=env,
                stdout=output,
                stderr=subprocess.STDOUT,
            )
            for _ in range(count)
        ]
    try:
        yield
    finally:
        for process in started:
            process.send_signal(signal.SIGTERM)
        for process in started:
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def several_dispatchers(args: argparse.Namespace, how_many: int) -> dict[str, Any]:
    """``how_many`` ``openams worker`` processes deliver a backlog of ``--count``."""
    with (
        tempfile.TemporaryDirectory(prefix="openams-bench-") as tmp,
        temporary_database(args.database_url, Path(tmp)) as url,
        receiver(Path(tmp), {args.receiver_cpu}) as merchant,
    ):
        key_file = Path(tmp) / "gateway.pem"
        key_file.write_text(generate_key_pair().private_pem)
        settings = Settings(
            database_url=url, gateway_private_key_file=key_file, notify_initial_delay_ms=0
        )
        gateway = build_gateway(settings)
        try:
            fill_outbox(gateway, args.count, merchant.url)
            deadline = time.monotonic() + 600
            with workers(url, key_file, how_many, Path(tmp) / "workers.log"):
                while delivered_rows(gateway) < args.count and time.monotonic() < deadline:
                    time.sleep(0.2)
            counts = merchant.counts()
            delivered = delivered_rows(gateway)
        finally:
            gateway.close()
    seconds = (counts["last"] or 0) - (counts["first"] or 0)
    return {
        "database": database_label(args.database_url),
        "workers": how_many,
        "notifications": args.count,
        "delivered_rows": delivered,
        "lost": args.count - counts["distinct"],
        "sent_twice": counts["acks"] - counts["distinct"],
        "seconds": round(seconds, 2),
        "acks_per_s": round(counts["distinct"] / seconds) if seconds else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=2000)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--concurrency", type=int, default=0, help="0: the setting's")
    parser.add_argument("--dispatcher-cpu", type=int, default=0)
    parser.add_argument("--receiver-cpu", type=int, default=1)
    parser.add_argument("--crypto-seconds", type=float, default=2.0)
    parser.add_argument(
        "--database-work",
        choices=["default", "loop", "thread"],
        default="default",
        help="where the dispatcher's database work runs (default: thread on PostgreSQL)",
    )
    parser.add_argument("--profile", type=Path, default=None)
    parser.add_argument(
        "--settle-heap",
        type=lambda text: text == "true",
        default=True,
        help="true/false: settle the heap before the drain as `openams worker` does",
    )
    parser.add_argument("--workers", default=None, help="e.g. 1,2: openams worker processes")
    parser.add_argument(
        "--merchants", type=int, default=1, help="the count shared out among this many"
    )
    args = parser.parse_args()
    if args.workers:
        for how_many in [int(n) for n in args.workers.split(",")] * args.runs:
            print(json.dumps(several_dispatchers(args, how_many)), flush=True)
        return
    ratios = []
    for run in range(args.runs):
        result = one_dispatcher(args, args.profile if run == 0 else None)
        ratios.append(result["ratio"])
        print(json.dumps(result), flush=True)
    if len(ratios) > 1:
        print(json.dumps({"ratios": ratios, "median": sorted(ratios)[len(ratios) // 2]}))


if __name__ == "__main__":
    main()
