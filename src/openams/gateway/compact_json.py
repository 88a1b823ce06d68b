"""Compact JSON (no spaces, UTF-8 as it is) for the gateway's answers and stored rows.

orjson encodes a pay's three documents (the answer, the stored request, the action form)
in a few microseconds where the standard library's encoder takes tens. It refuses two things
the standard library accepts, integers beyond 64 bits (an unknown field of a request may
hold one) and non-string keys; such values go through the standard library instead.
NaN and the infinities (which ``json.loads`` reads from ``NaN`` and ``1e999``) become
``null``: the standard library would write ``NaN``, which is not JSON.
"""

from __future__ import annotations

import json
from typing import Any

import orjson

_STDLIB = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def dumps_bytes(value: Any) -> bytes:
    try:
        return orjson.dumps(value)
    except orjson.JSONEncodeError:
        return _STDLIB.encode(value).encode("utf-8")


def dumps(value: Any) -> str:
    return dumps_bytes(value).decode("utf-8")
