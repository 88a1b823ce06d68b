"""Server-to-server card payments: card checks, brands, test cards, 3DS, tokens."""

from __future__ import annotations

from typing import Any

import pytest

from openams.gateway.app import Gateway
from openams.gateway.domain.notification import NotifyType
from openams.gateway.domain.simulation import card_decision
from tests.ams_client import AmsClient
from tests.conftest import ShiftableClock
from tests.gateway.integration.card_payloads import (
    AMEX,
    MIR,
    QUICKSTART_SAMPLE,
    VISA,
    VISA_3DS,
    VISA_DECLINED,
    VISA_NO_FUNDS,
    card_meta,
    card_pay_body,
    future_year,
)

#: The test card whose 3-D Secure challenge always fails.
THREE_DS_FAILS = "4000000000003063"


def _notifications(gateway: Gateway, client_id: str, payment_id: str) -> list[Any]:
    with gateway.store() as uow:
        return uow.outbox.for_payment(client_id, payment_id)


def test_test_card_pays_at_once_with_a_full_payment_result_info(
    ams: AmsClient, gateway: Gateway
) -> None:
    body = card_pay_body(card_meta(VISA))
    reply = ams.call("payments/pay", body)
    assert reply.code == "SUCCESS" and reply.result["resultStatus"] == "S", reply.body
    assert reply.body["paymentTime"]
    info = reply.body["paymentResultInfo"]
    assert info["cardNo"] == "411111******1111"
    assert info["cardBrand"] == "VISA"
    assert info["cardBin"] == "411111" and info["lastFour"] == "1111"
    assert info["funding"] and info["issuingCountry"]
    assert info["cardholderName"] == "Alan Wallex"
    assert info["threeDSResult"]["challenged"] is False
    assert "cardToken" not in info  # tokenize not asked
    inquiry = ams.call("payments/inquiryPayment", {"paymentId": reply.body["paymentId"]})
    assert inquiry.body["paymentStatus"] == "SUCCESS"
    assert inquiry.body["paymentResultInfo"] == info
    [note] = _notifications(gateway, ams.client_id, reply.body["paymentId"])
    assert note.notify_type is NotifyType.PAYMENT_RESULT
    assert note.body["result"]["resultStatus"] == "S"
    assert note.body["paymentResultInfo"]["cardNo"] == "411111******1111"
    # a repeat of the same request returns the same success
    assert ams.call("payments/pay", body).body == reply.body


@pytest.mark.parametrize(
    ("number", "brand"),
    [
        (VISA, "VISA"),
        ("5555555555554444", "MASTERCARD"),
        (AMEX, "AMEX"),
        ("3530111333300000", "JCB"),
        ("36227206271667", "DINERS"),
        ("6011111111111117", "DISCOVER"),
        ("6200000000000005", "CUP"),
    ],
)
def test_brand_is_detected_from_the_number(ams: AmsClient, number: str, brand: str) -> None:
    cvv = "9187" if brand == "AMEX" else "918"
    reply = ams.call("payments/pay", card_pay_body(card_meta(number, cvv=cvv)))
    assert reply.code == "SUCCESS", reply.result
    assert reply.body["paymentResultInfo"]["cardBrand"] == brand
    assert reply.body["paymentResultInfo"]["lastFour"] == number[-4:]


@pytest.mark.parametrize(
    ("meta", "code", "words"),
    [
        (card_meta("4111111111111112"), "INVALID_PAYMENT_METHOD_META_DATA", "Luhn"),
        (card_meta(QUICKSTART_SAMPLE), "INVALID_PAYMENT_METHOD_META_DATA", "Luhn"),
        (card_meta("41111"), "INVALID_PAYMENT_METHOD_META_DATA", "12 to 19 digits"),
        (card_meta(year="20"), "INVALID_PAYMENT_METHOD_META_DATA", "expired"),
        (card_meta(month="13"), "INVALID_PAYMENT_METHOD_META_DATA", "01 to 12"),
        (card_meta(cvv="12"), "INVALID_PAYMENT_METHOD_META_DATA", "3 digits"),
        (card_meta(AMEX, cvv="918"), "INVALID_PAYMENT_METHOD_META_DATA", "4 digits"),
        (card_meta(cvv=None), "INVALID_PAYMENT_METHOD_META_DATA", "cvv is required"),
        (card_meta(MIR), "BUSINESS_NOT_SUPPORT", "brand is not supported"),
        (card_meta(tokenize="maybe"), "INVALID_PAYMENT_METHOD_META_DATA", "true or false"),
    ],
)
def test_each_failed_card_check_has_a_clear_result(
    ams: AmsClient, gateway: Gateway, meta: dict[str, Any], code: str, words: str
) -> None:
    body = card_pay_body(meta)
    reply = ams.call("payments/pay", body)
    assert reply.code == code, reply.result
    assert reply.result["resultStatus"] == "F"
    message = reply.result["resultMessage"]
    assert words in message, message
    assert meta["cardNo"] not in message
    # refused before any payment exists
    inquiry = ams.call("payments/inquiryPayment", {"paymentRequestId": body["paymentRequestId"]})
    assert inquiry.code == "ORDER_NOT_EXIST"


def test_card_data_with_another_method_or_with_a_token_is_refused(ams: AmsClient) -> None:
    wallet = card_pay_body(card_meta())
    wallet["paymentMethod"]["paymentMethodType"] = "ALIPAY_HK"
    wallet["paymentAmount"] = wallet["order"]["orderAmount"] = {"currency": "HKD", "value": "100"}
    assert ams.call("payments/pay", wallet).code == "INVALID_PAYMENT_METHOD_META_DATA"
    both = card_pay_body(card_meta(), method_id="CT0123")
    assert ams.call("payments/pay", both).code == "PARAM_ILLEGAL"


@pytest.mark.parametrize(
    ("number", "code"),
    [(VISA_DECLINED, "PROCESS_FAIL"), (VISA_NO_FUNDS, "USER_BALANCE_NOT_ENOUGH")],
)
def test_declining_test_cards_fail_the_payment(
    ams: AmsClient, gateway: Gateway, number: str, code: str
) -> None:
    body = card_pay_body(card_meta(number, tokenize=True))
    reply = ams.call("payments/pay", body)
    assert reply.code == code and reply.result["resultStatus"] == "F", reply.body
    assert reply.body["paymentId"]
    assert "cardToken" not in reply.body["paymentResultInfo"]  # a declined card is not saved
    inquiry = ams.call("payments/inquiryPayment", {"paymentId": reply.body["paymentId"]})
    assert inquiry.body["paymentStatus"] == "FAIL"
    assert inquiry.body["paymentResultCode"] == code
    [note] = _notifications(gateway, ams.client_id, reply.body["paymentId"])
    assert note.body["result"]["resultCode"] == code
    assert ams.call("payments/pay", body).code == "ORDER_IS_CLOSED"


def test_risk_reject_amount_applies_to_cards(ams: AmsClient) -> None:
    reply = ams.call("payments/pay", card_pay_body(card_meta(VISA_3DS), value="11"))
    assert reply.code == "RISK_REJECT", reply.result


def test_3ds_test_card_waits_for_the_challenge(ams: AmsClient, gateway: Gateway) -> None:
    body = card_pay_body(card_meta(VISA_3DS))
    reply = ams.call("payments/pay", body)
    assert reply.code == "PAYMENT_IN_PROCESS" and reply.result["resultStatus"] == "U"
    assert reply.body["normalUrl"].startswith("http://gateway.test/")
    assert reply.body["redirectActionForm"]["redirectUrl"] == reply.body["normalUrl"]
    assert "threeDSResult" not in reply.body["paymentResultInfo"]
    assert _notifications(gateway, ams.client_id, reply.body["paymentId"]) == []
    done = ams.call(
        "testHelpers/completePayment", {"paymentId": reply.body["paymentId"], "outcome": "SUCCESS"}
    )
    assert done.body["paymentStatus"] == "SUCCESS"
    three_ds = done.body["paymentResultInfo"]["threeDSResult"]
    assert three_ds["challenged"] is True and three_ds["liabilityShift"] is True
    [note] = _notifications(gateway, ams.client_id, reply.body["paymentId"])
    assert note.body["paymentResultInfo"]["threeDSResult"]["challenged"] is True


def test_tokenize_returns_a_card_token_a_later_pay_accepts(ams: AmsClient) -> None:
    first = ams.call("payments/pay", card_pay_body(card_meta(AMEX, cvv="9187", tokenize=True)))
    assert first.code == "SUCCESS", first.result
    token = first.body["paymentResultInfo"]["cardToken"]
    assert token
    again = ams.call("payments/pay", card_pay_body(method_id=token, value="2500"))
    assert again.code == "SUCCESS", again.result
    info = again.body["paymentResultInfo"]
    assert info["cardToken"] == token
    assert (info["cardBrand"], info["lastFour"], info["cardBin"]) == ("AMEX", "0005", "378282")
    assert again.body["paymentAmount"] == {"currency": "USD", "value": "2500"}


def test_token_keeps_the_test_cards_behaviour(ams: AmsClient) -> None:
    first = ams.call("payments/pay", card_pay_body(card_meta(VISA_3DS, tokenize=True)))
    assert first.code == "PAYMENT_IN_PROCESS"
    token = first.body["paymentResultInfo"]["cardToken"]
    again = ams.call("payments/pay", card_pay_body(method_id=token))
    assert again.code == "PAYMENT_IN_PROCESS"  # challenged again


def test_a_saved_card_keeps_the_decline_its_challenge_held_back(
    ams: AmsClient, gateway: Gateway
) -> None:
    """A card that asks for 3-D Secure and then fails it is saved before the challenge
    (tokenize=true): its record keeps the issuer's decline, code and message, as the
    issuer gave them; a payment with its token is challenged again."""
    first = ams.call("payments/pay", card_pay_body(card_meta(THREE_DS_FAILS, tokenize=True)))
    assert first.code == "PAYMENT_IN_PROCESS", first.result
    token = first.body["paymentResultInfo"]["cardToken"]
    with gateway.store() as uow:
        saved = uow.cards.get(ams.client_id, token)
    assert saved is not None and saved.three_ds
    issuer = card_decision(0, THREE_DS_FAILS)
    assert (saved.decline_code, saved.decline_message) == (
        issuer.result_code,
        issuer.result_message,
    )
    assert saved.decline_message != saved.decline_code
    again = ams.call("payments/pay", card_pay_body(method_id=token))
    assert again.code == "PAYMENT_IN_PROCESS", again.result


def test_unknown_or_foreign_card_token_is_refused(ams: AmsClient, other_ams: AmsClient) -> None:
    reply = ams.call("payments/pay", card_pay_body(method_id="CT_not_a_token"))
    assert reply.code == "INVALID_PAYMENT_METHOD_META_DATA"
    assert "cardToken" in reply.result["resultMessage"]
    mine = ams.call("payments/pay", card_pay_body(card_meta(tokenize=True)))
    token = mine.body["paymentResultInfo"]["cardToken"]
    assert other_ams.call("payments/pay", card_pay_body(method_id=token)).code == (
        "INVALID_PAYMENT_METHOD_META_DATA"
    )


def test_card_token_of_a_card_that_has_expired_since(ams: AmsClient, clock: ShiftableClock) -> None:
    meta = card_meta(month="01", year=future_year(1), tokenize=True)
    saved = ams.call("payments/pay", card_pay_body(meta))
    assert saved.code == "SUCCESS", saved.result
    token = saved.body["paymentResultInfo"]["cardToken"]
    clock.advance(2 * 366 * 24 * 3600)
    reply = ams.call("payments/pay", card_pay_body(method_id=token))
    assert reply.code == "INVALID_PAYMENT_METHOD_META_DATA"
    assert "expired" in reply.result["resultMessage"]


def test_hosted_card_payment_without_card_data_still_goes_to_the_cashier(ams: AmsClient) -> None:
    reply = ams.call("payments/pay", card_pay_body())
    assert reply.code == "PAYMENT_IN_PROCESS"
    assert reply.body["normalUrl"]
    assert "paymentResultInfo" not in reply.body
