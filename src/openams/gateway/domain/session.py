"""Payment sessions (createPaymentSession): a pay request parked for the hosted checkout."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import Any


def new_session_id() -> str:
    return secrets.token_hex(16)


@dataclass(slots=True)
class PaymentSession:
    session_id: str
    client_id: str
    payment_request_id: str
    fingerprint: str
    session_data: str
    created_at: int
    expires_at: int
    request: dict[str, Any] = field(default_factory=dict)
