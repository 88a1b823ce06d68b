"""A real HTTP hop between the shop and the gateway that can lose or delay pay answers.

The network faults the guides tell merchants to expect, on demand: the pay reached the
gateway but its answer was lost (``lose``: the gateway's answer is replaced by HTTP 503),
the answer came too late (``hold``: it is held past the shop's timeout), or the pay never
reached the gateway (``drop``: HTTP 503 without forwarding). ``gate`` makes two pays
overlap for real: a pay's answer waits until a second pay has reached this hop (or
``gate_seconds`` passed, when the shop holds the second one back itself). Every other
call passes through unchanged.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Literal

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from openams.testing._server import LiveServer, bind_local

Fault = Literal["lose", "hold", "drop", "gate"]
_PASSED_HEADERS = ("content-type", "client-id", "request-time", "signature", "response-time")


class FaultyLink:
    def __init__(self, gateway_url: str, *, hold_seconds: float, gate_seconds: float) -> None:
        self.gateway_url = gateway_url.rstrip("/")
        self.hold_seconds = hold_seconds
        self.gate_seconds = gate_seconds
        #: the fault applied to pay calls (None: pass through)
        self.pay_fault: Fault | None = None
        #: how many pay calls reached this hop
        self.pays = 0
        self._app = Starlette(routes=[Route("/{path:path}", self._relay, methods=["POST"])])
        self._server = LiveServer(self._app, bind_local(), name="faulty-link")
        self.url = self._server.url

    async def _relay(self, request: Request) -> Response:
        body = await request.body()
        is_pay = request.url.path.endswith("/payments/pay")
        fault = self.pay_fault if is_pay else None
        if is_pay:
            self.pays += 1
        if fault == "drop":
            return Response(b"dropped", status_code=503)
        headers = {k: v for k, v in request.headers.items() if k.lower() in _PASSED_HEADERS}
        async with httpx.AsyncClient(trust_env=False, timeout=30) as client:
            answer = await client.post(
                self.gateway_url + request.url.path, content=body, headers=headers
            )
        if fault == "lose":
            return Response(b"answer lost", status_code=503)
        if fault == "hold":
            await asyncio.sleep(self.hold_seconds)
        if fault == "gate":
            waited = 0.0
            while self.pays < 2 and waited < self.gate_seconds:
                await asyncio.sleep(0.02)
                waited += 0.02
        kept = {k: v for k, v in answer.headers.items() if k.lower() in _PASSED_HEADERS}
        return Response(answer.content, status_code=answer.status_code, headers=kept)

    def start(self) -> FaultyLink:
        self._server.start()
        return self

    def stop(self) -> None:
        self._server.stop()


@contextmanager
def faulty_link(
    gateway_url: str, *, hold_seconds: float = 2.0, gate_seconds: float = 3.0
) -> Iterator[FaultyLink]:
    link = FaultyLink(gateway_url, hold_seconds=hold_seconds, gate_seconds=gate_seconds).start()
    try:
        yield link
    finally:
        link.stop()
