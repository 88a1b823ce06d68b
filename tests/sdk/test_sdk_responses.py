"""Response side: every answer is verified before anything is parsed; raise vs return."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from openams.protocol.models import (
    CancelResponse,
    InquiryPaymentResponse,
    PayRequest,
    PayResponse,
    RefundResponse,
)
from openams.sdk import (
    ApiError,
    Client,
    HTTPStatusError,
    MessageFormatError,
    SignatureVerificationError,
    TransportError,
)
from tests.sdk.fake_gateway import ClientFactory, FakeGateway, Keys, Reply, ams_result, pay_body

IN_PROCESS = ams_result(
    "PAYMENT_IN_PROCESS",
    paymentRequestId="PAY_0001",
    paymentId="2024011519401080010018864029828344",
    paymentCreateTime="2024-01-15T01:20:46-08:00",
    normalUrl="https://gw.example/checkout?codeValue=1",
)


USD_1 = {"currency": "USD", "value": "1"}


def _flip_last_digit(body: bytes) -> bytes:
    return body.replace(b"2024", b"2025", 1)


# ------------------------------------------------------------ verification

BROKEN_REPLIES: dict[str, Reply] = {
    "unsigned": Reply(body=IN_PROCESS, sign=False),
    "no signature header": Reply(body=IN_PROCESS, omit_headers=("signature",)),
    "no response-time header": Reply(body=IN_PROCESS, omit_headers=("response-time",)),
    "no client-id header": Reply(body=IN_PROCESS, omit_headers=("client-id",)),
    "tampered body": Reply(body=IN_PROCESS, tamper=_flip_last_digit),
    "signed by another key": Reply(body=IN_PROCESS, signing_key=None),  # key set in the test
    "client-id of another merchant": Reply(body=IN_PROCESS, client_id="SOMEONE_ELSE"),
}


@pytest.mark.parametrize("case", sorted(BROKEN_REPLIES))
def test_unverifiable_responses_raise_and_return_nothing(
    case: str, client: Client, fake: FakeGateway, keys: Keys
) -> None:
    reply = BROKEN_REPLIES[case]
    if case == "signed by another key":
        reply = Reply(body=IN_PROCESS, signing_key=keys.stranger.private_key)
    fake.enqueue("pay", reply)
    with pytest.raises(SignatureVerificationError) as caught:
        client.pay(pay_body())
    assert caught.value.path == "/ams/api/v1/payments/pay"
    assert "2024011519401080010018864029828344" not in str(caught.value)
    assert not hasattr(caught.value, "response")
    assert len(fake.requests) == 1  # never retried


def test_unsigned_failure_is_rejected_too(client: Client, fake: FakeGateway) -> None:
    # The official SDK tolerates unsigned F/U answers; we verify every answer.
    fake.enqueue("pay", Reply(body=ams_result("PARAM_ILLEGAL"), sign=False))
    with pytest.raises(SignatureVerificationError):
        client.pay(pay_body())


def test_tampered_response_time_is_rejected(client: Client, fake: FakeGateway) -> None:
    fake.enqueue("pay", Reply(body=IN_PROCESS, sent_response_time="2024-05-01T08:00:02+00:00"))
    with pytest.raises(SignatureVerificationError):
        client.pay(pay_body())


def test_malformed_signature_header_is_a_verification_error(
    client: Client, fake: FakeGateway
) -> None:
    fake.enqueue(
        "pay", Reply(body=IN_PROCESS, header_names=("x-signature", "response-time", "client-id"))
    )
    with pytest.raises(SignatureVerificationError, match="'signature'"):
        client.pay(pay_body())


def test_response_header_names_are_case_insensitive(client: Client, fake: FakeGateway) -> None:
    fake.enqueue(
        "pay", Reply(body=IN_PROCESS, header_names=("Signature", "Response-Time", "Client-Id"))
    )
    assert client.pay(pay_body()).payment_id == "2024011519401080010018864029828344"


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_any_changed_byte_is_rejected(
    client: Client, fake: FakeGateway, data: st.DataObject
) -> None:
    raw = json.dumps(IN_PROCESS).encode()
    index = data.draw(st.integers(0, len(raw) - 1))
    new = data.draw(st.integers(0, 255).filter(lambda b: b != raw[index]))

    def tamper(body: bytes) -> bytes:
        return body[:index] + bytes([new]) + body[index + 1 :]

    fake.enqueue("pay", Reply(body=raw, tamper=tamper))
    with pytest.raises(SignatureVerificationError):
        client.pay(pay_body())


def test_non_200_is_an_http_error_checked_before_the_signature(
    client: Client, fake: FakeGateway
) -> None:
    fake.enqueue("pay", Reply(body=b"<html>bad gateway</html>", status_code=500, sign=False))
    with pytest.raises(HTTPStatusError) as caught:
        client.pay(pay_body())
    assert caught.value.status_code == 500
    assert isinstance(caught.value, TransportError)
    assert len(fake.requests) == 1


def test_signed_garbage_is_a_format_error(client: Client, fake: FakeGateway) -> None:
    fake.enqueue("pay", Reply(body=b"not json"))
    with pytest.raises(MessageFormatError, match="not JSON"):
        client.pay(pay_body())
    fake.enqueue("pay", Reply(body=b"[1, 2]"))
    with pytest.raises(MessageFormatError, match="object"):
        client.pay(pay_body())
    fake.enqueue("pay", Reply(body={"paymentId": "P"}))  # no result
    with pytest.raises(MessageFormatError, match="PayResponse"):
        client.pay(pay_body())


# ----------------------------------------------------------- raise or return


def test_success_returns_the_typed_model(client: Client, fake: FakeGateway) -> None:
    fake.enqueue(
        "inquiryPayment",
        ams_result(
            "SUCCESS",
            paymentStatus="SUCCESS",
            paymentId="P1",
            paymentAmount={"currency": "USD", "value": "1000"},
            somethingNew={"kept": True},
        ),
    )
    response = client.inquiry_payment({"paymentId": "P1"})
    assert isinstance(response, InquiryPaymentResponse)
    assert response.payment_status == "SUCCESS"
    assert response.payment_amount is not None and response.payment_amount.value == "1000"
    assert response.wire()["somethingNew"] == {"kept": True}


def test_payment_in_process_is_returned_not_raised(client: Client, fake: FakeGateway) -> None:
    fake.enqueue("pay", IN_PROCESS)
    response = client.pay(PayRequest.model_validate(pay_body()))
    assert isinstance(response, PayResponse)
    assert response.result.result_code == "PAYMENT_IN_PROCESS"
    assert response.normal_url == "https://gw.example/checkout?codeValue=1"


def test_refund_in_process_is_returned(client: Client, fake: FakeGateway) -> None:
    fake.enqueue("refund", ams_result("REFUND_IN_PROCESS", refundRequestId="R1"))
    response = client.refund(
        {
            "refundRequestId": "R1",
            "paymentId": "P1",
            "refundAmount": {"currency": "USD", "value": 5},
        }
    )
    assert isinstance(response, RefundResponse)
    assert response.result.result_status == "U"
    assert fake.requests[0].json["refundAmount"] == {"currency": "USD", "value": "5"}


def test_failure_raises_api_error_with_everything(client: Client, fake: FakeGateway) -> None:
    fake.enqueue(
        "cancel",
        ams_result("CANCEL_WINDOW_EXCEED", paymentId="P1", paymentRequestId="PAY_1"),
    )
    with pytest.raises(ApiError) as caught:
        client.cancel({"paymentId": "P1"})
    error = caught.value
    assert error.result_code == "CANCEL_WINDOW_EXCEED"
    assert error.result_status == "F"
    assert error.result_message == "the cancellation window is over; refund instead"
    assert isinstance(error.response, CancelResponse)
    assert error.response.payment_request_id == "PAY_1"
    assert error.path == "/ams/api/v1/payments/cancel"
    assert "F/CANCEL_WINDOW_EXCEED" in str(error)


def test_api_error_path_is_the_sandbox_path_in_sandbox(
    make_client: ClientFactory, fake: FakeGateway
) -> None:
    fake.client_id = "SANDBOX_X"
    fake.enqueue("cancel", ams_result("ORDER_NOT_EXIST"))
    with pytest.raises(ApiError) as caught:
        make_client(client_id="SANDBOX_X").cancel({"paymentId": "P1"})
    assert caught.value.path == "/ams/sandbox/api/v1/payments/cancel"


def test_low_level_request_returns_failures_as_data(client: Client, fake: FakeGateway) -> None:
    fake.enqueue("cancel", ams_result("ORDER_NOT_EXIST"))
    data = client.request("/ams/api/v1/payments/cancel", {"paymentId": "P1"})
    assert data["result"]["resultCode"] == "ORDER_NOT_EXIST"


def test_low_level_request_still_verifies(client: Client, fake: FakeGateway) -> None:
    fake.enqueue("cancel", Reply(body=ams_result("SUCCESS"), tamper=lambda b: b + b" "))
    with pytest.raises(SignatureVerificationError):
        client.request("/ams/api/v1/payments/cancel", {"paymentId": "P1"})


@pytest.mark.parametrize(
    ("method", "api", "body"),
    [
        ("pay", "pay", pay_body()),
        ("inquiry_payment", "inquiryPayment", {"paymentRequestId": "PAY_1"}),
        ("cancel", "cancel", {"paymentRequestId": "PAY_1"}),
        (
            "refund",
            "refund",
            {
                "refundRequestId": "R",
                "paymentId": "P",
                "refundAmount": {"currency": "USD", "value": "1"},
            },
        ),
        ("inquiry_refund", "inquiryRefund", {"refundRequestId": "R"}),
        (
            "capture",
            "capture",
            {
                "captureRequestId": "C",
                "paymentId": "P",
                "captureAmount": {"currency": "USD", "value": "1"},
            },
        ),
        (
            "consult",
            "consult",
            {"productCode": "CASHIER_PAYMENT", "paymentAmount": USD_1},
        ),
        ("create_payment_session", "createPaymentSession", pay_body()),
    ],
)
def test_every_endpoint_posts_to_its_path(
    method: str, api: str, body: dict[str, Any], client: Client, fake: FakeGateway
) -> None:
    from openams.sdk import ENDPOINTS

    response = getattr(client, method)(body)
    endpoint = ENDPOINTS[method]
    assert isinstance(response, endpoint.response_model)
    assert fake.requests[0].path == f"/ams/api/v1/payments/{api}" == endpoint.path
    assert fake.requests[0].signature_ok
