"""Request side: the exact bytes and headers sent, keys in every form, base URL, sandbox."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta, timezone

import httpx
import pytest

from openams.protocol import signing
from openams.protocol.keys import pem_body
from openams.protocol.models import PayRequest
from openams.sdk import Client, KeyFormatError, SignatureAuth, format_request_time
from openams.sdk import _core as core_module
from tests.sdk.fake_gateway import (
    BASE_URL,
    ClientFactory,
    FakeGateway,
    Keys,
    Reply,
    ams_result,
    pay_body,
)

ISO_SECONDS_UTC = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00$")


def test_signature_covers_the_exact_bytes_sent(client: Client, fake: FakeGateway) -> None:
    client.pay(pay_body())
    (sent,) = fake.requests
    assert sent.signature_ok
    parsed = signing.parse_signature_header(sent.headers["Signature"])
    expected = signing.signed_content(
        "POST", "/ams/api/v1/payments/pay", sent.headers["client-id"],
        sent.headers["Request-Time"], sent.content,
    )  # fmt: skip
    assert signing.verify_content(expected, parsed.signature, fake.merchant_public_key)
    # one byte more or less and it no longer verifies
    assert not signing.verify_content(expected + b" ", parsed.signature, fake.merchant_public_key)


def test_request_headers(client: Client, fake: FakeGateway) -> None:
    client.pay(pay_body())
    headers = fake.requests[0].headers
    assert headers["Content-Type"] == "application/json; charset=UTF-8"
    assert headers["client-id"] == fake.client_id
    assert ISO_SECONDS_UTC.match(headers["Request-Time"])
    assert re.fullmatch(
        r"algorithm=RSA256,keyVersion=1,signature=[A-Za-z0-9%]+", headers["Signature"]
    )
    # the value is URL-encoded base64: no raw '+', '/' or '='
    value = headers["Signature"].split("signature=", 1)[1]
    assert not set(value) & set("+/=")
    assert len(signing.decode_signature_value(value)) == 256  # 2048-bit RSA


def test_header_names_are_sent_as_antom_documents_them(client: Client, fake: FakeGateway) -> None:
    client.pay(pay_body())
    raw_names = {name for name, _ in fake.requests[0].headers.raw}
    assert {b"client-id", b"Request-Time", b"Signature", b"Content-Type"} <= raw_names


def test_key_version_is_sent(make_client: ClientFactory, fake: FakeGateway) -> None:
    make_client(key_version="2").pay(pay_body())
    assert "keyVersion=2," in fake.requests[0].headers["Signature"]


def test_body_is_compact_ascii_json_of_the_wire_model(client: Client, fake: FakeGateway) -> None:
    body = pay_body()
    body["order"]["orderDescription"] = "Café ☕"
    client.pay(body)
    content = fake.requests[0].content
    assert content.isascii()
    assert b"\\u2615" in content
    assert b": " not in content and b", " not in content
    assert json.loads(content) == PayRequest.model_validate(body).wire()


def test_model_and_dict_send_identical_bytes(client: Client, fake: FakeGateway) -> None:
    client.pay(pay_body())
    client.pay(PayRequest.model_validate(pay_body()))
    first, second = fake.requests
    assert first.content == second.content


def test_dict_is_validated_before_anything_is_sent(client: Client, fake: FakeGateway) -> None:
    bad = pay_body()
    del bad["paymentAmount"]
    with pytest.raises(ValueError, match="paymentAmount"):
        client.pay(bad)
    assert fake.requests == []


def test_wrong_model_type_is_refused(client: Client, fake: FakeGateway) -> None:
    from openams.protocol.models import CancelRequest

    with pytest.raises(TypeError, match="PayRequest"):
        client.pay(CancelRequest(payment_id="P1"))  # type: ignore[arg-type]
    assert fake.requests == []


def test_unknown_fields_in_a_dict_are_sent(client: Client, fake: FakeGateway) -> None:
    client.pay(pay_body(merchantRegion="US"))
    assert fake.requests[0].json["merchantRegion"] == "US"


# ------------------------------------------------------------------- keys


def _key_forms(keys: Keys) -> dict[str, tuple[object, object]]:
    from cryptography.hazmat.primitives import serialization

    priv = keys.merchant.private_key
    pkcs8 = priv.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    pub = keys.gateway.public_key
    pkcs1_pub = pub.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.PKCS1
    ).decode()
    return {
        "pkcs1-pem/spki-pem": (keys.merchant.private_pem, keys.gateway.public_pem),
        "pkcs8-pem/pkcs1-pem": (pkcs8, pkcs1_pub),
        "pkcs1-bare/spki-bare": (
            pem_body(keys.merchant.private_pem), pem_body(keys.gateway.public_pem)
        ),
        "pkcs8-bare/pkcs1-bare": (pem_body(pkcs8), pem_body(pkcs1_pub)),
        "bytes": (keys.merchant.private_pem.encode(), keys.gateway.public_pem.encode()),
        "loaded": (priv, pub),
    }  # fmt: skip


@pytest.mark.parametrize(
    "form",
    [
        "pkcs1-pem/spki-pem",
        "pkcs8-pem/pkcs1-pem",
        "pkcs1-bare/spki-bare",
        "pkcs8-bare/pkcs1-bare",
        "bytes",
        "loaded",
    ],
)
def test_every_key_form_works(
    form: str, keys: Keys, make_client: ClientFactory, fake: FakeGateway
) -> None:
    private_key, public_key = _key_forms(keys)[form]
    client = make_client(private_key=private_key, gateway_public_key=public_key)
    assert client.pay(pay_body()).result.result_status == "S"
    assert fake.requests[0].signature_ok


def test_bad_keys_fail_at_construction(keys: Keys, make_client: ClientFactory) -> None:
    with pytest.raises(KeyFormatError):
        make_client(private_key="not a key")
    with pytest.raises(KeyFormatError):
        make_client(gateway_public_key="bm90IGEga2V5")
    with pytest.raises(KeyFormatError):  # a private key where the public one belongs
        make_client(gateway_public_key=keys.gateway.private_pem)


def test_keys_are_parsed_once(
    monkeypatch: pytest.MonkeyPatch, make_client: ClientFactory, keys: Keys
) -> None:
    import openams.sdk._verify as verify_module

    loads: list[str] = []
    real_private, real_public = core_module.load_private_key, verify_module.load_public_key

    def count_private(key: str | bytes) -> object:
        loads.append("private")
        return real_private(key)

    def count_public(key: str | bytes) -> object:
        loads.append("public")
        return real_public(key)

    monkeypatch.setattr(core_module, "load_private_key", count_private)
    monkeypatch.setattr(verify_module, "load_public_key", count_public)
    client = make_client()
    assert sorted(loads) == ["private", "public"]
    for n in range(3):
        client.pay(pay_body(f"PAY_{n}"))
    client.inquiry_payment({"paymentRequestId": "PAY_1"})
    assert sorted(loads) == ["private", "public"]


# ------------------------------------------------------ base URL and sandbox


@pytest.mark.parametrize(
    ("base_url", "expected"),
    [
        ("http://127.0.0.1:8080", "http://127.0.0.1:8080/ams/api/v1/payments/pay"),
        ("https://gw.example:8443/", "https://gw.example:8443/ams/api/v1/payments/pay"),
        ("http://localhost:9/prefix", "http://localhost:9/prefix/ams/api/v1/payments/pay"),
    ],
)
def test_base_url_scheme_port_and_prefix_are_honoured(
    base_url: str, expected: str, keys: Keys, fake: FakeGateway, make_client: ClientFactory
) -> None:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        return fake.handle(request)

    make_client(base_url=base_url, transport=httpx.MockTransport(handler)).pay(pay_body())
    assert seen == [expected]
    # signed over the path actually sent, and the response verified over it too
    assert fake.requests[0].signature_ok


@pytest.mark.parametrize(
    ("client_id", "sandbox", "expected"),
    [
        ("SANDBOX_5YBZ1J2ZA8AC07829", None, "/ams/sandbox/api/v1/payments/pay"),
        ("SANDBOX_5YBZ1J2ZA8AC07829", False, "/ams/api/v1/payments/pay"),
        ("5YBZ1J2ZA8AC07829", None, "/ams/api/v1/payments/pay"),
        ("5YBZ1J2ZA8AC07829", True, "/ams/sandbox/api/v1/payments/pay"),
    ],
)
def test_sandbox_path_rewrite_happens_before_signing(
    client_id: str,
    sandbox: bool | None,
    expected: str,
    fake: FakeGateway,
    make_client: ClientFactory,
) -> None:
    fake.client_id = client_id
    client = make_client(client_id=client_id, sandbox=sandbox)
    assert client.sandbox is (expected.startswith("/ams/sandbox/"))
    client.pay(pay_body())
    (sent,) = fake.requests
    assert sent.path == expected
    assert sent.signature_ok  # the signature covers the rewritten path


def test_low_level_request_gets_the_sandbox_rewrite_too(
    fake: FakeGateway, make_client: ClientFactory
) -> None:
    client = make_client(client_id="SANDBOX_1")
    client.request("/ams/api/v1/payments/inquiryPayment", {"paymentRequestId": "X"})
    assert fake.requests[0].path == "/ams/sandbox/api/v1/payments/inquiryPayment"


def test_low_level_request_sends_bytes_verbatim(client: Client, fake: FakeGateway) -> None:
    official_style = b'{\n   "paymentRequestId": "X"\n}'
    data = client.request("/ams/api/v1/payments/inquiryPayment", official_style)
    assert fake.requests[0].content == official_style
    assert fake.requests[0].signature_ok
    assert data["paymentRequestId"] == "X"


# ----------------------------------------------------------- Request-Time


def test_request_time_format() -> None:
    moment = datetime(2024, 5, 1, 16, 0, 0, 987654, tzinfo=timezone(timedelta(hours=8)))
    assert format_request_time(moment) == "2024-05-01T08:00:00+00:00"
    with pytest.raises(ValueError, match="timezone"):
        format_request_time(datetime(2024, 5, 1))


def test_signature_auth_is_deterministic_with_a_fixed_clock(keys: Keys) -> None:
    moment = datetime(2024, 5, 1, 8, 0, tzinfo=UTC)
    auth = SignatureAuth("CID", keys.merchant.private_key, key_version="3", now=lambda: moment)
    request = httpx.Request("POST", "https://gw.example/ams/api/v1/payments/cancel", content=b"{}")
    signed = next(auth.auth_flow(request))
    expected = signing.sign(
        "POST", "/ams/api/v1/payments/cancel", "CID", "2024-05-01T08:00:00+00:00", b"{}",
        keys.merchant.private_key,
    )  # fmt: skip
    assert signed.headers["Request-Time"] == "2024-05-01T08:00:00+00:00"
    assert signed.headers["Signature"] == f"algorithm=RSA256,keyVersion=3,signature={expected}"


def test_a_retry_resigns_the_same_body_with_a_fresh_request_time(
    make_client: ClientFactory, fake: FakeGateway
) -> None:
    times = iter(
        [datetime(2024, 5, 1, 8, 0, tzinfo=UTC), datetime(2024, 5, 1, 8, 0, 5, tzinfo=UTC)]
    )
    client = make_client()
    client._core.auth._now = lambda: next(times)
    fake.enqueue("pay", ams_result("UNKNOWN_EXCEPTION"), Reply())
    client.pay(pay_body())
    first, second = fake.requests
    assert first.content == second.content
    assert first.headers["Request-Time"] != second.headers["Request-Time"]
    assert first.headers["Signature"] != second.headers["Signature"]
    assert first.signature_ok and second.signature_ok


def test_default_timeout_is_ten_seconds(keys: Keys) -> None:
    from openams.sdk import DEFAULT_TIMEOUT

    assert DEFAULT_TIMEOUT == 10.0
    with Client(
        client_id="C",
        private_key=keys.merchant.private_key,
        gateway_public_key=keys.gateway.public_key,
        base_url=BASE_URL,
    ) as client:
        assert client._http.timeout == httpx.Timeout(10.0)
