"""Card authorization and capture: AUTOMATIC and MANUAL capture, the 7-day window,
idempotency on captureRequestId, voids."""

from __future__ import annotations

from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import Any

import pytest

from openams.gateway.app import Gateway
from tests.ams_client import AmsClient
from tests.conftest import ShiftableClock
from tests.gateway.integration.card_payloads import VISA_3DS, card_meta, card_pay_body
from tests.gateway.integration.payloads import new_id, pay_body


def _kinds(gateway: Gateway, client_id: str, payment_id: str) -> Counter[str]:
    with gateway.store() as uow:
        return Counter(n.notify_type.value for n in uow.outbox.for_payment(client_id, payment_id))


def _notes(gateway: Gateway, client_id: str, payment_id: str, kind: str) -> list[Any]:
    with gateway.store() as uow:
        rows = uow.outbox.for_payment(client_id, payment_id)
    return [n for n in rows if n.notify_type.value == kind]


def _authorize(ams: AmsClient, mode: str | None = "MANUAL", value: str = "1000") -> dict[str, Any]:
    body = card_pay_body(card_meta(), authorization=True, capture_mode=mode, value=value)
    reply = ams.call("payments/pay", body)
    assert reply.code == "SUCCESS", reply.result
    return reply.body


def _capture(ams: AmsClient, payment_id: str, value: str = "1000", **extra: Any) -> Any:
    body = {
        "captureRequestId": extra.pop("request_id", None) or new_id("CAP"),
        "paymentId": payment_id,
        "captureAmount": {"currency": extra.pop("currency", "USD"), "value": value},
        **extra,
    }
    return ams.call("payments/capture", body)


def test_automatic_capture_follows_the_authorization(ams: AmsClient, gateway: Gateway) -> None:
    paid = _authorize(ams, mode=None)  # captureMode defaults to AUTOMATIC
    assert paid["authExpiryTime"]
    created = datetime.fromisoformat(paid["paymentTime"])
    assert datetime.fromisoformat(paid["authExpiryTime"]) - created == timedelta(days=7)
    assert _kinds(gateway, ams.client_id, paid["paymentId"]) == {
        "PAYMENT_RESULT": 1,
        "CAPTURE_RESULT": 1,
    }
    [note] = _notes(gateway, ams.client_id, paid["paymentId"], "CAPTURE_RESULT")
    assert note.url == "http://www.yourNotifyUrl.com"  # the payment's notify URL
    assert note.body["notifyType"] == "CAPTURE_RESULT"
    assert note.body["result"]["resultStatus"] == "S"
    assert note.body["paymentId"] == paid["paymentId"]
    assert note.body["captureAmount"] == {"currency": "USD", "value": "1000"}
    assert note.body["captureId"] and note.body["captureRequestId"] and note.body["captureTime"]
    inquiry = ams.call("payments/inquiryPayment", {"paymentId": paid["paymentId"]}).body
    assert inquiry["paymentStatus"] == "SUCCESS"
    [capture] = inquiry["transactions"]
    assert capture["transactionType"] == "CAPTURE"
    assert capture["transactionStatus"] == "SUCCESS"
    assert capture["transactionId"] == note.body["captureId"]
    # already captured: a capture call is refused, a cancel too (refund instead)
    assert _capture(ams, paid["paymentId"]).code == "ORDER_STATUS_INVALID"
    assert ams.call("payments/cancel", {"paymentId": paid["paymentId"]}).code == (
        "ORDER_STATUS_INVALID"
    )


def test_manual_capture_is_full_amount_and_idempotent(ams: AmsClient, gateway: Gateway) -> None:
    paid = _authorize(ams)
    payment_id = paid["paymentId"]
    assert _kinds(gateway, ams.client_id, payment_id) == {"PAYMENT_RESULT": 1}
    inquiry = ams.call("payments/inquiryPayment", {"paymentId": payment_id}).body
    assert inquiry["paymentStatus"] == "SUCCESS"  # an authorization is a successful payment
    assert "transactions" not in inquiry
    [note] = _notes(gateway, ams.client_id, payment_id, "PAYMENT_RESULT")
    assert note.body["result"]["resultStatus"] == "S" and note.body["authExpiryTime"]

    assert _capture(ams, payment_id, "999").code == "BUSINESS_NOT_SUPPORT"  # partial
    assert _capture(ams, payment_id, "1001").code == "CAPTURE_AMOUNT_EXCEED_AUTH_LIMIT"
    assert _capture(ams, payment_id, currency="EUR").code == "PARAM_ILLEGAL"
    assert _capture(ams, "40400000000000000").code == "ORDER_NOT_EXIST"

    request_id = new_id("CAP")
    first = _capture(ams, payment_id, request_id=request_id)
    assert first.code == "SUCCESS", first.result
    assert first.body["captureRequestId"] == request_id
    assert first.body["captureAmount"] == {"currency": "USD", "value": "1000"}
    assert first.body["captureTime"] and first.body["captureId"]
    again = _capture(ams, payment_id, request_id=request_id)
    assert again.body == first.body
    other = _capture(ams, payment_id, "500", request_id=request_id)
    assert other.code == "REPEAT_REQ_INCONSISTENT"
    assert _capture(ams, payment_id).code == "ORDER_STATUS_INVALID"  # captured once only
    assert _kinds(gateway, ams.client_id, payment_id) == {
        "PAYMENT_RESULT": 1,
        "CAPTURE_RESULT": 1,
    }
    [capture] = ams.call("payments/inquiryPayment", {"paymentId": payment_id}).body["transactions"]
    assert capture["transactionRequestId"] == request_id


def test_concurrent_captures_capture_once(
    ams: AmsClient, gateway: Gateway, requests_run: str
) -> None:
    paid = _authorize(ams)
    with ThreadPoolExecutor(max_workers=20) as pool:
        replies = list(pool.map(lambda _: _capture(ams, paid["paymentId"]), range(20)))
    codes = Counter(reply.code for reply in replies)
    assert codes == {"SUCCESS": 1, "ORDER_STATUS_INVALID": 19}, codes
    assert _kinds(gateway, ams.client_id, paid["paymentId"])["CAPTURE_RESULT"] == 1


def test_concurrent_identical_captures_answer_one_capture(
    ams: AmsClient, gateway: Gateway, requests_run: str
) -> None:
    """The same captureRequestId sent twenty times at once: every answer is the one
    capture (those that waited for the payment's lock find it there), never a refusal."""
    paid = _authorize(ams)
    request_id = new_id("CAP")
    with ThreadPoolExecutor(max_workers=20) as pool:
        replies = list(
            pool.map(lambda _: _capture(ams, paid["paymentId"], request_id=request_id), range(20))
        )
    assert Counter(reply.code for reply in replies) == {"SUCCESS": 20}, [r.result for r in replies]
    assert len({reply.body["captureId"] for reply in replies}) == 1
    assert _kinds(gateway, ams.client_id, paid["paymentId"])["CAPTURE_RESULT"] == 1


@pytest.mark.parametrize(
    ("seconds", "code"),
    [(7 * 24 * 3600 - 60, "SUCCESS"), (7 * 24 * 3600 + 60, "AUTH_EXPIRED")],
)
def test_capture_window_is_seven_days(
    ams: AmsClient, clock: ShiftableClock, seconds: int, code: str
) -> None:
    paid = _authorize(ams)
    clock.advance(seconds)
    reply = _capture(ams, paid["paymentId"])
    assert reply.code == code, reply.result
    inquiry = ams.call("payments/inquiryPayment", {"paymentId": paid["paymentId"]}).body
    if code == "AUTH_EXPIRED":
        assert inquiry["paymentStatus"] == "CANCELLED"
        assert inquiry["paymentResultCode"] == "AUTH_EXPIRED"
        assert _capture(ams, paid["paymentId"]).code == "AUTH_EXPIRED"
        assert ams.call("payments/cancel", {"paymentId": paid["paymentId"]}).code == (
            "AUTH_EXPIRED"
        )
    else:
        assert inquiry["paymentStatus"] == "SUCCESS"


def test_cancelling_an_uncaptured_authorization_voids_it(ams: AmsClient, gateway: Gateway) -> None:
    paid = _authorize(ams)
    cancel = ams.call("payments/cancel", {"paymentId": paid["paymentId"]})
    assert cancel.code == "SUCCESS", cancel.result
    inquiry = ams.call("payments/inquiryPayment", {"paymentId": paid["paymentId"]}).body
    assert inquiry["paymentStatus"] == "CANCELLED"
    assert _capture(ams, paid["paymentId"]).code == "AUTH_CANCELLED"
    refund = ams.call(
        "payments/refund",
        {
            "refundRequestId": new_id("RF"),
            "paymentId": paid["paymentId"],
            "refundAmount": {"currency": "USD", "value": "100"},
        },
    )
    assert refund.code == "ORDER_IS_CANCELED"
    again = ams.call("payments/cancel", {"paymentId": paid["paymentId"]})
    assert again.body["cancelTime"] == cancel.body["cancelTime"]
    assert _kinds(gateway, ams.client_id, paid["paymentId"]) == {"PAYMENT_RESULT": 1}


def test_uncaptured_authorization_cannot_be_refunded(ams: AmsClient) -> None:
    paid = _authorize(ams)
    reply = ams.call(
        "payments/refund",
        {
            "refundRequestId": new_id("RF"),
            "paymentId": paid["paymentId"],
            "refundAmount": {"currency": "USD", "value": "1000"},
        },
    )
    assert reply.code == "ORDER_STATUS_INVALID"
    assert "not captured" in reply.result["resultMessage"]


def test_capture_refusals_for_what_is_not_an_authorization(ams: AmsClient) -> None:
    sale = ams.call("payments/pay", card_pay_body(card_meta())).body
    assert _capture(ams, sale["paymentId"]).code == "ORDER_STATUS_INVALID"
    pending = ams.call(
        "payments/pay",
        card_pay_body(card_meta(VISA_3DS), authorization=True, capture_mode="MANUAL"),
    ).body
    reply = _capture(ams, pending["paymentId"])
    assert reply.code == "ORDER_STATUS_INVALID"
    assert "PROCESSING" in reply.result["resultMessage"]


def test_a_blank_request_id_or_payment_id_is_named(ams: AmsClient) -> None:
    paid = _authorize(ams)
    for reply, message in (
        (_capture(ams, paid["paymentId"], request_id=" "), "captureRequestId is required"),
        (_capture(ams, " "), "paymentId is required"),
    ):
        assert (reply.code, reply.result["resultMessage"]) == ("PARAM_ILLEGAL", message)
    inquiry = ams.call("payments/inquiryPayment", {"paymentId": paid["paymentId"]}).body
    assert "transactions" not in inquiry or inquiry["transactions"] == []  # nothing captured


def test_hosted_authorization_completes_through_the_same_path(
    ams: AmsClient, gateway: Gateway
) -> None:
    body = card_pay_body(authorization=True, capture_mode="MANUAL")
    paid = ams.call("payments/pay", body).body
    done = ams.call(
        "testHelpers/completePayment", {"paymentId": paid["paymentId"], "outcome": "SUCCESS"}
    )
    assert done.body["paymentStatus"] == "SUCCESS" and done.body["authExpiryTime"]
    again = ams.call(
        "testHelpers/completePayment", {"paymentId": paid["paymentId"], "outcome": "SUCCESS"}
    )
    assert again.code == "SUCCESS"
    assert _capture(ams, paid["paymentId"]).code == "SUCCESS"


@pytest.mark.parametrize(
    ("factor", "method", "code"),
    [
        ({"isAuthorization": True}, "ALIPAY_HK", "BUSINESS_NOT_SUPPORT"),
        ({"isAuthorization": True, "captureMode": "LATER"}, "CARD", "PARAM_ILLEGAL"),
        ({"captureMode": "MANUAL"}, "CARD", "PARAM_ILLEGAL"),
    ],
)
def test_payment_factor_is_checked(
    ams: AmsClient, factor: dict[str, Any], method: str, code: str
) -> None:
    currency, value = ("HKD", "100") if method == "ALIPAY_HK" else ("USD", "1000")
    body = pay_body(method=method, currency=currency, value=value, paymentFactor=factor)
    assert ams.call("payments/pay", body).code == code
