"""A small HTTP/1.1 load generator for pre-built requests, and helpers the gateway
benchmarks share: temporary databases, a gateway served by ``openams serve`` in a
subprocess pinned to a CPU, and CPU-time accounting of that process.

The load generator writes pre-signed request bytes on keep-alive connections and reads
each answer's head and ``Content-Length`` body: a few tens of microseconds per request,
so the gateway, not the client, is what a run measures.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
from sqlalchemy import create_engine, text

OPENAMS = str(Path(sys.executable).with_name("openams"))
CLK_TCK = os.sysconf("SC_CLK_TCK")


# ------------------------------------------------------------------ databases


@contextlib.contextmanager
def temporary_database(url: str | None, directory: Path) -> Iterator[str]:
    """A fresh SQLite file in ``directory``, or a throw-away schema on PostgreSQL ``url``."""
    if not url:
        yield f"sqlite:///{directory / 'openams.db'}"
        return
    from openams.gateway.store.engine import normalize_url

    schema = f"bench_{uuid.uuid4().hex[:12]}"
    admin = create_engine(normalize_url(url), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    separator = "&" if "?" in url else "?"
    try:
        yield f"{url}{separator}options={quote(f'-csearch_path={schema}')}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def database_label(url: str | None) -> str:
    return "PostgreSQL" if url else "SQLite"


# ------------------------------------------------------------------- the server


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def pin(cpus: set[int] | None) -> None:
    if cpus:
        os.sched_setaffinity(0, cpus)


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    url: str
    port: int
    log: Path

    def cpu_seconds(self) -> float:
        """User + system CPU of the server and its worker processes so far."""
        return sum(_cpu_of(pid) for pid in [self.process.pid, *_children(self.process.pid)])

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def _children(pid: int) -> list[int]:
    found: list[int] = []
    with contextlib.suppress(OSError):
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as handle:
                for child in handle.read().split():
                    found += [int(child), *_children(int(child))]
    return found


def _cpu_of(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/stat") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


@contextlib.contextmanager
def serve(
    database_url: str,
    key_file: Path,
    *,
    cpus: set[int] | None,
    workers: int = 1,
    extra_args: Sequence[str] = (),
    env: dict[str, str] | None = None,
) -> Iterator[Server]:
    """``openams serve`` in a subprocess (pinned to ``cpus``), until the block ends."""
    port = free_port()
    log = Path(tempfile.mkstemp(prefix="openams-serve-", suffix=".log")[1])
    command = [OPENAMS, "serve", "--port", str(port), "--database-url", database_url]
    if workers > 1:
        command += ["--workers", str(workers)]
    command += list(extra_args)
    environment = {
        **os.environ,
        "OPENAMS_GATEWAY_PRIVATE_KEY_FILE": str(key_file),
        "OPENAMS_NOTIFY_INITIAL_DELAY_MS": "0",
        **(env or {}),
    }
    with open(log, "wb") as output:
        process = subprocess.Popen(
            command,
            env=environment,
            stdout=output,
            stderr=subprocess.STDOUT,
            preexec_fn=(lambda: pin(cpus)) if cpus else None,
        )
    server = Server(process, f"http://127.0.0.1:{port}", port, log)
    try:
        wait_until_up(server)
        yield server
    finally:
        server.stop()


def wait_until_up(server: Server, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"openams serve exited: {server.log.read_text()[-2000:]}")
        try:
            if httpx.get(server.url + "/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.05)
    raise RuntimeError("openams serve did not start")


# ----------------------------------------------------------------- the client


def http_request(path: str, headers: dict[str, str], body: bytes) -> bytes:
    head = f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
    for name, value in headers.items():
        head += f"{name}: {value}\r\n"
    head += f"Content-Length: {len(body)}\r\n\r\n"
    return head.encode("latin-1") + body


@dataclass
class RunResult:
    sent: int = 0
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    failures: int = 0
    bodies: list[bytes] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return self.sent / self.seconds if self.seconds else 0.0

    def percentile(self, p: float) -> float:
        ordered = sorted(self.latencies)
        if not ordered:
            return float("nan")
        return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]


async def exchange(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes
) -> tuple[bytes, bytes]:
    """One HTTP/1.1 exchange on a keep-alive connection: the answer's head and body."""
    writer.write(request)
    head = await reader.readuntil(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n"):
        if line[:15].lower() == b"content-length:":
            length = int(line[15:])
    return head, await reader.readexactly(length)


async def _exchange(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes
) -> bytes:
    head, body = await exchange(reader, writer, request)
    if not head.startswith(b"HTTP/1.1 200"):
        raise RuntimeError(head[:100])
    return body


def pay_body(
    request_id: str,
    notify_url: str = "https://merchant.example/notify",
    description: str = "openams benchmark order",
) -> bytes:
    """A signed-ready pay body (new paymentRequestId each call) for the benches."""
    body: dict[str, Any] = {
        "productCode": "CASHIER_PAYMENT",
        "paymentRequestId": request_id,
        "paymentAmount": {"currency": "HKD", "value": "100"},
        "paymentMethod": {"paymentMethodType": "ALIPAY_HK"},
        "paymentRedirectUrl": "https://merchant.example/return",
        "paymentNotifyUrl": notify_url,
        "env": {"terminalType": "WEB", "clientIp": "114.121.121.01"},
        "order": {
            "orderAmount": {"currency": "HKD", "value": "100"},
            "referenceOrderId": "ORDER_" + request_id,
            "orderDescription": description,
        },
    }
    return json.dumps(body).encode()


async def closed_loop(
    port: int, requests: Sequence[bytes], connections: int, seconds: float, expect: bytes
) -> RunResult:
    """Every connection sends its next request as soon as the last answer arrives, for
    ``seconds`` (or until the requests run out)."""
    result = RunResult()
    queue = iter(requests)
    stop_at = time.perf_counter() + seconds

    async def worker() -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            while time.perf_counter() < stop_at:
                request = next(queue, None)
                if request is None:
                    return
                started = time.perf_counter()
                body = await _exchange(reader, writer, request)
                result.latencies.append(time.perf_counter() - started)
                result.sent += 1
                if expect not in body:
                    result.failures += 1
                    if len(result.bodies) < 3:
                        result.bodies.append(body[:300])
        finally:
            writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(connections)))
    result.seconds = time.perf_counter() - started
    return result


async def open_loop(
    port: int,
    requests: Sequence[bytes],
    rate: float,
    seconds: float,
    expect: bytes,
    connections: int = 64,
) -> RunResult:
    """Requests scheduled at a fixed ``rate``; latency counts from the scheduled time,
    so a slow answer that delays the next request is not hidden."""
    result = RunResult()
    total = min(len(requests), int(rate * seconds))
    pool: asyncio.Queue[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = asyncio.Queue()
    for _ in range(connections):
        pool.put_nowait(await asyncio.open_connection("127.0.0.1", port))
    started = time.perf_counter()

    async def one(index: int, due: float) -> None:
        reader, writer = await pool.get()
        try:
            body = await _exchange(reader, writer, requests[index])
        finally:
            pool.put_nowait((reader, writer))
        result.latencies.append(time.perf_counter() - due)
        result.sent += 1
        if expect not in body:
            result.failures += 1

    tasks = []
    for index in range(total):
        due = started + index / rate
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.ensure_future(one(index, due)))
    await asyncio.gather(*tasks)
    result.seconds = time.perf_counter() - started
    while not pool.empty():
        _reader, writer = pool.get_nowait()
        writer.close()
    return result


def new_loop() -> asyncio.AbstractEventLoop:
    try:
        import uvloop

        return uvloop.new_event_loop()
    except ImportError:  # pragma: no cover - uvloop is optional
        return asyncio.new_event_loop()
