"""Vaulting request bodies (vaultPaymentMethod, createVaultingSession)."""

from __future__ import annotations

from typing import Any

from tests.gateway.integration.card_payloads import VISA, card_meta
from tests.gateway.integration.payloads import new_id

NOTIFY_URL = "https://merchant.example/notify/vaulting"
REDIRECT_URL = "https://merchant.example/cards/saved"


def vault_body(
    card_no: str = VISA, *, request_id: str | None = None, **card: Any
) -> dict[str, Any]:
    """vaultPaymentMethod with a card (``card`` overrides the card fields)."""
    meta = card_meta(card_no, **card)
    return {
        "vaultingRequestId": request_id or new_id("VAULT"),
        "vaultingNotificationUrl": NOTIFY_URL,
        "redirectUrl": REDIRECT_URL,
        "paymentMethodDetail": {"paymentMethodType": "CARD", "card": meta},
        "env": {"terminalType": "WEB", "clientIp": "1.2.3.4"},
    }


def session_body(*, request_id: str | None = None, **extra: Any) -> dict[str, Any]:
    return {
        "paymentMethodType": "CARD",
        "vaultingRequestId": request_id or new_id("VSESSION"),
        "vaultingNotificationUrl": NOTIFY_URL,
        "redirectUrl": REDIRECT_URL,
        **extra,
    }
