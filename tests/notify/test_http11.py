"""The dispatcher's HTTP/1.1 client against real sockets on 127.0.0.1 that answer with
scripted bytes: framings, compression, kept-alive connections, broken answers."""

from __future__ import annotations

import asyncio
import gzip
import socket
import socketserver
import ssl
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from openams.gateway.notify.http11 import (
    Answer,
    Client,
    ConnectError,
    RemoteProtocolError,
    UnreadableAnswer,
)
from tests.official.conftest import make_tls_files

ACK = b'{"result":{"resultStatus":"S"}}'
#: An answer to one request: the bytes to send, and whether to close afterwards.
Script = Callable[[int], tuple[bytes, bool]]


class _Handler(socketserver.BaseRequestHandler):
    server: _Server

    def handle(self) -> None:
        with self.server.lock:
            self.server.connections += 1
        stream = self.request.makefile("rb")
        while True:
            head = b""
            while not head.endswith(b"\r\n\r\n"):
                line = stream.readline()
                if not line:
                    return
                head += line
            length = next(
                int(line.split(b":")[1])
                for line in head.split(b"\r\n")
                if line.lower().startswith(b"content-length:")
            )
            stream.read(length)
            with self.server.lock:
                self.server.requests += 1
                number = self.server.requests
            answer, close = self.server.script(number)
            self.request.sendall(answer)
            if close:
                return


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, script: Script) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.script = script
        self.lock = threading.Lock()
        self.connections = self.requests = 0


@contextmanager
def serving(script: Script) -> Iterator[_Server]:
    server = _Server(script)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def url(server: _Server) -> str:
    return f"http://127.0.0.1:{server.server_address[1]}/notify?x=1"


def post_all(target: str, times: int = 1, limit: int = 65536) -> list[Answer]:
    async def run() -> list[Answer]:
        client = Client(sandbox=True, allow_private=False)
        try:
            answers = []
            for _ in range(times):
                async with asyncio.timeout(10):
                    answers.append(
                        await client.post(target, {"client-id": "C"}, b"{}", limit=limit)
                    )
            return answers
        finally:
            client.close()

    return asyncio.run(run())


def sized(body: bytes, extra: bytes = b"") -> bytes:
    return b"HTTP/1.1 200 OK\r\ncontent-length: %d\r\n%s\r\n" % (len(body), extra) + body


def test_one_kept_alive_connection_carries_every_post() -> None:
    with serving(lambda _n: (sized(ACK), False)) as server:
        answers = post_all(url(server), times=5)
    assert [a.body for a in answers] == [ACK] * 5
    assert server.connections == 1


def test_a_connection_the_server_closed_is_replaced_without_a_failed_attempt() -> None:
    with serving(lambda _n: (sized(ACK), True)) as server:
        answers = post_all(url(server), times=3)
    assert all(a.status == 200 and a.complete for a in answers)
    assert server.connections == 3


def test_connection_close_is_not_reused() -> None:
    with serving(lambda _n: (sized(ACK, b"connection: close\r\n"), False)) as server:
        post_all(url(server), times=2)
    assert server.connections == 2


def test_chunked_and_gzip_answers_are_read_whole() -> None:
    packed = gzip.compress(ACK)
    chunked = b"%x\r\n%s\r\n0\r\n\r\n" % (len(packed), packed)
    head = b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\ncontent-encoding: gzip\r\n\r\n"
    with serving(lambda _n: (head + chunked, False)) as server:
        [answer] = post_all(url(server))
    assert answer == Answer(200, ACK, True)


def test_an_answer_ended_by_closing_the_connection() -> None:
    with serving(lambda _n: (b"HTTP/1.0 200 OK\r\n\r\n" + ACK, True)) as server:
        [answer] = post_all(url(server))
    assert answer == Answer(200, ACK, True)


def test_an_interim_answer_is_skipped() -> None:
    interim = b"HTTP/1.1 100 Continue\r\n\r\n"
    with serving(lambda _n: (interim + sized(ACK), False)) as server:
        [answer] = post_all(url(server))
    assert answer == Answer(200, ACK, True)


def test_a_long_answer_is_cut_at_the_limit() -> None:
    with serving(lambda _n: (sized(b"x" * 5000), False)) as server:
        [answer] = post_all(url(server), limit=1000)
    assert answer.status == 200 and not answer.complete and answer.body == b"x" * 1000


def test_a_compression_bomb_is_cut_at_the_limit() -> None:
    bomb = gzip.compress(b"0" * 10_000_000)
    with serving(lambda _n: (sized(bomb, b"content-encoding: gzip\r\n"), False)) as server:
        [answer] = post_all(url(server))
    assert not answer.complete and len(answer.body) == 65536


@pytest.mark.parametrize(
    ("reply", "error"),
    [
        (b"HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\nshort", RemoteProtocolError),
        (b"NOT HTTP AT ALL\r\n\r\n", RemoteProtocolError),
        (sized(b"not gzip", b"content-encoding: gzip\r\n"), UnreadableAnswer),
        (sized(ACK, b"content-encoding: br\r\n"), UnreadableAnswer),
    ],
)
def test_broken_answers_raise(reply: bytes, error: type[Exception]) -> None:
    with serving(lambda _n: (reply, True)) as server, pytest.raises(error):
        post_all(url(server))


def test_the_request_names_the_host_and_path_as_the_url_does() -> None:
    seen: list[bytes] = []
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    port = listener.getsockname()[1]

    def answer_once() -> None:
        connection, _ = listener.accept()
        with connection:
            seen.append(connection.recv(65536))
            connection.sendall(sized(ACK))

    thread = threading.Thread(target=answer_once, daemon=True)
    thread.start()
    try:
        post_all(f"http://localhost:{port}/a%20b/notify?q=1")
    finally:
        thread.join(10)
        listener.close()
    head = seen[0].split(b"\r\n")
    assert head[0] == b"POST /a%20b/notify?q=1 HTTP/1.1"
    assert f"host: localhost:{port}".encode() in head
    assert b"content-length: 2" in head and b"client-id: C" in head


# ------------------------------------------------------------------------ TLS


class _TlsServer(_Server):
    def __init__(self, script: Script, context: ssl.SSLContext) -> None:
        super().__init__(script)
        self.context = context

    def get_request(self) -> tuple[socket.socket, Any]:
        sock, address = super().get_request()
        return self.context.wrap_socket(sock, server_side=True), address


@contextmanager
def serving_tls(tmp_path: Path) -> Iterator[tuple[_Server, ssl.SSLContext]]:
    files = make_tls_files(tmp_path)
    server_side = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_side.load_cert_chain(files.server_cert, files.server_key)
    server = _TlsServer(lambda _n: (sized(ACK), False), server_side)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server, ssl.create_default_context(cafile=str(files.ca_cert))
    finally:
        server.shutdown()
        server.server_close()


def post_once(client: Client, target: str) -> Answer:
    async def run() -> Answer:
        try:
            async with asyncio.timeout(10):
                return await client.post(target, {"client-id": "C"}, b"{}", limit=65536)
        finally:
            client.close()

    return asyncio.run(run())


def test_https_to_the_checked_address_verifies_the_url_host_name(tmp_path: Path) -> None:
    """The socket goes to the address checked for ``localhost``; TLS still names and
    verifies ``localhost`` (SNI and the certificate)."""
    with serving_tls(tmp_path) as (server, trusting):
        port = server.server_address[1]
        client = Client(sandbox=True, allow_private=False, ssl_context=trusting)
        answer = post_once(client, f"https://localhost:{port}/notify")
    assert answer == Answer(200, ACK, True)


def test_https_refuses_a_certificate_it_cannot_verify(tmp_path: Path) -> None:
    with serving_tls(tmp_path) as (server, _trusting):
        port = server.server_address[1]
        with pytest.raises(ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
            post_once(Client(sandbox=True, allow_private=False), f"https://localhost:{port}/n")
