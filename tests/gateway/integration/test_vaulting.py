"""Card vaulting over the AMS API: vaultPaymentMethod, createVaultingSession,
inquireVaulting, notifyVaulting, idempotency and the cardToken paying through pay."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from openams.gateway.app import Gateway
from openams.gateway.domain.notification import NotifyType
from openams.gateway.domain.simulation import THREE_DS_CODE
from tests.ams_client import AmsClient
from tests.conftest import ShiftableClock
from tests.gateway.integration.card_payloads import (
    MIR,
    VISA,
    VISA_3DS,
    VISA_DECLINED,
    card_pay_body,
)
from tests.gateway.integration.test_card_data_protection import (
    _database_bytes,
    _found,
    _spaced,
    all_logs,  # noqa: F401 - the fixture
)
from tests.gateway.integration.vaulting_payloads import NOTIFY_URL, session_body, vault_body

THREE_DS_ALWAYS_FAILS = "4000000000003063"


def notifications(gateway: Gateway, client_id: str, request_id: str) -> list[Any]:
    with gateway.store() as uow:
        vaulting = uow.vaultings.get_by_request_id(client_id, request_id)
        assert vaulting is not None
        return uow.outbox.for_payment(client_id, vaulting.vaulting_id)


def inquire(ams: AmsClient, request_id: str) -> dict[str, Any]:
    reply = ams.call("vaults/inquireVaulting", {"vaultingRequestId": request_id})
    assert reply.code == "SUCCESS", reply.body
    return reply.body


def test_a_card_is_vaulted_and_its_token_pays(ams: AmsClient, gateway: Gateway) -> None:
    body = vault_body(VISA)
    reply = ams.call("vaults/vaultPaymentMethod", body)
    assert reply.code == "SUCCESS" and reply.result["resultStatus"] == "S", reply.body
    assert reply.body["vaultingRequestId"] == body["vaultingRequestId"]
    detail = reply.body["paymentMethodDetail"]
    assert detail["paymentMethodType"] == "CARD"
    card = detail["card"]
    assert card["maskedCardNo"] == "411111******1111" and card["brand"] == "VISA"
    assert card["lastFour"] == "1111" and card["cardholderName"] == {"fullName": "Alan Wallex"}
    token = card["cardToken"]
    assert "cardNo" not in card and "cvv" not in card

    found = inquire(ams, body["vaultingRequestId"])
    assert found["vaultingStatus"] == "SUCCESS" and found["vaultingResultCode"] == "SUCCESS"
    assert found["paymentMethodDetail"] == detail
    assert "normalUrl" not in found

    [note] = notifications(gateway, ams.client_id, body["vaultingRequestId"])
    assert note.notify_type is NotifyType.VAULTING_RESULT and note.url == NOTIFY_URL
    assert note.body["notifyType"] == "VAULTING_RESULT"
    assert note.body["result"]["resultStatus"] == "S"
    assert note.body["vaultingRequestId"] == body["vaultingRequestId"]
    assert note.body["paymentMethodDetail"]["card"]["cardToken"] == token
    assert note.body["vaultingCreateTime"]

    paid = ams.call("payments/pay", card_pay_body(method_id=token, value="2500"))
    assert paid.code == "SUCCESS", paid.body
    assert paid.body["paymentResultInfo"]["cardToken"] == token
    assert paid.body["paymentResultInfo"]["lastFour"] == "1111"


def test_the_identical_resend_is_answered_from_what_is_stored(
    ams: AmsClient, gateway: Gateway
) -> None:
    body = vault_body(VISA)
    first = ams.call("vaults/vaultPaymentMethod", body)
    again = ams.call("vaults/vaultPaymentMethod", body)
    assert again.body == first.body
    assert len(notifications(gateway, ams.client_id, body["vaultingRequestId"])) == 1


@pytest.mark.parametrize(
    "change",
    [
        {"cardNo": "5555555555554444"},
        {"expiryMonth": "11"},
    ],
)
def test_the_same_vaulting_request_id_with_another_card_is_inconsistent(
    ams: AmsClient, change: dict[str, str]
) -> None:
    body = vault_body(VISA)
    assert ams.call("vaults/vaultPaymentMethod", body).code == "SUCCESS"
    other = vault_body(request_id=body["vaultingRequestId"], **{"card_no": VISA})
    other["paymentMethodDetail"]["card"].update(change)
    reply = ams.call("vaults/vaultPaymentMethod", other)
    assert reply.code == "REPEAT_REQ_INCONSISTENT" and reply.result["resultStatus"] == "F"


def test_a_session_id_reused_for_a_card_is_inconsistent(ams: AmsClient) -> None:
    session = session_body()
    assert ams.call("vaults/createVaultingSession", session).code == "SUCCESS"
    card = vault_body(request_id=session["vaultingRequestId"])
    assert ams.call("vaults/vaultPaymentMethod", card).code == "REPEAT_REQ_INCONSISTENT"


def test_a_declined_card_is_not_vaulted(ams: AmsClient, gateway: Gateway) -> None:
    body = vault_body(VISA_DECLINED)
    reply = ams.call("vaults/vaultPaymentMethod", body)
    assert reply.code == "PROCESS_FAIL" and reply.result["resultStatus"] == "F"
    assert "cardToken" not in reply.body["paymentMethodDetail"]["card"]
    found = inquire(ams, body["vaultingRequestId"])
    assert found["vaultingStatus"] == "FAIL" and found["vaultingResultCode"] == "PROCESS_FAIL"
    [note] = notifications(gateway, ams.client_id, body["vaultingRequestId"])
    assert note.body["result"]["resultStatus"] == "F"
    assert note.body["result"]["resultCode"] == "PROCESS_FAIL"


@pytest.mark.parametrize(
    ("card", "code"),
    [
        ({"card_no": "4111111111111112"}, "INVALID_PAYMENT_METHOD_META_DATA"),
        ({"card_no": MIR}, "BUSINESS_NOT_SUPPORT"),
        ({"card_no": VISA, "cvv": "12"}, "INVALID_PAYMENT_METHOD_META_DATA"),
        ({"card_no": VISA, "year": "20"}, "INVALID_PAYMENT_METHOD_META_DATA"),
    ],
)
def test_bad_cards_are_refused_without_a_vaulting(
    ams: AmsClient, card: dict[str, Any], code: str
) -> None:
    body = vault_body(**card)
    reply = ams.call("vaults/vaultPaymentMethod", body)
    assert reply.code == code, reply.body
    assert "paymentMethodDetail.card" in reply.result["resultMessage"] or code != (
        "INVALID_PAYMENT_METHOD_META_DATA"
    )
    assert card["card_no"] not in reply.result["resultMessage"]
    gone = ams.call("vaults/inquireVaulting", {"vaultingRequestId": body["vaultingRequestId"]})
    assert gone.code == "VAULTING_NOT_EXIST"


@pytest.mark.parametrize(
    ("field", "value", "words"),
    [
        ("vaultingRequestId", None, "vaultingRequestId is required"),
        ("vaultingNotificationUrl", None, "vaultingNotificationUrl is required"),
        ("vaultingNotificationUrl", "ftp://x.example/n", "not an http or https URL"),
        ("redirectUrl", None, "redirectUrl is required"),
        ("paymentMethodDetail", None, "paymentMethodDetail is required"),
    ],
)
def test_missing_fields_are_param_illegal(
    ams: AmsClient, field: str, value: str | None, words: str
) -> None:
    body = vault_body()
    if value is None:
        del body[field]
    else:
        body[field] = value
    reply = ams.call("vaults/vaultPaymentMethod", body)
    assert reply.code == "PARAM_ILLEGAL" and words in reply.result["resultMessage"]


def test_a_3ds_card_waits_for_its_challenge_then_is_vaulted(
    ams: AmsClient, gateway: Gateway, http: Any
) -> None:
    body = vault_body(VISA_3DS)
    reply = ams.call("vaults/vaultPaymentMethod", body)
    assert reply.code == "VERIFICATION_IN_PROCESS" and reply.result["resultStatus"] == "U"
    assert "cardToken" not in reply.body["paymentMethodDetail"]["card"]
    url = reply.body["normalUrl"]
    found = inquire(ams, body["vaultingRequestId"])
    assert found["vaultingStatus"] == "PROCESSING" and found["normalUrl"] == url
    assert notifications(gateway, ams.client_id, body["vaultingRequestId"]) == []
    # the identical resend gets the same answer while the buyer has not answered
    assert ams.call("vaults/vaultPaymentMethod", body).body == reply.body

    token = url.rsplit("/", 1)[1]
    view = gateway.vaultings.answer_challenge(token, THREE_DS_CODE)
    assert view.status.value == "SUCCESS"
    found = inquire(ams, body["vaultingRequestId"])
    assert found["vaultingStatus"] == "SUCCESS"
    card_token = found["paymentMethodDetail"]["card"]["cardToken"]
    [note] = notifications(gateway, ams.client_id, body["vaultingRequestId"])
    assert note.body["result"]["resultCode"] == "SUCCESS"
    # the 3-D Secure test card is challenged again when its token pays
    paid = ams.call("payments/pay", card_pay_body(method_id=card_token))
    assert paid.code == "PAYMENT_IN_PROCESS", paid.body


def test_is3ds_authentication_challenges_any_card_and_a_wrong_code_fails(
    ams: AmsClient, gateway: Gateway
) -> None:
    body = vault_body(VISA, is3DSAuthentication=True)
    reply = ams.call("vaults/vaultPaymentMethod", body)
    assert reply.code == "VERIFICATION_IN_PROCESS"
    token = reply.body["normalUrl"].rsplit("/", 1)[1]
    gateway.vaultings.answer_challenge(token, "000000")
    found = inquire(ams, body["vaultingRequestId"])
    assert found["vaultingStatus"] == "FAIL"
    assert found["vaultingResultCode"] == "USER_PAYMENT_VERIFICATION_FAILED"
    [note] = notifications(gateway, ams.client_id, body["vaultingRequestId"])
    assert note.body["result"]["resultCode"] == "USER_PAYMENT_VERIFICATION_FAILED"


def test_the_always_failing_3ds_card_fails_after_its_challenge(
    ams: AmsClient, gateway: Gateway
) -> None:
    reply = ams.call("vaults/vaultPaymentMethod", vault_body(THREE_DS_ALWAYS_FAILS))
    token = reply.body["normalUrl"].rsplit("/", 1)[1]
    view = gateway.vaultings.answer_challenge(token, THREE_DS_CODE)
    assert view.status.value == "FAIL"
    assert view.result_code == "USER_PAYMENT_VERIFICATION_FAILED"


def test_a_session_answers_a_hosted_form_and_replays(ams: AmsClient) -> None:
    body = session_body()
    reply = ams.call("vaults/createVaultingSession", body)
    assert reply.code == "SUCCESS", reply.body
    for key in ("vaultingSessionData", "vaultingSessionId", "vaultingSessionExpiryTime"):
        assert isinstance(reply.body[key], str) and reply.body[key]
    assert "/vault/" in reply.body["normalUrl"]
    assert ams.call("vaults/createVaultingSession", body).body == reply.body
    found = inquire(ams, body["vaultingRequestId"])
    assert found["vaultingStatus"] == "PROCESSING" and found["normalUrl"] == reply.body["normalUrl"]
    other = {**body, "redirectUrl": "https://elsewhere.example/"}
    assert ams.call("vaults/createVaultingSession", other).code == "REPEAT_REQ_INCONSISTENT"
    wrong = session_body(paymentMethodType="ALIPAY_HK")
    assert ams.call("vaults/createVaultingSession", wrong).code == "PARAM_ILLEGAL"


def test_an_abandoned_session_fails_and_its_resend_is_closed(
    ams: AmsClient, clock: ShiftableClock
) -> None:
    body = session_body()
    assert ams.call("vaults/createVaultingSession", body).code == "SUCCESS"
    clock.advance(3601)
    found = inquire(ams, body["vaultingRequestId"])
    assert found["vaultingStatus"] == "FAIL" and found["vaultingResultCode"] == "ORDER_IS_CLOSED"
    assert "normalUrl" not in found
    assert ams.call("vaults/createVaultingSession", body).code == "ORDER_IS_CLOSED"


def test_vaultings_belong_to_their_merchant(ams: AmsClient, other_ams: AmsClient) -> None:
    body = vault_body()
    reply = ams.call("vaults/vaultPaymentMethod", body)
    token = reply.body["paymentMethodDetail"]["card"]["cardToken"]
    stranger = other_ams.call(
        "vaults/inquireVaulting", {"vaultingRequestId": body["vaultingRequestId"]}
    )
    assert stranger.code == "VAULTING_NOT_EXIST"
    foreign = other_ams.call("payments/pay", card_pay_body(method_id=token))
    assert foreign.code == "INVALID_PAYMENT_METHOD_META_DATA"


def test_unknown_vaulting_is_not_exist(ams: AmsClient) -> None:
    reply = ams.call("vaults/inquireVaulting", {"vaultingRequestId": "NOPE"})
    assert reply.code == "VAULTING_NOT_EXIST" and reply.result["resultStatus"] == "F"
    assert ams.call("vaults/inquireVaulting", {}).code == "PARAM_ILLEGAL"


def test_concurrent_identical_vaultings_make_one_token_and_one_notification(
    ams: AmsClient, gateway: Gateway
) -> None:
    body = vault_body(VISA)
    with ThreadPoolExecutor(max_workers=40) as pool:
        replies = list(pool.map(lambda _: ams.call("vaults/vaultPaymentMethod", body), range(40)))
    assert {reply.code for reply in replies} == {"SUCCESS"}
    tokens = {reply.body["paymentMethodDetail"]["card"]["cardToken"] for reply in replies}
    assert len(tokens) == 1
    assert len(notifications(gateway, ams.client_id, body["vaultingRequestId"])) == 1
    with gateway.store() as uow:
        [token] = tokens
        assert uow.cards.get(ams.client_id, token) is not None


def test_server_to_server_vaulting_stores_and_logs_no_pan_or_cvv(
    ams: AmsClient,
    gateway: Gateway,
    all_logs: pytest.LogCaptureFixture,  # noqa: F811
) -> None:
    cvv = "739"
    for number in (VISA, VISA_3DS, VISA_DECLINED):
        body = vault_body(_spaced(number), cvv=cvv)
        assert ams.call("vaults/vaultPaymentMethod", body).result["resultStatus"] in "SUF"
        assert ams.call("vaults/vaultPaymentMethod", body).code  # the resend too
    refused = ams.call("vaults/vaultPaymentMethod", vault_body(VISA, cvv=cvv + "1"))
    assert refused.code == "INVALID_PAYMENT_METHOD_META_DATA"
    stored = _database_bytes(gateway)
    logged = "\n".join(
        f"{record.name} {record.getMessage()} {record.exc_text or ''}"
        for record in all_logs.records
    ).encode()
    assert b"411111******1111" in stored and b"INSERT INTO vaultings" in logged
    for place, data in (("database", stored), ("logs", logged)):
        for number in (VISA, VISA_3DS, VISA_DECLINED):
            assert number.encode() not in data, f"card number {number} found in the {place}"
            assert _spaced(number).encode() not in data, f"{_spaced(number)} in the {place}"
        assert not _found(cvv, data), f"CVV found in the {place}"
        for key in (b'"cvv"', b"'cvv'"):
            assert key not in data.lower(), f"a cvv field found in the {place}"
