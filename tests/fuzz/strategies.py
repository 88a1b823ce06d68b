"""Hypothesis strategies for generated AMS requests: bodies from the published OpenAPI
schemas, mutated valid bodies, arbitrary JSON and bytes, and signed, garbled or missing
headers. Everything here is data; the tests send it."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives.asymmetric import rsa
from hypothesis import strategies as st

from openams.protocol.signing import build_signature_header, sign

JsonSchema = dict[str, Any]

#: Values that reach deep into the gateway's rules when they land in the right field.
INTERESTING_TEXT = [
    "",
    " ",
    "0",
    "-1",
    "1",
    "100",
    "1.5",
    "1e3",
    "99999999999999999999",
    "NaN",
    "HKD",
    "USD",
    "IDR",
    "KRW",
    "XXX",
    "hkd",
    "ALIPAY_HK",
    "ALIPAY_CN",
    "GCASH",
    "CARD",
    "CASHIER_PAYMENT",
    "IN_STORE_PAYMENT",
    "AGREEMENT_PAYMENT",
    "WEB",
    "WAP",
    "APP",
    "IOS",
    "SUCCESS",
    "FAIL",
    "MANUAL",
    "AUTOMATIC",
    "EntryCode",
    "http://merchant.test/notify",
    "notaurl",
    "2099-01-01T00:00:00+08:00",
    "1970-01-01T00:00:00Z",
    "\u0000",
    "\ud7ff\ue000",
    "é" * 65,
    "x" * 300,
]

JSON_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.sampled_from([0, -1, 2**63, -(2**63) - 1, 10**20, 1e308, -0.0, 0.5, 1e-7]),
    st.sampled_from(INTERESTING_TEXT),
    st.text(max_size=8),
)

ANY_JSON: st.SearchStrategy[Any] = st.recursive(
    JSON_SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(st.text(max_size=8), inner, max_size=3),
    ),
    max_leaves=5,
)


ONE_IN_TEN = st.integers(0, 9).map(lambda n: n == 0)
SHORT_TEXT = st.text(max_size=10)
FRESH = st.integers(0, 3)
UUIDS = st.uuids()
MUTATIONS = st.sampled_from([0, 0, 1, 1, 2, 3])


def weighted(*choices: tuple[int, st.SearchStrategy[Any]]) -> st.SearchStrategy[Any]:
    """One of the strategies, each ``weight`` times as likely."""
    return st.one_of(*(strategy for weight, strategy in choices for _ in range(weight)))


@dataclass
class SchemaStrategies:
    """JSON-schema (as pydantic writes it into the OpenAPI document) -> strategy."""

    components: dict[str, JsonSchema]
    #: Extra strings mixed into every string field (known ids, say).
    extra_text: list[str] = field(default_factory=list)
    _cache: dict[str, st.SearchStrategy[Any]] = field(default_factory=dict)

    def for_ref(self, ref: str) -> st.SearchStrategy[Any]:
        name = ref.rsplit("/", 1)[-1]
        if name not in self._cache:
            self._cache[name] = st.deferred(lambda: self.build(self.components[name]))
        return self._cache[name]

    def text(self, max_length: int | None) -> st.SearchStrategy[str]:
        pool = INTERESTING_TEXT + self.extra_text
        size = 24 if max_length is None else max_length + 2
        options = [st.sampled_from(pool), st.text(max_size=min(size, 24))]
        if max_length is not None:
            options.append(
                st.integers(max_length - 1, max_length + 1).map(lambda n: "x" * max(n, 0))
            )
        return st.one_of(*options)

    def build(self, schema: JsonSchema) -> st.SearchStrategy[Any]:
        if "$ref" in schema:
            return self.for_ref(schema["$ref"])
        if "anyOf" in schema:
            return st.one_of(*(self.build(s) for s in schema["anyOf"]))
        if "const" in schema:
            return st.just(schema["const"])
        if "enum" in schema:
            return st.sampled_from(schema["enum"])
        kind = schema.get("type")
        if kind == "string":
            return self.text(schema.get("maxLength"))
        if kind == "integer":
            return st.one_of(
                st.integers(-10, 100_000), st.sampled_from([0, -1, 10**12, 2**63, 10**40])
            )
        if kind == "number":
            return st.floats(allow_nan=False)
        if kind == "boolean":
            return st.booleans()
        if kind == "null":
            return st.none()
        if kind == "array":
            return st.lists(self.build(schema.get("items", {})), max_size=3)
        if kind == "object":
            return self.object(schema)
        return ANY_JSON

    def object(self, schema: JsonSchema) -> st.SearchStrategy[dict[str, Any]]:
        properties: dict[str, JsonSchema] = schema.get("properties", {})
        if not properties:
            return st.dictionaries(st.text(max_size=12), ANY_JSON, max_size=3)
        required = set(schema.get("required", []))
        fixed = {k: self.build(v) for k, v in properties.items() if k in required}
        optional = {k: self.build(v) for k, v in properties.items() if k not in required}
        extras = schema.get("additionalProperties", False)
        names = st.lists(st.sampled_from(sorted(optional)), max_size=2, unique=True)
        return _objects(fixed, optional, names if optional else st.just([]), extras)


@st.composite
def _objects(
    draw: st.DrawFn,
    fixed: dict[str, st.SearchStrategy[Any]],
    optional: dict[str, st.SearchStrategy[Any]],
    names: st.SearchStrategy[list[str]],
    extras: bool,
) -> dict[str, Any]:
    """The required keys, up to two optional ones (a whole schema is slow to draw and
    adds little), and with ``extras`` perhaps an unknown key."""
    value = {key: draw(strategy) for key, strategy in fixed.items()}
    for name in draw(names):
        value[name] = draw(optional[name])
    if extras and draw(ONE_IN_TEN):
        value.setdefault(draw(SHORT_TEXT), draw(ANY_JSON))
    return value


# ------------------------------------------------------------------ mutations


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, inner in value.items():
            found += _paths(inner, (*prefix, key))
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            found += _paths(inner, (*prefix, index))
    return found


def _set(value: Any, path: tuple[Any, ...], new: Any, delete: bool) -> Any:
    copy = json.loads(json.dumps(value))
    target = copy
    for part in path[:-1]:
        target = target[part]
    if delete and isinstance(target, dict):
        del target[path[-1]]
    else:
        target[path[-1]] = new
    return copy


@st.composite
def mutated(draw: st.DrawFn, base: dict[str, Any], fresh: tuple[str, ...] = ()) -> dict[str, Any]:
    """``base`` with up to three fields replaced by anything (wrong types included) or
    deleted; the top-level ``fresh`` fields mostly get a new id (a new record)."""
    body = dict(base)
    for name in fresh:
        if draw(FRESH):
            body[name] = "FZ" + draw(UUIDS).hex[:20]
    for _ in range(draw(MUTATIONS)):
        paths = _paths(body)
        if not paths:
            break
        path = paths[draw(st.integers(0, len(paths) - 1))]
        body = _set(body, path, draw(ANY_JSON), delete=draw(st.booleans()))
    return body


# -------------------------------------------------------------------- requests

SAFE_PATH = st.text(
    # no dots: HTTP clients resolve "." and ".." segments before sending
    alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/_-",
    max_size=40,
)
#: What an HTTP/1.1 server lets through in a header value (h11's field-vchar, spaces).
HEADER_VALUE = st.binary(max_size=60).map(
    lambda raw: bytes(b for b in raw if b == 0x20 or 0x21 <= b <= 0x7E or b >= 0x80).strip()
)
CONTENT_TYPES = [
    "application/json; charset=UTF-8",
    "application/json",
    "text/json",
    "application/vnd.api+json",
    "text/plain",
    "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=x",
    "APPLICATION/JSON",
    ";",
]


@dataclass(frozen=True)
class Signer:
    client_id: str
    private_key: rsa.RSAPrivateKey
    key_version: str = "1"


@dataclass(frozen=True)
class FuzzRequest:
    method: str
    path: str
    headers: list[tuple[bytes, bytes]]
    body: bytes
    label: str

    def header(self, name: str) -> bytes | None:
        for key, value in self.headers:
            if key.lower() == name.encode():
                return value
        return None


BodySource = Callable[[str, bool], st.SearchStrategy[Any]]


def _latin1(raw: bytes) -> str:
    return raw.decode("latin-1")


# Built once: hypothesis labels every new strategy object, and mapped ones cost a
# source-code lookup, so nothing below is made inside a draw.
TEXT_HEADER = HEADER_VALUE.map(_latin1)
TENTHS = st.integers(0, 9)
BODY_KINDS = st.sampled_from(["json"] * 6 + ["bytes", "truncated", "utf16", "deep"])
DEPTHS = st.integers(500, 5000)
HEADER_KINDS = st.sampled_from(
    ["signed"] * 4 + ["stranger", "garbled", "missing", "key_version", "request_time", "path"]
)
KEY_VERSIONS = st.sampled_from(["2", "0", "-1", "", "99999999999999999999", "abc"])
REQUEST_TIMES = st.one_of(
    TEXT_HEADER, st.sampled_from(["9" * 30, "0", "1700000000000", "2026-13-45T99:99:99"])
)
GARBLINGS = st.integers(0, 4)
CONTENT_TYPE = weighted(
    (8, st.just(CONTENT_TYPES[0])), (1, st.sampled_from(CONTENT_TYPES)), (1, TEXT_HEADER)
)
DROPPED = st.sets(
    st.sampled_from([b"client-id", b"content-type", b"request-time", b"signature"]), min_size=1
)
METHODS = st.sampled_from(["POST"] * 16 + ["GET", "PUT", "DELETE", "PATCH"])
SMALL_BYTES = st.binary(max_size=200)


def requests(
    paths: list[str], bodies: BodySource, signer: Signer, strangers: list[str]
) -> st.SearchStrategy[FuzzRequest]:
    """Requests: a known or random path, a body, and signed/garbled/missing headers.

    ``bodies(path, clean)`` gives the JSON bodies for a path (``clean``: mostly valid);
    ``strangers`` are client ids the signer does not own (other merchants', unknown ones).
    About four in ten are clean (signed, POST, JSON) so that they reach the services."""
    known_paths = st.sampled_from(paths)
    random_paths = SAFE_PATH.map(lambda p: "/ams/" + p)
    stranger_ids = st.one_of(st.sampled_from(strangers), TEXT_HEADER)

    @st.composite
    def one(draw: st.DrawFn) -> FuzzRequest:
        clean = draw(TENTHS) < 4
        path = draw(known_paths if clean or draw(TENTHS) else random_paths)
        value = draw(bodies(path, clean))
        body_kind = "json" if clean else draw(BODY_KINDS)
        raw = json.dumps(value, ensure_ascii=draw(st.booleans())).encode()
        if body_kind == "bytes":
            raw = draw(SMALL_BYTES)
        elif body_kind == "truncated":
            raw = raw[: len(raw) * draw(TENTHS) // 10]
        elif body_kind == "utf16":
            raw = json.dumps(value).encode("utf-16")
        elif body_kind == "deep":
            depth = draw(DEPTHS)
            raw = b'{"a":' * depth + b"1" + b"}" * depth
        client_id, key_version = signer.client_id, signer.key_version
        request_time = "2026-01-01T00:00:00+08:00"
        header_kind = "signed" if clean else draw(HEADER_KINDS)
        if header_kind == "stranger":
            client_id = draw(stranger_ids)
        elif header_kind == "key_version":
            key_version = draw(KEY_VERSIONS)
        elif header_kind == "request_time":
            request_time = draw(REQUEST_TIMES)
        sign_path = draw(known_paths) if header_kind == "path" else path
        signature = sign("POST", sign_path, client_id, request_time, raw, signer.private_key)
        signature_header = build_signature_header(signature, key_version).encode()
        if header_kind == "garbled":
            prefix = b"algorithm=RSA256,keyVersion=1"
            signature_header = [
                draw(HEADER_VALUE),
                prefix + b",signature=" + signature.encode()[::-1],
                prefix + b",signature=%%%",
                prefix,
                b"keyVersion=1,signature=" + signature.encode(),
            ][draw(GARBLINGS)]
        content_type = CONTENT_TYPES[0] if clean else draw(CONTENT_TYPE)
        headers = {
            b"client-id": client_id.encode("latin-1"),
            b"request-time": request_time.encode("latin-1"),
            b"signature": signature_header,
            b"content-type": content_type.encode("latin-1"),
        }
        if header_kind == "missing":
            for name in draw(DROPPED):
                del headers[name]
        method = "POST" if clean else draw(METHODS)
        label = f"{method} {header_kind} {body_kind}"
        return FuzzRequest(method, path, list(headers.items()), raw, label)

    return one()
