from __future__ import annotations

from tests.ams_client import AmsClient
from tests.gateway.integration.payloads import pay_body


def test_pay_returns_in_process_with_continuation(ams: AmsClient) -> None:
    body = pay_body()
    reply = ams.call("payments/pay", body)
    assert reply.result == {
        "resultCode": "PAYMENT_IN_PROCESS",
        "resultStatus": "U",
        "resultMessage": "payment in process",
    }
    assert reply.body["paymentRequestId"] == body["paymentRequestId"]
    assert len(reply.body["paymentId"]) == 34
    assert reply.body["paymentAmount"] == {"currency": "HKD", "value": "100"}
    assert reply.body["normalUrl"].startswith("http://gateway.test/cashier/")
    codes = {d["displayType"] for d in reply.body["orderCodeForm"]["codeDetails"]}
    assert codes == {"TEXT", "BIGIMAGE", "MIDDLEIMAGE", "SMALLIMAGE"}
    assert reply.headers["content-type"].startswith("application/json")
    assert "null" not in reply.raw.decode()


def test_inquiry_complete_and_cancel(ams: AmsClient) -> None:
    body = pay_body()
    paid = ams.call("payments/pay", body).body
    inquiry = ams.call("payments/inquiryPayment", {"paymentId": paid["paymentId"]})
    assert inquiry.code == "SUCCESS"
    assert inquiry.body["paymentStatus"] == "PROCESSING"
    done = ams.call(
        "testHelpers/completePayment",
        {"paymentRequestId": body["paymentRequestId"], "outcome": "SUCCESS"},
    )
    assert done.body["paymentStatus"] == "SUCCESS", done.body
    inquiry = ams.call("payments/inquiryPayment", {"paymentRequestId": body["paymentRequestId"]})
    assert inquiry.body["paymentStatus"] == "SUCCESS"
    assert "paymentTime" in inquiry.body
    replay = ams.call("payments/pay", body)
    assert replay.code == "SUCCESS"
    assert replay.body["paymentId"] == paid["paymentId"]
