"""Pay against the local gateway started by `make run`, with openams.sdk.

    .venv/bin/python examples/pay.py

It creates a payment, prints where the buyer would go, settles it with the sandbox
test helper (as if the buyer had paid), then polls inquiryPayment until it is final.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

from openams.sdk import Client, buyer_redirect

KEYS = Path(os.environ.get("OPENAMS_KEY_DIR", "var/sandbox-merchant"))
BASE_URL = os.environ.get("OPENAMS_PUBLIC_URL", "http://127.0.0.1:8080")
CLIENT_ID = os.environ.get("OPENAMS_CLIENT_ID", "SANDBOX_OPENAMS_DEMO")


def main() -> None:
    with Client(
        client_id=CLIENT_ID,
        private_key=(KEYS / "private_key.pem").read_text(),
        gateway_public_key=(KEYS / "gateway_public_key.pem").read_text(),
        base_url=BASE_URL,
    ) as client:
        request_id = f"DEMO_{uuid.uuid4().hex[:16]}"
        payment = client.pay(
            {
                "productCode": "CASHIER_PAYMENT",
                "paymentRequestId": request_id,
                "order": {
                    "referenceOrderId": f"ORDER_{request_id}",
                    "orderDescription": "A cup of coffee",
                    "orderAmount": {"currency": "HKD", "value": "3800"},
                },
                "paymentAmount": {"currency": "HKD", "value": "3800"},
                "paymentMethod": {"paymentMethodType": "ALIPAY_HK"},
                "paymentRedirectUrl": "https://merchant.example/result",
                "env": {"terminalType": "WEB"},
            }
        )
        print(f"pay: {payment.result.result_code} paymentId={payment.payment_id}")
        redirect = buyer_redirect(payment, "WEB")  # the terminalType sent above
        print(f"buyer goes to: {redirect.url if redirect else 'nowhere (already final)'}")
        done = client.request(
            "/ams/api/v1/testHelpers/completePayment",
            {"paymentRequestId": request_id, "outcome": "SUCCESS"},
        )
        print(f"sandbox completePayment: {done['result']['resultCode']}")
        final = client.wait_for_payment(request_id, interval=0.5, timeout=30)
        print(f"inquiryPayment: paymentStatus={final.payment_status}")


if __name__ == "__main__":
    main()
