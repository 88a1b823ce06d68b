"""Issue 18, items 3 and 5: duplicate authentication headers, and times out of range.

A request carrying ``client-id``, ``signature`` or ``request-time`` twice is refused with
a signed F/PARAM_ILLEGAL answered for no client id (so it can never pass for one
merchant's answer); a time no calendar can hold (``99999999999999999999`` ms, a year
past 9999 or before 1 once in UTC) is F/PARAM_ILLEGAL naming its field, never
U/UNKNOWN_EXCEPTION.
"""

from __future__ import annotations

import json

import httpx
import pytest

from openams.protocol.signing import build_signature_header, sign
from openams.sdk import SignatureVerificationError
from openams.sdk._verify import verify_response
from tests.ams_client import AmsClient, AmsReply, now_iso
from tests.gateway.integration.payloads import pay_body, session_body

PAY = "/ams/sandbox/api/v1/payments/pay"


def _signed_headers(client: AmsClient, raw: bytes, when: str) -> list[tuple[str, str]]:
    signature = sign("POST", PAY, client.client_id, when, raw, client.private_key)
    return [
        ("Content-Type", "application/json; charset=UTF-8"),
        ("Request-Time", when),
        ("client-id", client.client_id),
        ("Signature", build_signature_header(signature, client.key_version)),
    ]


def _post(client: AmsClient, raw: bytes, headers: list[tuple[str, str]]) -> httpx.Response:
    return client.http.post(PAY, content=raw, headers=headers)


def _checked(client: AmsClient, response: httpx.Response) -> AmsReply:
    """The answer, after checking it is signed for the client id it names."""
    return client.check_signed(PAY, response.status_code, dict(response.headers), response.content)


def test_second_client_id_is_refused_and_answered_for_no_merchant(
    ams: AmsClient, other_ams: AmsClient
) -> None:
    # Merchant B signs a real request, and puts merchant A's client-id in front of its own.
    raw = json.dumps(pay_body()).encode()
    headers = _signed_headers(other_ams, raw, now_iso())
    headers.insert(0, ("Client-Id", ams.client_id))
    response = _post(other_ams, raw, headers)
    reply = _checked(other_ams, response)
    assert (reply.result["resultStatus"], reply.code) == ("F", "PARAM_ILLEGAL")
    assert "client-id" in reply.result["resultMessage"]
    assert response.headers.get_list("client-id") == [""]
    # Merchant A's SDK never takes this answer for one of its own.
    with pytest.raises(SignatureVerificationError):
        verify_response(PAY, response, ams.gateway_public_key, expected_client_id=ams.client_id)
    with pytest.raises(SignatureVerificationError):
        verify_response(
            PAY, response, ams.gateway_public_key, expected_client_id=other_ams.client_id
        )


@pytest.mark.parametrize("name", ["Signature", "Request-Time", "client-id"])
def test_any_repeated_authentication_header_is_param_illegal(ams: AmsClient, name: str) -> None:
    raw = json.dumps(pay_body()).encode()
    headers = _signed_headers(ams, raw, now_iso())
    value = next(v for k, v in headers if k == name)
    headers.append((name.upper(), value))  # the same value again, in other letters
    response = _post(ams, raw, headers)
    reply = _checked(ams, response)
    assert (reply.result["resultStatus"], reply.code) == ("F", "PARAM_ILLEGAL")
    assert name.lower() in reply.result["resultMessage"]
    assert response.headers["client-id"] == ""


def test_other_repeated_headers_are_fine(ams: AmsClient) -> None:
    raw = json.dumps(pay_body()).encode()
    headers = _signed_headers(ams, raw, now_iso())
    headers += [("Accept", "application/json"), ("accept", "*/*")]
    reply = _checked(ams, _post(ams, raw, headers))
    assert reply.code == "PAYMENT_IN_PROCESS", reply.result
    assert reply.headers["client-id"] == ams.client_id


OUT_OF_RANGE = [
    "99999999999999999999",  # ms past time_t: OSError before the fix
    "9" * 40,  # OverflowError
    "253402300800000",  # year 10000
    "0001-01-01T00:00:00+01:00",  # year 0 in UTC
    "9999-12-31T23:59:59-01:00",  # year 10000 in UTC
    "1" * 5000,  # more digits than int() reads
]


@pytest.mark.parametrize("value", OUT_OF_RANGE)
def test_payment_expiry_time_out_of_range_is_param_illegal(ams: AmsClient, value: str) -> None:
    reply = ams.call("payments/pay", pay_body(paymentExpiryTime=value))
    assert (reply.result["resultStatus"], reply.code) == ("F", "PARAM_ILLEGAL"), reply.result
    assert "paymentExpiryTime" in reply.result["resultMessage"]


@pytest.mark.parametrize("value", OUT_OF_RANGE)
def test_payment_session_expiry_time_out_of_range_is_param_illegal(
    ams: AmsClient, value: str
) -> None:
    body = session_body(paymentSessionExpiryTime=value)
    reply = ams.call("payments/createPaymentSession", body)
    assert (reply.result["resultStatus"], reply.code) == ("F", "PARAM_ILLEGAL"), reply.result
    assert "paymentSessionExpiryTime" in reply.result["resultMessage"]


@pytest.mark.parametrize("value", OUT_OF_RANGE)
def test_request_time_out_of_range_is_param_illegal(ams: AmsClient, value: str) -> None:
    reply = ams.call("payments/pay", pay_body(), request_time=value)
    assert (reply.result["resultStatus"], reply.code) == ("F", "PARAM_ILLEGAL"), reply.result
    assert "Request-Time" in reply.result["resultMessage"]
