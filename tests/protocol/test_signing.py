"""Signing: the exact signed bytes, round trips, tamper detection and lenient header parsing."""

from __future__ import annotations

import base64
from urllib.parse import quote, quote_plus

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from openams.protocol import signing
from openams.protocol.keys import generate_key_pair
from openams.protocol.signing import (
    SignatureHeader,
    SignatureHeaderError,
    build_signature_header,
    decode_signature_value,
    encode_signature_value,
    parse_signature_header,
    sign,
    sign_content,
    signed_content,
    verify,
    verify_content,
)

PATH = "/ams/api/v1/payments/pay"
CLIENT_ID = "SANDBOX_5YBZ1J2ZA8AC07829"
TIME = "2024-05-01T08:00:00+00:00"
BODY = '{\n   "paymentRequestId": "PAY_1"\n}'


@pytest.fixture(scope="module")
def private_key() -> rsa.RSAPrivateKey:
    return generate_key_pair().private_key


@pytest.fixture(scope="module")
def other_key() -> rsa.RSAPrivateKey:
    return generate_key_pair().private_key


# ------------------------------------------------------------------ signed content


def test_signed_content_is_method_space_path_newline_client_time_body() -> None:
    content = signed_content("POST", PATH, CLIENT_ID, TIME, BODY)
    assert content == (f"POST {PATH}\n{CLIENT_ID}.{TIME}.{BODY}").encode()


def test_signed_content_uses_lf_never_crlf_and_uppercases_the_method() -> None:
    content = signed_content("post", "/p", "c", "t", "b")
    assert content == b"POST /p\nc.t.b"
    assert b"\r" not in content


def test_signed_content_is_utf8_and_takes_bytes_as_is() -> None:
    text = '{"orderDescription":"咖啡 ☕"}'
    from_str = signed_content("POST", PATH, CLIENT_ID, TIME, text)
    from_bytes = signed_content("POST", PATH, CLIENT_ID, TIME, text.encode("utf-8"))
    assert from_str == from_bytes
    assert from_str.endswith(text.encode("utf-8"))


_TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=40)


@given(_TEXT, _TEXT, _TEXT, _TEXT, _TEXT)
def test_signed_content_is_the_same_for_text_and_for_its_bytes(
    method: str, path: str, client_id: str, time: str, body: str
) -> None:
    """Text takes the formatted path, bytes the joined one: the same bytes either way,
    and both the definition's."""
    expected = (
        method.upper().encode()
        + b" "
        + path.encode()
        + b"\n"
        + client_id.encode()
        + b"."
        + time.encode()
        + b"."
        + body.encode()
    )
    assert signed_content(method, path, client_id, time, body) == expected
    assert signed_content(method, path, client_id, time, body.encode()) == expected
    as_bytes = [value.encode() for value in (path, client_id, time)]
    mixed = signed_content(method, *as_bytes, body)  # type: ignore[arg-type]
    assert mixed == expected


def test_signed_content_keeps_the_body_byte_for_byte() -> None:
    """No re-serialisation: indentation, key order and escapes are part of what is signed."""
    a = signed_content("POST", PATH, CLIENT_ID, TIME, '{"a": 1, "b": 2}')
    b = signed_content("POST", PATH, CLIENT_ID, TIME, '{"b": 2, "a": 1}')
    c = signed_content("POST", PATH, CLIENT_ID, TIME, '{"a":1,"b":2}')
    assert len({a, b, c}) == 3


def test_signature_is_rsassa_pkcs1v15_sha256_base64_then_form_encoded(
    private_key: rsa.RSAPrivateKey,
) -> None:
    value = sign("POST", PATH, CLIENT_ID, TIME, BODY, private_key)
    raw = private_key.sign(
        f"POST {PATH}\n{CLIENT_ID}.{TIME}.{BODY}".encode(), padding.PKCS1v15(), hashes.SHA256()
    )
    assert value == quote_plus(base64.b64encode(raw).decode())
    # form encoding leaves no raw base64 punctuation behind
    assert not set(value) & set("+/=")


# ------------------------------------------------------------------ round trips


def test_sign_verify_round_trip(private_key: rsa.RSAPrivateKey) -> None:
    value = sign("POST", PATH, CLIENT_ID, TIME, BODY, private_key)
    assert verify("POST", PATH, CLIENT_ID, TIME, BODY, value, private_key.public_key())


def test_verify_fails_with_another_key(
    private_key: rsa.RSAPrivateKey, other_key: rsa.RSAPrivateKey
) -> None:
    value = sign("POST", PATH, CLIENT_ID, TIME, BODY, private_key)
    assert not verify("POST", PATH, CLIENT_ID, TIME, BODY, value, other_key.public_key())


@pytest.mark.parametrize(
    ("field", "replacement"),
    [
        ("method", "GET"),
        ("path", "/ams/sandbox/api/v1/payments/pay"),
        ("client_id", "SANDBOX_OTHER"),
        ("time", "2024-05-01T08:00:01+00:00"),
        ("body", BODY.replace("PAY_1", "PAY_2")),
        ("body", BODY.replace("\n", "\r\n")),
    ],
)
def test_verify_fails_when_any_part_changes(
    private_key: rsa.RSAPrivateKey, field: str, replacement: str
) -> None:
    parts = {"method": "POST", "path": PATH, "client_id": CLIENT_ID, "time": TIME, "body": BODY}
    value = sign(
        parts["method"],
        parts["path"],
        parts["client_id"],
        parts["time"],
        parts["body"],
        private_key,
    )
    parts[field] = replacement
    assert not verify(
        parts["method"],
        parts["path"],
        parts["client_id"],
        parts["time"],
        parts["body"],
        value,
        private_key.public_key(),
    )


def test_sign_content_and_verify_content_agree_with_the_message_functions(
    private_key: rsa.RSAPrivateKey,
) -> None:
    content = signed_content("POST", PATH, CLIENT_ID, TIME, BODY)
    value = sign_content(content, private_key)
    assert verify("POST", PATH, CLIENT_ID, TIME, BODY, value, private_key.public_key())
    assert verify_content(content, value, private_key.public_key())


def test_verify_rejects_undecodable_signature_values_without_raising(
    private_key: rsa.RSAPrivateKey,
) -> None:
    public = private_key.public_key()
    for value in ("", "not base64!", "%ZZ", "YWJj", "====", "YW Jj"):
        assert not verify("POST", PATH, CLIENT_ID, TIME, BODY, value, public)


_paths = st.from_regex(r"\A/[A-Za-z0-9/_.\-]{0,60}\Z")
_times = st.one_of(
    st.datetimes().map(lambda d: d.isoformat(timespec="seconds") + "+00:00"),
    st.integers(min_value=0, max_value=2**45).map(str),
    st.text(max_size=30),
)
_client_ids = st.text(min_size=1, max_size=40)
_bodies = st.one_of(st.text(max_size=400), st.binary(max_size=400))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(path=_paths, client_id=_client_ids, time=_times, body=_bodies, data=st.data())
def test_property_round_trip_and_any_mutated_content_byte_fails(
    private_key: rsa.RSAPrivateKey,
    path: str,
    client_id: str,
    time: str,
    body: str | bytes,
    data: st.DataObject,
) -> None:
    public = private_key.public_key()
    value = sign("POST", path, client_id, time, body, private_key)
    assert verify("POST", path, client_id, time, body, value, public)

    content = signed_content("POST", path, client_id, time, body)
    assert verify_content(content, value, public)
    index = data.draw(st.integers(min_value=0, max_value=len(content) - 1), label="index")
    flip = data.draw(st.integers(min_value=1, max_value=255), label="xor")
    mutated = bytearray(content)
    mutated[index] ^= flip
    assert not verify_content(bytes(mutated), value, public)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(body=_bodies, data=st.data())
def test_property_any_mutated_signature_byte_fails(
    private_key: rsa.RSAPrivateKey, body: str | bytes, data: st.DataObject
) -> None:
    public = private_key.public_key()
    value = sign("POST", PATH, CLIENT_ID, TIME, body, private_key)
    raw = bytearray(decode_signature_value(value))
    assert len(raw) == 256
    index = data.draw(st.integers(min_value=0, max_value=len(raw) - 1), label="index")
    flip = data.draw(st.integers(min_value=1, max_value=255), label="xor")
    raw[index] ^= flip
    tampered = quote_plus(base64.b64encode(bytes(raw)).decode())
    assert not verify("POST", PATH, CLIENT_ID, TIME, body, tampered, public)


# ------------------------------------------------------------------ decoding


def test_decode_accepts_upper_and_lower_case_hex_escapes(private_key: rsa.RSAPrivateKey) -> None:
    raw = private_key.sign(b"x", padding.PKCS1v15(), hashes.SHA256())
    b64 = base64.b64encode(raw).decode()
    upper = quote(b64, safe="")
    lower = upper.replace("%2F", "%2f").replace("%3D", "%3d").replace("%2B", "%2b")
    assert decode_signature_value(upper) == raw
    assert decode_signature_value(lower) == raw


def test_decode_accepts_unencoded_base64_with_plus(private_key: rsa.RSAPrivateKey) -> None:
    # find a signature whose base64 contains '+' so the case is really exercised
    for n in range(200):
        raw = private_key.sign(str(n).encode(), padding.PKCS1v15(), hashes.SHA256())
        b64 = base64.b64encode(raw).decode()
        if "+" in b64:
            break
    else:  # pragma: no cover - 200 signatures without '+' is astronomically unlikely
        pytest.fail("no base64 signature with '+' found")
    assert decode_signature_value(b64) == raw
    assert decode_signature_value(quote_plus(b64)) == raw


def test_decode_rejects_non_base64() -> None:
    with pytest.raises(SignatureHeaderError):
        decode_signature_value("***")


def test_verify_accepts_lowercase_escapes_and_unencoded_values(
    private_key: rsa.RSAPrivateKey,
) -> None:
    public = private_key.public_key()
    for n in range(200):
        body = f'{{"n":{n}}}'
        value = sign("POST", PATH, CLIENT_ID, TIME, body, private_key)
        if "%2B" in value and "%2F" in value:
            break
    else:  # pragma: no cover
        pytest.fail("no signature with both '+' and '/' found")
    lower = value.replace("%2B", "%2b").replace("%2F", "%2f").replace("%3D", "%3d")
    unencoded = base64.b64encode(decode_signature_value(value)).decode()
    assert "+" in unencoded
    assert verify("POST", PATH, CLIENT_ID, TIME, body, lower, public)
    assert verify("POST", PATH, CLIENT_ID, TIME, body, unencoded, public)


# ------------------------------------------------------------------ the Signature header


def test_build_header_matches_the_official_sdk_layout() -> None:
    assert build_signature_header("abc%2F") == "algorithm=RSA256,keyVersion=1,signature=abc%2F"
    assert (
        build_signature_header("x", key_version="3") == "algorithm=RSA256,keyVersion=3,signature=x"
    )
    assert (
        SignatureHeader("RSA256", "2", "s").render() == "algorithm=RSA256,keyVersion=2,signature=s"
    )


def test_build_then_parse_round_trip(private_key: rsa.RSAPrivateKey) -> None:
    value = sign("POST", PATH, CLIENT_ID, TIME, BODY, private_key)
    parsed = parse_signature_header(build_signature_header(value, "7"))
    assert parsed == SignatureHeader("RSA256", "7", value)
    assert verify("POST", PATH, CLIENT_ID, TIME, BODY, parsed.signature, private_key.public_key())


def test_the_official_sdk_takes_everything_after_signature_equals(
    private_key: rsa.RSAPrivateKey,
) -> None:
    """The SDK's verify path does ``header.split("signature=")[1]``: signature must come last."""
    value = sign("POST", PATH, CLIENT_ID, TIME, BODY, private_key)
    header = build_signature_header(value, "2")
    assert header.split("signature=")[1] == value


@pytest.mark.parametrize(
    "header",
    [
        "algorithm=RSA256,keyVersion=2,signature=abc%2Fd%3D%3D",
        "algorithm=RSA256, keyVersion=2, signature=abc%2Fd%3D%3D",
        " algorithm = RSA256 ,  keyVersion = 2 ,signature = abc%2Fd%3D%3D ",
        "Algorithm=RSA256,KeyVersion=2,Signature=abc%2Fd%3D%3D",
        "ALGORITHM=rsa256,KEYVERSION=2,SIGNATURE=abc%2Fd%3D%3D",
        "signature=abc%2Fd%3D%3D,keyVersion=2,algorithm=RSA256",
    ],
)
def test_parse_is_lenient_about_spacing_case_and_order(header: str) -> None:
    assert parse_signature_header(header) == SignatureHeader("RSA256", "2", "abc%2Fd%3D%3D")


def test_parse_keeps_lowercase_escapes_and_unencoded_padding_intact() -> None:
    assert parse_signature_header("algorithm=RSA256,signature=ab%2fc%3d").signature == "ab%2fc%3d"
    # split on the FIRST '=' only: raw base64 padding survives
    assert parse_signature_header("algorithm=RSA256,signature=ab+c/d==").signature == "ab+c/d=="


@pytest.mark.parametrize(
    "header", ["algorithm=RSA256,signature=x", "algorithm=RSA256,keyVersion=,signature=x"]
)
def test_parse_defaults_key_version_to_1(header: str) -> None:
    assert parse_signature_header(header).key_version == "1"
    assert signing.DEFAULT_KEY_VERSION == "1"


@pytest.mark.parametrize(
    "header", ["algorithm=RSA512,keyVersion=1,signature=x", "algorithm=HMAC256,signature=x"]
)
def test_parse_rejects_unknown_algorithms(header: str) -> None:
    with pytest.raises(SignatureHeaderError, match="algorithm"):
        parse_signature_header(header)


@pytest.mark.parametrize(
    "header",
    [
        "algorithm=RSA256,keyVersion=1",
        "algorithm=RSA256,keyVersion=1,signature=",
        "algorithm=RSA256,keyVersion=1,signature",
        "algorithm=RSA256,keyVersion=1,sig=abc",
    ],
)
def test_parse_rejects_a_missing_signature(header: str) -> None:
    with pytest.raises(SignatureHeaderError, match="signature="):
        parse_signature_header(header)


@pytest.mark.parametrize("header", ["", "keyVersion=1,signature=abc", "garbage"])
def test_parse_rejects_a_missing_algorithm(header: str) -> None:
    with pytest.raises(SignatureHeaderError):
        parse_signature_header(header)


def test_signature_header_error_is_a_value_error() -> None:
    assert issubclass(SignatureHeaderError, ValueError)


# ------------------------------------------------ decoding: the fast path is unquote


def _decode_with_unquote(value: str) -> bytes | None:
    """The reference: generic ``unquote``, then strict base64 (None: not base64)."""
    from urllib.parse import unquote

    try:
        return base64.b64decode(unquote(value.strip()), validate=True)
    except ValueError:  # binascii.Error, or non-ASCII text
        return None


def _decode(value: str) -> bytes | None:
    try:
        return decode_signature_value(value)
    except SignatureHeaderError:
        return None


#: How each base64 character may be written: as is, or as any-case escapes.
_ESCAPES = {"+": ("%2B", "%2b"), "/": ("%2F", "%2f"), "=": ("%3D", "%3d")}


@st.composite
def _encodings(draw: st.DrawFn, b64: str) -> str:
    """One way a sender could write ``b64``: each ``+ / =`` as is or escaped (either hex
    case), sometimes another character escaped too (which takes the ``unquote`` path)."""
    parts = []
    for char in b64:
        choices = [char, *_ESCAPES.get(char, ())]
        if draw(st.integers(min_value=0, max_value=40)) == 0:
            choices.append(f"%{ord(char):02X}")
            choices.append(f"%{ord(char):02x}")
        parts.append(draw(st.sampled_from(choices)))
    padding_around = draw(st.sampled_from(["", " ", "\t", " \n"]))
    return padding_around + "".join(parts) + padding_around


@settings(max_examples=300, deadline=None)
@given(raw=st.binary(max_size=300))
def test_property_the_signature_value_is_exactly_quote_plus_of_base64(raw: bytes) -> None:
    assert encode_signature_value(raw) == quote_plus(base64.b64encode(raw).decode())


@settings(max_examples=300, deadline=None)
@given(raw=st.binary(min_size=1, max_size=300), data=st.data())
def test_property_every_encoding_of_a_signature_decodes_as_with_unquote(
    raw: bytes, data: st.DataObject
) -> None:
    b64 = base64.b64encode(raw).decode()
    for value in (b64, quote(b64, safe=""), quote_plus(b64)):
        assert decode_signature_value(value) == raw
    value = data.draw(_encodings(b64), label="encoding")
    assert decode_signature_value(value) == raw == _decode_with_unquote(value)


@settings(max_examples=500, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.sampled_from(["%2B", "%2b", "%2F", "%2f", "%3D", "%3d", "%", "%2", "%3", "%%"]),
            st.sampled_from(["%20", "%41", "%zz", "%2G", "%E2%98%95", "%C3"]),
            st.text(alphabet="ABCabc0189+/=2BFDbfd ", max_size=8),
            st.text(max_size=3),
        ),
        max_size=12,
    ).map("".join)
)
def test_property_decoding_any_text_matches_unquote_then_base64(value: str) -> None:
    """Valid or not, any text decodes (or is refused) exactly as unquote + base64 would."""
    assert _decode(value) == _decode_with_unquote(value)


def test_a_non_ascii_signature_value_is_refused_not_raised(private_key: rsa.RSAPrivateKey) -> None:
    """Header values arrive latin-1 decoded: a stray byte must be INVALID_SIGNATURE, not an
    unexpected exception (which the gateway would answer as UNKNOWN_EXCEPTION)."""
    for value in ("\xe9AAAA", "AAAA%C3%A9", "%E2%98%95"):
        with pytest.raises(SignatureHeaderError):
            decode_signature_value(value)
        assert not verify("POST", PATH, CLIENT_ID, TIME, BODY, value, private_key.public_key())


@pytest.mark.parametrize("value", ["not base64!", "abc%ZZ", "é"])
def test_a_value_that_is_not_base64_says_so(value: str) -> None:
    with pytest.raises(SignatureHeaderError, match="signature value is not base64"):
        decode_signature_value(value)
