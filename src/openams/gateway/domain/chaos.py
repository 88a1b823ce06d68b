"""Notification chaos: sandbox settings that make delivery misbehave on purpose, so a
merchant can prove their handler is idempotent and order-independent."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass

from openams.gateway.domain.errors import param_illegal

MAX_DELAY_SECONDS = 24 * 3600
MAX_DROPS = 7  # the 8th attempt always goes out, so a notification can still arrive


@dataclass(frozen=True, slots=True)
class ChaosSettings:
    duplicate: bool = False  # deliver each notification twice
    delay_seconds: int = 0  # hold each new notification back this long
    out_of_order: bool = False  # deliver a merchant's due notifications newest first
    drop_first: int = 0  # pretend the first N attempts were lost on the way

    @property
    def active(self) -> bool:
        return self != ChaosSettings()

    def to_json(self) -> str:
        return json.dumps(asdict(self), separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str | None) -> ChaosSettings:
        return cls(**json.loads(text)) if text else cls()

    @classmethod
    def validated(
        cls, *, duplicate: bool, delay_seconds: int, out_of_order: bool, drop_first: int
    ) -> ChaosSettings:
        if not 0 <= delay_seconds <= MAX_DELAY_SECONDS:
            raise param_illegal(f"delaySeconds must be between 0 and {MAX_DELAY_SECONDS}")
        if not 0 <= drop_first <= MAX_DROPS:
            raise param_illegal(f"dropFirst must be between 0 and {MAX_DROPS}")
        return cls(duplicate, delay_seconds, out_of_order, drop_first)
