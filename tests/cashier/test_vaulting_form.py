"""The hosted vaulting form in Chromium: a card saved through createVaultingSession with
its 3-D Secure challenge, then paid with its cardToken; the card number and CVV are
nowhere in the database or the logs afterwards."""

from __future__ import annotations

from typing import Any

import pytest

from openams.gateway.app import Gateway
from openams.gateway.domain.notification import NotifyType
from tests.ams_client import AmsClient
from tests.cashier.conftest import PHONE, REDIRECT_URL, Browsing
from tests.cashier.test_card_and_bank import NEXT_YEAR, fill_card
from tests.gateway.integration.card_payloads import card_pay_body
from tests.gateway.integration.payloads import new_id
from tests.gateway.integration.test_card_data_protection import (
    _database_bytes,
    _found,
    _spaced,
    all_logs,  # noqa: F401 - the fixture
)

CARD = "5555555555554444"
CVV = "864"
DECLINED = "4000000000000002"


def session(ams: AmsClient, **extra: Any) -> dict[str, Any]:
    body = {
        "paymentMethodType": "CARD",
        "vaultingRequestId": new_id("VSESSION"),
        "vaultingNotificationUrl": "https://merchant.example/notify",
        "redirectUrl": REDIRECT_URL,
        **extra,
    }
    reply = ams.call("vaults/createVaultingSession", body)
    assert reply.code == "SUCCESS", reply.body
    return {**reply.body, "vaultingRequestId": body["vaultingRequestId"]}


def inquire(ams: AmsClient, request_id: str) -> dict[str, Any]:
    reply = ams.call("vaults/inquireVaulting", {"vaultingRequestId": request_id})
    assert reply.code == "SUCCESS", reply.body
    return reply.body


@pytest.mark.parametrize(
    "device", [PHONE, {"viewport": {"width": 1280, "height": 800}}], ids=["390x844", "1280x800"]
)
def test_a_card_saved_on_the_hosted_form_with_3ds_pays_and_leaves_no_pan_or_cvv(
    ams: AmsClient,
    gateway: Gateway,
    browsing: Browsing,
    all_logs: pytest.LogCaptureFixture,  # noqa: F811
    device: dict[str, Any],
) -> None:
    created = session(ams, is3DSAuthentication=True)
    page = browsing.page(device)
    page.goto(created["normalUrl"])
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    browsing.shot(page, "vault-form")

    fill_card(page, _spaced(CARD)[:-1] + "5", cvv=CVV)  # a Luhn error, checked on the server
    page.get_by_test_id("save").click()
    assert "not valid" in page.locator('[data-error-for="number"]').inner_text()
    assert page.get_by_test_id("server-error").inner_text().count("Card number") == 1
    assert CARD[:-1] not in page.content()  # the number typed is not echoed back

    fill_card(page, _spaced(CARD), cvv=CVV)
    page.get_by_test_id("holder-name").fill("Ada Lovelace")
    page.get_by_test_id("save").click()
    assert page.get_by_test_id("last-four").inner_text() == "4444"
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    browsing.shot(page, "vault-3ds")
    assert inquire(ams, created["vaultingRequestId"])["vaultingStatus"] == "PROCESSING"
    page.get_by_test_id("otp").fill("123456")
    page.get_by_test_id("verify").click()
    page.wait_for_url(REDIRECT_URL)

    found = inquire(ams, created["vaultingRequestId"])
    assert found["vaultingStatus"] == "SUCCESS", found
    card = found["paymentMethodDetail"]["card"]
    assert card["maskedCardNo"] == "555555******4444" and card["brand"] == "MASTERCARD"
    assert card["cardholderName"] == {"fullName": "Ada Lovelace"}
    with gateway.store() as uow:
        vaulting = uow.vaultings.get_by_request_id(ams.client_id, created["vaultingRequestId"])
        assert vaulting is not None
        [note] = uow.outbox.for_payment(ams.client_id, vaulting.vaulting_id)
    assert note.notify_type is NotifyType.VAULTING_RESULT
    assert note.body["paymentMethodDetail"]["card"]["cardToken"] == card["cardToken"]

    paid = ams.call("payments/pay", card_pay_body(method_id=card["cardToken"], value="4200"))
    assert paid.code == "SUCCESS", paid.body
    assert paid.body["paymentResultInfo"]["lastFour"] == "4444"

    # the link is spent: the form is not shown again
    page.goto(created["normalUrl"])
    assert page.get_by_test_id("card-number").count() == 0

    stored = _database_bytes(gateway)
    logged = "\n".join(
        f"{record.name} {record.getMessage()} {record.exc_text or ''}"
        for record in all_logs.records
    ).encode()
    assert b"555555" in stored and b"INSERT INTO vaultings" in logged  # the search works
    for place, data in (("database", stored), ("logs", logged)):
        for number in (CARD, _spaced(CARD)):
            assert number.encode() not in data, f"card number {number} found in the {place}"
        assert not _found(CVV, data), f"CVV {CVV} found in the {place}"


def test_a_declined_card_returns_to_the_merchant_unsaved(
    ams: AmsClient, browsing: Browsing
) -> None:
    created = session(ams)
    page = browsing.page(PHONE)
    page.goto(created["normalUrl"])
    fill_card(page, _spaced(DECLINED), year=NEXT_YEAR)
    page.get_by_test_id("save").click()
    page.wait_for_url(REDIRECT_URL)
    found = inquire(ams, created["vaultingRequestId"])
    assert found["vaultingStatus"] == "FAIL" and found["vaultingResultCode"] == "PROCESS_FAIL"
    assert "cardToken" not in found["paymentMethodDetail"]["card"]
    page.goto(created["normalUrl"])
    assert "not saved" in page.get_by_test_id("link-error").inner_text()


def test_a_bad_link_is_a_page(browsing: Browsing, base_url: str) -> None:
    page = browsing.page()
    response = page.goto(f"{base_url}/vault/not-a-token")
    assert response is not None and response.status == 404
    assert page.get_by_test_id("link-error").is_visible()
