"""Wire models of card vaulting and the exchange-rate inquiry.

Field names and types follow the official SDKs' request classes
(``AlipayVaultingSessionRequest``, ``AlipayVaultingPaymentMethodRequest``,
``AlipayVaultingQueryRequest``, ``AlipayInquireExchangeRateRequest``). Requiredness is
checked by the gateway, so a request with a missing field gets a message naming it.
"""

from __future__ import annotations

from pydantic import Field

from openams.protocol.models import Address, Env, Str64, Url, UserName, WireModel


class CardPaymentMethodDetail(WireModel):
    """``paymentMethodDetail.card``: the card to vault (number and CVV never stored)."""

    card_no: str | None = None
    cvv: str | None = None
    expiry_month: str | None = None
    expiry_year: str | None = None
    cardholder_name: UserName | str | None = None
    billing_address: Address | None = None
    #: ask the issuer for a 3-D Secure challenge before the card is vaulted
    is3_ds_authentication: bool | None = Field(
        default=None, alias="is3DSAuthentication", serialization_alias="is3DSAuthentication"
    )


class PaymentMethodDetail(WireModel):
    payment_method_type: str | None = Field(default=None, max_length=64)
    card: CardPaymentMethodDetail | None = None


class VaultingSessionRequest(WireModel):
    """createVaultingSession: the hosted vaulting form."""

    payment_method_type: str | None = Field(default=None, max_length=64)
    vaulting_request_id: str | None = Field(default=None, max_length=64)
    vaulting_notification_url: Url | None = None
    redirect_url: Url | None = None
    merchant_region: str | None = Field(default=None, max_length=2)
    is3_ds_authentication: bool | None = Field(
        default=None, alias="is3DSAuthentication", serialization_alias="is3DSAuthentication"
    )


class VaultPaymentMethodRequest(WireModel):
    """vaultPaymentMethod: server-to-server vaulting (the merchant holds the card)."""

    vaulting_request_id: str | None = Field(default=None, max_length=64)
    vaulting_notification_url: Url | None = None
    redirect_url: Url | None = None
    merchant_region: str | None = Field(default=None, max_length=2)
    payment_method_detail: PaymentMethodDetail | None = None
    env: Env | None = None
    merchant_account_id: Str64 | None = None
    metadata: str | None = Field(default=None, max_length=2048)
    vaulting_currency: str | None = Field(default=None, max_length=3)


class InquireVaultingRequest(WireModel):
    vaulting_request_id: str | None = Field(default=None, max_length=64)
    merchant_account_id: Str64 | None = None


class CurrencyPair(WireModel):
    sell_currency: str | None = Field(default=None, max_length=3)
    buy_currency: str | None = Field(default=None, max_length=3)


class InquireExchangeRateRequest(WireModel):
    merchant_account_id: Str64 | None = None
    product_code: str | None = Field(default=None, max_length=64)
    payment_currency: str | None = Field(default=None, max_length=3)
    sell_currency: str | None = Field(default=None, max_length=3)
    buy_currency: str | None = Field(default=None, max_length=3)
    currency_pairs: list[CurrencyPair] | None = Field(default=None, max_length=100)
    rate_type: str | None = Field(default=None, max_length=64)
