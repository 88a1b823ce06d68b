"""``openams serve``'s HTTP protocol: each answer in one socket write, HTTP unchanged."""

from __future__ import annotations

import asyncio
import http.client
import socket
from collections.abc import AsyncIterator, Iterator

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from openams.gateway.web.http_protocol import PROTOCOL_PATH, CoalescingTransport
from openams.testing._server import LiveServer, bind_local

BIG = b"x" * 1_000_000


async def small(request: Request) -> Response:
    body = await request.body()
    return Response(b"echo:" + body, headers={"signature": "s", "client-id": "c"})


async def big(_request: Request) -> Response:
    return Response(BIG)


async def stream(_request: Request) -> StreamingResponse:
    async def chunks() -> AsyncIterator[bytes]:
        for index in range(3):
            await asyncio.sleep(0.05)
            yield f"chunk{index};".encode()

    return StreamingResponse(chunks())


APP = Starlette(
    routes=[
        Route("/small", small, methods=["POST"]),
        Route("/big", big),
        Route("/stream", stream),
    ]
)


@pytest.fixture
def server() -> Iterator[tuple[str, int]]:
    sock = bind_local()
    live = LiveServer(APP, sock, name="coalescing-test", http=PROTOCOL_PATH).start()
    try:
        yield sock.getsockname()[:2]
    finally:
        live.stop()


def test_keep_alive_requests_big_and_streamed_bodies(server: tuple[str, int]) -> None:
    conn = http.client.HTTPConnection(*server, timeout=10)
    for index in range(3):  # one connection, several requests
        conn.request("POST", "/small", body=f"r{index}".encode())
        reply = conn.getresponse()
        assert reply.status == 200
        assert reply.getheader("signature") == "s"
        assert reply.read() == f"echo:r{index}".encode()
    conn.request("GET", "/big")
    reply = conn.getresponse()
    assert reply.read() == BIG
    conn.request("GET", "/stream")
    reply = conn.getresponse()
    assert reply.getheader("transfer-encoding") == "chunked"
    assert reply.read() == b"chunk0;chunk1;chunk2;"
    conn.close()


def test_connection_close_ends_after_the_whole_answer(server: tuple[str, int]) -> None:
    with socket.create_connection(server, timeout=10) as sock:
        sock.sendall(
            b"POST /small HTTP/1.1\r\nHost: t\r\nContent-Length: 2\r\nConnection: close\r\n\r\nhi"
        )
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
    head, _, body = received.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200")
    assert body == b"echo:hi"


def test_writes_in_one_turn_of_the_loop_reach_the_socket_as_one() -> None:
    async def scenario() -> tuple[list[bytes], bytes]:
        received = asyncio.get_running_loop().create_future()

        async def on_client(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            received.set_result(await reader.read())
            writer.close()

        server = await asyncio.start_server(on_client, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        loop = asyncio.get_running_loop()
        transport, _ = await loop.create_connection(asyncio.Protocol, "127.0.0.1", port)
        written: list[bytes] = []
        real_write = transport.write

        def counting_write(data: bytes) -> None:  # the real write, counted
            written.append(bytes(data))
            real_write(data)

        transport.write = counting_write  # type: ignore[method-assign]
        wrapped = CoalescingTransport(transport, loop)  # type: ignore[arg-type]
        wrapped.write(b"HTTP/1.1 200 OK\r\ncontent-length: 4\r\n\r\n")
        wrapped.write(b"body")
        assert written == []  # nothing yet: the loop has not turned
        await asyncio.sleep(0)
        wrapped.write(b"|next")
        wrapped.close()  # flushes what is pending, then closes
        data = await asyncio.wait_for(received, 10)
        server.close()
        await server.wait_closed()
        return written, data

    written, data = asyncio.run(scenario())
    assert written == [b"HTTP/1.1 200 OK\r\ncontent-length: 4\r\n\r\nbody", b"|next"]
    assert data == b"HTTP/1.1 200 OK\r\ncontent-length: 4\r\n\r\nbody|next"
