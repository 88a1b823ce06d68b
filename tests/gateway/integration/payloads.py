"""Request bodies shaped like the seeds' samples, with fresh ids."""

from __future__ import annotations

import uuid
from typing import Any


def new_id(prefix: str = "PR") -> str:
    return f"{prefix}_{uuid.uuid4().hex[:20]}"


def pay_body(
    *,
    request_id: str | None = None,
    method: str = "ALIPAY_HK",
    currency: str = "HKD",
    value: str = "100",
    terminal: str = "WEB",
    os_type: str | None = None,
    **extra: Any,
) -> dict[str, Any]:
    env: dict[str, Any] = {"terminalType": terminal, "clientIp": "114.121.121.01"}
    if os_type:
        env["osType"] = os_type
    body: dict[str, Any] = {
        "paymentNotifyUrl": "http://www.yourNotifyUrl.com",
        "paymentRequestId": request_id or new_id(),
        "env": env,
        "paymentAmount": {"currency": currency, "value": value},
        "productCode": "CASHIER_PAYMENT",
        "paymentRedirectUrl": "http://www.yourRedirectUrl.com",
        "paymentMethod": {"paymentMethodType": method},
        "order": {
            "orderAmount": {"currency": currency, "value": value},
            "referenceOrderId": new_id("ORDER"),
            "orderDescription": "antom test order",
        },
    }
    body.update(extra)
    return body


def session_body(**extra: Any) -> dict[str, Any]:
    """A createPaymentSession body (USD 42.00, no payment method chosen) with fresh ids."""
    return {
        "productCode": "CASHIER_PAYMENT",
        "paymentRequestId": new_id(),
        "order": {
            "referenceOrderId": new_id("O"),
            "orderDescription": "shoes",
            "orderAmount": {"currency": "USD", "value": "4200"},
        },
        "paymentAmount": {"currency": "USD", "value": "4200"},
        "paymentRedirectUrl": "https://merchant.example/result",
        **extra,
    }


def in_store_body(
    scenario: str,
    *,
    code: str | None = None,
    request_id: str | None = None,
    currency: str = "USD",
    value: str = "1000",
    **extra: Any,
) -> dict[str, Any]:
    """An IN_STORE_PAYMENT pay body shaped as the official SDK's OrderCodePaymentRequest /
    UserPresentedCodePaymentRequest sends it (merchant and store, env inside order)."""
    env: dict[str, Any] = {
        "storeTerminalId": "T-01",
        "storeTerminalRequestTime": "2026-12-06T12:00:00+08:00",
    }
    method: dict[str, Any] = {"paymentMethodType": "CONNECT_WALLET"}
    if code is not None:
        method["paymentMethodId"] = code
    body: dict[str, Any] = {
        "productCode": "IN_STORE_PAYMENT",
        "paymentRequestId": request_id or new_id(),
        "paymentNotifyUrl": "http://www.yourNotifyUrl.com",
        "paymentFactor": {"inStorePaymentScenario": scenario},
        "paymentMethod": method,
        "paymentAmount": {"currency": currency, "value": value},
        "order": {
            "referenceOrderId": new_id("ORDER"),
            "orderDescription": "coffee and cake",
            "orderAmount": {"currency": currency, "value": value},
            "merchant": {
                "referenceMerchantId": "M0001",
                "merchantMCC": "5812",
                "merchantName": "Corner Cafe",
                "store": {
                    "referenceStoreId": "S0001",
                    "storeName": "Corner Cafe Central",
                    "storeMCC": "5812",
                },
            },
            "env": env,
        },
    }
    body.update(extra)
    return body
