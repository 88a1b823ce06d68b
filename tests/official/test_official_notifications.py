"""The official SDK's webhook_tool.check_signature verifies what the dispatcher really sends."""

from __future__ import annotations

import pytest

from openams.gateway.app import Gateway
from openams.protocol.keys import pem_body
from tests.ams_client import AmsClient
from tests.gateway.integration.payloads import pay_body
from tests.notify.receiver import receiver
from tests.official.conftest import OfficialSDK, webhook_check

pytestmark = pytest.mark.official


@pytest.mark.parametrize("outcome", ["SUCCESS", "FAIL"])
def test_official_check_signature_accepts_delivered_notifications(
    official_sdk: OfficialSDK, ams: AmsClient, gateway: Gateway, outcome: str
) -> None:
    dispatcher = gateway.dispatcher()
    try:
        with receiver() as merchant:
            body = pay_body(paymentNotifyUrl=merchant.url + "?shop=1")
            ams.call("payments/pay", body)
            ams.call(
                "testHelpers/completePayment",
                {"paymentRequestId": body["paymentRequestId"], "outcome": outcome},
            )
            dispatcher.drain()
    finally:
        dispatcher.close()
    [message] = merchant.received
    check = webhook_check(message, pem_body(gateway.key_pair.public_pem))
    tampered = message.body.decode().replace(ams.client_id, "x", 1).replace("100", "999", 1)
    good, bad = official_sdk.run([check, check | {"body": tampered}])
    assert good == {"valid": True}, good
    assert "error" in bad or bad["valid"] is False
    assert message.json["result"]["resultStatus"] == ("S" if outcome == "SUCCESS" else "F")
