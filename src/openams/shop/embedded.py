"""Embedded checkout: the payment inside the shop's own page, through openams-checkout.js.

The shop's server creates a payment session (createPaymentSession, productScene
CHECKOUT_PAYMENT) and hands its paymentSessionData to the page, which mounts Antom's
``AMSCheckoutPage`` served by the gateway. The SDK's callbacks only move the buyer on:
the order's state comes from the notification or from inquiryPayment, as for the
redirect flow.
"""

from __future__ import annotations

from openams.sdk import ApiError
from openams.shop.service import Shop

#: The payment row's method until the buyer chooses one in the embedded page.
EMBEDDED_METHOD = "EMBEDDED"
PRODUCT_SCENE = "CHECKOUT_PAYMENT"


def start_embedded(
    shop: Shop, order_id: str, user_agent: str, client_ip: str | None = None
) -> tuple[str, str]:
    """A payment session for an OPEN order: (paymentRequestId, paymentSessionData).

    Written to the shop's database before the call, like a redirect payment, so that a
    notification for it is never an unknown payment."""
    request_id, body = shop.new_payment(order_id, EMBEDDED_METHOD, user_agent, client_ip)
    body["productScene"] = PRODUCT_SCENE
    try:
        response = shop.client.create_payment_session(body)
    except ApiError as exc:
        shop.fail_payment(request_id, exc.result_code)
        raise
    return request_id, str(response.payment_session_data)
