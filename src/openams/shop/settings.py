"""Shop settings: ``OPENAMS_SHOP_*`` environment variables; nothing is built at import time."""

from __future__ import annotations

from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict


class ShopSettings(BaseSettings):
    """Where the gateway is, who the shop is to it, and where the shop keeps its orders."""

    model_config = SettingsConfigDict(env_prefix="OPENAMS_SHOP_")

    gateway_url: str = "http://127.0.0.1:8080"
    client_id: str = "SANDBOX_OPENAMS_DEMO"
    private_key_file: Path = Path("var/sandbox-merchant/private_key.pem")
    gateway_public_key_file: Path = Path("var/sandbox-merchant/gateway_public_key.pem")
    public_url: str = "http://127.0.0.1:8081"
    database_path: Path = Path("var/shop.db")
    currency: str = "HKD"
    #: What ALIPAY_CN payments in CNY settle in (spec §8.3: never CNY). Payments in any
    #: other currency settle in that currency.
    cny_settlement_currency: str = "USD"
    #: How often the shop asks inquiryPayment about an open payment.
    poll_interval_seconds: float = 2.0
    #: After this long without a final answer the result page says "processing".
    processing_after_seconds: float = 4.0
    #: Secret for CSRF tokens; random per start when unset.
    secret: str | None = None
    #: Password of the merchant's admin pages (reconciliation); the pages are off when unset.
    admin_secret: str | None = None

    @property
    def notify_url(self) -> str:
        return f"{self.public_url.rstrip('/')}/notify"
