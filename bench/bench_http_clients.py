"""What one HTTP POST costs the dispatcher's core, client by client.

Not a test: the evidence behind the dispatcher's choice of HTTP client and concurrency
model (docs/benchmarks.md, "Notification delivery"). Each client sends ``--count``
notification-sized POSTs (a 300-byte JSON body, the four signed headers, no signing)
over keep-alive connections, ``--in-flight`` at a time, to the bench receiver (uvicorn,
httptools, uvloop) pinned to the other CPU; the client runs pinned to one CPU. Reported:
requests per wall second and microseconds of the client process's CPU per request.

    .venv/bin/python bench/bench_http_clients.py --count 5000 --rounds 3

aiohttp is not a dependency of openams: install it in the virtualenv to include it.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httptools
import httpx
import uvloop
from bench_notifications import body, pin_every_thread, receiver

from openams.gateway.notify.delivery import MAX_RESPONSE_BYTES
from openams.gateway.notify.http11 import Client

HEADERS = {
    "content-type": "application/json; charset=UTF-8",
    "request-time": "2026-01-01T00:00:00.000+00:00",
    "client-id": "SANDBOX_BENCH",
    "signature": "algorithm=RSA256,keyVersion=1,signature=" + "A" * 344,
    "accept-encoding": "identity",
}


def httpx_threads(url: str, count: int, in_flight: int) -> None:
    """The dispatcher before: a thread per attempt in flight, one httpx.Client."""
    with httpx.Client() as client, ThreadPoolExecutor(in_flight) as pool:

        def post(i: int) -> None:
            with client.stream("POST", url, content=body(i), headers=HEADERS) as answer:
                b"".join(answer.iter_raw(16 * 1024))
                assert answer.status_code == 200

        list(pool.map(post, range(count)))


async def _in_parallel(count: int, in_flight: int, post: Callable[[int], Awaitable[None]]) -> None:
    numbers = iter(range(count))

    async def worker() -> None:
        for i in numbers:
            await post(i)

    await asyncio.gather(*(worker() for _ in range(in_flight)))


async def httpx_async(url: str, count: int, in_flight: int) -> None:
    async with httpx.AsyncClient() as client:

        async def post(i: int) -> None:
            async with client.stream("POST", url, content=body(i), headers=HEADERS) as answer:
                async for _ in answer.aiter_raw(16 * 1024):
                    pass
                assert answer.status_code == 200

        await _in_parallel(count, in_flight, post)


async def aiohttp_session(url: str, count: int, in_flight: int) -> None:
    import aiohttp

    connector = aiohttp.TCPConnector(limit=in_flight)
    async with aiohttp.ClientSession(connector=connector, auto_decompress=False) as session:

        async def post(i: int) -> None:
            async with session.post(url, data=body(i), headers=HEADERS) as answer:
                await answer.content.read(64 * 1024)
                assert answer.status == 200

        await _in_parallel(count, in_flight, post)


class _Answer:
    """httptools callbacks for one response."""

    def __init__(self) -> None:
        self.body = bytearray()
        self.done = False

    def on_body(self, data: bytes) -> None:
        self.body += data

    def on_message_complete(self) -> None:
        self.done = True


async def raw_streams(url: str, count: int, in_flight: int) -> None:
    """Raw keep-alive HTTP/1.1 over asyncio streams, answers parsed by httptools."""
    host, port = url.split("//")[1].split("/")[0].split(":")
    head = "".join(f"{name}: {value}\r\n" for name, value in HEADERS.items())

    async def connection(numbers: Any) -> None:
        reader, writer = await asyncio.open_connection(host, int(port))
        try:
            for i in numbers:
                payload = body(i)
                writer.write(
                    f"POST /notify HTTP/1.1\r\nhost: {host}:{port}\r\n{head}"
                    f"content-length: {len(payload)}\r\n\r\n".encode("latin-1")
                    + payload
                )
                answer = _Answer()
                parser = httptools.HttpResponseParser(answer)
                while not answer.done:
                    parser.feed_data(await reader.read(64 * 1024))
                assert parser.get_status_code() == 200
        finally:
            writer.close()

    numbers = iter(range(count))
    await asyncio.gather(*(connection(numbers) for _ in range(in_flight)))


class _AnswerProtocol(asyncio.Protocol):
    """One connection: each answer is parsed as its bytes arrive; one future per POST."""

    def __init__(self) -> None:
        self.transport: Any = None
        self.waiter: asyncio.Future[int] | None = None
        self.answer = _Answer()
        self.parser = httptools.HttpResponseParser(self.answer)

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.parser.feed_data(data)
        if self.answer.done and self.waiter is not None and not self.waiter.done():
            self.waiter.set_result(self.parser.get_status_code())

    async def post(self, request: bytes) -> int:
        assert self.transport is not None
        self.answer = _Answer()
        self.parser = httptools.HttpResponseParser(self.answer)
        self.waiter = asyncio.get_running_loop().create_future()
        self.transport.write(request)
        return await self.waiter


async def raw_protocol(url: str, count: int, in_flight: int) -> None:
    """Raw keep-alive HTTP/1.1 on an asyncio Protocol, answers parsed by httptools."""
    host, port = url.split("//")[1].split("/")[0].split(":")
    head = "".join(f"{name}: {value}\r\n" for name, value in HEADERS.items())
    loop = asyncio.get_running_loop()

    async def connection(numbers: Any) -> None:
        transport, protocol = await loop.create_connection(_AnswerProtocol, host, int(port))
        try:
            for i in numbers:
                payload = body(i)
                status = await protocol.post(
                    f"POST /notify HTTP/1.1\r\nhost: {host}:{port}\r\n{head}"
                    f"content-length: {len(payload)}\r\n\r\n".encode("latin-1")
                    + payload
                )
                assert status == 200
        finally:
            transport.close()

    numbers = iter(range(count))
    await asyncio.gather(*(connection(numbers) for _ in range(in_flight)))


async def openams_http11(url: str, count: int, in_flight: int) -> None:
    """The dispatcher's client (``openams.gateway.notify.http11``): raw streams and
    httptools as above, plus the address check, the deadline and the bounded read."""
    client = Client(sandbox=True, allow_private=False)

    async def post(i: int) -> None:
        async with asyncio.timeout(10):
            answer = await client.post(url, HEADERS, body(i), limit=MAX_RESPONSE_BYTES)
        assert answer.status == 200

    try:
        await _in_parallel(count, in_flight, post)
    finally:
        client.close()


CLIENTS: dict[str, Callable[[str, int, int], Any]] = {
    "httpx.Client, threads": httpx_threads,
    "httpx.AsyncClient": httpx_async,
    "aiohttp": aiohttp_session,
    "raw streams + httptools": raw_streams,
    "raw Protocol + httptools": raw_protocol,
    "openams http11.Client": openams_http11,
}


def measure(name: str, loop: str, url: str, count: int, in_flight: int) -> dict[str, Any]:
    client = CLIENTS[name]
    wall, cpu = time.perf_counter(), time.process_time()
    if asyncio.iscoroutinefunction(client):
        runner = uvloop.run if loop == "uvloop" else asyncio.run
        runner(client(url, count, in_flight))
    else:
        client(url, count, in_flight)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return {
        "client": name,
        "loop": loop if asyncio.iscoroutinefunction(client) else "threads",
        "requests_per_s": round(count / wall),
        "cpu_us_per_request": round(cpu / count * 1e6, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=5000)
    parser.add_argument("--in-flight", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--client-cpu", type=int, default=0)
    parser.add_argument("--receiver-cpu", type=int, default=1)
    args = parser.parse_args()
    try:
        import aiohttp  # noqa: F401
    except ImportError:
        del CLIENTS["aiohttp"]
    runs = [(name, "asyncio") for name in CLIENTS]
    runs += [(name, "uvloop") for name in CLIENTS if name != "httpx.Client, threads"]
    with (
        tempfile.TemporaryDirectory(prefix="openams-bench-") as tmp,
        receiver(Path(tmp), {args.receiver_cpu}) as merchant,
    ):
        pin_every_thread({args.client_cpu})
        for _ in range(args.rounds):
            for name, loop in runs:
                result = measure(name, loop, merchant.url, args.count, args.in_flight)
                print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
