"""Time as the gateway sees it: epoch milliseconds in storage, ISO-8601 on the wire."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import lru_cache

Clock = Callable[[], int]
"""Returns the current time in epoch milliseconds."""


def system_clock() -> int:
    return time.time_ns() // 1_000_000


def to_ms(moment: datetime) -> int:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp() * 1000)


def from_ms(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, tz=UTC)


def iso(ms: int) -> str:
    """``2026-11-22T01:30:00+00:00``: ISO-8601 with offset, to the second, as Antom writes it."""
    return _iso_second(ms // 1000)


def iso_millis(ms: int) -> str:
    """``2026-11-22T01:30:00.123+00:00``: ISO-8601 with offset, to the millisecond."""
    second, milli = divmod(ms, 1000)
    return f"{_iso_second(second)[:19]}.{milli:03d}+00:00"


def compact(ms: int) -> str:
    """``20261122013000``: the UTC second as 14 digits, the head of Antom's ids."""
    return _compact_second(ms // 1000)


# Every answer formats a few of the same seconds (now, an expiry minutes ahead): made once.
@lru_cache(maxsize=1024)
def _iso_second(second: int) -> str:
    return datetime.fromtimestamp(second, tz=UTC).isoformat()


@lru_cache(maxsize=64)
def _compact_second(second: int) -> str:
    return f"{datetime.fromtimestamp(second, tz=UTC):%Y%m%d%H%M%S}"


def parse_datetime(text: str, *, naive_utc: bool = False) -> datetime:
    """ISO-8601 with an offset (``Z`` allowed), or epoch milliseconds as digits.

    Every failure is a ValueError, out-of-range moments included: a number of
    milliseconds too large for the platform's ``time_t`` (OverflowError, OSError) and a
    moment whose UTC instant falls outside years 1 to 9999 (``0001-01-01T00:00:00+01:00``)
    are refused here, so the result is always safe for :func:`to_ms` and :func:`from_ms`.
    With ``naive_utc`` an ISO value without an offset is read as UTC instead of refused.
    """
    value = text.strip()
    try:
        if value.isdigit():
            return from_ms(int(value))
        parsed = datetime.fromisoformat(value)
        if parsed.tzinfo is None:
            if not naive_utc:
                raise ValueError("datetime needs a UTC offset, e.g. 2026-01-01T12:00:00+08:00")
            parsed = parsed.replace(tzinfo=UTC)
        if parsed.year in (1, 9999):
            parsed.astimezone(UTC)  # OverflowError if the UTC instant leaves years 1-9999
        return parsed
    except (OverflowError, OSError):
        raise ValueError(f"{value[:40]!r} is out of range (years 1 to 9999)") from None


def ms_delta(delta: timedelta) -> int:
    return int(delta.total_seconds() * 1000)
