"""Keys: every form merchants hold RSA keys in loads; anything else is a KeyFormatError."""

from __future__ import annotations

import base64

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa

from openams.protocol.keys import (
    RSA_KEY_BITS,
    KeyFormatError,
    KeyPair,
    generate_key_pair,
    load_private_key,
    load_public_key,
    pem_body,
    private_key_pem,
    public_key_pem,
)

_NO_ENC = serialization.NoEncryption()


@pytest.fixture(scope="module")
def pair() -> KeyPair:
    return generate_key_pair()


def _private_forms(key: rsa.RSAPrivateKey) -> dict[str, str]:
    pkcs1 = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL, _NO_ENC
    ).decode()
    pkcs8 = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, _NO_ENC
    ).decode()
    return {
        "pkcs1-pem": pkcs1,
        "pkcs8-pem": pkcs8,
        "pkcs1-body": pem_body(pkcs1),
        "pkcs8-body": pem_body(pkcs8),
        "pkcs1-body-wrapped": "\n".join(pkcs1.splitlines()[1:-1]),
        "pkcs8-pem-crlf": pkcs8.replace("\n", "\r\n"),
    }


def _public_forms(key: rsa.RSAPublicKey) -> dict[str, str]:
    spki = key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()
    pkcs1 = key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.PKCS1).decode()
    return {
        "spki-pem": spki,
        "pkcs1-pem": pkcs1,
        "spki-body": pem_body(spki),
        "pkcs1-body": pem_body(pkcs1),
        "spki-pem-bytes-padded": f"\n\n  {spki}  \n",
    }


def _same_private(a: rsa.RSAPrivateKey, b: rsa.RSAPrivateKey) -> bool:
    return a.private_numbers() == b.private_numbers()


def _same_public(a: rsa.RSAPublicKey, b: rsa.RSAPublicKey) -> bool:
    return a.public_numbers() == b.public_numbers()


@pytest.mark.parametrize(
    "form",
    ["pkcs1-pem", "pkcs8-pem", "pkcs1-body", "pkcs8-body", "pkcs1-body-wrapped", "pkcs8-pem-crlf"],
)
def test_private_key_loads_from_every_form(pair: KeyPair, form: str) -> None:
    text = _private_forms(pair.private_key)[form]
    assert _same_private(load_private_key(text), pair.private_key)
    assert _same_private(load_private_key(text.encode("ascii")), pair.private_key)


@pytest.mark.parametrize(
    "form", ["spki-pem", "pkcs1-pem", "spki-body", "pkcs1-body", "spki-pem-bytes-padded"]
)
def test_public_key_loads_from_every_form(pair: KeyPair, form: str) -> None:
    text = _public_forms(pair.public_key)[form]
    assert _same_public(load_public_key(text), pair.public_key)
    assert _same_public(load_public_key(text.encode("ascii")), pair.public_key)


def test_bodies_really_are_the_two_distinct_encodings(pair: KeyPair) -> None:
    """Guard the parametrised cases: PKCS#1 and PKCS#8 bodies differ, and so do SPKI/PKCS#1."""
    private = _private_forms(pair.private_key)
    public = _public_forms(pair.public_key)
    assert private["pkcs1-body"] != private["pkcs8-body"]
    assert "BEGIN RSA PRIVATE KEY" in private["pkcs1-pem"]
    assert "BEGIN PRIVATE KEY" in private["pkcs8-pem"]
    assert public["spki-body"].startswith("MIIBIjAN")  # what the Antom dashboard shows
    assert public["pkcs1-body"] != public["spki-body"]


@pytest.mark.parametrize(
    "garbage",
    [
        "",
        "   ",
        "hello",
        "aGVsbG8=",  # valid base64, not DER
        "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
        "-----BEGIN RSA PRIVATE KEY-----\nnot base64 at all\n-----END RSA PRIVATE KEY-----\n",
        "MIIEvQ!!",
        "ключ",  # non-ASCII
        b"\x00\x01\x02",
    ],
)
def test_garbage_private_key_is_a_key_format_error(garbage: str | bytes) -> None:
    with pytest.raises(KeyFormatError):
        load_private_key(garbage)


@pytest.mark.parametrize(
    "garbage",
    [
        "",
        "hello",
        "aGVsbG8=",
        "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n",
        "ключ",
        b"\xff\xfe",
    ],
)
def test_garbage_public_key_is_a_key_format_error(garbage: str | bytes) -> None:
    with pytest.raises(KeyFormatError):
        load_public_key(garbage)


def test_public_key_is_not_accepted_as_private_and_vice_versa(pair: KeyPair) -> None:
    with pytest.raises(KeyFormatError):
        load_private_key(pair.public_pem)
    with pytest.raises(KeyFormatError):
        load_private_key(pem_body(pair.public_pem))
    with pytest.raises(KeyFormatError):
        load_public_key(pair.private_pem)
    with pytest.raises(KeyFormatError):
        load_public_key(pem_body(pair.private_pem))


def test_encrypted_private_key_is_a_key_format_error(pair: KeyPair) -> None:
    pem = pair.private_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(b"secret"),
    )
    with pytest.raises(KeyFormatError):
        load_private_key(pem)


def test_key_format_error_is_a_value_error() -> None:
    assert issubclass(KeyFormatError, ValueError)


@pytest.mark.parametrize("encoding", ["pem", "body"])
def test_ec_keys_are_rejected(encoding: str) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, _NO_ENC
    ).decode()
    public = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    if encoding == "body":
        private, public = pem_body(private), pem_body(public)
    with pytest.raises(KeyFormatError, match="RSA"):
        load_private_key(private)
    with pytest.raises(KeyFormatError, match="RSA"):
        load_public_key(public)


def test_ed25519_keys_are_rejected() -> None:
    key = ed25519.Ed25519PrivateKey.generate()
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, _NO_ENC
    )
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    with pytest.raises(KeyFormatError):
        load_private_key(private)
    with pytest.raises(KeyFormatError):
        load_public_key(public)


def test_generate_key_pair_is_2048_bit_rsa_with_e_65537(pair: KeyPair) -> None:
    assert RSA_KEY_BITS == 2048
    assert pair.private_key.key_size == 2048
    assert pair.public_key.public_numbers().e == 65537
    assert _same_public(pair.public_key, pair.private_key.public_key())


def test_generated_pairs_are_distinct() -> None:
    a, b = generate_key_pair(1024), generate_key_pair(1024)
    assert a.private_key.key_size == 1024
    assert not _same_public(a.public_key, b.public_key)


def test_generated_pair_round_trips_through_pem_and_pem_body(pair: KeyPair) -> None:
    assert pair.private_pem.startswith("-----BEGIN RSA PRIVATE KEY-----\n")
    assert pair.public_pem.startswith("-----BEGIN PUBLIC KEY-----\n")
    assert pair.private_pem == private_key_pem(pair.private_key)
    assert pair.public_pem == public_key_pem(pair.public_key)

    for text in (pair.private_pem, pem_body(pair.private_pem)):
        assert _same_private(load_private_key(text), pair.private_key)
    for text in (pair.public_pem, pem_body(pair.public_pem)):
        assert _same_public(load_public_key(text), pair.public_key)

    # a key loaded back still signs what the original verifies
    loaded = load_private_key(pem_body(pair.private_pem))
    signature = loaded.sign(b"msg", padding.PKCS1v15(), hashes.SHA256())
    load_public_key(pem_body(pair.public_pem)).verify(
        signature, b"msg", padding.PKCS1v15(), hashes.SHA256()
    )


def test_pem_body_is_one_line_of_base64(pair: KeyPair) -> None:
    body = pem_body(pair.private_pem)
    assert "\n" not in body
    assert "-" not in body
    assert base64.b64decode(body, validate=True) == pair.private_key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.TraditionalOpenSSL, _NO_ENC
    )
    assert pem_body(pair.public_pem) == base64.b64encode(
        pair.public_key.public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    ).decode("ascii")
