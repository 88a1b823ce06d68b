"""Merchants (client ids) and their public keys."""

from __future__ import annotations

from dataclasses import dataclass

SANDBOX_PREFIX = "SANDBOX_"


@dataclass(frozen=True, slots=True)
class Merchant:
    client_id: str
    name: str
    notify_url: str | None
    created_at: int
    #: How far the merchant's clock runs ahead of real time (sandbox advanceClock).
    clock_offset_ms: int = 0

    def now(self, real_now: int) -> int:
        """The merchant's time when the gateway's (real) clock reads ``real_now``."""
        return real_now + self.clock_offset_ms

    @property
    def is_sandbox(self) -> bool:
        return self.client_id.startswith(SANDBOX_PREFIX)


@dataclass(frozen=True, slots=True)
class MerchantKey:
    client_id: str
    key_version: str
    public_pem: str
    created_at: int
    #: when made the merchant's active version (None: never made active)
    activated_at: int | None = None
    #: when retired; a retired version no longer verifies requests
    retired_at: int | None = None

    @property
    def retired(self) -> bool:
        return self.retired_at is not None


@dataclass(frozen=True, slots=True)
class ClockShift:
    """One advance of a merchant's clock: its time jumped from ``from_ms`` to ``to_ms``
    when the real clock read ``real_at``."""

    client_id: str
    real_at: int
    from_ms: int
    to_ms: int

    @property
    def seconds(self) -> int:
        return (self.to_ms - self.from_ms) // 1000
