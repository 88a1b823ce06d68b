"""Byte compatibility of our signatures with the official SDK's, in both directions.

Each test sends one batch of commands to the SDK running in ``.venv-official``.
RSASSA-PKCS1-v1_5 is deterministic, so beyond "each side verifies the other" the
signature values themselves must be identical byte for byte.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from openams.protocol.keys import KeyPair, generate_key_pair, pem_body
from openams.protocol.signing import (
    build_signature_header,
    parse_signature_header,
    sign,
    verify,
)
from tests.official.conftest import OfficialSDK

pytestmark = pytest.mark.official

CLIENT_ID = "SANDBOX_5YBZ1J2ZA8AC07829"
PAY_PATH = "/ams/sandbox/api/v1/payments/pay"
REQUEST_TIME = "2024-05-01T08:00:00+00:00"

_PAY_BODY = {
    "productCode": "CASHIER_PAYMENT",
    "paymentRequestId": "PAY_0001",
    "order": {
        "referenceOrderId": "ORDER_0001",
        "orderDescription": "Café crème — 咖啡 ☕",
        "orderAmount": {"currency": "HKD", "value": "100"},
    },
    "paymentAmount": {"currency": "HKD", "value": "100"},
    "paymentMethod": {"paymentMethodType": "ALIPAY_HK"},
    "env": {"terminalType": "WEB"},
}

#: (name, path, body): what real traffic looks like, and what breaks naive signers.
MESSAGES: list[tuple[str, str, str]] = [
    ("compact-ascii", "/ams/api/v1/payments/pay", '{"paymentRequestId":"PAY_1"}'),
    # what the SDK sends: json.dumps(indent=3), ASCII-escaped
    ("sdk-indent-3", PAY_PATH, json.dumps(_PAY_BODY, indent=3)),
    # raw UTF-8 as a server may answer
    ("non-ascii-utf8", PAY_PATH, json.dumps(_PAY_BODY, ensure_ascii=False)),
    ("newlines", "/ams/api/v1/payments/inquiryPayment", '{\n"a": "x\\ny",\r\n"b": 1\n}\n'),
    ("empty-body", "/ams/api/v1/payments/consult", ""),
    ("url-like-chars", "/ams/api/v1/payments/cancel", '{"u":"https://a/?x=1&y=%2B+ /"}'),
]
_MESSAGE_IDS = [name for name, _, _ in MESSAGES]


@pytest.fixture(scope="module")
def pair() -> KeyPair:
    return generate_key_pair()


def _private_body(key: rsa.RSAPrivateKey, form: str) -> str:
    fmt = {
        "pkcs1": serialization.PrivateFormat.TraditionalOpenSSL,
        "pkcs8": serialization.PrivateFormat.PKCS8,
    }[form]
    pem = key.private_bytes(serialization.Encoding.PEM, fmt, serialization.NoEncryption())
    return pem_body(pem.decode("ascii"))


def _assert_no_error(result: dict[str, Any], what: str) -> None:
    assert "error" not in result, f"{what}: {result.get('error')}\n{result.get('traceback', '')}"


def test_ours_signs_theirs_verifies(official_sdk: OfficialSDK, pair: KeyPair) -> None:
    public = pem_body(pair.public_pem)
    commands: list[dict[str, Any]] = []
    for _, path, body in MESSAGES:
        value = sign("POST", path, CLIENT_ID, REQUEST_TIME, body, pair.private_key)
        base = {"op": "verify", "path": path, "client_id": CLIENT_ID, "public_key": public}
        commands.append(base | {"time": REQUEST_TIME, "body": body, "signature": value})
        # controls in the same batch: their verify must be able to say no
        commands.append(base | {"time": REQUEST_TIME, "body": body + " ", "signature": value})
        commands.append(
            base | {"time": "2024-05-01T08:00:01+00:00", "body": body} | {"signature": value}
        )
    results = official_sdk.run(commands)
    for i, name in enumerate(_MESSAGE_IDS):
        genuine, tampered_body, tampered_time = results[3 * i : 3 * i + 3]
        _assert_no_error(genuine, f"{name}: SDK verify of our signature")
        assert genuine["valid"] is True, name
        for control in (tampered_body, tampered_time):
            assert "error" in control or control["valid"] is False, f"{name}: {control}"


@pytest.mark.parametrize("form", ["pkcs1", "pkcs8"])
def test_theirs_signs_ours_verifies_and_the_values_are_identical(
    official_sdk: OfficialSDK, pair: KeyPair, form: str
) -> None:
    private = _private_body(pair.private_key, form)
    commands = [
        {
            "op": "sign",
            "path": path,
            "client_id": CLIENT_ID,
            "time": REQUEST_TIME,
            "body": body,
            "private_key": private,
        }
        for _, path, body in MESSAGES
    ]
    results = official_sdk.run(commands)
    for (name, path, body), result in zip(MESSAGES, results, strict=True):
        _assert_no_error(result, f"{name}: SDK sign with a {form} body")
        theirs = result["signature"]
        assert verify("POST", path, CLIENT_ID, REQUEST_TIME, body, theirs, pair.public_key), name
        assert not verify(
            "POST", path, CLIENT_ID, REQUEST_TIME, body + " ", theirs, pair.public_key
        ), name
        ours = sign("POST", path, CLIENT_ID, REQUEST_TIME, body, pair.private_key)
        assert theirs == ours, f"{name}: signature values differ"


def test_their_verify_path_reads_our_signature_header(
    official_sdk: OfficialSDK, pair: KeyPair
) -> None:
    """Response headers as the gateway sends them, through DefaultAlipayClient's own parsing."""
    public = pem_body(pair.public_pem)
    commands: list[dict[str, Any]] = []
    for _, path, body in MESSAGES:
        value = sign("POST", path, CLIENT_ID, REQUEST_TIME, body, pair.private_key)
        header = build_signature_header(value, key_version="1")
        assert parse_signature_header(header).signature == value
        headers = [
            ["content-type", "application/json; charset=UTF-8"],
            ["signature", header],
            ["response-time", REQUEST_TIME],
            ["client-id", CLIENT_ID],
        ]
        commands.append(
            {
                "op": "verify_response",
                "path": path,
                "client_id": CLIENT_ID,
                "body": body,
                "headers": headers,
                "public_key": public,
            }
        )
    # controls: capitalised header names are invisible to the SDK; a wrong key fails
    _, path, body = MESSAGES[0]
    value = sign("POST", path, CLIENT_ID, REQUEST_TIME, body, pair.private_key)
    capitalised = [
        ["Signature", build_signature_header(value)],
        ["Response-Time", REQUEST_TIME],
        ["Client-Id", CLIENT_ID],
    ]
    commands.append(commands[0] | {"headers": capitalised})
    commands.append(commands[0] | {"public_key": pem_body(generate_key_pair().public_pem)})

    results = official_sdk.run(commands)
    for name, result in zip(_MESSAGE_IDS, results, strict=False):
        _assert_no_error(result, f"{name}: SDK response verification of our header")
        assert result["verified"] is True
        assert result["client_id"] == CLIENT_ID
    capitalised_result, wrong_key_result = results[-2:]
    assert "signature not exist" in capitalised_result["error"]
    assert "verif" in wrong_key_result["error"].lower()


@pytest.mark.parametrize("key_version", ["1", "2"])
def test_their_webhook_check_accepts_a_notification_we_sign(
    official_sdk: OfficialSDK, pair: KeyPair, key_version: str
) -> None:
    path = "/openams/notify/payment"
    request_time = "2024-05-18T12:21:00Z"
    body = json.dumps(
        {
            "notifyType": "PAYMENT_RESULT",
            "result": {"resultCode": "SUCCESS", "resultStatus": "S", "resultMessage": "success."},
            "paymentRequestId": "PAY_0001",
            "paymentId": "2024051811401080010018800000001",
            "paymentAmount": {"currency": "CNY", "value": "100"},
            "grossSettlementAmount": {"currency": "USD", "value": "14"},
            "paymentCreateTime": "2024-05-18T20:23:12+08:00",
            "paymentTime": "2024-05-18T20:23:12+08:00",
        },
        separators=(",", ":"),
    )
    value = sign("POST", path, CLIENT_ID, request_time, body, pair.private_key)
    header = build_signature_header(value, key_version=key_version)
    check = {
        "op": "webhook_check",
        "path": path,
        "client_id": CLIENT_ID,
        "time": request_time,
        "body": body,
        "signature_header": header,
        "public_key": pem_body(pair.public_pem),
    }
    results = official_sdk.run(
        [
            check,
            check | {"client_id": "SANDBOX_SOMEONE_ELSE"},
            check | {"path": "/other/notify"},
            check | {"signature_header": "algorithm=RSA256,keyVersion=1"},
        ]
    )
    _assert_no_error(results[0], "SDK webhook check of our notification")
    assert results[0]["valid"] is True
    for control in results[1:3]:
        assert "error" in control or control["valid"] is False, control
    assert "signature invalid" in results[3]["error"]
