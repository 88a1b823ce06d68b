"""SQLite, on the event loop: the new payments of one turn of the loop share one commit,
and no answer leaves before its payment is committed (store/payment_writer.py).

The pays are sent through the app in one turn of the loop (``asyncio.gather`` over an
in-process ASGI transport); a middleware looks at the database, on a connection of its
own, at the moment each answer starts."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.engine import make_url
from starlette.types import ASGIApp, Receive, Scope, Send

from openams.gateway.app import Gateway, create_app
from openams.gateway.waiting import no_waiting, take_batch_commit
from openams.protocol.keys import KeyPair
from openams.protocol.models import PayRequest
from tests.ams_client import AmsClient, AmsReply
from tests.gateway.integration.payloads import pay_body

POISON = "a row that makes the batch commit fail"


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    """SQLite in the PostgreSQL pass too: the batch is SQLite's event-loop path."""
    return f"sqlite:///{tmp_path / 'openams.db'}"


def _database(gateway: Gateway) -> str:
    database = make_url(str(gateway.engine.url)).database
    assert database
    return database


def _stored(database: str, request_ids: list[str]) -> set[str]:
    """The paymentRequestIds committed, read on a connection of its own."""
    with sqlite3.connect(database) as conn:
        marks = ",".join("?" * len(request_ids))
        rows = conn.execute(
            f"SELECT payment_request_id FROM payments WHERE payment_request_id IN ({marks})",
            request_ids,
        ).fetchall()
    return {row[0] for row in rows}


class StoredWhenAnswered:
    """ASGI middleware: for each answer, whether its pay's row was committed when the
    answer started."""

    def __init__(self, app: ASGIApp, database: str) -> None:
        self.app, self.database = app, database
        self.seen: dict[str, bool] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request_id = ""

        async def reading() -> Any:
            nonlocal request_id
            message = await receive()
            body = message.get("body", b"")
            if body:
                request_id = json.loads(body)["paymentRequestId"]
            return message

        async def sending(message: Any) -> None:
            if message["type"] == "http.response.start":
                self.seen[request_id] = bool(_stored(self.database, [request_id]))
            await send(message)

        await self.app(scope, reading, sending)


async def _pay_in_one_turn(
    app: ASGIApp, ams: AmsClient, bodies: list[dict[str, Any]]
) -> list[AmsReply]:
    path = ams.path("payments/pay")
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://openams.test") as client:

        async def pay(body: dict[str, Any]) -> AmsReply:
            raw = json.dumps(body).encode()
            headers = ams.signed_headers(path, raw)
            response = await client.post(path, content=raw, headers=headers)
            return ams.check_signed(
                path, response.status_code, dict(response.headers), response.content
            )

        return await asyncio.gather(*(pay(body) for body in bodies))


def test_the_pays_of_one_turn_share_one_commit_made_before_any_answer(
    gateway: Gateway, ams: AmsClient
) -> None:
    database = _database(gateway)
    app = StoredWhenAnswered(create_app(gateway=gateway), database)
    writer = gateway.store.new_payments
    bodies = [pay_body() for _ in range(8)]
    batches, rows = writer.batches, writer.batched_rows

    replies = asyncio.run(_pay_in_one_turn(app, ams, bodies))

    assert [reply.code for reply in replies] == ["PAYMENT_IN_PROCESS"] * 8
    assert (writer.batches - batches, writer.batched_rows - rows) == (1, 8)
    ids = [body["paymentRequestId"] for body in bodies]
    assert app.seen == dict.fromkeys(ids, True)  # each committed when its answer started
    assert len({reply.body["paymentId"] for reply in replies}) == 8


def test_an_identical_resend_in_the_same_turn_gets_the_same_payment(
    gateway: Gateway, ams: AmsClient
) -> None:
    body = pay_body()
    app = create_app(gateway=gateway)

    first, second = asyncio.run(_pay_in_one_turn(app, ams, [body, body]))

    # The resend met the first's row in the open batch, which was committed before the
    # resend read it back (its write lock would otherwise wait for its own thread).
    assert first.code == second.code == "PAYMENT_IN_PROCESS"
    assert first.body["paymentId"] == second.body["paymentId"]
    assert _stored(_database(gateway), [body["paymentRequestId"]]) == {body["paymentRequestId"]}


def test_a_batch_whose_commit_fails_answers_u_for_each_of_its_pays_and_stores_none(
    gateway: Gateway, ams: AmsClient
) -> None:
    database = _database(gateway)
    # A real commit failure: a deferred foreign key that one row of the batch breaks.
    with sqlite3.connect(database) as conn:
        conn.executescript(
            f"""
            CREATE TABLE guard_parent (id TEXT PRIMARY KEY);
            CREATE TABLE guard_child (
                id TEXT REFERENCES guard_parent (id) DEFERRABLE INITIALLY DEFERRED
            );
            CREATE TRIGGER fail_the_commit AFTER INSERT ON payments
            WHEN NEW.order_description = '{POISON}'
            BEGIN INSERT INTO guard_child VALUES (NEW.payment_id); END;
            """
        )
    poisoned = pay_body()
    poisoned["order"]["orderDescription"] = POISON
    bodies = [pay_body(), poisoned, pay_body()]
    app = StoredWhenAnswered(create_app(gateway=gateway), database)

    replies = asyncio.run(_pay_in_one_turn(app, ams, bodies))

    assert [(r.result["resultStatus"], r.code) for r in replies] == [("U", "UNKNOWN_EXCEPTION")] * 3
    ids = [body["paymentRequestId"] for body in bodies]
    assert _stored(database, ids) == set()
    # U means "send it again": the resends of the two good pays store them.
    again = asyncio.run(_pay_in_one_turn(app, ams, [bodies[0], bodies[2]]))
    assert [reply.code for reply in again] == ["PAYMENT_IN_PROCESS"] * 2
    assert _stored(database, ids) == {ids[0], ids[2]}


def test_a_write_of_the_loops_thread_commits_the_open_batch_before_it_begins(
    gateway: Gateway, merchant: str, merchant_keys: KeyPair
) -> None:
    """Else its own transaction would wait (the busy timeout, 60 s, on the loop) for the
    batch the same thread left open."""
    writer = gateway.store.new_payments
    found = gateway.merchants.get(merchant)
    assert found is not None
    batches = writer.batches

    async def pay_then_write() -> None:
        with no_waiting(batch=True):
            answer = gateway.payments.pay(found, PayRequest.model_validate(pay_body()))
        assert answer["result"]["resultCode"] == "PAYMENT_IN_PROCESS"
        commit = take_batch_commit()
        assert commit is not None
        assert writer.batches == batches  # open: the turn has not ended
        gateway.merchants.add("SANDBOX_ANOTHER", merchant_keys.public_pem)
        assert writer.batches == batches + 1
        await commit

    asyncio.run(pay_then_write())
    assert gateway.merchants.get("SANDBOX_ANOTHER") is not None
