"""Every form of the Signature header the gateway accepts, with a good signature, a
tampered body and a wrong key: the lenient parsing must never loosen the check.

The forms are what ``parse_signature_header`` tolerates (spacing, the case of names and
of the algorithm, order, keyVersion absent or empty) times the ways the value may be
escaped (upper- or lower-case hex, or not at all).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote

import pytest

from openams.protocol.keys import KeyPair
from openams.protocol.signing import sign
from tests.ams_client import AmsClient, AmsReply, now_iso
from tests.gateway.integration.payloads import pay_body

#: Header templates; ``{v}`` is the signature value.
FORMS = {
    "canonical": "algorithm=RSA256,keyVersion=1,signature={v}",
    "spaces after commas": "algorithm=RSA256, keyVersion=1, signature={v}",
    "spaces around everything": "algorithm = RSA256 ,  keyVersion = 1 ,signature = {v}",
    "capitalised names": "Algorithm=RSA256,KeyVersion=1,Signature={v}",
    "upper-case names, lower-case algorithm": "ALGORITHM=rsa256,KEYVERSION=1,SIGNATURE={v}",
    "signature first": "signature={v},keyVersion=1,algorithm=RSA256",
    "no keyVersion": "algorithm=RSA256,signature={v}",
    "empty keyVersion": "Algorithm=RSA256,keyVersion=,signature={v}",
}

#: How the URL-encoded base64 value may be written.
ESCAPES = {
    "upper-case hex": lambda value: value,
    "lower-case hex": lambda value: (
        value.replace("%2F", "%2f").replace("%3D", "%3d").replace("%2B", "%2b")
    ),
    "not escaped": unquote,
}


def _send(
    ams: AmsClient,
    body: dict[str, Any],
    header: Callable[[str], str],
    signed: bytes | None = None,
) -> AmsReply:
    """POST ``body`` with ``header(value)`` for the signature of ``signed`` (or of the body)."""
    raw = json.dumps(body).encode()
    when = now_iso()
    value = sign(
        "POST", ams.path("payments/pay"), ams.client_id, when, signed or raw, ams.private_key
    )
    return ams.call("payments/pay", raw, headers={"Signature": header(value)}, request_time=when)


def _stored(ams: AmsClient, request_id: str) -> bool:
    reply = ams.call("payments/inquiryPayment", {"paymentRequestId": request_id})
    return reply.code != "ORDER_NOT_EXIST"


@pytest.mark.parametrize("escape", ESCAPES)
@pytest.mark.parametrize("form", FORMS)
def test_each_header_form_verifies_the_signature(
    ams: AmsClient, other_merchant_keys: KeyPair, form: str, escape: str
) -> None:
    def header(value: str) -> str:
        return FORMS[form].format(v=ESCAPES[escape](value))

    # the body is not the one signed: one digit of the amount changed
    signed = pay_body(value="100")
    tampered = {**signed, "paymentAmount": {"currency": "HKD", "value": "900"}}
    reply = _send(ams, tampered, header, signed=json.dumps(signed).encode())
    assert reply.code == "INVALID_SIGNATURE", (form, escape, reply.result)
    assert not _stored(ams, tampered["paymentRequestId"])

    # signed with a key that is not the merchant's
    wrong = AmsClient(
        ams.http, ams.client_id, other_merchant_keys.private_key, ams.gateway_public_key
    )
    body = pay_body()
    reply = _send(wrong, body, header)
    assert reply.code == "INVALID_SIGNATURE", (form, escape, reply.result)
    assert not _stored(ams, body["paymentRequestId"])

    # and the same form with a good signature is accepted
    reply = _send(ams, body, header)
    assert reply.code == "PAYMENT_IN_PROCESS", (form, escape, reply.result)
    assert _stored(ams, body["paymentRequestId"])
