"""One HTTP server on 127.0.0.1 for every notification inbox of a test session.

Each inbox is mounted on a path of its own, so one server (started once) serves every
test's inbox, and what is sent to one inbox never reaches another. A request to a path
with no inbox (its test has ended) is answered 404, and the gateway retries it later.
"""

from __future__ import annotations

import json
import secrets
import threading

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from openams.testing._server import LiveServer, serve

#: Inboxes are mounted under this path, each on ``{NOTIFY_PATH}/{token}``.
NOTIFY_PATH = "/openams/notify"


class NotificationReceiver:
    """Routes each request to the inbox mounted on its path; ``close()`` stops the server."""

    def __init__(self) -> None:
        self._inboxes: dict[str, ASGIApp] = {}
        self._lock = threading.Lock()
        self._server: LiveServer = serve(self._asgi, name="openams-notify-receiver")
        self.url = self._server.url

    def mount(self, inbox: ASGIApp) -> str:
        """Serve ``inbox`` on a new path of its own; returns the path."""
        path = f"{NOTIFY_PATH}/{secrets.token_hex(8)}"
        with self._lock:
            self._inboxes[path] = inbox
        return path

    def unmount(self, path: str) -> None:
        with self._lock:
            self._inboxes.pop(path, None)

    def close(self) -> None:
        self._server.stop()

    async def _asgi(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        with self._lock:
            inbox = self._inboxes.get(scope["path"])
        if inbox is None:
            await answer_json(send, 404, {"error": "no inbox at this path (its test has ended)"})
            return
        await inbox(scope, receive, send)


async def answer_json(send: Send, status: int, payload: object) -> None:
    await answer(send, status, json.dumps(payload).encode())


async def answer(send: Send, status: int, body: bytes) -> None:
    start: Message = {
        "type": "http.response.start",
        "status": status,
        "headers": [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
        ],
    }
    await send(start)
    await send({"type": "http.response.body", "body": body})
