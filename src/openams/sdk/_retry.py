"""When to resend, and how long to wait first.

AMS requests are idempotent by their own key (``paymentRequestId``, ``refundRequestId``,
``captureRequestId``; inquiries, cancel and consult are naturally idempotent), so a
retry resends the **identical body**. Only the ``Request-Time`` header and therefore the
signature are fresh on each attempt; the gateway never compares them across attempts.

The whole decision is :func:`should_retry`; the delay is :func:`backoff_delay` (exponential,
capped) passed through :attr:`Backoff.jitter` (a plain function, so tests stub it).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

from openams.sdk._config import (
    DEFAULT_BACKOFF_BASE,
    DEFAULT_BACKOFF_CAP,
    RETRYABLE_HTTP_STATUSES,
    RETRYABLE_RESULT_CODES,
)
from openams.sdk._exceptions import (
    HTTPStatusError,
    NetworkError,
    OpenAmsError,
    TimeoutException,
)


def should_retry(
    retries_done: int,
    max_retries: int,
    *,
    error: OpenAmsError | None = None,
    result_status: str | None = None,
    result_code: str | None = None,
) -> bool:
    """True when the request should be resent after this outcome.

    Retried: timeouts and network errors, HTTP 502/503/504, and a ``U`` result whose code is
    in ``RETRYABLE_RESULT_CODES``. Never retried: ``S``, ``F`` (a definitive answer), the
    normal ``U`` answers (``PAYMENT_IN_PROCESS``, ``REFUND_IN_PROCESS``, any other ``U``), and
    signature or format errors (a bad signature is not something a resend repairs).
    """
    if retries_done >= max_retries:
        return False
    if error is not None:
        if isinstance(error, TimeoutException | NetworkError):
            return True
        if isinstance(error, HTTPStatusError):
            return error.status_code in RETRYABLE_HTTP_STATUSES
        return False
    return result_status == "U" and result_code in RETRYABLE_RESULT_CODES


def backoff_delay(retry_number: int, base: float, cap: float) -> float:
    """Seconds before retry ``retry_number`` (1-based): ``base * 2**(n-1)``, at most ``cap``."""
    if retry_number < 1:
        return 0.0
    # 2**n overflows nothing here: the exponent is bounded before it can matter.
    return float(min(cap, base * 2.0 ** min(retry_number - 1, 62)))


def equal_jitter(delay: float) -> float:
    """A random delay in ``[delay/2, delay]``: spreads clients out, never exceeds the cap."""
    return delay * (0.5 + random.random() / 2)  # not cryptographic


@dataclass(frozen=True, slots=True)
class Backoff:
    """Exponential backoff with a cap and a replaceable jitter function."""

    base: float = DEFAULT_BACKOFF_BASE
    cap: float = DEFAULT_BACKOFF_CAP
    jitter: Callable[[float], float] = equal_jitter

    def delay(self, retry_number: int) -> float:
        return self.jitter(backoff_delay(retry_number, self.base, self.cap))
