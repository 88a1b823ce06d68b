"""paymentSessionData in the shape Antom's Web SDK reads (issue 17).

The SDK splits the value on ``&&`` and base64-decodes the fourth field as JSON; it
picks its component from ``paymentSessionConfig`` (productScene, and for Cashier
Payment's SDK integration the method category). Antom's own package parsing these
values is tested in tests/cashier/test_antom_sdk_parses_session_data.py.
"""

from __future__ import annotations

import base64
import json
from datetime import datetime
from typing import Any

import pytest

from tests.ams_client import AmsClient
from tests.gateway.integration.payloads import session_body


def decoded(data: str) -> tuple[list[str], dict[str, Any]]:
    fields = data.split("&&")
    return fields, json.loads(base64.b64decode(fields[3], validate=True))


@pytest.mark.parametrize(
    ("extra", "config"),
    [
        (
            {"productScene": "CHECKOUT_PAYMENT"},
            {"productScene": "CHECKOUT_PAYMENT", "productSceneVersion": "1.0"},
        ),
        (
            {"productScene": "ELEMENT_PAYMENT"},
            {
                "productScene": "ELEMENT_PAYMENT",
                "paymentMethodCategoryType": "ALL",
                "productSceneVersion": "1.0",
            },
        ),
        (
            {"paymentMethod": {"paymentMethodType": "CARD"}},
            {
                "productScene": "CASHIER_PAYMENT",
                "paymentMethodCategoryType": "CARD",
                "productSceneVersion": "1.0",
            },
        ),
        (
            {
                "paymentMethod": {"paymentMethodType": "ALIPAY_HK"},
                "paymentAmount": {"currency": "HKD", "value": "4200"},
                "order": {
                    "referenceOrderId": "O-HK",
                    "orderDescription": "tea",
                    "orderAmount": {"currency": "HKD", "value": "4200"},
                },
            },
            {
                "productScene": "CASHIER_PAYMENT",
                "paymentMethodCategoryType": "APM",
                "productSceneVersion": "1.0",
            },
        ),
    ],
)
def test_fourth_field_is_the_json_antoms_sdk_reads(
    ams: AmsClient, extra: dict[str, Any], config: dict[str, str]
) -> None:
    reply = ams.call("payments/createPaymentSession", session_body(**extra))
    assert reply.code == "SUCCESS", reply.result
    body = reply.body
    fields, meta = decoded(body["paymentSessionData"])
    assert len(fields) == 4
    assert fields[2] == body["paymentSessionId"]
    assert meta["clientId"] == ams.client_id
    assert meta["paymentSessionId"] == body["paymentSessionId"]
    assert meta["paymentSessionConfig"] == config
    assert len(body["paymentSessionData"]) <= 4096
    assert len(body["paymentSessionId"]) <= 64
    # ISO-8601 with an offset, like every other time the gateway sends.
    assert datetime.fromisoformat(body["paymentSessionExpiryTime"]).utcoffset() is not None


def test_unknown_product_scene_is_refused_clearly(ams: AmsClient) -> None:
    reply = ams.call("payments/createPaymentSession", session_body(productScene="EASY_PAY"))
    assert reply.code == "PARAM_ILLEGAL"
    assert "productScene" in reply.result["resultMessage"]
