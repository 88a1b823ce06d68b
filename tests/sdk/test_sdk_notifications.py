"""Notifications: verify with the gateway key, typed by notifyType, exact acknowledgement."""

from __future__ import annotations

import json
from typing import Any

import pytest

from openams.protocol import signing
from openams.protocol.models import (
    NOTIFICATION_ACK,
    CaptureNotification,
    PaymentNotification,
    RefundNotification,
)
from openams.sdk import (
    NOTIFICATION_MODELS,
    Client,
    MessageFormatError,
    SignatureVerificationError,
    notification_ack,
    verify_notification,
)
from tests.sdk.fake_gateway import CLIENT_ID, Keys

NOTIFY_PATH = "/ams/notify"
REQUEST_TIME = "2020-05-18T12:21:00Z"

PAYMENT_RESULT = {
    "notifyType": "PAYMENT_RESULT",
    "result": {"resultCode": "SUCCESS", "resultStatus": "S", "resultMessage": "success."},
    "paymentRequestId": "ams_alipaycn_cashier_pay_sandbox_request_004",
    "paymentId": "812231215898045923636386631814585204hTuhEdqMKx202005180001827072",
    "paymentAmount": {"currency": "CNY", "value": "100"},
    "grossSettlementAmount": {"currency": "USD", "value": "14"},
    "paymentCreateTime": "2020-05-18T20:23:12+08:00",
    "paymentTime": "2020-05-18T20:23:12+08:00",
    "notifyUrl": "http://af927046.ngrok.io",
}
CAPTURE_RESULT = {
    "notifyType": "CAPTURE_RESULT",
    "result": {"resultCode": "SUCCESS", "resultStatus": "S", "resultMessage": "success"},
    "captureRequestId": "CAP_1",
    "paymentId": "P1",
    "captureId": "C1",
    "captureAmount": {"currency": "USD", "value": "1000"},
    "captureTime": "2024-05-01T08:00:00+00:00",
}
REFUND_RESULT = {
    "notifyType": "REFUND_RESULT",
    "result": {"resultCode": "SUCCESS", "resultStatus": "S", "resultMessage": "success"},
    "refundStatus": "SUCCESS",
    "refundRequestId": "R_1",
    "refundId": "R1",
    "refundAmount": {"currency": "USD", "value": "100"},
}


def signed_notification(
    keys: Keys,
    body: dict[str, Any] | bytes,
    *,
    path: str = NOTIFY_PATH,
    client_id: str = CLIENT_ID,
    request_time: str = REQUEST_TIME,
) -> tuple[dict[str, str], bytes]:
    """Headers and body exactly as the gateway sends them (signed with the production code)."""
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    value = signing.sign("POST", path, client_id, request_time, raw, keys.gateway.private_key)
    headers = {
        "content-type": "application/json",
        "request-time": request_time,
        "client-id": client_id,
        "signature": signing.build_signature_header(value),
    }
    return headers, raw


@pytest.mark.parametrize(
    ("body", "model"),
    [
        (PAYMENT_RESULT, PaymentNotification),
        ({**PAYMENT_RESULT, "notifyType": "PAYMENT_PENDING"}, PaymentNotification),
        (CAPTURE_RESULT, CaptureNotification),
        (REFUND_RESULT, RefundNotification),
    ],
)
def test_verified_notification_is_typed_by_notify_type(
    body: dict[str, Any], model: type, keys: Keys
) -> None:
    headers, raw = signed_notification(keys, body)
    notification = verify_notification(
        "POST", NOTIFY_PATH, headers, raw, gateway_public_key=keys.gateway.public_pem
    )
    assert type(notification) is model
    assert notification.notify_type == body["notifyType"]
    assert notification.wire() == body  # unknown fields (notifyUrl) are kept


def test_payment_notification_fields(keys: Keys) -> None:
    headers, raw = signed_notification(keys, PAYMENT_RESULT)
    notification = verify_notification(
        "POST", NOTIFY_PATH, headers, raw.decode(), gateway_public_key=keys.gateway.public_key
    )
    assert isinstance(notification, PaymentNotification)
    assert notification.result.result_status == "S"
    assert notification.gross_settlement_amount is not None
    assert notification.gross_settlement_amount.value == "14"


def test_headers_in_any_case_and_as_pairs(keys: Keys) -> None:
    headers, raw = signed_notification(keys, PAYMENT_RESULT)
    titled = [(name.title(), value) for name, value in headers.items()]  # Flask/WSGI style
    notification = verify_notification(
        "POST", NOTIFY_PATH, titled, raw, gateway_public_key=keys.gateway.public_pem
    )
    assert notification.notify_type == "PAYMENT_RESULT"


def test_official_sdk_style_body_verifies_byte_for_byte(keys: Keys) -> None:
    raw = json.dumps(REFUND_RESULT, indent=3).encode()
    headers, raw = signed_notification(keys, raw)
    notification = verify_notification(
        "POST", NOTIFY_PATH, headers, raw, gateway_public_key=keys.gateway.public_pem
    )
    assert isinstance(notification, RefundNotification)
    with pytest.raises(SignatureVerificationError):  # re-serialised JSON is not what was signed
        verify_notification(
            "POST",
            NOTIFY_PATH,
            headers,
            json.dumps(json.loads(raw)),
            gateway_public_key=keys.gateway.public_pem,
        )


@pytest.mark.parametrize("path", ["/ams/notify?shop=1", "https://merchant.example/ams/notify?x"])
def test_query_string_and_full_url_verify_on_the_path(path: str, keys: Keys) -> None:
    headers, raw = signed_notification(keys, PAYMENT_RESULT)
    notification = verify_notification(
        "POST", path, headers, raw, gateway_public_key=keys.gateway.public_pem
    )
    assert notification.notify_type == "PAYMENT_RESULT"


def test_root_path_notification(keys: Keys) -> None:
    headers, raw = signed_notification(keys, PAYMENT_RESULT, path="/")
    for path in ("/", "", "http://af927046.ngrok.io"):
        verify_notification("POST", path, headers, raw, gateway_public_key=keys.gateway.public_pem)


def _tamper_body(headers: dict[str, str], raw: bytes) -> tuple[dict[str, str], bytes]:
    return headers, raw.replace(b'"100"', b'"900"')


def _tamper_time(headers: dict[str, str], raw: bytes) -> tuple[dict[str, str], bytes]:
    return {**headers, "request-time": "2020-05-18T12:21:01Z"}, raw


def _tamper_client(headers: dict[str, str], raw: bytes) -> tuple[dict[str, str], bytes]:
    return {**headers, "client-id": "OTHER"}, raw


def _drop(name: str) -> Any:
    def drop(headers: dict[str, str], raw: bytes) -> tuple[dict[str, str], bytes]:
        return {k: v for k, v in headers.items() if k != name}, raw

    return drop


def _garble_signature(headers: dict[str, str], raw: bytes) -> tuple[dict[str, str], bytes]:
    return {**headers, "signature": "algorithm=RSA256,keyVersion=1,signature=AAAA"}, raw


def _unencoded_base64(headers: dict[str, str], raw: bytes) -> tuple[dict[str, str], bytes]:
    return {**headers, "signature": "algorithm=RSA256,keyVersion=1,signature=not base64!"}, raw


@pytest.mark.parametrize(
    "tamper",
    [
        _tamper_body,
        _tamper_time,
        _tamper_client,
        _drop("signature"),
        _drop("request-time"),
        _drop("client-id"),
        _garble_signature,
        _unencoded_base64,
    ],
)
def test_tampered_notifications_are_rejected(tamper: Any, keys: Keys) -> None:
    headers, raw = tamper(*signed_notification(keys, PAYMENT_RESULT))
    with pytest.raises(SignatureVerificationError):
        verify_notification(
            "POST", NOTIFY_PATH, headers, raw, gateway_public_key=keys.gateway.public_pem
        )


def test_wrong_path_or_key_is_rejected(keys: Keys) -> None:
    headers, raw = signed_notification(keys, PAYMENT_RESULT)
    with pytest.raises(SignatureVerificationError):
        verify_notification(
            "POST", "/other", headers, raw, gateway_public_key=keys.gateway.public_pem
        )
    with pytest.raises(SignatureVerificationError):
        verify_notification(
            "POST", NOTIFY_PATH, headers, raw, gateway_public_key=keys.stranger.public_pem
        )


def test_signed_by_a_stranger_is_rejected(keys: Keys) -> None:
    raw = json.dumps(PAYMENT_RESULT).encode()
    value = signing.sign(
        "POST", NOTIFY_PATH, CLIENT_ID, REQUEST_TIME, raw, keys.stranger.private_key
    )
    headers = {
        "request-time": REQUEST_TIME,
        "client-id": CLIENT_ID,
        "signature": signing.build_signature_header(value),
    }
    with pytest.raises(SignatureVerificationError):
        verify_notification(
            "POST", NOTIFY_PATH, headers, raw, gateway_public_key=keys.gateway.public_pem
        )


def test_unknown_notify_type_is_a_format_error_after_verification(keys: Keys) -> None:
    headers, raw = signed_notification(keys, {**PAYMENT_RESULT, "notifyType": "SOMETHING_ELSE"})
    with pytest.raises(MessageFormatError, match="SOMETHING_ELSE"):
        verify_notification(
            "POST", NOTIFY_PATH, headers, raw, gateway_public_key=keys.gateway.public_pem
        )
    headers, raw = signed_notification(keys, {"notifyType": "PAYMENT_RESULT"})  # no result
    with pytest.raises(MessageFormatError):
        verify_notification(
            "POST", NOTIFY_PATH, headers, raw, gateway_public_key=keys.gateway.public_pem
        )


def test_client_method_uses_its_key_and_client_id(client: Client, keys: Keys) -> None:
    headers, raw = signed_notification(keys, CAPTURE_RESULT)
    assert isinstance(
        client.verify_notification("POST", NOTIFY_PATH, headers, raw), CaptureNotification
    )
    headers, raw = signed_notification(keys, CAPTURE_RESULT, client_id="ANOTHER_MERCHANT")
    with pytest.raises(SignatureVerificationError, match="ANOTHER_MERCHANT"):
        client.verify_notification("POST", NOTIFY_PATH, headers, raw)


def test_ack_is_exact() -> None:
    expected = b'{"result":{"resultCode":"SUCCESS","resultStatus":"S","resultMessage":"success"}}'
    assert notification_ack() == expected
    assert Client.notification_ack() == expected
    assert json.loads(notification_ack()) == NOTIFICATION_ACK


def test_notification_models_cover_the_documented_types() -> None:
    assert set(NOTIFICATION_MODELS) == {
        "PAYMENT_RESULT",
        "PAYMENT_PENDING",
        "CAPTURE_RESULT",
        "REFUND_RESULT",
    }


def test_starlette_headers_are_accepted(keys: Keys) -> None:
    from starlette.datastructures import Headers

    headers, raw = signed_notification(keys, PAYMENT_RESULT)
    framework_headers = Headers(raw=[(k.title().encode(), v.encode()) for k, v in headers.items()])
    notification = verify_notification(
        "POST", NOTIFY_PATH, framework_headers, raw, gateway_public_key=keys.gateway.public_pem
    )
    assert notification.notify_type == "PAYMENT_RESULT"
