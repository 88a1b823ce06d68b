"""Signature checks, headers and the AMS envelope: every answer is HTTP 200 and signed."""

from __future__ import annotations

import json
import socket
import time

import httpx
import pytest

from openams.gateway.app import Gateway
from openams.protocol.keys import KeyPair, generate_key_pair
from openams.protocol.signing import build_signature_header, sign
from tests.ams_client import AmsClient, now_iso
from tests.gateway.integration.payloads import pay_body


def test_both_prefixes_reach_the_same_handlers(ams: AmsClient) -> None:
    body = pay_body()
    sandbox = ams.call("payments/pay", body)
    production = ams.call("payments/pay", body, path="/ams/api/v1/payments/pay")
    assert sandbox.body["paymentId"] == production.body["paymentId"]


def test_response_headers_are_lowercase_and_echo_client_id(ams: AmsClient) -> None:
    reply = ams.call("payments/inquiryPayment", {"paymentId": "nope"})
    assert reply.code == "ORDER_NOT_EXIST"
    assert reply.result["resultStatus"] == "F"
    assert reply.headers["client-id"] == ams.client_id
    assert reply.headers["signature"].startswith("algorithm=RSA256,keyVersion=1,signature=")
    assert "%" in reply.headers["signature"] or "+" not in reply.headers["signature"]


def test_unknown_client_id_is_client_invalid(ams: AmsClient) -> None:
    stranger = AmsClient(ams.http, "SANDBOX_NOBODY", ams.private_key, ams.gateway_public_key)
    reply = stranger.call("payments/pay", pay_body())
    assert reply.code == "CLIENT_INVALID"
    assert reply.headers["client-id"] == "SANDBOX_NOBODY"


def test_unknown_key_version_is_key_not_found(ams: AmsClient) -> None:
    ams.key_version = "7"
    reply = ams.call("payments/pay", pay_body())
    assert reply.code == "KEY_NOT_FOUND"
    assert "keyVersion 7" in reply.result["resultMessage"]


def test_new_key_version_keeps_old_versions_valid(
    ams: AmsClient, gateway: Gateway, merchant_keys: KeyPair
) -> None:
    second = generate_key_pair()
    gateway.merchants.add(ams.client_id, second.public_pem, key_version="2")
    assert ams.call("payments/inquiryPayment", {"paymentId": "x"}).code == "ORDER_NOT_EXIST"
    v2 = AmsClient(ams.http, ams.client_id, second.private_key, ams.gateway_public_key, "2")
    assert v2.call("payments/inquiryPayment", {"paymentId": "x"}).code == "ORDER_NOT_EXIST"
    wrong = AmsClient(
        ams.http, ams.client_id, merchant_keys.private_key, ams.gateway_public_key, "2"
    )
    assert wrong.call("payments/inquiryPayment", {"paymentId": "x"}).code == "INVALID_SIGNATURE"


def test_bad_signature_gets_the_sandbox_signature_debugger(ams: AmsClient) -> None:
    body = json.dumps(pay_body()).encode()
    when = now_iso()
    reply = ams.call("payments/pay", body, sign_path="/ams/api/v1/payments/pay", request_time=when)
    assert reply.code == "INVALID_SIGNATURE"
    message = reply.result["resultMessage"]
    import hashlib

    assert "POST /ams/sandbox/api/v1/payments/pay" in message
    assert f"{ams.client_id}.{when}." in message
    assert f"bytes={len(body)}" in message
    assert hashlib.sha256(body).hexdigest() in message
    assert "keyVersion=1" in message
    assert "BEGIN" not in message and "PRIVATE" not in message


def test_production_merchant_gets_no_debugger(ams: AmsClient, gateway: Gateway) -> None:
    keys = generate_key_pair()
    gateway.merchants.add("PROD_MERCHANT", keys.public_pem)
    prod = AmsClient(
        ams.http,
        "PROD_MERCHANT",
        generate_key_pair().private_key,
        ams.gateway_public_key,
        sandbox=False,
    )
    reply = prod.call("payments/pay", pay_body())
    assert reply.code == "INVALID_SIGNATURE"
    assert reply.result["resultMessage"] == "the signature does not match the request"


@pytest.mark.parametrize(
    ("header", "expected", "fragment"),
    [
        ("client-id", "PARAM_ILLEGAL", "client-id"),
        ("Request-Time", "PARAM_ILLEGAL", "Request-Time"),
        ("Signature", "PARAM_ILLEGAL", "Signature"),
    ],
)
def test_missing_headers_get_param_illegal(
    ams: AmsClient, header: str, expected: str, fragment: str
) -> None:
    reply = ams.call("payments/pay", pay_body(), headers={header: ""})
    assert reply.code == expected
    assert fragment in reply.result["resultMessage"]


def test_malformed_signature_header(ams: AmsClient) -> None:
    reply = ams.call("payments/pay", pay_body(), headers={"Signature": "algorithm=HMAC,x=1"})
    assert reply.code == "INVALID_SIGNATURE"


def test_lenient_signature_header_and_epoch_request_time(ams: AmsClient) -> None:
    raw = json.dumps(pay_body()).encode()
    when = str(int(time.time() * 1000))
    value = sign("POST", ams.path("payments/pay"), ams.client_id, when, raw, ams.private_key)
    lowered = value.replace("%2F", "%2f").replace("%3D", "%3d").replace("%2B", "%2b")
    header = f"Algorithm=RSA256, KeyVersion=1, signature={lowered}"
    reply = ams.call("payments/pay", raw, headers={"Signature": header}, request_time=when)
    assert reply.code == "PAYMENT_IN_PROCESS", reply.result


def test_unparseable_request_time(ams: AmsClient) -> None:
    reply = ams.call("payments/pay", pay_body(), request_time="yesterday")
    assert reply.code == "PARAM_ILLEGAL"
    assert "Request-Time" in reply.result["resultMessage"]


def test_get_is_method_not_supported_and_signed(ams: AmsClient) -> None:
    response = ams.http.get(ams.path("payments/pay"), headers={"client-id": ams.client_id})
    reply = ams.check_signed(
        ams.path("payments/pay"), response.status_code, dict(response.headers), response.content
    )
    assert reply.code == "METHOD_NOT_SUPPORTED"


def test_unknown_api_is_no_interface_def(ams: AmsClient) -> None:
    assert ams.call("payments/refundAll", {}).code == "NO_INTERFACE_DEF"
    prod_helper = ams.call(
        "x",
        {"paymentId": "1", "outcome": "SUCCESS"},
        path="/ams/api/v1/testHelpers/completePayment",
    )
    assert prod_helper.code == "NO_INTERFACE_DEF"


def test_test_helpers_refuse_production_client_ids(ams: AmsClient, gateway: Gateway) -> None:
    keys = generate_key_pair()
    gateway.merchants.add("LIVE_MERCHANT", keys.public_pem)
    live = AmsClient(ams.http, "LIVE_MERCHANT", keys.private_key, ams.gateway_public_key)
    reply = live.call("testHelpers/completePayment", {"paymentId": "1", "outcome": "SUCCESS"})
    assert reply.code == "ACCESS_DENIED"


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        (b"{not json", "not valid JSON"),
        (b"\xff\xfe{}", "UTF-8"),
        (b"[1, 2]", "JSON object"),
        (b"[" * 100_000 + b"]" * 100_000, "nests more than 64 levels deep"),
        (b'{"a":' * 900 + b"{}" + b"}" * 900, "nests more than 64 levels deep"),
    ],
)
def test_bad_bodies_are_param_illegal(ams: AmsClient, raw: bytes, fragment: str) -> None:
    reply = ams.call("payments/pay", raw)
    assert reply.code == "PARAM_ILLEGAL"
    assert fragment in reply.result["resultMessage"]


def _nested(levels: int) -> dict[str, object]:
    """An object ``levels`` deep (itself level 1)."""
    value: dict[str, object] = {}
    for _ in range(levels - 1):
        value = {"a": value}
    return value


def test_a_body_may_nest_64_levels_and_no_more(ams: AmsClient) -> None:
    """Walking a body recurses per level (card scrubbing, validation); one deep enough to
    reach Python's recursion limit once aborted a process (docs/decisions.md), so depth
    is measured first and bounded. The pay body is level 1, its extra field level 2."""
    at_limit = ams.call("payments/pay", {**pay_body(), "extra": _nested(63)})
    assert at_limit.code == "PAYMENT_IN_PROCESS", at_limit.result
    over = ams.call("payments/pay", {**pay_body(), "extra": _nested(64)})
    assert over.code == "PARAM_ILLEGAL"
    assert over.result["resultMessage"] == "the JSON body nests more than 64 levels deep"
    in_a_list = ams.call("payments/pay", {**pay_body(), "extra": [[_nested(62)]]})
    assert in_a_list.code == "PARAM_ILLEGAL"


def test_oversized_body(ams: AmsClient) -> None:
    raw = json.dumps({"pad": "x" * (1024 * 1024 + 1)}).encode()
    reply = ams.call("payments/pay", raw)
    assert reply.code == "PARAM_ILLEGAL"
    assert "exceeds" in reply.result["resultMessage"]


def test_wrong_content_type(ams: AmsClient) -> None:
    reply = ams.call(
        "payments/pay", pay_body(), headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert reply.code == "MEDIA_TYPE_NOT_ACCEPTABLE"


def test_sdk_accept_header_is_fine(ams: AmsClient) -> None:
    reply = ams.call(
        "payments/pay",
        pay_body(),
        headers={"Accept": "text/plain,text/xml,text/javascript,text/html"},
    )
    assert reply.code == "PAYMENT_IN_PROCESS"


def test_absolute_form_request_target(ams: AmsClient) -> None:
    """The official SDK writes `POST https://host/path HTTP/1.1`; route and sign on the path."""
    url = httpx.URL(str(ams.http.base_url))
    path = ams.path("payments/pay")
    raw = json.dumps(pay_body()).encode()
    when = now_iso()
    signature = sign("POST", path, ams.client_id, when, raw, ams.private_key)
    request = (
        f"POST https://{url.host}{path} HTTP/1.1\r\nHost: {url.host}\r\n"
        f"Content-Type: application/json; charset=UTF-8\r\nRequest-Time: {when}\r\n"
        f"client-id: {ams.client_id}\r\nSignature: {build_signature_header(signature)}\r\n"
        f"Content-Length: {len(raw)}\r\nConnection: close\r\n\r\n"
    ).encode() + raw
    with socket.create_connection((url.host, url.port), timeout=10) as conn:
        conn.sendall(request)
        data = b""
        while chunk := conn.recv(65536):
            data += chunk
    head, _, payload = data.partition(b"\r\n\r\n")
    lines = head.decode().split("\r\n")
    assert lines[0].startswith("HTTP/1.1 200")
    headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
    reply = ams.check_signed(path, 200, headers, payload)
    assert reply.code == "PAYMENT_IN_PROCESS"


def test_validation_errors_name_the_field(ams: AmsClient) -> None:
    body = pay_body()
    del body["paymentRequestId"]
    reply = ams.call("payments/pay", body)
    assert reply.code == "PARAM_ILLEGAL"
    assert reply.result["resultMessage"] == "paymentRequestId is required"
    body = pay_body(paymentRequestId="x" * 65)
    assert "at most 64" in ams.call("payments/pay", body).result["resultMessage"]
