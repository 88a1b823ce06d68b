"""Compact JSON (no spaces, UTF-8 as it is) for the gateway's answers and stored rows.

orjson encodes a pay's three documents (the answer, the stored request, the action form)
in a few microseconds where the standard library's encoder takes tens. It refuses two things
the standard library accepts, integers beyond 64 bits (an unknown field of a request may
hold one) and non-string keys; such values go through the standard library instead.
NaN and the infinities (which ``json.loads`` reads from ``NaN`` and ``1e999``) become
``null``: the standard library would write ``NaN``, which is not JSON.

A :class:`~decimal.Decimal` is written as a JSON **number** with exactly its decimal
digits, in plain notation (``Decimal("0.1404494382")`` -> ``0.1404494382``), never through
a binary float: that is how ``settlementQuote.quotePrice`` goes out, the one field Antom's
SDKs type as a number (docs/decisions.md, "Wire types"). :func:`loads` reads such numbers
back as ``Decimal``, so a stored body is sent again byte for byte.
"""

from __future__ import annotations

import json
import secrets
from decimal import Decimal
from typing import Any

import orjson

_STDLIB = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def decimal_text(value: Decimal) -> str:
    """The JSON number text of ``value``: plain notation, its digits as they are
    (``1E-7`` -> ``0.0000001``); ``null`` for NaN and the infinities, as for floats."""
    if not value.is_finite():
        return "null"
    return format(value, "f")


def _default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return orjson.Fragment(decimal_text(value))
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def _stdlib_bytes(value: Any) -> bytes:
    """The standard library's encoding, with each Decimal as its exact number text.

    The standard library cannot write a number it did not format itself, so each
    Decimal goes in as a string carrying a random marker and the quoted marker is
    swapped for the number text afterwards.
    """
    numbers: dict[str, str] = {}
    marker = secrets.token_hex(16)

    def swap(item: Any) -> Any:
        if isinstance(item, Decimal):
            token = f"{marker}:{len(numbers)}"
            numbers[f'"{token}"'] = decimal_text(item)
            return token
        if isinstance(item, dict):
            return {key: swap(inner) for key, inner in item.items()}
        if isinstance(item, list | tuple):
            return [swap(inner) for inner in item]
        return item

    text = _STDLIB.encode(swap(value))
    for quoted, number in numbers.items():
        text = text.replace(quoted, number, 1)
    return text.encode("utf-8")


def dumps_bytes(value: Any) -> bytes:
    try:
        return orjson.dumps(value, default=_default)
    except orjson.JSONEncodeError:
        return _stdlib_bytes(value)


def dumps(value: Any) -> str:
    return dumps_bytes(value).decode("utf-8")


def loads(text: str | bytes) -> Any:
    """JSON with its non-integer numbers read as ``Decimal`` (the inverse of :func:`dumps`
    for the bodies the gateway writes)."""
    return json.loads(text, parse_float=Decimal)
