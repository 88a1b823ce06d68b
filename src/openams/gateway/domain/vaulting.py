"""Card vaulting: a card saved as a ``cardToken`` before any payment.

A vaulting is made by ``vaultPaymentMethod`` (server to server: the merchant sends the
card) or by ``createVaultingSession`` (the buyer types the card on the gateway's hosted
vaulting form). It is PROCESSING until the card is vaulted (SUCCESS) or refused (FAIL);
a 3-D Secure challenge keeps it PROCESSING until the buyer answers it. What is kept of
the card is a :class:`CardResult` (brand, BIN, last four, expiry, holder): never the
number, never the CVV.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from typing import Any

from openams.gateway.domain.cards import CardResult
from openams.gateway.domain.clock import from_ms

#: How long the buyer has to finish a hosted vaulting form or a 3-D Secure challenge.
VAULTING_LIFETIME = timedelta(hours=1)
#: The result of a vaulting the buyer never finished.
ABANDONED_CODE = "ORDER_IS_CLOSED"
ABANDONED_MESSAGE = "the buyer did not finish the vaulting in time"


class VaultingStatus(StrEnum):
    PROCESSING = "PROCESSING"
    SUCCESS = "SUCCESS"
    FAIL = "FAIL"


class VaultingKind(StrEnum):
    #: vaultPaymentMethod: the card came with the request
    DIRECT = "DIRECT"
    #: createVaultingSession: the buyer types the card on the hosted form
    SESSION = "SESSION"


def new_vaulting_id(now_ms: int) -> str:
    """Like a payment id: the UTC time to the second, then random digits (32 in all)."""
    return f"{from_ms(now_ms):%Y%m%d%H%M%S}{secrets.randbelow(10**18):018d}"


def new_page_token() -> str:
    """The hosted form's unguessable link (the vaulting id alone is never enough)."""
    return secrets.token_urlsafe(24)


@dataclass(frozen=True, slots=True)
class VaultingKey:
    """What must match for a resend of a ``vaultingRequestId`` to be the same request."""

    kind: VaultingKind
    method_type: str
    notify_url: str
    redirect_url: str
    #: BIN, last four, expiry and holder of a server-to-server card ("" for a session)
    card: str = ""

    def encode(self) -> str:
        return "|".join(
            (self.kind.value, self.method_type, self.notify_url, self.redirect_url, self.card)
        )

    @staticmethod
    def card_of(card: CardResult) -> str:
        return (
            f"{card.bin}:{card.last_four}:{card.expiry_month:02d}/{card.expiry_year}:"
            f"{card.holder_name or ''}"
        )


@dataclass(slots=True)
class Vaulting:
    vaulting_id: str
    client_id: str
    vaulting_request_id: str
    kind: VaultingKind
    status: VaultingStatus
    key: str
    token: str
    notify_url: str | None
    redirect_url: str | None
    created_at: int
    expires_at: int
    request: dict[str, Any]
    #: the card as kept (with its cardToken once vaulted); None until the buyer types one
    card: CardResult | None = None
    #: the buyer must answer a 3-D Secure challenge before the issuer decides
    challenge: bool = False
    #: the issuer's answer after the challenge: a failure code (None: it approves)
    pending_code: str | None = None
    pending_message: str | None = None
    #: the sandbox issuer challenges every later payment with the token (3-D Secure card)
    three_ds_card: bool = False
    #: the merchant asked for 3-D Secure (``is3DSAuthentication``)
    force_three_ds: bool = False
    result_code: str | None = None
    result_message: str | None = None
    completed_at: int | None = None

    def abandoned(self, now: int) -> bool:
        """Still PROCESSING after its time: reported as FAIL, never finished any more."""
        return self.status is VaultingStatus.PROCESSING and now >= self.expires_at

    def shown_status(self, now: int) -> VaultingStatus:
        return VaultingStatus.FAIL if self.abandoned(now) else self.status

    def outcome(self, now: int) -> tuple[str, str]:
        """(vaultingResultCode, vaultingResultMessage) as inquireVaulting reports them."""
        if self.abandoned(now):
            return ABANDONED_CODE, ABANDONED_MESSAGE
        if self.status is VaultingStatus.SUCCESS:
            return "SUCCESS", "success."
        if self.status is VaultingStatus.PROCESSING:
            return "VERIFICATION_IN_PROCESS", "The verification is still under process."
        code = self.result_code or "PROCESS_FAIL"
        return code, self.result_message or code


def payment_method_detail(card: CardResult | None) -> dict[str, Any]:
    """``paymentMethodDetail`` of the answers and of notifyVaulting (field types as the
    official SDKs' ``CardPaymentMethodDetail``: strings, ``cardholderName`` an object)."""
    detail: dict[str, Any] = {"paymentMethodDetailType": "CARD", "paymentMethodType": "CARD"}
    if card is None:
        return detail
    wire: dict[str, Any] = {
        "maskedCardNo": card.masked_number,
        "brand": card.brand,
        "bin": card.bin,
        "lastFour": card.last_four,
        "expiryMonth": f"{card.expiry_month:02d}",
        "expiryYear": f"{card.expiry_year % 100:02d}",
        "funding": "CREDIT",
        "issuingCountry": "US",
    }
    if card.card_token:
        wire["cardToken"] = card.card_token
    if card.holder_name:
        wire["cardholderName"] = {"fullName": card.holder_name[:128]}
    return {**detail, "card": wire}
