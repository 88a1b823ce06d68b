"""Where AMS requests run: ``handler_threads`` records which thread ran ``pay``.

``http`` serves the app built after ``handler_threads`` wrapped the service (the app
binds ``gateway.payments.pay`` when it is built).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from openams.gateway.app import Gateway, create_app
from tests.live_server import live_server


@pytest.fixture
def handler_threads(gateway: Gateway) -> list[str]:
    """Names of the threads that ran ``pay`` (twice when the loop's attempt gave way)."""
    names: list[str] = []
    pay: Callable[..., Any] = gateway.payments.pay

    def recording_pay(*args: Any, **kwargs: Any) -> Any:
        names.append(threading.current_thread().name)
        return pay(*args, **kwargs)

    gateway.payments.pay = recording_pay  # type: ignore[method-assign]
    return names


@pytest.fixture
def http(gateway: Gateway, handler_threads: list[str]) -> Iterator[httpx.Client]:
    with live_server(create_app(gateway=gateway)) as url, httpx.Client(base_url=url) as client:
        yield client
