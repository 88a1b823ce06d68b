"""The vaulting and exchange-rate answers and notifyVaulting have the JSON types of the
official SDKs' models (Go and Java decode strictly): ``CardPaymentMethodDetail`` fields
are strings and ``cardholderName`` a ``UserName`` object; ``quotePrice`` and
``exchangeRate`` are numbers (Go ``float32``). A field missing from a schema fails too."""

from __future__ import annotations

import json
from typing import Any

from openams.gateway.app import Gateway
from openams.gateway.services.notification_events import sent_body
from tests.ams_client import AmsClient
from tests.gateway.integration.card_payloads import VISA, VISA_3DS
from tests.gateway.integration.test_wire_types import NUMBER, QUOTE, RESULT, STR, type_errors
from tests.gateway.integration.vaulting_payloads import session_body, vault_body

USER_NAME = {"firstName": STR, "middleName": STR, "lastName": STR, "fullName": STR}
CARD_DETAIL = {
    **{
        name: STR
        for name in (
            "cardToken",
            "maskedCardNo",
            "brand",
            "bin",
            "lastFour",
            "expiryMonth",
            "expiryYear",
            "funding",
            "issuingCountry",
        )
    },
    "cardholderName": USER_NAME,
}
METHOD_DETAIL = {"paymentMethodDetailType": STR, "paymentMethodType": STR, "card": CARD_DETAIL}
VAULT = {
    "result": RESULT,
    "vaultingRequestId": STR,
    "paymentMethodDetail": METHOD_DETAIL,
    "normalUrl": STR,
    "schemeUrl": STR,
    "applinkUrl": STR,
}
INQUIRE = {
    **VAULT,
    "vaultingStatus": STR,
    "vaultingResultCode": STR,
    "vaultingResultMessage": STR,
    "metadata": STR,
}
SESSION = {
    "result": RESULT,
    "vaultingSessionData": STR,
    "vaultingSessionId": STR,
    "vaultingSessionExpiryTime": STR,
    "normalUrl": STR,
}
NOTIFY = {
    "notifyType": STR,
    "result": RESULT,
    "vaultingRequestId": STR,
    "paymentMethodDetail": METHOD_DETAIL,
    "vaultingCreateTime": STR,
    "metadata": STR,
}
EXCHANGE = {
    "result": RESULT,
    "quotes": [QUOTE],
    "paymentQuotes": [
        {"buyCurrency": STR, "sellCurrency": STR, "quoteId": STR, "exchangeRate": NUMBER}
    ],
}


def _typed(body: dict[str, Any], schema: dict[str, Any]) -> None:
    assert type_errors(body, schema) == [], body


def test_vaulting_answers_and_notifications_have_the_sdk_types(
    ams: AmsClient, gateway: Gateway
) -> None:
    vaulted = vault_body(VISA)
    vaulted["metadata"] = '{"shop":"1"}'
    _typed(ams.call("vaults/vaultPaymentMethod", vaulted).body, VAULT)
    inquiry = ams.call(
        "vaults/inquireVaulting", {"vaultingRequestId": vaulted["vaultingRequestId"]}
    )
    _typed(inquiry.body, INQUIRE)
    assert inquiry.body["metadata"] == '{"shop":"1"}'
    challenged = vault_body(VISA_3DS)
    _typed(ams.call("vaults/vaultPaymentMethod", challenged).body, VAULT)
    _typed(
        ams.call(
            "vaults/inquireVaulting", {"vaultingRequestId": challenged["vaultingRequestId"]}
        ).body,
        INQUIRE,
    )
    _typed(ams.call("vaults/createVaultingSession", session_body()).body, SESSION)
    with gateway.store() as uow:
        vaulting = uow.vaultings.get_by_request_id(ams.client_id, vaulted["vaultingRequestId"])
        assert vaulting is not None
        [note] = uow.outbox.for_payment(ams.client_id, vaulting.vaulting_id)
    _typed(json.loads(sent_body(note).encode()), NOTIFY)


def test_exchange_rate_answers_have_the_sdk_types(ams: AmsClient) -> None:
    for body in (
        {"sellCurrency": "CNY", "buyCurrency": "USD"},
        {"paymentCurrency": "EUR"},
    ):
        reply = ams.call("payments/inquireExchangeRate", body)
        assert reply.code == "SUCCESS"
        assert reply.body["quotes"]
        _typed(reply.body, EXCHANGE)
