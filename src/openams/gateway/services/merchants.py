"""Merchants and their keys: registration, key versions, and request authentication."""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from functools import lru_cache

from cryptography.hazmat.primitives.asymmetric import rsa

from openams.gateway.domain.clock import Clock
from openams.gateway.domain.errors import DomainError, param_illegal
from openams.gateway.domain.merchant import Merchant, MerchantKey
from openams.gateway.domain.ports import UnitOfWork, UnitOfWorkFactory
from openams.protocol.keys import KeyFormatError, load_public_key, public_key_pem


@lru_cache(maxsize=1024)
def _parse_public_key(pem: str) -> rsa.RSAPublicKey:
    return load_public_key(pem)


#: How long an authenticated merchant and key are reused without reading the database.
#: Retiring a version drops it from this process's cache at once; another gateway
#: process may still accept it until its entry is this old. A new key version is read
#: at once (it is not cached yet).
AUTH_CACHE_SECONDS = 5.0


def active_version(keys: list[MerchantKey]) -> str | None:
    """The merchant's active key version: of the versions not retired, the one made
    active last. None when no version is active."""
    live = [k for k in keys if not k.retired and k.activated_at is not None]
    if not live:
        return None
    return max(live, key=lambda k: (k.activated_at or 0, k.created_at)).key_version


@dataclass
class MerchantService:
    uow: UnitOfWorkFactory
    clock: Clock
    auth_cache_seconds: float = AUTH_CACHE_SECONDS
    _auth_cache: dict[tuple[str, str], tuple[float, Merchant, rsa.RSAPublicKey]] = field(
        default_factory=dict, init=False, repr=False
    )

    def add(
        self,
        client_id: str,
        public_key: str,
        *,
        key_version: str = "1",
        notify_url: str | None = None,
        name: str | None = None,
    ) -> Merchant:
        """Register a merchant, or add a key version to an existing one.

        Older key versions stay valid (until retired). A merchant's first version is
        made active; later ones wait to be activated (``activate_key``). Re-adding an
        existing version with the same key is a no-op; with a different key, or when
        that version was retired, it is refused (add the key under a new version).
        """
        if not client_id or len(client_id) > 64:
            raise param_illegal("client id must be 1 to 64 characters")
        try:
            pem = public_key_pem(load_public_key(public_key))
        except KeyFormatError as exc:
            raise param_illegal(f"public key: {exc}") from None
        now = self.clock()
        with self.uow(write=True) as uow:
            merchant = uow.merchants.get(client_id)
            if merchant is None:
                merchant = Merchant(client_id, name or client_id, notify_url, now)
                uow.merchants.add(merchant)
            elif notify_url is not None and notify_url != merchant.notify_url:
                uow.merchants.update_notify_url(client_id, notify_url)
                merchant = Merchant(client_id, merchant.name, notify_url, merchant.created_at)
            existing = uow.merchants.get_key(client_id, key_version)
            if existing is None:
                first = active_version(uow.merchants.keys(client_id)) is None
                key = MerchantKey(client_id, key_version, pem, now, now if first else None)
                uow.merchants.add_key(key)
            elif existing.retired:
                raise DomainError(
                    "PARAM_ILLEGAL",
                    f"key version {key_version} of {client_id} was retired; "
                    "add the key under a new version",
                )
            elif existing.public_pem != pem:
                raise DomainError(
                    "PARAM_ILLEGAL",
                    f"{client_id} already has a different key version {key_version}; "
                    "add the new key under a new --key-version",
                )
            uow.commit()
        return merchant

    def activate_key(self, client_id: str, key_version: str) -> None:
        """Make a (not retired) version the merchant's active one."""
        with self.uow(write=True) as uow:
            key = self._live_key(uow, client_id, key_version)
            uow.merchants.update_key(replace(key, activated_at=self.clock()))
            uow.commit()

    def retire_key(self, client_id: str, key_version: str) -> None:
        """Retire a version: requests signed with it are refused from now on
        (KEY_NOT_FOUND). The active version cannot be retired; activate another first."""
        with self.uow(write=True) as uow:
            key = self._live_key(uow, client_id, key_version)
            if active_version(uow.merchants.keys(client_id)) == key_version:
                raise DomainError(
                    "PARAM_ILLEGAL",
                    f"key version {key_version} is the active one; "
                    "make another version active before retiring it",
                )
            uow.merchants.update_key(replace(key, retired_at=self.clock()))
            uow.commit()
        self._auth_cache.pop((client_id, key_version), None)

    @staticmethod
    def _live_key(uow: UnitOfWork, client_id: str, key_version: str) -> MerchantKey:
        key = _stored_key(uow, client_id, key_version)
        if key.retired:
            raise DomainError(
                "PARAM_ILLEGAL", f"key version {key_version} of {client_id} is already retired"
            )
        return key

    def set_notify_url(self, client_id: str, notify_url: str | None) -> None:
        """The merchant's default notify URL, used when a request names none."""
        if notify_url is not None and "://" not in notify_url:
            raise param_illegal(f"notify URL {notify_url!r} is not an absolute URL")
        with self.uow(write=True) as uow:
            if uow.merchants.get(client_id) is None:
                raise DomainError("CLIENT_INVALID", f"client-id {client_id!r} is not registered")
            uow.merchants.update_notify_url(client_id, notify_url)
            uow.commit()

    def authenticate(self, client_id: str, key_version: str) -> tuple[Merchant, rsa.RSAPublicKey]:
        """The merchant and its public key for this keyVersion, or the AMS refusal.

        Found pairs are kept for ``auth_cache_seconds`` (two queries saved per request);
        refusals are never cached."""
        now = time.monotonic()
        cached = self._auth_cache.get((client_id, key_version))
        if cached is not None and now - cached[0] < self.auth_cache_seconds:
            return cached[1], cached[2]
        merchant, public_key = self._authenticate(client_id, key_version)
        if len(self._auth_cache) >= 10_000:
            self._auth_cache.clear()
        self._auth_cache[(client_id, key_version)] = (now, merchant, public_key)
        return merchant, public_key

    def forget(self, client_id: str) -> None:
        """Drop the merchant's cached authentications: it changed (its clock moved), so
        the next request reads it again. Another gateway process reads it again within
        ``auth_cache_seconds``."""
        for key in list(self._auth_cache):  # a copy: other threads add entries meanwhile
            if key[0] == client_id:
                self._auth_cache.pop(key, None)

    def _authenticate(self, client_id: str, key_version: str) -> tuple[Merchant, rsa.RSAPublicKey]:
        with self.uow() as uow:
            merchant = uow.merchants.get(client_id)
            if merchant is None:
                raise DomainError("CLIENT_INVALID", f"client-id {client_id!r} is not registered")
            key = _stored_key(uow, client_id, key_version)
        if key.retired:
            raise DomainError(
                "KEY_NOT_FOUND", f"keyVersion {key_version} of {client_id} was retired"
            )
        return merchant, _parse_public_key(key.public_pem)

    def get(self, client_id: str) -> Merchant | None:
        with self.uow() as uow:
            return uow.merchants.get(client_id)


def _stored_key(uow: UnitOfWork, client_id: str, key_version: str) -> MerchantKey:
    """The merchant's key of that version, retired or not; KEY_NOT_FOUND if none."""
    key = uow.merchants.get_key(client_id, key_version)
    if key is None:
        raise DomainError(
            "KEY_NOT_FOUND", f"no public key with keyVersion {key_version} for {client_id}"
        )
    return key
