"""The pay path's helpers: ids, tokens, random bytes, time formatting and compact JSON."""

from __future__ import annotations

import json
import os
import re
from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from openams.gateway import compact_json
from openams.gateway.domain.clock import compact, from_ms, iso, iso_millis
from openams.gateway.domain.payment import new_payment_id, new_token
from openams.gateway.domain.randomness import RandomPool, random_bytes, random_digits
from openams.gateway.web.api.envelope import response_time

MOMENTS = st.integers(min_value=-(10**12), max_value=253_402_300_799_999)


def test_payment_ids_are_antom_shaped_and_sort_by_creation() -> None:
    first = new_payment_id(1_796_196_351_107)
    later = new_payment_id(1_796_196_352_000)
    assert re.fullmatch(r"\d{34}", first)
    assert first.startswith("20261202072551")
    assert later > first
    assert len({new_payment_id(1_796_196_351_107) for _ in range(10_000)}) == 10_000


def test_tokens_are_urlsafe_and_unique() -> None:
    tokens = {new_token() for _ in range(10_000)}
    assert len(tokens) == 10_000
    assert all(re.fullmatch(r"[A-Za-z0-9_-]{32}", token) for token in tokens)


def test_random_bytes_are_never_handed_out_twice() -> None:
    pool = RandomPool()
    chunks = [pool.take(24) for _ in range(1000)]  # crosses several 4 KiB refills
    assert len(set(chunks)) == 1000
    assert all(len(chunk) == 24 for chunk in chunks)
    assert len(pool.take(10_000)) == 10_000


def test_a_forked_child_does_not_reuse_the_parents_bytes() -> None:
    random_bytes(8)  # the pool holds bytes now
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        os.write(write, random_bytes(16))
        os._exit(0)
    os.close(write)
    child = os.read(read, 16)
    os.waitpid(pid, 0)
    os.close(read)
    assert child != random_bytes(16)


def test_random_digits_have_the_asked_length() -> None:
    values = [random_digits(20) for _ in range(2000)]
    assert all(re.fullmatch(r"\d{20}", v) for v in values)
    assert len({v[0] for v in values}) == 10  # the leading digit varies too


@given(MOMENTS)
def test_iso_matches_datetime_formatting(ms: int) -> None:
    assert iso(ms) == from_ms(ms).replace(microsecond=0).isoformat()


@given(MOMENTS)
def test_iso_millis_matches_datetime_formatting(ms: int) -> None:
    expected = datetime.fromtimestamp(ms // 1000, tz=UTC).replace(microsecond=ms % 1000 * 1000)
    assert iso_millis(ms) == expected.isoformat(timespec="milliseconds")


@given(MOMENTS)
def test_compact_is_the_utc_second(ms: int) -> None:
    assert compact(ms) == f"{from_ms(ms).replace(microsecond=0):%Y%m%d%H%M%S}"


def test_response_time_is_iso_to_the_millisecond() -> None:
    before = datetime.now(UTC).replace(microsecond=0)
    value = response_time()
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00", value)
    assert datetime.fromisoformat(value) >= before


JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.text()
    | st.floats(allow_nan=False, allow_infinity=False),  # both become null: see below
    lambda children: st.lists(children) | st.dictionaries(st.text(), children),
    max_leaves=30,
)


@given(JSON_VALUES)
def test_compact_json_reads_back_as_the_standard_library_writes(value: object) -> None:
    assert json.loads(compact_json.dumps(value)) == json.loads(json.dumps(value))


def test_compact_json_takes_what_orjson_refuses() -> None:
    assert compact_json.dumps({"big": 10**30}) == '{"big":1000000000000000000000000000000}'
    assert compact_json.dumps({1: "a"}) == '{"1":"a"}'
    assert compact_json.dumps({"nan": float("nan")}) == '{"nan":null}'
    assert compact_json.dumps([float("inf"), -float("inf")]) == "[null,null]"
    assert compact_json.dumps_bytes({"é": "ü"}) == '{"é":"ü"}'.encode()
