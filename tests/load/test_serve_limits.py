"""Issue 18 item 2: ``openams serve`` bounds what connections may hold.

Each test starts ``openams serve`` for real, as a subprocess, and attacks it over TCP:
idle connections past the descriptor limit, headers that never end, too many headers, a
head sent one byte at a time. The limits are the ``OPENAMS_*`` settings recorded in
docs/decisions.md ("Connection limits").
"""

from __future__ import annotations

import contextlib
import os
import resource
import select
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from openams.gateway.app import Gateway
from openams.protocol.keys import KeyPair
from tests.ams_client import AmsClient
from tests.conftest import UNUSED_TLS
from tests.gateway.integration.payloads import pay_body
from tests.ports import free_port

OPENAMS = str(Path(sys.executable).with_name("openams"))
CLIENT_ID = "SANDBOX_LIMITS"
#: The serve process's descriptor limit, as on a default Linux box.
SERVE_DESCRIPTORS = 1024
IDLE_CONNECTIONS = 1100
#: Hang guard for a socket read; the tests assert what is read, never how fast.
HANG_GUARD_SECONDS = 120


@dataclass
class Served:
    pid: int
    host: str
    port: int
    gateway: Gateway
    merchant_keys: KeyPair

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def rss_kib(self, field: str = "VmRSS") -> int:
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
        raise AssertionError(f"no {field} for {self.pid}")

    def open_descriptors(self) -> int:
        return len(os.listdir(f"/proc/{self.pid}/fd"))

    def connect(self) -> socket.socket:
        sock = socket.create_connection((self.host, self.port))
        sock.settimeout(HANG_GUARD_SECONDS)
        return sock


def _limit_descriptors() -> None:
    resource.setrlimit(resource.RLIMIT_NOFILE, (SERVE_DESCRIPTORS, SERVE_DESCRIPTORS))


@contextlib.contextmanager
def serve(
    gateway: Gateway,
    database_url: str,
    gateway_key_file: Path,
    merchant_keys: KeyPair,
    tmp_path: Path,
    **settings: str,
) -> Iterator[Served]:
    """``openams serve`` (one process, no dispatcher) under a 1,024-descriptor limit."""
    gateway.merchants.add(CLIENT_ID, merchant_keys.public_pem)
    port = free_port()
    log = tmp_path / "serve.log"
    env = {
        **os.environ,
        "OPENAMS_GATEWAY_PRIVATE_KEY_FILE": str(gateway_key_file),
        "OPENAMS_RUN_DISPATCHER": "false",
        **{f"OPENAMS_{name.upper()}": value for name, value in settings.items()},
    }
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [OPENAMS, "serve", "--port", str(port), "--database-url", database_url],
            env=env, stdout=out, stderr=subprocess.STDOUT, preexec_fn=_limit_descriptors,
        )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while not _up(url):
            assert process.poll() is None, log.read_text()
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.1)
        yield Served(process.pid, "127.0.0.1", port, gateway, merchant_keys)
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)


def _up(url: str) -> bool:
    try:
        return httpx.get(url + "/healthz", timeout=1, verify=UNUSED_TLS).status_code == 200
    except httpx.HTTPError:
        return False


@pytest.fixture(autouse=True)
def _enough_descriptors_here() -> None:
    """This test process holds 1,100 sockets: raise its own soft limit if it is lower."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = 4 * IDLE_CONNECTIONS
    if soft != resource.RLIM_INFINITY and soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(wanted, hard), hard))


def _closed_by_server(sock: socket.socket) -> bytes:
    """Read until the server closes the connection (EOF or reset); what it sent."""
    received = b""
    try:
        while chunk := sock.recv(65536):
            received += chunk
    except ConnectionResetError:
        pass
    return received


def _signed_pay_succeeds(served: Served) -> None:
    """A signed pay on a new connection gets its answer."""
    with httpx.Client(base_url=served.url, timeout=30) as http:
        ams = AmsClient(
            http, CLIENT_ID, served.merchant_keys.private_key, served.gateway.key_pair.public_key
        )
        reply = ams.call("payments/pay", pay_body())
    assert (reply.result["resultStatus"], reply.code) == ("U", "PAYMENT_IN_PROCESS"), reply.result


def test_idle_connections_past_the_descriptor_limit_leave_room_and_are_closed(
    gateway: Gateway,
    database_url: str,
    gateway_key_file: Path,
    merchant_keys: KeyPair,
    tmp_path: Path,
) -> None:
    with serve(
        gateway, database_url, gateway_key_file, merchant_keys, tmp_path,
        header_timeout_seconds="15",
    ) as served:  # fmt: skip
        _signed_pay_succeeds(served)
        idle = [served.connect() for _ in range(IDLE_CONNECTIONS)]
        try:
            # A normal signed pay on a new connection still gets its answer...
            _signed_pay_succeeds(served)
            # ...while the server holds as many idle ones as its limit lets it (1,024
            # less 128 kept back; the pay's answer came after the last of them was
            # accepted).
            held = served.open_descriptors()
            assert held >= SERVE_DESCRIPTORS - 128 - 50, held
            print(f"serve holds {held} descriptors with {IDLE_CONNECTIONS} idle sockets open")
            # Every idle connection is closed by the server: made room for, or past
            # OPENAMS_HEADER_TIMEOUT_SECONDS without a byte.
            for sock in idle:
                assert _closed_by_server(sock) == b""
        finally:
            for sock in idle:
                sock.close()
        _signed_pay_succeeds(served)


def test_headers_that_never_end_are_cut_at_the_limit(
    gateway: Gateway,
    database_url: str,
    gateway_key_file: Path,
    merchant_keys: KeyPair,
    tmp_path: Path,
) -> None:
    """100 connections each sending 4 MB of one unfinished header, in 64 KiB chunks."""
    chunk = b"a" * 65536
    with serve(
        gateway, database_url, gateway_key_file, merchant_keys, tmp_path,
        header_timeout_seconds="600",  # the size limit, not the deadline, is under test
    ) as served:  # fmt: skip
        _signed_pay_succeeds(served)
        idle_rss = served.rss_kib()
        open_socks: list[socket.socket] = []
        cut = 0
        try:
            for _ in range(100):
                sock = served.connect()
                open_socks.append(sock)
                try:
                    sock.sendall(
                        b"POST /ams/sandbox/api/v1/payments/pay HTTP/1.1\r\nHost: x\r\nX-Big: "
                    )
                    for _ in range(4 * 1024 * 1024 // len(chunk)):
                        sock.sendall(chunk)
                except (BrokenPipeError, ConnectionResetError):
                    cut += 1  # cut by the server while sending
            peak_rss = served.rss_kib("VmHWM")
            grown_mib = (peak_rss - idle_rss) / 1024
            assert grown_mib < 50, (idle_rss, peak_rss, cut)
            # Every one of them is closed by the server (431 or not, EOF or reset).
            for sock in open_socks:
                _closed_by_server(sock)
        finally:
            for sock in open_socks:
                sock.close()
        _signed_pay_succeeds(served)
        print(f"serve RSS idle {idle_rss} KiB, peak {peak_rss} KiB, {cut} of 100 cut mid-send")


def test_too_many_headers_get_431(
    gateway: Gateway,
    database_url: str,
    gateway_key_file: Path,
    merchant_keys: KeyPair,
    tmp_path: Path,
) -> None:
    with serve(
        gateway, database_url, gateway_key_file, merchant_keys, tmp_path, max_headers="20"
    ) as served:
        sock = served.connect()
        head = b"POST /ams/sandbox/api/v1/payments/pay HTTP/1.1\r\nHost: x\r\n"
        head += b"".join(b"X-%d: 1\r\n" % n for n in range(30)) + b"\r\n"
        sock.sendall(head)
        answer = _closed_by_server(sock)
        sock.close()
        assert answer.startswith(b"HTTP/1.1 431 "), answer
        _signed_pay_succeeds(served)


def test_a_head_sent_one_byte_at_a_time_is_closed_at_the_deadline(
    gateway: Gateway,
    database_url: str,
    gateway_key_file: Path,
    merchant_keys: KeyPair,
    tmp_path: Path,
) -> None:
    """Slowloris: a byte every 0.2 s, never the end of the headers. The server closes the
    connection (OPENAMS_HEADER_TIMEOUT_SECONDS=2) though bytes keep arriving."""
    with serve(
        gateway, database_url, gateway_key_file, merchant_keys, tmp_path,
        header_timeout_seconds="2",
    ) as served:  # fmt: skip
        sock = served.connect()
        sock.sendall(b"POST /ams/sandbox/api/v1/payments/pay HTTP/1.1\r\nX-Slow: ")
        closed = False
        for _ in range(HANG_GUARD_SECONDS * 5):
            try:
                sock.sendall(b"a")
            except (BrokenPipeError, ConnectionResetError):
                closed = True
                break
            readable, _, _ = select.select([sock], [], [], 0.2)
            if readable:
                closed = _closed_by_server(sock) == b""
                break
        sock.close()
        assert closed
        _signed_pay_succeeds(served)


def _healthz_on(sock: socket.socket) -> bytes:
    """One GET /healthz on ``sock``: the whole answer (b"" if the server had closed it)."""
    sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
    answer = b""
    while b"\r\n\r\n" not in answer:
        if not (chunk := sock.recv(65536)):
            return answer
        answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    length = int(next(
        line.split(b":", 1)[1] for line in head.split(b"\r\n")
        if line.lower().startswith(b"content-length:")
    ))  # fmt: skip
    while len(body) < length and (chunk := sock.recv(65536)):
        body += chunk
    return head + b"\r\n\r\n" + body


def test_a_kept_alive_connection_outlives_a_clients_pool_expiry(
    gateway: Gateway,
    database_url: str,
    gateway_key_file: Path,
    merchant_keys: KeyPair,
    tmp_path: Path,
) -> None:
    """The client, not the server, ends an idle connection: after an idle pause longer
    than httpx keeps a connection in its pool, the server still answers on it (at
    uvicorn's default the server closed it as the client reused it: a reset)."""
    client_expiry = httpx.Limits().keepalive_expiry
    assert client_expiry is not None
    with serve(gateway, database_url, gateway_key_file, merchant_keys, tmp_path) as served:
        sock = served.connect()
        try:
            assert _healthz_on(sock).startswith(b"HTTP/1.1 200 ")
            time.sleep(client_expiry + 1)
            assert _healthz_on(sock).startswith(b"HTTP/1.1 200 ")
        finally:
            sock.close()
