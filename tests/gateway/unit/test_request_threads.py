"""The AMS API's request threads: results, errors and requests that went away."""

from __future__ import annotations

import asyncio
import threading

import pytest

from openams.gateway.web.api.threads import RequestThreads


def test_runs_on_another_thread_and_returns_the_result() -> None:
    threads = RequestThreads(2, "test-threads")

    async def main() -> tuple[int, str]:
        return await threads.run(lambda x, y: (x + y, threading.current_thread().name), 2, 3)

    total, name = asyncio.run(main())
    assert total == 5
    assert name.startswith("test-threads-")


def test_an_error_reaches_the_awaiting_request() -> None:
    threads = RequestThreads(1, "test-threads")

    def fail() -> None:
        raise ValueError("no such thing")

    async def main() -> None:
        await threads.run(fail)

    with pytest.raises(ValueError, match="no such thing"):
        asyncio.run(main())


def test_a_cancelled_request_is_not_run() -> None:
    threads = RequestThreads(1, "test-threads")
    started, release = threading.Event(), threading.Event()
    ran: list[str] = []

    def block() -> None:
        started.set()
        release.wait(5)

    async def main() -> None:
        busy = threads.run(block)
        while not started.is_set():
            await asyncio.sleep(0.001)
        waiting = threads.run(ran.append, "cancelled one")
        waiting.cancel()
        release.set()
        await busy
        await threads.run(ran.append, "next one")

    asyncio.run(main())
    assert ran == ["next one"]
