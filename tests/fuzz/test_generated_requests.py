"""Generated input: 10,000 requests across every AMS endpoint, in process, and a sample over
real HTTP. Bodies come from the schemas the gateway publishes at /openapi.json, from
valid bodies with fields replaced or removed, and from arbitrary JSON and bytes; headers
are signed, garbled, forged or missing.

Every answer must be HTTP 200, signed with the gateway key, and carry an AMS result
envelope whose code is in the catalogue with its catalogued status. No request may reach
the catch-all (``UNKNOWN_EXCEPTION``, logged as an error), and the data of a merchant the
requests do not authenticate as must stay exactly as it was.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from openams.gateway.app import Gateway, create_app
from openams.gateway.store.tables import (
    captures,
    notifications,
    payment_sessions,
    payments,
    refunds,
)
from openams.protocol.keys import KeyPair, generate_key_pair
from openams.protocol.money import is_currency
from openams.protocol.results import RESULT_CODES
from openams.protocol.signing import parse_signature_header, verify
from tests.ams_client import AmsClient
from tests.fuzz.asgi import asgi_request
from tests.fuzz.strategies import (
    ANY_JSON,
    FuzzRequest,
    SchemaStrategies,
    Signer,
    mutated,
    requests,
    weighted,
)
from tests.gateway.integration.card_payloads import card_meta, card_pay_body
from tests.gateway.integration.payloads import new_id, pay_body

IN_PROCESS_CASES = int(os.environ.get("OPENAMS_FUZZ_CASES", "10000"))
REAL_HTTP_CASES = 300
FUZZ_CLIENT = "SANDBOX_FUZZ"
OWNER_CLIENT = "SANDBOX_OWNER"
#: Fields given a fresh value in most mutated bodies, so that they create new records.
FRESH_IDS = {
    "payments/pay": ("paymentRequestId",),
    "payments/createPaymentSession": ("paymentRequestId",),
    "payments/refund": ("refundRequestId",),
    "payments/capture": ("captureRequestId",),
}


@dataclass
class Seeded:
    """What exists before the generated requests start."""

    paths: list[str]
    bases: dict[str, dict[str, Any]]
    known_ids: list[str]


def _answer_problems(
    request: FuzzRequest,
    status: int,
    headers: list[tuple[bytes, bytes]],
    raw: bytes,
    gateway_key: rsa.RSAPublicKey,
) -> str | None:
    """Why this answer is not a signed AMS envelope, or None."""
    if status != 200:
        return f"HTTP {status}"
    found = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in headers}
    for name in ("signature", "response-time", "client-id"):
        if name not in found:
            return f"no {name} header"
    signature = parse_signature_header(found["signature"]).signature
    if not verify(
        "POST",
        request.path,
        found["client-id"],
        found["response-time"],
        raw,
        signature,
        gateway_key,
    ):
        return "the response signature does not verify"
    try:
        body = json.loads(raw)
    except ValueError:
        return "the body is not JSON"
    outcome = body.get("result") if isinstance(body, dict) else None
    if not isinstance(outcome, dict):
        return "no result object"
    code, status_value = outcome.get("resultCode"), outcome.get("resultStatus")
    if not isinstance(outcome.get("resultMessage"), str):
        return "resultMessage is not a string"
    catalogued = RESULT_CODES.get(str(code))
    if catalogued is None:
        return f"resultCode {code!r} is not in the catalogue"
    if status_value != catalogued.status.value:
        return f"{code} answered with status {status_value!r}"
    if code == "UNKNOWN_EXCEPTION":
        return "the request reached the catch-all (UNKNOWN_EXCEPTION)"
    return None


def _snapshot(gateway: Gateway, client_id: str) -> dict[str, list[tuple[Any, ...]]]:
    snap: dict[str, list[tuple[Any, ...]]] = {}
    with gateway.engine.connect() as conn:
        for table in (payments, notifications, refunds, captures, payment_sessions):
            key = next(iter(table.primary_key.columns))
            rows = conn.execute(select(table).where(table.c.client_id == client_id).order_by(key))
            snap[table.name] = [tuple(row) for row in rows]
    return snap


def _check_integrity(gateway: Gateway, client_id: str) -> int:
    """Every stored payment of ``client_id`` loads, with a positive amount in a real
    currency, and no refund or capture exceeds it. Returns how many payments."""
    with gateway.engine.connect() as conn:
        ids = [
            r.payment_id
            for r in conn.execute(
                select(payments.c.payment_id).where(payments.c.client_id == client_id)
            )
        ]
    with gateway.store() as uow:
        for payment_id in ids:
            payment = uow.payments.get(client_id, payment_id)
            assert payment is not None
            assert int(payment.amount.value) > 0, payment
            assert is_currency(payment.amount.currency), payment
            refunded = sum(
                int(r.amount.value)
                for r in uow.refunds.for_payment(client_id, payment_id)
                if r.status.value != "FAIL"
            )
            captured = sum(
                int(c.amount.value) for c in uow.captures.for_payment(client_id, payment_id)
            )
            assert refunded <= int(payment.amount.value), (payment_id, refunded)
            assert captured <= int(payment.amount.value), (payment_id, captured)
    return len(ids)


def _seed(ams: AmsClient, owner: AmsClient) -> Seeded:
    """A few payments of each kind for both merchants; the fuzz bodies point at them."""
    known: list[str] = []

    def pay(client: AmsClient, body: dict[str, Any]) -> dict[str, Any]:
        reply = client.call("payments/pay", body)
        assert reply.result["resultStatus"] in ("S", "U"), reply.result
        known.extend([body["paymentRequestId"], reply.body["paymentId"]])
        return reply.body

    def complete(client: AmsClient, payment_id: str, outcome: str) -> None:
        reply = client.call(
            "testHelpers/completePayment", {"paymentId": payment_id, "outcome": outcome}
        )
        assert reply.code == "SUCCESS", reply.result

    for client in (owner, ams):
        paid = pay(client, pay_body(value="5000"))
        complete(client, paid["paymentId"], "SUCCESS")
        failed = pay(client, pay_body())
        complete(client, failed["paymentId"], "FAIL")
        canceled = pay(client, pay_body())
        assert client.call("payments/cancel", {"paymentId": canceled["paymentId"]}).code == (
            "SUCCESS"
        )
        refund_id = new_id("RF")
        reply = client.call(
            "payments/refund",
            {
                "refundRequestId": refund_id,
                "paymentId": paid["paymentId"],
                "refundAmount": {"currency": "HKD", "value": "100"},
            },
        )
        assert reply.result["resultStatus"] in ("S", "U"), reply.result
        known.append(refund_id)
        authorized = pay(
            client, card_pay_body(card_meta(), authorization=True, capture_mode="MANUAL")
        )
        processing = pay(client, pay_body())
    # ``paid``, ``processing`` and ``authorized`` are the fuzz merchant's (last loop pass).
    bases: dict[str, dict[str, Any]] = {
        "payments/pay": pay_body(),
        "payments/inquiryPayment": {"paymentId": paid["paymentId"]},
        "payments/cancel": {"paymentId": processing["paymentId"]},
        "payments/consult": {
            "productCode": "CASHIER_PAYMENT",
            "paymentAmount": {"currency": "HKD", "value": "100"},
            "env": {"terminalType": "WEB"},
        },
        "payments/createPaymentSession": {
            **pay_body(),
            "paymentSessionExpiryTime": None,
        },
        "payments/refund": {
            "refundRequestId": new_id("RF"),
            "paymentId": paid["paymentId"],
            "refundAmount": {"currency": "HKD", "value": "10"},
        },
        "payments/inquiryRefund": {"refundRequestId": refund_id},
        "payments/capture": {
            "captureRequestId": new_id("CAP"),
            "paymentId": authorized["paymentId"],
            "captureAmount": {"currency": "USD", "value": "10"},
        },
        "testHelpers/completePayment": {"paymentId": processing["paymentId"], "outcome": "FAIL"},
        "testHelpers/advanceClock": {"seconds": 1},
        "testHelpers/resendNotification": {"paymentId": paid["paymentId"]},
        "testHelpers/notificationChaos": {"duplicate": False},
    }
    del bases["payments/createPaymentSession"]["paymentSessionExpiryTime"]
    return Seeded([], bases, known)


@pytest.fixture
def fuzz_setup(
    gateway: Gateway, http: httpx.Client, merchant_keys: KeyPair
) -> Iterator[tuple[AmsClient, AmsClient, Seeded, dict[str, Any]]]:
    owner_keys = generate_key_pair()
    gateway.merchants.add(FUZZ_CLIENT, merchant_keys.public_pem)
    gateway.merchants.add(OWNER_CLIENT, owner_keys.public_pem)
    fuzz = AmsClient(http, FUZZ_CLIENT, merchant_keys.private_key, gateway.key_pair.public_key)
    owner = AmsClient(http, OWNER_CLIENT, owner_keys.private_key, gateway.key_pair.public_key)
    seeded = _seed(fuzz, owner)
    document = http.get("/openapi.json").json()
    seeded.paths = sorted(document["paths"])
    yield fuzz, owner, seeded, document


def _strategies(
    seeded: Seeded, document: dict[str, Any], signer: Signer
) -> st.SearchStrategy[FuzzRequest]:
    schemas = SchemaStrategies(document["components"]["schemas"], extra_text=seeded.known_ids)
    hostile: dict[str, st.SearchStrategy[Any]] = {}
    clean: dict[str, st.SearchStrategy[Any]] = {}
    for path, item in document["paths"].items():
        schema = item["post"]["requestBody"]["content"]["application/json"]["schema"]
        name = path.split("/v1/", 1)[1]
        generated = schemas.build(schema)
        hostile[path] = st.one_of(generated, ANY_JSON)
        if name in seeded.bases:
            base = mutated(seeded.bases[name], fresh=FRESH_IDS.get(name, ()))
            hostile[path] = weighted((2, base), (2, generated), (1, ANY_JSON))
            clean[path] = weighted((4, base), (1, generated))
        else:
            clean[path] = generated

    def bodies(path: str, is_clean: bool) -> st.SearchStrategy[Any]:
        return (clean if is_clean else hostile).get(path, ANY_JSON)

    strangers = [OWNER_CLIENT, "SANDBOX_NOBODY", "LIVE_NOBODY", ""]
    return requests(seeded.paths, bodies, signer, strangers)


def _errors(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]


def test_openapi_describes_every_operation_under_both_prefixes(
    http: httpx.Client, gateway: Gateway
) -> None:
    document = http.get("/openapi.json").json()
    assert document["openapi"].startswith("3.1")
    paths = document["paths"]
    assert "/ams/api/v1/payments/pay" in paths
    assert "/ams/sandbox/api/v1/payments/pay" in paths
    assert "/ams/sandbox/api/v1/testHelpers/completePayment" in paths
    assert "/ams/api/v1/testHelpers/completePayment" not in paths
    pay = paths["/ams/api/v1/payments/pay"]["post"]
    ref = pay["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    request_schema = document["components"]["schemas"][ref.rsplit("/", 1)[1]]
    assert {"productCode", "paymentRequestId", "paymentAmount"} <= set(request_schema["required"])
    answer = pay["responses"]["200"]
    assert set(answer["headers"]) == {"signature", "response-time", "client-id"}
    schemes = document["components"]["securitySchemes"]
    assert {s["name"] for s in schemes.values()} == {"client-id", "Request-Time", "Signature"}
    assert document["security"] == [{"clientId": [], "requestTime": [], "signature": []}]
    # every $ref resolves
    text = json.dumps(document)
    for name in {p.split('"')[0] for p in text.split('"#/components/schemas/')[1:]}:
        assert name in document["components"]["schemas"], name


def test_ten_thousand_generated_requests_in_process(
    gateway: Gateway,
    fuzz_setup: tuple[AmsClient, AmsClient, Seeded, dict[str, Any]],
    merchant_keys: KeyPair,
    caplog: pytest.LogCaptureFixture,
) -> None:
    _fuzz, owner, seeded, document = fuzz_setup
    before = _snapshot(gateway, OWNER_CLIENT)
    app = create_app(gateway=gateway)
    labels: Counter[str] = Counter()
    codes: Counter[str] = Counter()
    strategy = _strategies(seeded, document, Signer(FUZZ_CLIENT, merchant_keys.private_key))
    caplog.set_level(logging.ERROR)

    with asyncio.Runner() as runner:

        @settings(
            max_examples=IN_PROCESS_CASES,
            derandomize=True,
            database=None,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            print_blob=False,
        )
        @given(strategy)
        def run(request: FuzzRequest) -> None:
            caplog.clear()
            answer = runner.run(
                asgi_request(app, request.method, request.path, request.headers, request.body)
            )
            problem = _answer_problems(
                request, answer.status, answer.headers, answer.body, gateway.key_pair.public_key
            )
            assert problem is None, (problem, request, answer.body[:300])
            assert not _errors(caplog), (_errors(caplog), request)
            labels[request.label.split()[1]] += 1
            codes[json.loads(answer.body)["result"]["resultCode"]] += 1

        run()

    assert sum(labels.values()) >= IN_PROCESS_CASES
    # the generator reached past authentication and parsing into the services (floors
    # scale with the case count: 10 and 50 at the full 10,000; pays are fewer since the
    # operation table grew to 25 operations)
    assert codes["PAYMENT_IN_PROCESS"] > IN_PROCESS_CASES // 1000, codes
    assert codes["SUCCESS"] > IN_PROCESS_CASES // 200, codes
    assert {"INVALID_SIGNATURE", "PARAM_ILLEGAL", "NO_INTERFACE_DEF"} <= set(codes), codes
    assert _snapshot(gateway, OWNER_CLIENT) == before
    # payments stored (10 at 10,000 cases: the generated requests are shared by every
    # operation of the table, 25 of them since vaulting, disputes and notification inquiry)
    assert _check_integrity(gateway, FUZZ_CLIENT) > IN_PROCESS_CASES // 1000
    # the owner's data still answers as before
    assert owner.call("payments/inquiryPayment", {"paymentId": before["payments"][0][0]}).code == (
        "SUCCESS"
    )


def test_generated_requests_over_real_http(
    gateway: Gateway,
    http: httpx.Client,
    fuzz_setup: tuple[AmsClient, AmsClient, Seeded, dict[str, Any]],
    merchant_keys: KeyPair,
    caplog: pytest.LogCaptureFixture,
) -> None:
    _fuzz, _owner, seeded, document = fuzz_setup
    before = _snapshot(gateway, OWNER_CLIENT)
    strategy = _strategies(seeded, document, Signer(FUZZ_CLIENT, merchant_keys.private_key))
    caplog.set_level(logging.ERROR)
    sent: list[int] = []

    @settings(
        max_examples=REAL_HTTP_CASES,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        print_blob=False,
    )
    @given(strategy)
    def run(request: FuzzRequest) -> None:
        caplog.clear()
        response = http.request(
            request.method, request.path, content=request.body, headers=request.headers
        )
        problem = _answer_problems(
            request,
            response.status_code,
            response.headers.raw,
            response.content,
            gateway.key_pair.public_key,
        )
        assert problem is None, (problem, request, response.content[:300])
        assert not _errors(caplog), (_errors(caplog), request)
        sent.append(1)

    run()
    assert len(sent) >= REAL_HTTP_CASES
    assert _snapshot(gateway, OWNER_CLIENT) == before
