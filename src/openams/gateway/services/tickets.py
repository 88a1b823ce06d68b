"""Small HMAC-signed tickets: state a hosted page hands to the browser and gets back intact.

A ticket is ``<base64url JSON>.<base64url HMAC-SHA256>``; the MAC covers a purpose name
too, so a ticket made for one step is refused by every other. Tickets are signed, not
encrypted: they never carry anything secret (no card number, no CVV).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class TicketSigner:
    def __init__(self, secret: bytes) -> None:
        if len(secret) < 16:
            raise ValueError("the ticket secret must have at least 16 bytes")
        self._secret = secret

    def mac(self, purpose: str, message: str) -> str:
        digest = hmac.new(self._secret, f"{purpose}\n{message}".encode(), hashlib.sha256)
        return _b64(digest.digest())

    def sign(self, purpose: str, data: dict[str, Any]) -> str:
        payload = _b64(json.dumps(data, separators=(",", ":"), sort_keys=True).encode())
        return f"{payload}.{self.mac(purpose, payload)}"

    def unsign(self, purpose: str, ticket: str | None) -> dict[str, Any] | None:
        """The data of a ticket made for ``purpose``, or None if it was not, or was altered."""
        if not ticket or ticket.count(".") != 1:
            return None
        payload, mac = ticket.split(".")
        if not hmac.compare_digest(mac, self.mac(purpose, payload)):
            return None
        try:
            data = json.loads(_unb64(payload))
        except ValueError:
            return None
        return data if isinstance(data, dict) else None

    def check(self, purpose: str, message: str, mac: str | None) -> bool:
        return bool(mac) and hmac.compare_digest(str(mac), self.mac(purpose, message))
