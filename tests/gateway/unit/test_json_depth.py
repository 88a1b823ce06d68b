"""json_depth: how deep a JSON value nests, measured with a loop (no recursion)."""

from __future__ import annotations

import json
import sys
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from openams.gateway.json_depth import MAX_DEPTH, may_nest_deeper, nests_deeper, too_deep


def _depth(value: Any) -> int:
    """The reference: recursive, for the shallow values hypothesis makes."""
    if isinstance(value, dict):
        return 1 + max((_depth(v) for v in value.values()), default=0)
    if isinstance(value, list):
        return 1 + max((_depth(v) for v in value), default=0)
    return 0


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=3),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=2), inner),
    max_leaves=30,
)


@given(JSON, st.integers(min_value=0, max_value=8))
def test_agrees_with_the_recursive_measure(value: Any, limit: int) -> None:
    assert nests_deeper(value, limit) == (_depth(value) > limit)
    raw = json.dumps(value)
    assert too_deep(raw, value, limit) == (_depth(value) > limit)
    assert too_deep(raw.encode(), value, limit) == (_depth(value) > limit)


def test_the_boundary() -> None:
    exact: Any = {}
    for _ in range(MAX_DEPTH - 1):
        exact = {"a": exact}
    assert not nests_deeper(exact)
    assert nests_deeper({"b": exact})
    assert nests_deeper([exact])


def test_the_bracket_count_only_ever_says_maybe() -> None:
    """Fewer brackets than the limit cannot nest deeper; more may not (strings count)."""
    assert not may_nest_deeper('{"a": [1, 2, {"b": 3}]}', 3)
    assert may_nest_deeper('{"a": "[[[[["}', 3)
    assert not too_deep('{"a": "[[[[["}', {"a": "[[[[["}, 3)


def test_far_past_the_recursion_limit() -> None:
    """Measured without recursing: a value nested far deeper than Python could walk."""
    value: Any = []
    for _ in range(sys.getrecursionlimit() * 5):
        value = [value]
    assert nests_deeper(value)
    assert not nests_deeper(value, sys.getrecursionlimit() * 5 + 1)
