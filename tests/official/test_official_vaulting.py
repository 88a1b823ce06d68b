"""The official SDK's vaulting and exchange-rate request classes against a real
``openams serve`` over TLS: vaultPaymentMethod, createVaultingSession, inquireVaulting
(request classes of both the SDK's ``request/pay`` and ``request/vaulting`` packages),
inquireExchangeRate; the vaulted cardToken pays through pay; every notifyVaulting the
dispatcher delivers is checked with ``webhook_tool.check_signature`` and read through
``AlipayVaultingNotify``.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.gateway.integration.card_payloads import future_year
from tests.notify.receiver import Receiver
from tests.official.conftest import OfficialGateway, OfficialSDK
from tests.official.test_official_async_refund_capture import (
    _check_signature,
    _id,
    _ok,
    _status,
    _wait_for,
    merchant,  # noqa: F401 - the fixture
    run,  # noqa: F401 - the fixture
)

pytestmark = pytest.mark.official

REDIRECT_URL = "https://shop.example/cards"


def _card(number: str, **extra: Any) -> dict[str, Any]:
    return {
        "cardNo": number,
        "cvv": "123",
        "expiryMonth": "12",
        "expiryYear": future_year(),
        "firstName": "Alan",
        "lastName": "Wallex",
        **extra,
    }


def _vault(
    gateway: OfficialGateway, inbox: Receiver, request_id: str, card: dict[str, Any], **extra: Any
) -> dict[str, Any]:
    return gateway.call(
        "vaultPaymentMethod",
        {
            "vaultingRequestId": request_id,
            "vaultingNotificationUrl": inbox.url,
            "redirectUrl": REDIRECT_URL,
            "card": card,
            "terminalType": "WEB",
            **extra,
        },
    )


def _parsed_notify(official_sdk: OfficialSDK, body: bytes) -> dict[str, Any]:
    parsed = official_sdk.one({"op": "parse_vaulting_notify", "body": body.decode()})
    assert "error" not in parsed, parsed
    return parsed


@pytest.mark.parametrize("classes", ["pay", "vaulting"])
def test_vault_a_card_inquire_it_pay_with_its_token(
    run: Any,  # noqa: F811
    official_sdk: OfficialSDK,
    official_gateway: OfficialGateway,
    merchant: Receiver,  # noqa: F811
    classes: str,
) -> None:
    request_id = _id("VAULT")
    vaulted, again, inquiry = run(
        [
            _vault(
                official_gateway, merchant, request_id, _card("4111111111111111"), classes=classes
            ),
            _vault(
                official_gateway, merchant, request_id, _card("4111111111111111"), classes=classes
            ),
            official_gateway.call(
                "inquireVaulting", {"vaultingRequestId": request_id, "classes": classes}
            ),
        ]
    )
    answer = _ok(vaulted, "vaultPaymentMethod")
    assert '"cardNo": "4111111111111111"' in vaulted["request_body"]  # the SDK sent it
    assert _status(answer) == ("SUCCESS", "S"), vaulted["raw"]
    card = answer["paymentMethodDetail"]["card"]
    assert card["maskedCardNo"] == "411111******1111" and card["brand"] == "VISA"
    assert card["lastFour"] == "1111" and card["holder"] == "Alan Wallex"
    token = card["cardToken"]
    assert token
    assert _ok(again, "resent vaultPaymentMethod") == answer
    found = _ok(inquiry, "inquireVaulting")
    assert _status(found) == ("SUCCESS", "S")
    assert found["vaultingStatus"] == "SUCCESS" and found["vaultingResultCode"] == "SUCCESS"
    assert found["paymentMethodDetail"]["card"]["cardToken"] == token

    note = _wait_for(merchant, "VAULTING_RESULT", request_id, "vaultingRequestId")
    _check_signature(official_sdk, official_gateway, note)
    parsed = _parsed_notify(official_sdk, note.body)
    assert parsed["notifyType"] == "VAULTING_RESULT"
    assert (parsed["resultCode"], parsed["resultStatus"]) == ("SUCCESS", "S")
    assert parsed["paymentMethodDetail"]["card"]["cardToken"] == token
    assert parsed["vaultingCreateTime"]

    [paid] = run(
        [
            official_gateway.call(
                "payCard",
                {
                    "productCode": "CASHIER_PAYMENT",
                    "paymentRequestId": _id("PAY"),
                    "paymentAmount": {"currency": "USD", "value": "1500"},
                    "paymentMethodType": "CARD",
                    "paymentMethodId": token,
                    "terminalType": "WEB",
                },
            )
        ]
    )
    payment = _ok(paid, "pay with the vaulted cardToken")
    assert _status(payment) == ("SUCCESS", "S"), paid["raw"]
    assert payment["paymentResultInfo"]["cardToken"] == token


def test_a_refused_card_and_an_inconsistent_resend(
    run: Any,  # noqa: F811
    official_sdk: OfficialSDK,
    official_gateway: OfficialGateway,
    merchant: Receiver,  # noqa: F811
) -> None:
    declined_id, used_id = _id("VAULT"), _id("VAULT")
    declined, first, other = run(
        [
            _vault(official_gateway, merchant, declined_id, _card("4000000000000002")),
            _vault(official_gateway, merchant, used_id, _card("5555555555554444")),
            _vault(official_gateway, merchant, used_id, _card("4111111111111111")),
        ]
    )
    refused = _ok(declined, "declined vaulting")
    assert _status(refused) == ("PROCESS_FAIL", "F")
    assert refused["paymentMethodDetail"]["card"]["cardToken"] is None
    assert _status(_ok(first, "vaultPaymentMethod")) == ("SUCCESS", "S")
    assert _status(_ok(other, "same id, another card")) == ("REPEAT_REQ_INCONSISTENT", "F")

    note = _wait_for(merchant, "VAULTING_RESULT", declined_id, "vaultingRequestId")
    _check_signature(official_sdk, official_gateway, note)
    parsed = _parsed_notify(official_sdk, note.body)
    assert (parsed["resultCode"], parsed["resultStatus"]) == ("PROCESS_FAIL", "F")


@pytest.mark.parametrize("classes", ["pay", "vaulting"])
def test_a_vaulting_session_and_a_3ds_vaulting_wait_for_the_buyer(
    run: Any,  # noqa: F811
    official_gateway: OfficialGateway,
    merchant: Receiver,  # noqa: F811
    classes: str,
) -> None:
    session_id, challenged_id = _id("VSESSION"), _id("VAULT")
    session, inquiry, challenged = run(
        [
            official_gateway.call(
                "vaultingSession",
                {
                    "vaultingRequestId": session_id,
                    "vaultingNotificationUrl": merchant.url,
                    "redirectUrl": REDIRECT_URL,
                    "is3DSAuthentication": True,
                    "classes": classes,
                },
            ),
            official_gateway.call(
                "inquireVaulting", {"vaultingRequestId": session_id, "classes": classes}
            ),
            _vault(
                official_gateway,
                merchant,
                challenged_id,
                _card("4000000000003220"),
                classes=classes,
            ),
        ]
    )
    if classes == "vaulting":
        assert '"is3DSAuthentication": true' in session["request_body"]
    created = _ok(session, "createVaultingSession")
    assert _status(created) == ("SUCCESS", "S"), session["raw"]
    assert created["vaultingSessionData"] and created["vaultingSessionId"]
    assert created["vaultingSessionExpiryTime"]
    assert "/vault/" in created["normalUrl"]
    waiting = _ok(inquiry, "inquireVaulting of a session")
    assert waiting["vaultingStatus"] == "PROCESSING"
    assert waiting["vaultingResultCode"] == "VERIFICATION_IN_PROCESS"
    assert waiting["normalUrl"] == created["normalUrl"]
    pending = _ok(challenged, "vaultPaymentMethod with a 3-D Secure card")
    assert _status(pending) == ("VERIFICATION_IN_PROCESS", "U")
    assert "/vault/" in pending["normalUrl"]
    assert pending["paymentMethodDetail"]["card"]["cardToken"] is None


def test_inquire_exchange_rate(run: Any, official_gateway: OfficialGateway) -> None:  # noqa: F811
    single, pairs, unknown = run(
        [
            official_gateway.call(
                "inquireExchangeRate",
                {"productCode": "CASHIER_PAYMENT", "sellCurrency": "CNY", "buyCurrency": "USD"},
            ),
            official_gateway.call(
                "inquireExchangeRate",
                {
                    "currencyPairs": [
                        {"sellCurrency": "USD", "buyCurrency": "JPY"},
                        {"sellCurrency": "EUR", "buyCurrency": "HKD"},
                    ]
                },
            ),
            official_gateway.call(
                "inquireExchangeRate", {"sellCurrency": "USD", "buyCurrency": "ISK"}
            ),
        ]
    )
    one = _ok(single, "inquireExchangeRate")
    assert _status(one) == ("SUCCESS", "S"), single["raw"]
    [quote] = one["quotes"]
    assert quote["quoteCurrencyPair"] == "CNY/USD"
    assert quote["quotePriceType"] == "float"  # a JSON number, as the SDK types it
    assert quote["quotePrice"] == pytest.approx(0.1404494382)
    [payment_quote] = one["paymentQuotes"]
    assert payment_quote["quoteId"] == quote["quoteId"]
    assert payment_quote["exchangeRate"] == quote["quotePrice"]
    both = _ok(pairs, "inquireExchangeRate with currencyPairs")
    assert [q["quoteCurrencyPair"] for q in both["quotes"]] == ["USD/JPY", "EUR/HKD"]
    assert _status(_ok(unknown, "a pair without a rate")) == ("CURRENCY_NOT_SUPPORT", "F")
