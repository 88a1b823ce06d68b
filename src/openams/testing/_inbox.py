"""A real merchant notification endpoint: verifies, acknowledges and keeps what it receives."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import overload

from starlette.types import Receive, Scope, Send

from openams.sdk import (
    MessageFormatError,
    Notification,
    SignatureVerificationError,
    notification_ack,
    verify_notification,
)
from openams.testing._receiver import answer, answer_json
from openams.testing._sandbox import DeliveryRecord, SandboxGateway

DEFAULT_WAIT_SECONDS = 5.0
_POLL_SECONDS = 0.05


class NotificationWaitTimeout(AssertionError):
    """``wait_for`` ran out of time; the message says what the dispatcher saw."""


@dataclass(frozen=True)
class ReceivedNotification:
    """A verified notification with the HTTP request that carried it."""

    notification: Notification
    path: str
    headers: dict[str, str]
    body: bytes
    received_at: float


@dataclass(frozen=True)
class RejectedNotification:
    """A request the receiver refused (bad signature or body), answered with HTTP 4xx."""

    error: str
    path: str
    headers: dict[str, str]
    body: bytes


class NotificationInbox(Sequence[Notification]):
    """Notifications received at ``url``, verified with ``openams.sdk.verify_notification``.

    The inbox is a sequence of typed notifications (``PaymentNotification``,
    ``CaptureNotification``, ``RefundNotification``) in arrival order. Each verified one is
    answered with ``notification_ack()``; anything that fails verification is answered with
    HTTP 401 (400 for a signed but malformed body), kept in ``rejected``, and the gateway
    will try it again later. ``wait_for`` runs the gateway's dispatcher until enough
    notifications have arrived.

    Every inbox of a gateway is served by its one ``notification_receiver``, each on a
    path of its own, and verifies with its own merchant's client id.
    """

    def __init__(self, gateway: SandboxGateway, client_id: str) -> None:
        self._gateway = gateway
        self._client_id = client_id
        self._gateway_public_key = gateway.gateway.key_pair.public_key
        self._received: list[ReceivedNotification] = []
        self._rejected: list[RejectedNotification] = []
        self._changed = threading.Condition()
        self._receiver = gateway.notification_receiver
        self._path = self._receiver.mount(self._asgi)
        self.url = f"{self._receiver.url}{self._path}"

    # ------------------------------------------------------------- reading

    @property
    def received(self) -> list[ReceivedNotification]:
        """Everything verified so far, with headers and raw body (a copy)."""
        with self._changed:
            return list(self._received)

    @property
    def rejected(self) -> list[RejectedNotification]:
        """Requests that failed verification (a copy)."""
        with self._changed:
            return list(self._rejected)

    @property
    def notifications(self) -> list[Notification]:
        """The typed notifications so far (a copy)."""
        return [item.notification for item in self.received]

    def __len__(self) -> int:
        with self._changed:
            return len(self._received)

    @overload
    def __getitem__(self, index: int) -> Notification: ...

    @overload
    def __getitem__(self, index: slice) -> list[Notification]: ...

    def __getitem__(self, index: int | slice) -> Notification | list[Notification]:
        return self.notifications[index]

    def __iter__(self) -> Iterator[Notification]:
        return iter(self.notifications)

    @property
    def deliveries(self) -> list[DeliveryRecord]:
        """Every attempt the gateway made to this inbox's merchant, oldest first."""
        return self._gateway.deliveries_for(self._client_id)

    def clear(self) -> None:
        """Forget what was received and rejected so far."""
        with self._changed:
            self._received.clear()
            self._rejected.clear()

    def wait_for(
        self,
        count: int = 1,
        timeout: float = DEFAULT_WAIT_SECONDS,
        *,
        notify_type: str | None = None,
    ) -> list[Notification]:
        """Deliver due notifications until ``count`` of them (of ``notify_type``, if given)
        have been received and verified; return those, in arrival order.

        Raises :class:`NotificationWaitTimeout` (an ``AssertionError``) after ``timeout``
        seconds, explaining what was delivered where and what was rejected.
        """
        if count < 1:
            raise ValueError("count must be 1 or more")
        deadline = time.monotonic() + timeout
        while True:
            self._gateway.deliver_notifications()
            with self._changed:
                matching = [
                    item.notification
                    for item in self._received
                    if notify_type is None or item.notification.notify_type == notify_type
                ]
                if len(matching) >= count:
                    return matching
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                self._changed.wait(min(_POLL_SECONDS, remaining))
        raise NotificationWaitTimeout(self._explain(count, len(matching), timeout, notify_type))

    def _explain(self, count: int, got: int, timeout: float, notify_type: str | None) -> str:
        kind = f"{notify_type} " if notify_type else ""
        lines = [
            f"expected {count} {kind}notification(s) at {self.url} within {timeout:g} s, "
            f"received {got}"
        ]
        for rejected in self.rejected:
            lines.append(f"  rejected by the receiver: {rejected.error}")
        deliveries = self.deliveries
        for record in deliveries[-10:]:
            lines.append(f"  delivery: {record.describe()}")
        if not deliveries:
            lines.append(
                "  the gateway has not tried to deliver anything: was the payment completed "
                "(openams.testing.complete_payment), and did it name this inbox's url as "
                "paymentNotifyUrl, or no paymentNotifyUrl (the merchant's default is this inbox)?"
            )
        return "\n".join(lines)

    # ------------------------------------------------------------ receiver

    async def _asgi(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        body = bytearray()
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in scope["headers"]]
        path: str = scope["path"]
        raw = bytes(body)
        if scope["method"] != "POST":
            await answer_json(send, 405, {"error": "notifications are POSTed"})
            return
        try:
            notification = verify_notification(
                scope["method"],
                path,
                headers,
                raw,
                gateway_public_key=self._gateway_public_key,
                client_id=self._client_id,
            )
        except (SignatureVerificationError, MessageFormatError) as exc:
            status = 401 if isinstance(exc, SignatureVerificationError) else 400
            with self._changed:
                self._rejected.append(RejectedNotification(str(exc), path, dict(headers), raw))
                self._changed.notify_all()
            await answer_json(send, status, {"error": str(exc)})
            return
        received = ReceivedNotification(notification, path, dict(headers), raw, time.time())
        with self._changed:
            self._received.append(received)
            self._changed.notify_all()
        await answer(send, 200, notification_ack())

    # ------------------------------------------------------------ lifecycle

    def close(self) -> None:
        """Stop receiving: later requests to ``url`` are answered 404."""
        self._receiver.unmount(self._path)
