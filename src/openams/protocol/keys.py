"""Load RSA keys in every form merchants hold them, and generate new pairs.

Accepted forms: PEM (PKCS#1 ``RSA PRIVATE KEY`` / ``RSA PUBLIC KEY``, PKCS#8
``PRIVATE KEY``, X.509 SubjectPublicKeyInfo ``PUBLIC KEY``) and the bare base64
body of any of them, which is how the official SDK and the Antom dashboard pass keys.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable
from dataclasses import dataclass

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

RSA_KEY_BITS = 2048
_PEM_MARKER = re.compile(rb"-----BEGIN [A-Z0-9 ]+-----")


class KeyFormatError(ValueError):
    """The text is not an RSA key in any accepted form."""


def _as_bytes(key: str | bytes) -> bytes:
    return key.encode("ascii", errors="strict") if isinstance(key, str) else key


def _bare_der(data: bytes) -> bytes:
    compact = b"".join(data.split())
    try:
        return base64.b64decode(compact, validate=True)
    except binascii.Error as exc:
        raise KeyFormatError("key is neither PEM nor base64-encoded DER") from exc


def _load(
    key: str | bytes, pem: Callable[[bytes], object], der: Callable[[bytes], object], kind: str
) -> object:
    try:
        data = _as_bytes(key).strip()
    except UnicodeEncodeError as exc:
        raise KeyFormatError("key text must be ASCII") from exc
    try:
        return pem(data) if _PEM_MARKER.search(data) else der(_bare_der(data))
    except KeyFormatError:
        raise
    except (ValueError, TypeError) as exc:
        raise KeyFormatError(f"cannot load {kind} key: {exc}") from exc


def load_private_key(key: str | bytes) -> rsa.RSAPrivateKey:
    """Load an RSA private key from PEM (PKCS#1 or PKCS#8) or a bare base64 body."""
    loaded = _load(
        key,
        lambda data: serialization.load_pem_private_key(data, password=None),
        lambda data: serialization.load_der_private_key(data, password=None),
        "private",
    )
    if not isinstance(loaded, rsa.RSAPrivateKey):
        raise KeyFormatError("only RSA private keys are supported")
    return loaded


def load_public_key(key: str | bytes) -> rsa.RSAPublicKey:
    """Load an RSA public key from PEM (SPKI or PKCS#1) or a bare base64 body."""
    loaded = _load(
        key, serialization.load_pem_public_key, serialization.load_der_public_key, "public"
    )
    if not isinstance(loaded, rsa.RSAPublicKey):
        raise KeyFormatError("only RSA public keys are supported")
    return loaded


def private_key_pem(key: rsa.RSAPrivateKey) -> str:
    """PKCS#1 PEM: the form every version of the official SDK can load from its body."""
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    ).decode("ascii")


def public_key_pem(key: rsa.RSAPublicKey) -> str:
    """X.509 SubjectPublicKeyInfo PEM (``BEGIN PUBLIC KEY``)."""
    return key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode("ascii")


def pem_body(pem: str) -> str:
    """The base64 body of a PEM block on one line: what the official SDK takes."""
    return "".join(line.strip() for line in pem.splitlines() if line and "-----" not in line)


@dataclass(frozen=True, slots=True)
class KeyPair:
    private_key: rsa.RSAPrivateKey

    @property
    def public_key(self) -> rsa.RSAPublicKey:
        return self.private_key.public_key()

    @property
    def private_pem(self) -> str:
        return private_key_pem(self.private_key)

    @property
    def public_pem(self) -> str:
        return public_key_pem(self.public_key)


def generate_key_pair(bits: int = RSA_KEY_BITS) -> KeyPair:
    return KeyPair(rsa.generate_private_key(public_exponent=65537, key_size=bits))
