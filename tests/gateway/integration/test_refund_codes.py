"""Every refund refusal by its documented trigger (docs/sandbox.md, "Refunds and
captures"): a cancelled payment, a method that refuses refunds, partial refunds or a
second refund, and a merchant balance that cannot fund the refund."""

from __future__ import annotations

from typing import Any

import pytest

from openams.gateway.app import Gateway
from openams.gateway.domain.async_outcomes import BALANCE_SHORT_VALUE
from openams.gateway.methods.catalogue import TEST_ONE_REFUND_METHOD
from openams.protocol.results import RESULT_CODES, ResultStatus
from tests.ams_client import AmsClient, AmsReply
from tests.gateway.integration.card_payloads import card_meta, card_pay_body
from tests.gateway.integration.payloads import new_id, pay_body


def _paid(ams: AmsClient, **kwargs: Any) -> dict[str, Any]:
    paid = ams.call("payments/pay", pay_body(**kwargs)).body
    done = ams.call(
        "testHelpers/completePayment", {"paymentId": paid["paymentId"], "outcome": "SUCCESS"}
    )
    assert done.body["paymentStatus"] == "SUCCESS", done.body
    return paid


def _refund(
    ams: AmsClient, payment_id: str, value: str, currency: str = "HKD", **extra: Any
) -> AmsReply:
    body = {
        "refundRequestId": extra.pop("request_id", None) or new_id("RF"),
        "paymentId": payment_id,
        "refundAmount": {"currency": currency, "value": value},
        **extra,
    }
    return ams.call("payments/refund", body)


def _refund_notes(gateway: Gateway, client_id: str, payment_id: str) -> list[Any]:
    with gateway.store() as uow:
        rows = uow.outbox.for_payment(client_id, payment_id)
    return [n for n in rows if n.notify_type.value == "REFUND_RESULT"]


@pytest.mark.parametrize(
    ("code", "status"),
    [
        ("REFUND_NOT_SUPPORTED", ResultStatus.FAIL),
        ("PARTIAL_REFUND_NOT_SUPPORTED", ResultStatus.FAIL),
        ("MULTIPLE_REFUNDS_NOT_SUPPORTED", ResultStatus.FAIL),
        ("MERCHANT_BALANCE_NOT_ENOUGH", ResultStatus.FAIL),
        ("ORDER_IS_CANCELED", ResultStatus.FAIL),
        ("REFUND_IN_PROCESS", ResultStatus.UNKNOWN),
        ("CAPTURE_IN_PROCESS", ResultStatus.UNKNOWN),
    ],
)
def test_new_codes_are_catalogued(code: str, status: ResultStatus) -> None:
    assert RESULT_CODES[code].status is status


def test_refund_of_a_cancelled_payment_is_order_is_canceled(ams: AmsClient) -> None:
    reversed_ = _paid(ams)
    assert ams.call("payments/cancel", {"paymentId": reversed_["paymentId"]}).code == "SUCCESS"
    reply = _refund(ams, reversed_["paymentId"], "100")
    assert (reply.code, reply.result["resultStatus"]) == ("ORDER_IS_CANCELED", "F")
    assert reversed_["paymentId"] in reply.result["resultMessage"]
    # cancelled before the buyer paid
    unpaid = ams.call("payments/pay", pay_body()).body
    assert ams.call("payments/cancel", {"paymentId": unpaid["paymentId"]}).code == "SUCCESS"
    assert _refund(ams, unpaid["paymentId"], "100").code == "ORDER_IS_CANCELED"
    # a voided card authorization
    body = card_pay_body(card_meta(), authorization=True, capture_mode="MANUAL", value="1000")
    held = ams.call("payments/pay", body).body
    assert ams.call("payments/cancel", {"paymentId": held["paymentId"]}).code == "SUCCESS"
    assert _refund(ams, held["paymentId"], "1000", "USD").code == "ORDER_IS_CANCELED"
    # not cancelled, just unpaid: still ORDER_STATUS_INVALID
    open_ = ams.call("payments/pay", pay_body()).body
    assert _refund(ams, open_["paymentId"], "100").code == "ORDER_STATUS_INVALID"


@pytest.mark.parametrize("method", ["KONBINI", "SEVENELEVEN"])
def test_a_method_that_refuses_refunds(ams: AmsClient, gateway: Gateway, method: str) -> None:
    paid = _paid(ams, method=method, currency="JPY", value="1000")
    for value in ("1000", "10"):  # neither in full nor in part
        reply = _refund(ams, paid["paymentId"], value, "JPY")
        assert (reply.code, reply.result["resultStatus"]) == ("REFUND_NOT_SUPPORTED", "F")
        assert method in reply.result["resultMessage"]
    # with isAsyncRefund too: refused at once, never "in process"
    assert _refund(ams, paid["paymentId"], "1000", "JPY", isAsyncRefund=True).code == (
        "REFUND_NOT_SUPPORTED"
    )
    assert _refund_notes(gateway, ams.client_id, paid["paymentId"]) == []


@pytest.mark.parametrize("method", ["AU", "SOFTBANK"])
def test_a_method_that_refuses_partial_refunds(ams: AmsClient, method: str) -> None:
    paid = _paid(ams, method=method, currency="JPY", value="1000")
    partial = _refund(ams, paid["paymentId"], "999", "JPY")
    assert (partial.code, partial.result["resultStatus"]) == ("PARTIAL_REFUND_NOT_SUPPORTED", "F")
    full = _refund(ams, paid["paymentId"], "1000", "JPY")
    assert full.code == "SUCCESS", full.result


def test_a_method_that_allows_one_refund(ams: AmsClient, gateway: Gateway) -> None:
    paid = _paid(ams, method=TEST_ONE_REFUND_METHOD, value="1000")
    assert _refund(ams, paid["paymentId"], "300").code == "SUCCESS"  # partial is fine
    second = _refund(ams, paid["paymentId"], "300")
    assert (second.code, second.result["resultStatus"]) == ("MULTIPLE_REFUNDS_NOT_SUPPORTED", "F")
    assert len(_refund_notes(gateway, ams.client_id, paid["paymentId"])) == 1

    # a refund in process is the one refund; when it fails, the slot is free again
    other = _paid(ams, method=TEST_ONE_REFUND_METHOD, value="1000")
    first = _refund(ams, other["paymentId"], "400", isAsyncRefund=True)
    assert first.code == "REFUND_IN_PROCESS"
    assert _refund(ams, other["paymentId"], "100").code == "MULTIPLE_REFUNDS_NOT_SUPPORTED"
    failed = ams.call(
        "testHelpers/completeRefund", {"refundId": first.body["refundId"], "outcome": "FAIL"}
    )
    assert failed.body["refundStatus"] == "FAIL", failed.body
    assert _refund(ams, other["paymentId"], "100").code == "SUCCESS"


def test_merchant_balance_not_enough_by_its_magic_amount(ams: AmsClient, gateway: Gateway) -> None:
    paid = _paid(ams, value="5000")
    request_id = new_id("RF")
    short = str(BALANCE_SHORT_VALUE)
    reply = _refund(ams, paid["paymentId"], short, request_id=request_id)
    assert (reply.code, reply.result["resultStatus"]) == ("MERCHANT_BALANCE_NOT_ENOUGH", "F")
    assert "refundId" not in reply.body
    # nothing was recorded: no refund, no notification, the same answer again
    missing = ams.call("payments/inquiryRefund", {"refundRequestId": request_id})
    assert missing.code == "ORDER_NOT_EXIST"
    again = _refund(ams, paid["paymentId"], short, request_id=request_id)
    assert again.code == "MERCHANT_BALANCE_NOT_ENOUGH"
    assert _refund_notes(gateway, ams.client_id, paid["paymentId"]) == []
    # any other amount is funded, and the whole amount is still refundable
    assert _refund(ams, paid["paymentId"], str(BALANCE_SHORT_VALUE - 1)).code == "SUCCESS"
    rest = 5000 - (BALANCE_SHORT_VALUE - 1)
    assert _refund(ams, paid["paymentId"], str(rest)).code == "SUCCESS"
