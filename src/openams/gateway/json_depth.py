"""How deeply a JSON value nests, found without recursion.

Everything that walks a request body (the card-data scrubbing, the NUL check, pydantic)
recurses once or twice per level. A body nested a few hundred levels deep would take
such a walk to Python's recursion limit, and a ``RecursionError`` is not a safe answer
there: whatever runs next at that depth (a garbage-collector callback, a finaliser) can
overflow the remaining headroom, and CPython then aborts the whole process ("Cannot
recover from stack overflow"). So bodies are measured here, with a loop, before anything
walks them, and one nested deeper than ``MAX_DEPTH`` is refused (or, in the request log,
kept as text). No AMS message nests deeper than about ten levels.
"""

from __future__ import annotations

from typing import Any

MAX_DEPTH = 64
#: How a refusal says it (after "the body" / "the JSON body").
NESTS_TOO_DEEP = f"nests more than {MAX_DEPTH} levels deep"


def may_nest_deeper(raw: str | bytes, limit: int = MAX_DEPTH) -> bool:
    """False when the text has too few brackets to nest deeper than ``limit`` (a few
    C-speed counts: the common case decides here)."""
    if isinstance(raw, bytes):
        return raw.count(b"{") + raw.count(b"[") > limit
    return raw.count("{") + raw.count("[") > limit


def nests_deeper(value: Any, limit: int = MAX_DEPTH) -> bool:
    """Whether objects and arrays in ``value`` nest more than ``limit`` levels deep
    (the value itself is level 1)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return False


def too_deep(raw: str | bytes, value: Any, limit: int = MAX_DEPTH) -> bool:
    """``value`` (parsed from ``raw``) nests deeper than ``limit``."""
    return may_nest_deeper(raw, limit) and nests_deeper(value, limit)
