"""Shop settings: ``OPENAMS_SHOP_*`` environment variables; nothing is built at import time."""

from __future__ import annotations

from pathlib import Path

from pydantic import model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

#: Client ids with this prefix talk to the sandbox, where a plain-HTTP notify URL is fine.
SANDBOX_PREFIX = "SANDBOX_"


class ShopSettings(BaseSettings):
    """Where the gateway is, who the shop is to it, and where the shop keeps its orders."""

    model_config = SettingsConfigDict(env_prefix="OPENAMS_SHOP_")

    gateway_url: str = "http://127.0.0.1:8080"
    client_id: str = "SANDBOX_OPENAMS_DEMO"
    #: The ``keyVersion`` of the shop's key pair, sent in every request's Signature header.
    key_version: str = "1"
    private_key_file: Path = Path("var/sandbox-merchant/private_key.pem")
    gateway_public_key_file: Path = Path("var/sandbox-merchant/gateway_public_key.pem")
    public_url: str = "http://127.0.0.1:8081"
    #: Where the wallet sends a buyer back to the shop's app (APP terminal): the app's
    #: deep link, which opens ``{path}`` of the shop in the app's web view.
    app_return_url: str = "openamsshop://shop"
    database_path: Path = Path("var/shop.db")
    currency: str = "HKD"
    #: What ALIPAY_CN payments in CNY settle in (spec §8.3: never CNY). Payments in any
    #: other currency settle in that currency.
    cny_settlement_currency: str = "USD"
    #: How often the shop asks inquiryPayment about an open payment.
    poll_interval_seconds: float = 2.0
    #: Seconds the shop waits for each gateway answer (Antom recommends 10 s for pay).
    gateway_timeout_seconds: float = 10.0
    #: A pay that ended unclear (U after the retries, a timeout) and is still not final
    #: this long after is cancelled (the guides: inquire, then cancel).
    unclear_cancel_after_seconds: float = 60.0
    #: After this long without a final answer the result page says "processing".
    processing_after_seconds: float = 4.0
    #: Secret for CSRF tokens; random per start when unset.
    secret: str | None = None
    #: Password of the merchant's admin pages (reconciliation); the pages are off when unset.
    admin_secret: str | None = None

    @model_validator(mode="after")
    def _notify_url_is_https_outside_the_sandbox(self) -> ShopSettings:
        """The quickstart guide: paymentNotifyUrl is an HTTPS URL (the sandbox aside)."""
        if not self.client_id.startswith(SANDBOX_PREFIX) and not self.notify_url.startswith(
            "https://"
        ):
            raise ValueError(
                f"public_url must be HTTPS outside the sandbox: the notify URL "
                f"{self.notify_url} would receive payment results in the clear"
            )
        return self

    @property
    def notify_url(self) -> str:
        return f"{self.public_url.rstrip('/')}/notify"
