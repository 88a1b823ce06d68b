"""Notification delivery against hostile merchant endpoints (issue 18, items 1, 4, 9, 10).

Real servers on 127.0.0.1; only the DNS resolver is replaced (the rebinding test).
"""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import Any

import pytest
from starlette.types import Receive, Scope, Send

from openams.gateway.app import Gateway
from openams.gateway.domain.notification import DeliveryStatus
from openams.gateway.notify.delivery import MAX_RESPONSE_BYTES, RESPONSE_EXCERPT_BYTES
from openams.protocol.keys import generate_key_pair
from tests.ams_client import AmsClient
from tests.gateway.integration.payloads import pay_body
from tests.live_server import live_server
from tests.notify.receiver import ACK, receiver

#: Generous liveness bound for waiting on events (a test that fails waits this long;
#: nothing is asserted about how long anything took).
PATIENCE = 60.0


class Drip:
    """Answers 200 and then one byte at a time, every ``every`` seconds, until the client
    goes away or the test ends (``stop``)."""

    def __init__(self, log: list[str], every: float = 0.5) -> None:
        self.log = log
        self.every = every
        self.started = threading.Event()
        self.closed = threading.Event()
        self.stop = threading.Event()
        self.url = ""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        assert scope["type"] == "http"
        while (await receive()).get("more_body"):
            pass
        self.started.set()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        gone = asyncio.Event()

        async def watch() -> None:
            while (await receive())["type"] != "http.disconnect":
                pass
            gone.set()

        watcher = asyncio.create_task(watch())
        while not gone.is_set() and not self.stop.is_set():
            await send({"type": "http.response.body", "body": b" ", "more_body": True})
            with suppress(TimeoutError):
                await asyncio.wait_for(gone.wait(), self.every)
        if gone.is_set():
            self.log.append("B closed by the gateway")
            self.closed.set()
        else:
            await send({"type": "http.response.body", "body": b""})
        watcher.cancel()


class Flood:
    """Answers a valid acknowledgement padded to ``total`` bytes, in 64 KiB pieces,
    counting what it sent before the client went away."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.sent_before_close: int | None = None
        self.finished = threading.Event()
        self.url = ""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        assert scope["type"] == "http"
        while (await receive()).get("more_body"):
            pass
        head, tail = b'{"result":{"resultStatus":"S"},"pad":"', b'"}'
        pad = self.total - len(head) - len(tail)
        gone = asyncio.Event()

        async def watch() -> None:
            while (await receive())["type"] != "http.disconnect":
                pass
            gone.set()

        watcher = asyncio.create_task(watch())
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(self.total).encode()),
                ],
            }
        )
        sent = 0
        piece = b"x" * 65536
        await send({"type": "http.response.body", "body": head, "more_body": True})
        sent += len(head)
        while pad > 0 and not gone.is_set():
            chunk = piece[: min(pad, len(piece))]
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
            sent += len(chunk)
            pad -= len(chunk)
            await asyncio.sleep(0)  # let the disconnect watcher run
        if not gone.is_set():
            await send({"type": "http.response.body", "body": tail})
            sent += len(tail)
        self.sent_before_close = sent
        watcher.cancel()
        self.finished.set()


@contextmanager
def serving(app: Any, path: str = "/notify") -> Iterator[Any]:
    with live_server(app) as base:
        app.url = f"{base}{path}"
        yield app


def with_settings(gateway: Gateway, **values: Any) -> None:
    gateway.settings = gateway.settings.model_copy(update=values)


def pay_and_complete(ams: AmsClient, url: str | None) -> str:
    body = pay_body(paymentNotifyUrl=url) if url else pay_body()
    if url is None:
        del body["paymentNotifyUrl"]
    ams.call("payments/pay", body)
    done = ams.call(
        "testHelpers/completePayment",
        {"paymentRequestId": body["paymentRequestId"], "outcome": "SUCCESS"},
    )
    return str(done.body["paymentId"])


def rows(gateway: Gateway, client_id: str) -> list[Any]:
    with gateway.store() as uow:
        found = sorted(uow.outbox.for_client(client_id, 100), key=lambda n: n.created_at)
        return [(n, uow.outbox.attempts(n.notification_id)) for n in found]


# ------------------------------------------------------------------ item 1: slow drip


def test_a_dripping_merchant_stalls_neither_others_nor_shutdown(
    ams: AmsClient, other_ams: AmsClient, gateway: Gateway
) -> None:
    """Merchant B's endpoint drips one byte every half second, forever. Merchant A's
    notification, due while B's attempt is open, is delivered while it is still open;
    shutting the dispatcher down while B drips returns (B's attempt ends at the
    attempt deadline, 3 s here) and records B's attempt as a timeout, to be retried."""
    with_settings(gateway, notify_timeout_seconds=3.0)
    log: list[str] = []
    a_arrived = threading.Event()

    def a_answers(_number: int) -> tuple[int, bytes]:
        log.append("A delivered")
        a_arrived.set()
        return 200, ACK

    stop = threading.Event()
    worker = gateway.dispatcher()
    thread = threading.Thread(target=worker.run_forever, args=(stop, 0.05))
    with serving(Drip(log)) as slow, receiver(a_answers) as fast:
        thread.start()
        try:
            pay_and_complete(ams, slow.url)
            assert slow.started.wait(PATIENCE)
            pay_and_complete(other_ams, fast.url)
            assert a_arrived.wait(PATIENCE), "A was not delivered while B dripped"
            stop.set()
            thread.join(PATIENCE)
            assert not thread.is_alive(), "the dispatcher did not stop while B dripped"
            worker.close()
        finally:
            stop.set()
            slow.stop.set()  # the old dispatcher would wait for B forever
            thread.join(PATIENCE)
    assert log == ["A delivered", "B closed by the gateway"]
    [(b_row, b_attempts)] = rows(gateway, ams.client_id)
    assert b_row.status is DeliveryStatus.PENDING and b_row.attempts == 1
    assert [a.error for a in b_attempts] == ["timeout after 3 s"]
    [(a_row, _)] = rows(gateway, other_ams.client_id)
    assert a_row.status is DeliveryStatus.DELIVERED


def test_one_merchant_cannot_take_every_slot(
    ams: AmsClient, other_ams: AmsClient, gateway: Gateway
) -> None:
    """Merchant B has more dripping notifications than the dispatcher has slots (3); B
    gets its per-merchant share (2) and A's notification goes out while all of B's
    attempts are still open (the deadline, 30 s here, is far away)."""
    with_settings(
        gateway, notify_timeout_seconds=30.0, notify_concurrency=3, notify_merchant_concurrency=2
    )
    log: list[str] = []
    a_arrived = threading.Event()

    def a_answers(_number: int) -> tuple[int, bytes]:
        log.append("A delivered")
        a_arrived.set()
        return 200, ACK

    stop = threading.Event()
    worker = gateway.dispatcher()
    # A poll slower than B's attempts end after the stop: the attempts that end must not
    # start B's queued notifications (they are released), however late the loop looks.
    thread = threading.Thread(target=worker.run_forever, args=(stop, 2.0))
    with serving(Drip(log)) as slow, receiver(a_answers) as fast:
        for _ in range(4):
            pay_and_complete(ams, slow.url)
        thread.start()
        try:
            assert slow.started.wait(PATIENCE)
            pay_and_complete(other_ams, fast.url)
            assert a_arrived.wait(PATIENCE), "B's notifications took every slot"
        finally:
            stop.set()
            slow.stop.set()
            thread.join(PATIENCE)
            worker.close()
    assert log[0] == "A delivered"  # while every one of B's attempts was still open
    b_attempted = sum(len(attempts) for _, attempts in rows(gateway, ams.client_id))
    assert b_attempted == 2


# ------------------------------------------------------------ item 4: huge answers


def test_a_huge_answer_is_read_only_up_to_the_limit_and_not_acknowledged(
    ams: AmsClient, gateway: Gateway
) -> None:
    total = 50 * 1024 * 1024
    worker = gateway.dispatcher()
    try:
        with serving(Flood(total)) as flood:
            pay_and_complete(ams, flood.url)
            worker.drain()
            assert flood.finished.wait(PATIENCE)
    finally:
        worker.close()
    [(row, [attempt])] = rows(gateway, ams.client_id)
    assert row.status is DeliveryStatus.PENDING  # not an acknowledgement: retried
    assert not attempt.acknowledged and attempt.http_status == 200
    assert attempt.error and f"longer than {MAX_RESPONSE_BYTES} bytes" in attempt.error
    assert attempt.response_excerpt is not None
    assert len(attempt.response_excerpt) == RESPONSE_EXCERPT_BYTES
    # The gateway closed the connection early: at most the socket buffers' worth more
    # than the limit was ever sent.
    assert flood.sent_before_close is not None and flood.sent_before_close < total // 2


# -------------------------------------------------------- item 9: non-HTTP notify URLs

BAD_URLS = ["file:///etc/passwd", "gopher://127.0.0.1:70/_x", "ftp://example.com/n", "http:///n"]


@pytest.mark.parametrize("url", BAD_URLS)
def test_pay_refuses_a_non_http_notify_url(ams: AmsClient, url: str) -> None:
    reply = ams.call("payments/pay", pay_body(paymentNotifyUrl=url))
    assert reply.code == "PARAM_ILLEGAL"
    assert "paymentNotifyUrl" in reply.result["resultMessage"]


@pytest.mark.parametrize("url", BAD_URLS)
def test_refund_refuses_a_non_http_notify_url(ams: AmsClient, url: str) -> None:
    with receiver() as merchant:
        payment_id = pay_and_complete(ams, merchant.url)
    reply = ams.call(
        "payments/refund",
        {
            "refundRequestId": f"RF-{abs(hash(url))}",
            "paymentId": payment_id,
            "refundAmount": {"currency": "HKD", "value": "10"},
            "refundNotifyUrl": url,
        },
    )
    assert reply.code == "PARAM_ILLEGAL"
    assert "refundNotifyUrl" in reply.result["resultMessage"]


def test_a_stored_non_http_notification_fails_at_once_and_is_never_attempted(
    ams: AmsClient, gateway: Gateway
) -> None:
    """A row stored before the check existed (here: through the merchant's default
    URL, which the console sets): FAILED on its first turn, no connection made."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    listener.setblocking(False)
    port = listener.getsockname()[1]
    try:
        gateway.merchants.set_notify_url(ams.client_id, f"gopher://127.0.0.1:{port}/_x")
        pay_and_complete(ams, None)
        worker = gateway.dispatcher()
        try:
            worker.drain()
        finally:
            worker.close()
        with pytest.raises(BlockingIOError):
            listener.accept()  # nobody ever connected
    finally:
        listener.close()
    [(row, [attempt])] = rows(gateway, ams.client_id)
    assert row.status is DeliveryStatus.FAILED and row.attempts == 1
    assert attempt.kind == "blocked" and attempt.http_status is None
    assert attempt.error and "not an http or https URL" in attempt.error


# ------------------------------------------------------------ item 10: DNS rebinding


def _production_merchant(ams: AmsClient, gateway: Gateway) -> AmsClient:
    keys = generate_key_pair()
    gateway.merchants.add("LIVE_SHOP", keys.public_pem)
    return AmsClient(ams.http, "LIVE_SHOP", keys.private_key, ams.gateway_public_key, sandbox=False)


def _live_pay(gateway: Gateway, live: AmsClient, url: str) -> None:
    body = pay_body(paymentNotifyUrl=url)
    assert live.call("payments/pay", body).code == "PAYMENT_IN_PROCESS"
    with gateway.store() as uow:
        payment = uow.payments.get_by_request_id("LIVE_SHOP", str(body["paymentRequestId"]))
        assert payment is not None
        token = payment.token
    gateway.payments.complete(None, token=token, outcome="SUCCESS")


class Rebinder:
    """``socket.getaddrinfo`` for one made-up name: the first answers come from
    ``first``, later ones from ``then``; every other name resolves as usual."""

    def __init__(self, name: str, first: str, then: str, first_answers: int = 1) -> None:
        self.name, self.first, self.then = name, first, then
        self.first_answers = first_answers
        self.lookups = 0
        self.real = socket.getaddrinfo

    def __call__(self, host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if host != self.name:
            return self.real(host, port, *args, **kwargs)
        self.lookups += 1
        address = self.first if self.lookups <= self.first_answers else self.then
        return self.real(address, port, *args, **kwargs)


def test_dns_rebinding_does_not_reach_the_address_checked_out(
    ams: AmsClient, gateway: Gateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The name answers a public address when the guard checks it and 127.0.0.1 when
    the connection is made: the gateway connects to the address it checked."""
    with_settings(gateway, notify_timeout_seconds=2.0)
    live = _production_merchant(ams, gateway)
    rebinder = Rebinder("rebind.openams.test", first="93.184.215.14", then="127.0.0.1")
    monkeypatch.setattr(socket, "getaddrinfo", rebinder)
    worker = gateway.dispatcher()
    try:
        with receiver() as merchant:
            port = merchant.url.split(":")[2].split("/")[0]
            _live_pay(gateway, live, f"http://rebind.openams.test:{port}/notify")
            worker.drain()
    finally:
        worker.close()
    assert merchant.received == []
    assert rebinder.lookups == 1
    [(row, [attempt])] = rows(gateway, "LIVE_SHOP")
    assert attempt.kind == "delivery" and not attempt.acknowledged
    assert row.status is DeliveryStatus.PENDING


def test_a_name_resolving_to_a_private_address_is_still_blocked(
    ams: AmsClient, gateway: Gateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    live = _production_merchant(ams, gateway)
    rebinder = Rebinder("private.openams.test", first="127.0.0.1", then="127.0.0.1")
    monkeypatch.setattr(socket, "getaddrinfo", rebinder)
    worker = gateway.dispatcher()
    try:
        with receiver() as merchant:
            port = merchant.url.split(":")[2].split("/")[0]
            _live_pay(gateway, live, f"http://private.openams.test:{port}/notify")
            worker.drain()
    finally:
        worker.close()
    assert merchant.received == []
    [(_row, [attempt])] = rows(gateway, "LIVE_SHOP")
    assert attempt.kind == "blocked" and attempt.error and "127.0.0.1" in attempt.error


def test_an_allowed_name_is_delivered_end_to_end_with_its_host_header(
    ams: AmsClient, gateway: Gateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Private targets allowed (the setting): the name resolves to 127.0.0.1, the
    delivery connects there, sends the URL's Host and is acknowledged."""
    with_settings(gateway, allow_private_notify_urls=True)
    live = _production_merchant(ams, gateway)
    rebinder = Rebinder("shop.openams.test", first="127.0.0.1", then="127.0.0.1")
    monkeypatch.setattr(socket, "getaddrinfo", rebinder)
    worker = gateway.dispatcher()
    try:
        with receiver() as merchant:
            port = merchant.url.split(":")[2].split("/")[0]
            _live_pay(gateway, live, f"http://shop.openams.test:{port}/notify")
            worker.drain()
    finally:
        worker.close()
    [message] = merchant.received
    assert message.headers["host"] == f"shop.openams.test:{port}"
    [(row, [attempt])] = rows(gateway, "LIVE_SHOP")
    assert row.status is DeliveryStatus.DELIVERED and attempt.acknowledged
