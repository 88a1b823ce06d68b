"""Name the test that opened an asyncio socket transport in its ``repr``.

pytest reports a transport nobody closed when the garbage collector finds it, in
whatever test runs then (``filterwarnings = error`` makes that test fail), and the
warning names the transport by its ``repr`` only: with this, the ``repr`` also says
which test opened it, so such a failure points at the leak. Test-suite diagnostics,
installed by ``tests/conftest.py``.
"""

from __future__ import annotations

from asyncio import selector_events
from typing import Any

_running = ["(no test running)"]


def running(test: str) -> None:
    """The test now running (``pytest_runtest_protocol``)."""
    _running[0] = test


def install() -> None:
    cls = selector_events._SelectorTransport
    if getattr(cls, "_openams_origin", False):
        return
    init, describe = cls.__init__, cls.__repr__

    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        init(self, *args, **kwargs)
        # an attribute, not a weak mapping: the collector clears weak references before
        # it runs the __del__ that warns
        self._openams_opened_in = _running[0]

    def __repr__(self: Any) -> str:
        text = describe(self)
        origin = getattr(self, "_openams_opened_in", None)
        return text if origin is None else f"{text[:-1]} opened in {origin}>"

    cls.__init__ = __init__  # type: ignore[method-assign]
    cls.__repr__ = __repr__  # type: ignore[method-assign]
    cls._openams_origin = True  # type: ignore[attr-defined]
