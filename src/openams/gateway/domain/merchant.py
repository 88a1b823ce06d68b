"""Merchants (client ids) and their public keys."""

from __future__ import annotations

from dataclasses import dataclass

SANDBOX_PREFIX = "SANDBOX_"


@dataclass(frozen=True, slots=True)
class Merchant:
    client_id: str
    name: str
    notify_url: str | None
    created_at: int

    @property
    def is_sandbox(self) -> bool:
        return self.client_id.startswith(SANDBOX_PREFIX)


@dataclass(frozen=True, slots=True)
class MerchantKey:
    client_id: str
    key_version: str
    public_pem: str
    created_at: int
    #: when made the merchant's active version (None: never made active)
    activated_at: int | None = None
    #: when retired; a retired version no longer verifies requests
    retired_at: int | None = None

    @property
    def retired(self) -> bool:
        return self.retired_at is not None
