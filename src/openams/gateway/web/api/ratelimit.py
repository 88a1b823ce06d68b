"""Per client-id rate limiting: a token bucket for each merchant, in this process.

A bucket holds up to ``burst`` tokens and gains ``rate`` tokens a second; each
authenticated request takes one, and a request that finds the bucket empty is answered
``U/REQUEST_TRAFFIC_EXCEED_LIMIT`` (signed, HTTP 200), which tells the merchant to retry
later. Only requests whose signature verified count, so nobody can spend another
merchant's budget by sending requests in its name.

The buckets live in the process: with ``openams serve --workers N`` or several gateway
processes behind a balancer the effective limit is N times the configured one.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(slots=True)
class _Bucket:
    tokens: float
    updated: float


class RateLimiter:
    """Token buckets keyed by client id. Thread-safe (requests run in a thread pool)."""

    def __init__(
        self,
        rate_per_second: float,
        burst: float | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if rate_per_second <= 0:
            raise ValueError("rate_per_second must be positive")
        self.rate = rate_per_second
        #: Default burst: one second's worth of requests, at least one.
        self.burst = float(burst) if burst is not None else max(1.0, rate_per_second)
        if self.burst < 1:
            raise ValueError("burst must be at least 1")
        self._clock = clock
        self._buckets: dict[str, _Bucket] = {}
        self._lock = threading.Lock()

    def allow(self, key: str) -> bool:
        """Take a token from ``key``'s bucket; False when it is empty."""
        now = self._clock()
        with self._lock:
            bucket = self._buckets.get(key)
            if bucket is None:
                bucket = self._buckets[key] = _Bucket(self.burst, now)
            else:
                elapsed = max(0.0, now - bucket.updated)
                bucket.tokens = min(self.burst, bucket.tokens + elapsed * self.rate)
                bucket.updated = now
            if bucket.tokens >= 1:
                bucket.tokens -= 1
                return True
            return False

    def retry_after(self, key: str) -> float:
        """Seconds until ``key``'s bucket holds a token again (0 when it holds one)."""
        with self._lock:
            bucket = self._buckets.get(key)
            if bucket is None:
                return 0.0
            elapsed = max(0.0, self._clock() - bucket.updated)
            tokens = min(self.burst, bucket.tokens + elapsed * self.rate)
        return max(0.0, (1 - tokens) / self.rate)
