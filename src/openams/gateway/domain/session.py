"""Payment sessions (createPaymentSession): a pay request parked for the hosted checkout."""

from __future__ import annotations

import base64
import json
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


# ---------------------------------------------------------------- paymentSessionData
#
# Antom's Web SDK splits paymentSessionData on "&&" and base64-decodes the fourth field
# as JSON: it reads ``clientId`` and ``paymentSessionConfig`` (``productScene``,
# ``paymentMethodCategoryType``, ``productSceneVersion``) to choose its component. The
# first three fields are opaque to it (its own requests carry them as the session id).

#: createPaymentSession's documented productScene values; absent means the SDK
#: integration of Cashier Payment (AMSCashierPayment) for one payment method.
CHECKOUT_PAYMENT = "CHECKOUT_PAYMENT"
ELEMENT_PAYMENT = "ELEMENT_PAYMENT"
PRODUCT_SCENES = frozenset({CHECKOUT_PAYMENT, ELEMENT_PAYMENT, None})
#: productScene of a session made without one (AMSCashierPayment).
CASHIER_SCENE = "CASHIER_PAYMENT"
SCENE_VERSION = "1.0"
#: Wire categories (consult's paymentMethodCategory) that AMSCashierPayment calls BANK.
_BANK_CATEGORIES = frozenset({"ONLINE_BANKING", "BANK_TRANSFER", "MOBILE_BANKING_APP", "OTC", "VA"})


def scene_config(product_scene: str | None, method_category: str | None) -> dict[str, str]:
    """``paymentSessionConfig``: what the Web SDK renders for this session."""
    if product_scene == ELEMENT_PAYMENT:
        return {
            "productScene": ELEMENT_PAYMENT,
            "paymentMethodCategoryType": "ALL",
            "productSceneVersion": SCENE_VERSION,
        }
    if product_scene == CHECKOUT_PAYMENT:
        return {"productScene": CHECKOUT_PAYMENT, "productSceneVersion": SCENE_VERSION}
    config = {"productScene": CASHIER_SCENE, "productSceneVersion": SCENE_VERSION}
    if method_category == "CARD":
        config["paymentMethodCategoryType"] = "CARD"
    elif method_category in _BANK_CATEGORIES:
        config["paymentMethodCategoryType"] = "BANK"
    elif method_category is not None:
        config["paymentMethodCategoryType"] = "APM"
    return config


def session_data(session_id: str, *, client_id: str, config: dict[str, str]) -> str:
    """``<random>&&openams&&<session id>&&<base64 JSON>``: the first field is random like
    Antom's, the third names the session, the fourth is what the Web SDK decodes."""
    blob = base64.b64encode(secrets.token_bytes(48)).decode("ascii")
    meta = {
        "clientId": client_id,
        "paymentSessionId": session_id,
        "paymentSessionConfig": config,
    }
    encoded = base64.b64encode(json.dumps(meta, separators=(",", ":")).encode()).decode("ascii")
    return f"{blob}&&openams&&{session_id}&&{encoded}"
