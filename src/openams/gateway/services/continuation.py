"""Continuation data of a pay response: where the buyer goes next (spec §6).

All URLs point at the gateway's own hosted pages and carry the payment's
unguessable token, never the payment id alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from openams.gateway import compact_json
from openams.gateway.domain.clock import iso
from openams.gateway.domain.payment import Payment
from openams.gateway.domain.payment_methods import PaymentMethodSpec
from openams.gateway.services.pay_rules import ORDER_CODE, PAYMENT_CODE, in_store_scenario

QR_SIZES = (("BIGIMAGE", "L"), ("MIDDLEIMAGE", "M"), ("SMALLIMAGE", "S"))


@dataclass(frozen=True, slots=True)
class Links:
    """Absolute URLs of the hosted pages, from the gateway's public base URL."""

    base_url: str

    def cashier(self, token: str) -> str:
        return f"{self.base_url}/cashier/{token}"

    def code(self, token: str) -> str:
        """The code value a wallet scans: opens the wallet simulator."""
        return f"{self.base_url}/code/{token}"

    def qr_image(self, token: str, size: str) -> str:
        return f"{self.base_url}/cashier/{token}/qr.png?picSize={size}"

    def applink(self, method_type: str, token: str) -> str:
        return f"{self.base_url}/app/{method_type.lower()}/{token}"

    def scheme(self, method_type: str, token: str) -> str:
        return f"openams-{method_type.lower().replace('_', '-')}://pay?token={token}"

    def alipaycn_cashier(self, terminal_type: str | None) -> str:
        page = "h5" if terminal_type in ("WAP", "APP") else "pc"
        return f"{self.base_url}/alipaycn/{page}/cashier"

    def checkout(self, session_id: str) -> str:
        return f"{self.base_url}/checkout/{session_id}"

    def vault(self, token: str) -> str:
        """The hosted vaulting form (and its 3-D Secure challenge)."""
        return f"{self.base_url}/vault/{token}"

    def logo(self, method_type: str) -> str:
        return f"{self.base_url}/static/logos/{method_type}.svg"


def _redirect_form(url: str) -> dict[str, Any]:
    return {"method": "GET", "redirectUrl": url}


def _payment_action_form(url: str) -> str:
    return compact_json.dumps(
        {"method": "GET", "paymentActionFormType": "RedirectActionForm", "redirectUrl": url}
    )


def _alipaycn(payment: Payment, links: Links) -> dict[str, Any]:
    parameters = {
        "paymentExpireTime": payment.expires_at,
        "amountValue": str(payment.amount.value),
        "amountCurrency": payment.amount.currency,
        "paymentId": payment.payment_id,
        "callback": payment.redirect_url or "",
        "paymentMethodType": payment.method_type,
        "token": payment.token,
    }
    return {
        "redirectActionForm": {
            "method": "GET",
            "parameters": compact_json.dumps(parameters),
            "redirectUrl": links.alipaycn_cashier(payment.terminal_type),
        }
    }


def _order_code_form(payment: Payment, method: PaymentMethodSpec, links: Links) -> dict[str, Any]:
    """The code the buyer scans: its value (TEXT) and QR images in three sizes."""
    code_value = links.code(payment.token)
    details = [{"codeValueType": "QRCODE", "displayType": "TEXT", "codeValue": code_value}]
    details += [
        {
            "codeValueType": "QRCODE",
            "displayType": display,
            "codeValue": links.qr_image(payment.token, size),
        }
        for display, size in QR_SIZES
    ]
    return {
        "paymentMethodType": method.type,
        "expireTime": iso(payment.expires_at),
        "codeDetails": details,
    }


def continuation(payment: Payment, method: PaymentMethodSpec, links: Links) -> dict[str, Any]:
    """The continuation fields for a payment that awaits the buyer."""
    if method.type == "ALIPAY_CN":
        return _alipaycn(payment, links)
    scenario = in_store_scenario(payment.request)
    if scenario == PAYMENT_CODE:  # the buyer confirms on the phone: nowhere to send anyone
        return {}
    if scenario == ORDER_CODE:  # the merchant shows the code; the buyer scans it
        return {"orderCodeForm": _order_code_form(payment, method, links)}
    normal = links.cashier(payment.token)
    data: dict[str, Any] = {
        "normalUrl": normal,
        "redirectActionForm": _redirect_form(normal),
        "paymentActionForm": _payment_action_form(normal),
    }
    terminal = payment.terminal_type or "WEB"
    if method.category.value != "CARD":
        data["orderCodeForm"] = _order_code_form(payment, method, links)
    if terminal in ("WAP", "APP") and method.has_app:
        data["applinkUrl"] = links.applink(method.type, payment.token)
        data["schemeUrl"] = links.scheme(method.type, payment.token)
        # appIdentifier is an Android package name (spec §6): no use to an iOS buyer.
        if method.app_identifier and payment.os_type != "IOS":
            data["appIdentifier"] = method.app_identifier
    return data
