"""A real merchant notification endpoint on 127.0.0.1 whose answers a test scripts."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from starlette.types import Receive, Scope, Send

from tests.live_server import live_server

ACK = json.dumps(
    {"result": {"resultCode": "SUCCESS", "resultStatus": "S", "resultMessage": "success"}}
).encode()


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    at: float

    @property
    def json(self) -> dict[str, Any]:
        return json.loads(self.body)


Responder = Callable[[int], tuple[int, bytes]]
"""Given the 1-based number of this request, return (status, body)."""


def fail_then_ack(failures: int) -> Responder:
    def respond(number: int) -> tuple[int, bytes]:
        return (500, b"down") if number <= failures else (200, ACK)

    return respond


@dataclass
class Receiver:
    respond: Responder = field(default=lambda _n: (200, ACK))
    delay_seconds: float = 0.0
    received: list[Received] = field(default_factory=list)
    url: str = ""
    _lock: threading.Lock = field(default_factory=threading.Lock)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        assert scope["type"] == "http"
        body = b""
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return  # the sender died mid-request (a SIGKILLed worker): nothing arrived
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        headers = {k.decode(): v.decode() for k, v in scope["headers"]}
        with self._lock:
            self.received.append(Received(scope["path"], headers, body, time.time()))
            number = len(self.received)
        if self.delay_seconds:
            import asyncio

            await asyncio.sleep(self.delay_seconds)
        status, payload = self.respond(number)
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [(b"content-type", b"application/json")],
            }
        )
        await send({"type": "http.response.body", "body": payload})


@contextmanager
def receiver(respond: Responder | None = None, delay_seconds: float = 0.0) -> Iterator[Receiver]:
    app = Receiver(respond or (lambda _n: (200, ACK)), delay_seconds)
    with live_server(app) as base:
        app.url = f"{base}/notify/payments"
        yield app
