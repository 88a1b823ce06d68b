"""A merchant's load test, end to end: pay, the buyer completes, the verified notification.

Not a test. One run plays a merchant load-testing checkout against ``openams serve``:

1. the bound of the whole cycle: per cycle the gateway verifies the merchant's signature
   and signs its answer for ``pay``, the same for the sandbox ``completePayment`` helper,
   and signs one ``PAYMENT_RESULT`` notification: 2 RSA-2048 verifications and 3
   signatures (SHA256withRSA, PKCS#1 v1.5, bare ``cryptography``) in a loop on the
   server's CPU, before and after the load (the mean of the two is used), as cycles per
   wall second and per CPU second of that loop;
2. ``openams serve`` (one process, its in-process dispatcher: the default) pinned to
   CPU 0 on a throw-away database (a SQLite file in a temporary directory, or a schema
   dropped afterwards on ``--database-url``), with the first delivery attempt due at
   once (``OPENAMS_NOTIFY_INITIAL_DELAY_MS=0``, ``--initial-delay-ms``; the default,
   3 to 5 s at random as Antom, would be the whole delay); a sandbox merchant whose
   ``paymentNotifyUrl`` (in every pay, and its registered notify URL) is the receiver;
3. the receiver, a process of its own pinned to CPU 1 (uvicorn, httptools, uvloop): it
   verifies every notification with ``openams.sdk.verify_notification`` against the
   gateway's public key, records when the first verified one for each paymentId
   arrived, counts duplicates and bad signatures, and acknowledges (result S); a GET
   returns its records;
4. the merchant (this process, pinned to CPU 1 too): pre-signed pays on keep-alive
   connections at a fixed rate (open loop: each is sent at its scheduled time, however
   late the earlier answers are) and, as each pay answer arrives, a
   ``testHelpers/completePayment`` (sandbox path, outcome SUCCESS) for its paymentId,
   signed then. The arrival of the completion's answer starts the notification delay;
   the receiver's verified arrival ends it (both on ``CLOCK_MONOTONIC``). The delay can
   be negative: the gateway commits the notification with the completion, and the
   dispatcher may deliver it before the completion's answer reaches the merchant.

The steps: from ``--start`` (0.2) of the cycle bound per wall second, the rate rises by
``--step`` (0.05) of the bound, ``--seconds`` (10) per step, until a step is not flat
``--retries`` + 1 (2) times in a row (a loaded machine stalls now and then; a backlog
that really grows fails every time). If the first rate is not flat, it halves until one
is, and the steps rise from there. Each step opens its own 64 keep-alive connections
(``--connections``) and starts with the previous step's notifications all verified.
Within a step of S seconds starting at t0, with backlog(t) = completions answered by t
minus those whose notification was verified by t (the notification backlog), and
pending(t) = pays scheduled by t minus completions answered by t (the merchant's own
backlog), a step is **flat** when all of these hold:

* the mean notification backlog over the last quarter [t0 + 3S/4, t0 + S) is at most
  its mean over the second quarter [t0 + S/4, t0 + S/2) plus a slack of
  ``--slack-seconds`` (0.25) times the rate plus 2 (a backlog growing by more than
  about 5% of the rate for S = 10 fails it);
* the same holds for pending(t) (a gateway that answers pays late is not keeping up
  either, even when its notifications do);
* every pay and completion was answered as expected, and every notification of the
  step was verified within ``--drain`` (5) seconds of the step's end.

Backlogs are sampled every 50 ms from the recorded times, after the step; the
notification backlog can be negative for a moment (see the delay above). The sustained
rate is the highest flat step's. Then the merchant runs at half of it for ``--seconds``
and the p50/p99 of the completion-to-verified-notification delay are reported (the
issue's goal: p99 under 1 s at half the sustained rate).

The ratios: the sustained rate over the bound per wall second, and the sustained
step's cycles per CPU second of the server process (from the step's start until its
last notification was verified) over the bound per CPU second. Lost: completed but
never verified by the end of the run (after a final wait of ``--final-wait`` seconds).
The figures go to stdout as JSON; each step's verdict to stderr as it ends.
Reproduce::

    .venv/bin/python bench/merchant_load.py
    .venv/bin/python bench/merchant_load.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/test
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import contextlib
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from loadgen import (
    _cpu_of,
    database_label,
    exchange,
    free_port,
    http_request,
    new_loop,
    pay_body,
    pin,
    serve,
    temporary_database,
)

from openams.protocol.keys import generate_key_pair, load_private_key, load_public_key
from openams.protocol.models import PaymentNotification
from openams.protocol.signing import build_signature_header, sign, signed_content
from openams.sdk import (
    MessageFormatError,
    SignatureVerificationError,
    notification_ack,
    verify_notification,
)

CLIENT_ID = "SANDBOX_MERCHANT_LOAD"
PAY_PATH = "/ams/sandbox/api/v1/payments/pay"
COMPLETE_PATH = "/ams/sandbox/api/v1/testHelpers/completePayment"
NOTIFY_PATH = "/notify"
REQUEST_TIME = "2026-01-01T00:00:00+00:00"
PAY_EXPECT = b'"resultCode":"PAYMENT_IN_PROCESS"'
COMPLETE_EXPECT = b'"resultStatus":"S"'
SAMPLE_SECONDS = 0.05


def headers_for(path: str, body: bytes, key: rsa.RSAPrivateKey) -> dict[str, str]:
    signature = sign("POST", path, CLIENT_ID, REQUEST_TIME, body, key)
    return {
        "Content-Type": "application/json; charset=UTF-8",
        "client-id": CLIENT_ID,
        "Request-Time": REQUEST_TIME,
        "Signature": build_signature_header(signature),
    }


def complete_body(payment_id: str) -> bytes:
    return json.dumps({"paymentId": payment_id, "outcome": "SUCCESS"}).encode()


def _sign_pays(args: tuple[str, str, list[str]]) -> list[bytes]:
    pem, notify_url, ids = args
    key = load_private_key(pem.encode())
    out = []
    for request_id in ids:
        body = pay_body(request_id, notify_url, "openams merchant load test")
        out.append(http_request(PAY_PATH, headers_for(PAY_PATH, body, key), body))
    return out


def presign_pays(pem: str, notify_url: str, count: int) -> list[bytes]:
    ids = [f"LOAD_{uuid.uuid4().hex[:24]}" for _ in range(count)]
    chunks = [(pem, notify_url, ids[i : i + 1000]) for i in range(0, count, 1000)]
    with ProcessPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        return [request for chunk in pool.map(_sign_pays, chunks) for request in chunk]


# ------------------------------------------------------------------ the bound


def cycle_bound(seconds: float, cpus: set[int] | None) -> dict[str, float]:
    """Pay, complete and notify's RSA work, as fast as one CPU does it: verify and sign
    for pay, the same for completePayment, sign the notification. Nothing else."""
    previous = os.sched_getaffinity(0)
    pin(cpus)
    try:
        merchant, gateway = generate_key_pair(), generate_key_pair()
        scheme, digest = padding.PKCS1v15(), hashes.SHA256()
        pay = signed_content(
            "POST", PAY_PATH, CLIENT_ID, REQUEST_TIME, pay_body("LOAD_BOUND", "http://x/n")
        )
        complete = signed_content(
            "POST", COMPLETE_PATH, CLIENT_ID, REQUEST_TIME, complete_body("2026" + "0" * 20)
        )
        pay_signature = merchant.private_key.sign(pay, scheme, digest)
        complete_signature = merchant.private_key.sign(complete, scheme, digest)
        pay_answer = b'{"result":{"resultCode":"PAYMENT_IN_PROCESS"}}' + b" " * 600
        complete_answer = b'{"result":{"resultStatus":"S"}}' + b" " * 400
        notification = b'{"notifyType":"PAYMENT_RESULT"}' + b" " * 400
        verify, sign_with = merchant.public_key.verify, gateway.private_key.sign
        count = 0
        wall, cpu = time.perf_counter(), time.process_time()
        while time.perf_counter() - wall < seconds:
            verify(pay_signature, pay, scheme, digest)  # raises if it does not match
            sign_with(pay_answer, scheme, digest)
            verify(complete_signature, complete, scheme, digest)
            sign_with(complete_answer, scheme, digest)
            sign_with(notification, scheme, digest)
            count += 1
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    finally:
        os.sched_setaffinity(0, previous)
    return {"per_wall_second": count / wall, "per_cpu_second": count / cpu}


# --------------------------------------------------------------- the receiver


class NotificationRecorder:
    """An ASGI app: verifies each POSTed notification with the sdk and acknowledges it;
    a GET answers the records (``?from=N``: the arrivals from the N-th on)."""

    def __init__(self, gateway_public_key: rsa.RSAPublicKey, client_id: str) -> None:
        self.key = gateway_public_key
        self.client_id = client_id
        self.ack = notification_ack()
        self.arrivals: list[tuple[str, float]] = []  # first verified one per paymentId
        self.seen: set[str] = set()
        self.posts = self.duplicates = self.bad_signatures = self.malformed = 0

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        chunks = []
        while True:
            message = await receive()
            chunks.append(message.get("body", b""))
            if not message.get("more_body"):
                break
        status, answer = 200, self.ack
        if scope["method"] == "GET":
            start = int(scope["query_string"].decode().partition("from=")[2] or 0)
            answer = json.dumps(self.records(start)).encode()
        else:
            self.posts += 1
            headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in scope["headers"]]
            try:
                notification = verify_notification(
                    scope["method"],
                    scope["path"],
                    headers,
                    b"".join(chunks),
                    gateway_public_key=self.key,
                    client_id=self.client_id,
                )
            except SignatureVerificationError:
                self.bad_signatures += 1
                status, answer = 401, b"{}"
            except MessageFormatError:
                self.malformed += 1
                status, answer = 400, b"{}"
            else:
                arrived = time.monotonic()
                payment_id = (
                    notification.payment_id
                    if isinstance(notification, PaymentNotification)
                    else None
                )
                if payment_id is None:
                    self.malformed += 1
                elif payment_id in self.seen:
                    self.duplicates += 1
                else:
                    self.seen.add(payment_id)
                    self.arrivals.append((payment_id, arrived))
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [(b"content-type", b"application/json")],
            }
        )
        await send({"type": "http.response.body", "body": answer})

    def records(self, start: int) -> dict[str, Any]:
        return {
            "arrivals": self.arrivals[start:],
            "distinct": len(self.seen),
            "posts": self.posts,
            "duplicates": self.duplicates,
            "bad_signatures": self.bad_signatures,
            "malformed": self.malformed,
        }


def run_receiver(port: int, public_key_file: Path) -> None:
    """The receiver's process (``merchant_load.py receiver``)."""
    import uvicorn

    app = NotificationRecorder(load_public_key(public_key_file.read_bytes()), CLIENT_ID)
    uvicorn.run(
        app,
        host="127.0.0.1",
        port=port,
        http="httptools",
        loop="uvloop",
        log_level="warning",
        access_log=False,
        lifespan="off",
    )


@dataclass
class Receiver:
    process: subprocess.Popen[bytes]
    url: str
    arrivals: dict[str, float] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)

    def refresh(self) -> None:
        """Fetch the arrivals recorded since the last call, and the counts."""
        answer = httpx.get(f"{self.url}?from={len(self.arrivals)}", timeout=60).json()
        self.arrivals.update((payment_id, at) for payment_id, at in answer.pop("arrivals"))
        self.counts = answer

    def cpu_seconds(self) -> float:
        return _cpu_of(self.process.pid)


@contextlib.contextmanager
def receiver(public_key_file: Path, cpus: set[int] | None) -> Iterator[Receiver]:
    port = free_port()
    command = [sys.executable, __file__, "receiver", str(port), str(public_key_file)]
    process = subprocess.Popen(command, preexec_fn=(lambda: pin(cpus)) if cpus else None)
    found = Receiver(process, f"http://127.0.0.1:{port}{NOTIFY_PATH}")
    try:
        for _ in range(600):
            if process.poll() is not None:
                raise RuntimeError("the receiver exited")
            try:
                found.refresh()
                break
            except httpx.TransportError:
                time.sleep(0.05)
        yield found
    finally:
        process.terminate()
        process.wait()


# ---------------------------------------------------------------- the merchant


@dataclass
class Step:
    rate: float
    scheduled: list[float] = field(default_factory=list)  # due times, in order
    completed: dict[str, float] = field(default_factory=dict)  # paymentId -> answer time
    failures: int = 0
    reconnects: int = 0
    bodies: list[bytes] = field(default_factory=list)
    started: float = 0.0
    ended: float = 0.0  # the last completion answered
    drained: float | None = None  # its notifications verified, or the drain window over
    server_cpu: float = 0.0
    merchant_cpu: float = 0.0

    def fail(self, body: bytes) -> None:
        self.failures += 1
        if len(self.bodies) < 3:
            self.bodies.append(body[:300])


Pool = asyncio.Queue[tuple[asyncio.StreamReader, asyncio.StreamWriter]]


async def open_pool(port: int, connections: int) -> Pool:
    pool: Pool = asyncio.Queue()
    for _ in range(connections):
        pool.put_nowait(await asyncio.open_connection("127.0.0.1", port))
    return pool


def close_pool(pool: Pool) -> None:
    while not pool.empty():
        _reader, writer = pool.get_nowait()
        writer.close()


async def send(pool: Pool, port: int, request: bytes, step: Step) -> tuple[bytes, bytes]:
    """``request`` on a pooled connection; once more on a new one if the server had
    closed it (an idle kept-alive connection is closed after ``keep_alive_seconds``;
    pay and completePayment are idempotent, so a resend is safe)."""
    reader, writer = await pool.get()
    try:
        try:
            return await exchange(reader, writer, request)
        except (asyncio.IncompleteReadError, ConnectionError):
            writer.close()
            step.reconnects += 1
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            return await exchange(reader, writer, request)
    finally:
        pool.put_nowait((reader, writer))


async def merchant(
    port: int, connections: int, pays: list[bytes], rate: float, key: rsa.RSAPrivateKey
) -> Step:
    """Pays at ``rate`` (open loop); each answered pay is completed at once."""
    step = Step(rate)
    pool = await open_pool(port, connections)

    async def cycle(request: bytes) -> None:
        head, body = await send(pool, port, request, step)
        if not head.startswith(b"HTTP/1.1 200") or PAY_EXPECT not in body:
            step.fail(head[:40] + body)
            return
        payment_id = json.loads(body)["paymentId"]
        completion = complete_body(payment_id)
        headers = headers_for(COMPLETE_PATH, completion, key)
        head, body = await send(pool, port, http_request(COMPLETE_PATH, headers, completion), step)
        if not head.startswith(b"HTTP/1.1 200") or COMPLETE_EXPECT not in body:
            step.fail(head[:40] + body)
            return
        step.completed[payment_id] = time.monotonic()

    cpu = time.process_time()
    step.started = time.monotonic()
    tasks = []
    for index, request in enumerate(pays):
        due = step.started + index / rate
        delay = due - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        step.scheduled.append(due)
        tasks.append(asyncio.ensure_future(cycle(request)))
    await asyncio.gather(*tasks)
    step.ended = time.monotonic()
    step.merchant_cpu = time.process_time() - cpu
    close_pool(pool)
    return step


def wait_for_notifications(sink: Receiver, wanted: list[str], until: float) -> bool:
    """Poll the receiver until every one of ``wanted`` was verified, or ``until``."""
    while True:
        sink.refresh()
        if all(payment_id in sink.arrivals for payment_id in wanted):
            return True
        if time.monotonic() >= until:
            return False
        time.sleep(0.1)


# ------------------------------------------------------------------ analysis


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]


def delays(step: Step, arrivals: dict[str, float]) -> list[float]:
    return [arrivals[p] - at for p, at in step.completed.items() if p in arrivals]


def backlogs(step: Step, arrivals: dict[str, float], seconds: float) -> dict[str, list[int]]:
    """Notification backlog and pending pays, sampled every SAMPLE_SECONDS of the step."""
    completed = sorted(step.completed.values())
    verified = sorted(arrivals[p] for p in step.completed if p in arrivals)
    samples: dict[str, list[int]] = {"notifications": [], "pending": []}
    for k in range(int(seconds / SAMPLE_SECONDS)):
        t = step.started + k * SAMPLE_SECONDS
        done = bisect.bisect_right(completed, t)
        samples["notifications"].append(done - bisect.bisect_right(verified, t))
        samples["pending"].append(bisect.bisect_right(step.scheduled, t) - done)
    return samples


def quarter_means(samples: list[int]) -> tuple[float, float]:
    """Mean over the second quarter, mean over the last quarter."""
    n = len(samples)
    second, last = samples[n // 4 : n // 2], samples[3 * n // 4 :]
    return sum(second) / max(1, len(second)), sum(last) / max(1, len(last))


def judge(
    step: Step, arrivals: dict[str, float], args: argparse.Namespace, all_arrived: bool
) -> dict[str, Any]:
    slack = args.slack_seconds * step.rate + 2
    sampled = backlogs(step, arrivals, args.seconds)
    backlog_q2, backlog_q4 = quarter_means(sampled["notifications"])
    pending_q2, pending_q4 = quarter_means(sampled["pending"])
    flat = (
        backlog_q4 <= backlog_q2 + slack
        and pending_q4 <= pending_q2 + slack
        and step.failures == 0
        and len(step.completed) == len(step.scheduled)
        and all_arrived
    )
    found = delays(step, arrivals)
    cycles = len(step.completed)
    return {
        "rate_per_s": round(step.rate, 1),
        "cycles": cycles,
        "failures": step.failures,
        "reconnects": step.reconnects,
        "backlog_q2": round(backlog_q2, 1),
        "backlog_q4": round(backlog_q4, 1),
        "pending_q2": round(pending_q2, 1),
        "pending_q4": round(pending_q4, 1),
        "slack": round(slack, 1),
        "all_verified_in_drain": all_arrived,
        "flat": flat,
        "p50_ms": round(percentile(found, 50) * 1000, 1),
        "p99_ms": round(percentile(found, 99) * 1000, 1),
        "max_ms": round(max(found, default=float("nan")) * 1000, 1),
        "server_cpu_s": round(step.server_cpu, 2),
        "cycles_per_server_cpu_s": round(cycles / step.server_cpu) if step.server_cpu else None,
        "server_cpu_share": round(step.server_cpu / (step.drained - step.started), 2)
        if step.drained
        else None,
        "merchant_cpu_s": round(step.merchant_cpu, 2),
    }


# -------------------------------------------------------------------- a run


@dataclass
class Session:
    args: argparse.Namespace
    port: int
    cpu_seconds: Any  # () -> float: the server's CPU so far
    sink: Receiver
    merchant_pem: str
    loop: asyncio.AbstractEventLoop
    steps: list[Step] = field(default_factory=list)

    def step(self, rate: float) -> tuple[Step, dict[str, Any]]:
        """One step at ``rate``: its cycles, then its notifications, then the verdict."""
        args = self.args
        pays = presign_pays(self.merchant_pem, self.sink.url, max(1, int(rate * args.seconds)))
        key = load_private_key(self.merchant_pem.encode())
        cpu = self.cpu_seconds()
        step = self.loop.run_until_complete(merchant(self.port, args.connections, pays, rate, key))
        arrived = wait_for_notifications(
            self.sink, list(step.completed), step.started + args.seconds + args.drain
        )
        step.server_cpu = self.cpu_seconds() - cpu
        step.drained = time.monotonic()
        self.steps.append(step)
        if not arrived:  # start the next step clean: the rest of this one's backlog drains
            wait_for_notifications(self.sink, list(step.completed), time.monotonic() + 120)
        verdict = judge(step, self.sink.arrivals, args, arrived)
        print(json.dumps(verdict), file=sys.stderr, flush=True)
        return step, verdict


def run(args: argparse.Namespace) -> dict[str, Any]:
    server_cpus = {int(c) for c in args.server_cpus.split(",")} if args.server_cpus else None
    merchant_cpus = {int(c) for c in args.merchant_cpus.split(",")} if args.merchant_cpus else None
    load_before = os.getloadavg()
    before = cycle_bound(args.crypto_seconds, server_cpus)
    merchant_keys, gateway_keys = generate_key_pair(), generate_key_pair()
    with tempfile.TemporaryDirectory(prefix="openams-merchant-load-") as tmp:
        key_file, public_file = Path(tmp) / "gateway.pem", Path(tmp) / "gateway-public.pem"
        key_file.write_text(gateway_keys.private_pem)
        public_file.write_text(gateway_keys.public_pem)
        with (
            temporary_database(args.database_url, Path(tmp)) as url,
            receiver(public_file, merchant_cpus) as sink,
        ):
            register(url, key_file, merchant_keys.public_pem, sink.url)
            env = {"OPENAMS_NOTIFY_INITIAL_DELAY_MS": str(args.initial_delay_ms)}
            if args.poll_seconds is not None:
                env["OPENAMS_DISPATCHER_POLL_SECONDS"] = str(args.poll_seconds)
            with serve(url, key_file, cpus=server_cpus, env=env) as server:
                pin(merchant_cpus)
                loop = new_loop()
                try:
                    session = Session(
                        args,
                        server.port,
                        server.cpu_seconds,
                        sink,
                        merchant_keys.private_pem,
                        loop,
                    )
                    result = search(session, before["per_wall_second"])
                    sink.refresh()
                    completed = {p for s in session.steps for p in s.completed}
                    wait_for_notifications(
                        sink, list(completed), time.monotonic() + args.final_wait
                    )
                finally:
                    loop.close()
                server_cpu_total = server.cpu_seconds()
            receiver_cpu = sink.cpu_seconds()
    after = cycle_bound(args.crypto_seconds, server_cpus)
    bound = {key: (before[key] + after[key]) / 2 for key in before}
    sustained, sustained_step, half = result["sustained"], result["sustained_step"], result["half"]
    per_cpu = (
        len(sustained_step.completed) / sustained_step.server_cpu
        if sustained_step and sustained_step.server_cpu
        else float("nan")
    )
    half_delays = delays(half, sink.arrivals) if half else []
    counts = sink.counts
    return {
        "database": database_label(args.database_url),
        "seconds_per_step": args.seconds,
        "dispatcher_poll_seconds": args.poll_seconds or "default",
        "load_average_before": [round(x, 2) for x in load_before],
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
        "cycle_bound_per_s": round(bound["per_wall_second"], 1),
        "cycle_bound_per_cpu_s": round(bound["per_cpu_second"], 1),
        "cycle_bound_before_after": [
            round(before["per_wall_second"], 1),
            round(after["per_wall_second"], 1),
        ],
        "steps": result["verdicts"],
        "sustained_per_s": round(sustained, 1),
        "sustained_ratio_wall": round(sustained / bound["per_wall_second"], 3),
        "sustained_per_server_cpu_s": round(per_cpu, 1),
        "sustained_ratio_cpu": round(per_cpu / bound["per_cpu_second"], 3),
        "sustained_server_cpu_s": round(sustained_step.server_cpu, 2) if sustained_step else None,
        "sustained_server_cpu_share": (
            round(sustained_step.server_cpu / (sustained_step.drained - sustained_step.started), 2)
            if sustained_step and sustained_step.drained
            else None
        ),
        "half_rate_per_s": round(sustained / 2, 1),
        "half_cycles": len(half.completed) if half else 0,
        "p50_ms_at_half": round(percentile(half_delays, 50) * 1000, 1),
        "p99_ms_at_half": round(percentile(half_delays, 99) * 1000, 1),
        "max_ms_at_half": round(max(half_delays, default=float("nan")) * 1000, 1),
        "server_cpu_s_total": round(server_cpu_total, 2),
        "receiver_cpu_s_total": round(receiver_cpu, 2),
        "completed": len(completed),
        "verified": sum(1 for p in completed if p in sink.arrivals),
        "lost": sum(1 for p in completed if p not in sink.arrivals),
        "duplicates": counts.get("duplicates", 0),
        "bad_signatures": counts.get("bad_signatures", 0),
        "malformed": counts.get("malformed", 0),
        "failures": sum(s.failures for s in session.steps),
        "failure_bodies": [b.decode("utf-8", "replace") for s in session.steps for b in s.bodies][
            :3
        ],
    }


def search(session: Session, bound: float) -> dict[str, Any]:
    """Step the rate up until a step is not flat; then half the highest flat rate."""
    args = session.args
    verdicts: list[dict[str, Any]] = []

    def flat_at(rate: float) -> Step | None:
        """A flat step at ``rate``, trying ``--retries`` more times when one is not."""
        for _attempt in range(1 + args.retries):
            step, verdict = session.step(rate)
            verdicts.append(verdict)
            if verdict["flat"]:
                return step
        return None

    sustained, sustained_step = 0.0, None
    rate = args.start * bound
    while rate >= 2:  # the first step not flat: halve until one is
        sustained_step = flat_at(rate)
        if sustained_step is not None:
            sustained = rate
            break
        rate /= 2
    while sustained_step is not None and sustained + args.step * bound <= args.max_fraction * bound:
        step = flat_at(sustained + args.step * bound)
        if step is None:
            break
        sustained, sustained_step = sustained + args.step * bound, step
    half = None
    if sustained:
        half, verdict = session.step(sustained / 2)
        verdicts.append({**verdict, "half": True})
    return {
        "sustained": sustained,
        "sustained_step": sustained_step,
        "half": half,
        "verdicts": verdicts,
    }


def register(database_url: str, key_file: Path, public_pem: str, notify_url: str) -> None:
    from openams.gateway.app import build_gateway
    from openams.gateway.settings import Settings

    gateway = build_gateway(Settings(database_url=database_url, gateway_private_key_file=key_file))
    gateway.merchants.add(CLIENT_ID, public_pem, notify_url=notify_url)
    gateway.engine.dispose()


def main() -> None:
    if sys.argv[1:2] == ["receiver"]:
        run_receiver(int(sys.argv[2]), Path(sys.argv[3]))
        return
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--database-url", default=None, help="PostgreSQL URL; default SQLite")
    parser.add_argument("--seconds", type=float, default=10.0, help="per step")
    parser.add_argument("--start", type=float, default=0.2, help="first rate / cycle bound")
    parser.add_argument("--step", type=float, default=0.05, help="rate step / cycle bound")
    parser.add_argument("--max-fraction", type=float, default=1.0)
    parser.add_argument("--slack-seconds", type=float, default=0.25)
    parser.add_argument("--retries", type=int, default=1, help="of a step not flat")
    parser.add_argument("--drain", type=float, default=5.0)
    parser.add_argument("--final-wait", type=float, default=30.0)
    parser.add_argument("--crypto-seconds", type=float, default=3.0)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--initial-delay-ms", type=int, default=0)
    parser.add_argument(
        "--poll-seconds", type=float, default=None, help="the dispatcher's (default: its own)"
    )
    parser.add_argument("--server-cpus", default="0", help="CPUs for the server ('' = any)")
    parser.add_argument("--merchant-cpus", default="1", help="CPUs for merchant and receiver")
    print(json.dumps(run(parser.parse_args()), indent=2))


if __name__ == "__main__":
    main()
