"""classify_payment and payment_mismatch on real answers of a sandbox gateway."""

from __future__ import annotations

import socket
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest

from openams.sdk import (
    ApiError,
    PaymentOutcome,
    TimeoutException,
    classify_payment,
    payment_mismatch,
)
from openams.testing import SandboxMerchant, complete_payment
from tests.gateway.integration.card_payloads import card_meta, card_pay_body


def wallet_pay(request_id: str, value: str = "8800") -> dict[str, Any]:
    amount = {"currency": "HKD", "value": value}
    return {
        "productCode": "CASHIER_PAYMENT",
        "paymentRequestId": request_id,
        "order": {
            "referenceOrderId": f"ORDER_{request_id}",
            "orderDescription": "outcome test",
            "orderAmount": amount,
        },
        "paymentAmount": amount,
        "paymentMethod": {"paymentMethodType": "ALIPAY_HK"},
        "paymentRedirectUrl": "https://merchant.example/result",
        "paymentNotifyUrl": "https://merchant.example/notify",
        "env": {"terminalType": "WEB"},
    }


def new_request_id() -> str:
    return f"PAY_{uuid.uuid4().hex[:20]}"


def test_pay_answers_are_classified(openams_merchant: SandboxMerchant) -> None:
    with openams_merchant.client(max_retries=0) as client:
        in_process = client.pay(wallet_pay(new_request_id()))
        assert classify_payment(in_process).outcome is PaymentOutcome.IN_PROCESS
        assert not classify_payment(in_process).is_final

        card = card_pay_body(card_meta("4111111111111111"))
        card["paymentRequestId"] = new_request_id()
        paid = client.pay(card)
        assert classify_payment(paid).outcome is PaymentOutcome.SUCCESS

        declined = card_pay_body(card_meta("4000000000000002"))
        declined["paymentRequestId"] = new_request_id()
        with pytest.raises(ApiError) as refused:
            client.pay(declined)
        result = classify_payment(refused.value)
        assert result.outcome is PaymentOutcome.FAILURE and result.is_final
        assert result.result_code == "PROCESS_FAIL"

        lost = card_pay_body(card_meta("4000000000000168"))
        lost["paymentRequestId"] = new_request_id()
        with pytest.raises(ApiError) as unknown:
            client.pay(lost)  # no retries: the U / UNKNOWN_EXCEPTION is raised as is
        result = classify_payment(unknown.value)
        assert result.outcome is PaymentOutcome.UNKNOWN and not result.is_final
        assert result.result_code == "UNKNOWN_EXCEPTION"


def test_inquiry_answers_are_classified(openams_merchant: SandboxMerchant) -> None:
    request_id = new_request_id()
    with openams_merchant.client(max_retries=0) as client:
        client.pay(wallet_pay(request_id))
        processing = client.inquiry_payment({"paymentRequestId": request_id})
        assert classify_payment(processing).outcome is PaymentOutcome.IN_PROCESS
        complete_payment(client, request_id)
        paid = client.inquiry_payment({"paymentRequestId": request_id})
        assert classify_payment(paid).outcome is PaymentOutcome.SUCCESS
        with pytest.raises(ApiError) as missing:
            client.inquiry_payment({"paymentRequestId": new_request_id()})
        result = classify_payment(missing.value)
        assert result.outcome is PaymentOutcome.FAILURE
        assert result.result_code == "ORDER_NOT_EXIST"


def test_no_answer_is_unknown_never_a_failure(openams_merchant: SandboxMerchant) -> None:
    # a socket that listens but never answers: the read times out

    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(0)
        host, port = silent.getsockname()
        with (
            openams_merchant.client(
                base_url=f"http://{host}:{port}",
                max_retries=0,
                timeout=httpx.Timeout(0.2),
            ) as client,
            pytest.raises(TimeoutException) as timed_out,
        ):
            client.pay(wallet_pay(new_request_id()))
    result = classify_payment(timed_out.value)
    assert result.outcome is PaymentOutcome.UNKNOWN and result.result_code == "TIMEOUT"


def test_payment_mismatch_checks_request_id_amount_and_currency(
    openams_merchant: SandboxMerchant,
) -> None:
    request_id = new_request_id()
    with openams_merchant.client() as client:
        client.pay(wallet_pay(request_id, value="8800"))
        answer = client.inquiry_payment({"paymentRequestId": request_id})
    expected = {"payment_request_id": request_id, "currency": "HKD"}
    assert payment_mismatch(answer, value=8800, **expected) is None
    assert payment_mismatch(answer, value="8800", **expected) is None
    assert payment_mismatch(answer, value=1, **expected) is not None
    assert payment_mismatch(answer, value=8800, payment_request_id=request_id, currency="USD")
    assert payment_mismatch(answer, value=8800, payment_request_id="PAY_other", currency="HKD")


def documented_sample() -> str:
    text = (Path(__file__).resolve().parents[2] / "docs" / "sdk.md").read_text()
    start = text.index("```python\nfrom openams.sdk import OpenAmsError, PaymentOutcome")
    return text[start + len("```python\n") : text.index("```\n", start + 10)]


def test_the_documented_inquire_sample_runs(openams_merchant: SandboxMerchant) -> None:
    namespace: dict[str, Any] = {}
    exec(compile(documented_sample(), "docs/sdk.md", "exec"), namespace)
    inquire = namespace["inquire"]
    request_id = new_request_id()
    with openams_merchant.client() as client:
        client.pay(wallet_pay(request_id, value="8800"))
        assert inquire(client, request_id, "HKD", 8800) == "wait"
        complete_payment(client, request_id)
        assert inquire(client, request_id, "HKD", 8800) == "paid"
        assert inquire(client, request_id, "USD", 1).startswith("refused: ")
        assert inquire(client, new_request_id(), "HKD", 8800) == "failed"
