"""A gateway clock that stands still until a test moves it: boundaries to the second.

The suite's usual ``clock`` (tests/conftest.py) is the real clock plus an offset, so the
moment a test reads lies a little after the moment it set; a boundary one second away
then depends on how fast the machine is. This one moves only when told to.
"""

from __future__ import annotations

from openams.gateway.domain.clock import system_clock


class FrozenClock:
    """Epoch milliseconds, starting at a whole second of the real clock."""

    def __init__(self) -> None:
        self.now_ms = system_clock() // 1000 * 1000

    def __call__(self) -> int:
        return self.now_ms

    def advance(self, seconds: float) -> None:
        self.now_ms += int(seconds * 1000)

    def set(self, ms: int) -> None:
        self.now_ms = ms
