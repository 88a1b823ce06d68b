"""The official SDK, unchanged, against a real ``openams serve`` over TLS on 127.0.0.1:443.

Every call goes through ``DefaultAlipayClient.execute``, which raises unless the
gateway's response carries a signature that verifies against the gateway public
key; a result without ``"error"`` therefore proves the response was signed
correctly, whatever its result code. Responses are then read back through the
SDK's own response classes.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from openams.protocol.keys import generate_key_pair, pem_body
from tests.official.conftest import OfficialGateway, OfficialSDK

pytestmark = pytest.mark.official

TEST_HELPER_COMPLETE = "/ams/api/v1/testHelpers/completePayment"


def _request_id(prefix: str = "PAY") -> str:
    return f"{prefix}_{uuid.uuid4().hex}"


def _pay_params(request_id: str, value: str = "100", **extra: Any) -> dict[str, Any]:
    return {
        "productCode": "CASHIER_PAYMENT",
        "paymentRequestId": request_id,
        "paymentAmount": {"currency": "HKD", "value": value},
        "paymentMethodType": "ALIPAY_HK",
        "terminalType": "WEB",
        "referenceOrderId": f"ORDER_{request_id}",
        "orderDescription": "openams official SDK e2e",
        "paymentRedirectUrl": "https://shop.example/return",
        **extra,
    }


def _ok(result: dict[str, Any], what: str) -> dict[str, Any]:
    """The SDK accepted (and verified) the response; return what its classes parsed."""
    assert "error" not in result, (
        f"{what}: the official SDK raised {result['error']}\n{result.get('traceback', '')}"
    )
    nulls = _nulls(result["raw"])
    assert not nulls, f"{what}: null on the wire at {nulls}: {result['raw']}"
    parsed: dict[str, Any] = result["parsed"]
    return parsed


def _nulls(value: Any, where: str = "$") -> list[str]:
    if value is None:
        return [where]
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in _nulls(v, f"{where}.{k}")]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in _nulls(v, f"{where}[{i}]")]
    return []


def _status(parsed: dict[str, Any]) -> tuple[str, str]:
    return parsed["result"]["resultCode"], parsed["result"]["resultStatus"]


@pytest.fixture
def run(official_sdk: OfficialSDK, official_gateway: OfficialGateway) -> Any:
    def _run(commands: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return official_sdk.run(commands, env=official_gateway.env)

    return _run


def test_consult(run: Any, official_gateway: OfficialGateway) -> None:
    params = {
        "productCode": "CASHIER_PAYMENT",
        "paymentAmount": {"currency": "HKD", "value": "100"},
        "terminalType": "WEB",
    }
    [result] = run([official_gateway.call("consult", params)])
    parsed = _ok(result, "consult")
    assert result["path"] == "/ams/sandbox/api/v1/payments/consult"
    assert _status(parsed) == ("SUCCESS", "S")
    types = [o["paymentMethodType"] for o in parsed["paymentOptions"]]
    assert "ALIPAY_HK" in types, types
    assert result["raw"]["paymentOptions"], result["raw"]


def test_pay_is_in_process_idempotent_and_checks_consistency(
    run: Any, official_gateway: OfficialGateway
) -> None:
    request_id = _request_id()
    first, repeat, inconsistent = run(
        [
            official_gateway.call("pay", _pay_params(request_id)),
            official_gateway.call("pay", _pay_params(request_id)),
            official_gateway.call("pay", _pay_params(request_id, value="200")),
        ]
    )
    parsed = _ok(first, "pay")
    assert first["path"] == "/ams/sandbox/api/v1/payments/pay"
    assert _status(parsed) == ("PAYMENT_IN_PROCESS", "U"), first["raw"]
    assert parsed["paymentId"]
    assert parsed["paymentRequestId"] == request_id
    assert parsed["paymentAmount"] == {"currency": "HKD", "value": "100"}
    assert parsed["paymentCreateTime"]
    assert parsed["normalUrl"], first["raw"]
    assert parsed["normalUrl"].startswith("https://localhost"), parsed["normalUrl"]
    # the SDK sends json.dumps(indent=3); the gateway verified that exact text
    assert first["request_body"].startswith('{\n   "productCode"')

    again = _ok(repeat, "identical repeat of pay")
    assert _status(again) == ("PAYMENT_IN_PROCESS", "U"), repeat["raw"]
    assert again["paymentId"] == parsed["paymentId"]

    differs = _ok(inconsistent, "pay repeated with another amount")
    assert _status(differs) == ("REPEAT_REQ_INCONSISTENT", "F"), inconsistent["raw"]


def test_inquiry_by_request_id_and_by_payment_id(
    run: Any, official_gateway: OfficialGateway
) -> None:
    request_id = _request_id()
    [paid] = run([official_gateway.call("pay", _pay_params(request_id))])
    payment_id = _ok(paid, "pay")["paymentId"]

    by_request, by_payment = run(
        [
            official_gateway.call("inquiryPayment", {"paymentRequestId": request_id}),
            official_gateway.call("inquiryPayment", {"paymentId": payment_id}),
        ]
    )
    for result, how in ((by_request, "paymentRequestId"), (by_payment, "paymentId")):
        parsed = _ok(result, f"inquiryPayment by {how}")
        assert result["path"] == "/ams/sandbox/api/v1/payments/inquiryPayment"
        assert _status(parsed) == ("SUCCESS", "S"), result["raw"]
        assert parsed["paymentStatus"] == "PROCESSING", result["raw"]
        assert parsed["paymentId"] == payment_id
        assert parsed["paymentRequestId"] == request_id
        assert parsed["paymentAmount"] == {"currency": "HKD", "value": "100"}
        assert parsed["paymentTime"] is None


def test_sandbox_complete_payment_then_inquiry_is_success(
    run: Any, official_gateway: OfficialGateway
) -> None:
    request_id = _request_id()
    [paid] = run([official_gateway.call("pay", _pay_params(request_id))])
    payment_id = _ok(paid, "pay")["paymentId"]

    completed, inquiry = run(
        [
            official_gateway.call(
                "raw",
                {
                    "path": TEST_HELPER_COMPLETE,
                    "body": {"paymentRequestId": request_id, "outcome": "SUCCESS"},
                },
            ),
            official_gateway.call("inquiryPayment", {"paymentRequestId": request_id}),
        ]
    )
    helper = _ok(completed, "testHelpers/completePayment")
    # SANDBOX_ client ids: the SDK itself moved the helper under /ams/sandbox/api
    assert completed["path"] == "/ams/sandbox/api/v1/testHelpers/completePayment"
    assert helper["result"]["resultStatus"] == "S", completed["raw"]

    parsed = _ok(inquiry, "inquiryPayment after completePayment")
    assert _status(parsed) == ("SUCCESS", "S"), inquiry["raw"]
    assert parsed["paymentStatus"] == "SUCCESS", inquiry["raw"]
    assert parsed["paymentId"] == payment_id
    assert parsed["paymentTime"], inquiry["raw"]


def test_cancel_then_inquiry_is_cancelled_and_repay_is_refused(
    run: Any, official_gateway: OfficialGateway
) -> None:
    request_id = _request_id()
    [paid] = run([official_gateway.call("pay", _pay_params(request_id))])
    payment_id = _ok(paid, "pay")["paymentId"]

    cancelled, inquiry, repay = run(
        [
            official_gateway.call("cancel", {"paymentRequestId": request_id}),
            official_gateway.call("inquiryPayment", {"paymentId": payment_id}),
            official_gateway.call("pay", _pay_params(request_id)),
        ]
    )
    cancel = _ok(cancelled, "cancel")
    assert cancelled["path"] == "/ams/sandbox/api/v1/payments/cancel"
    assert _status(cancel) == ("SUCCESS", "S"), cancelled["raw"]
    assert cancel["cancelTime"], cancelled["raw"]
    assert cancel["paymentId"] == payment_id
    assert cancel["paymentRequestId"] == request_id

    parsed = _ok(inquiry, "inquiryPayment after cancel")
    assert _status(parsed) == ("SUCCESS", "S"), inquiry["raw"]
    assert parsed["paymentStatus"] == "CANCELLED", inquiry["raw"]

    again = _ok(repay, "pay with a cancelled paymentRequestId")
    assert _status(again) == ("ORDER_IS_CANCELED", "F"), repay["raw"]


def test_create_payment_session(run: Any, official_gateway: OfficialGateway) -> None:
    request_id = _request_id("SESSION")
    params = {
        "productCode": "CASHIER_PAYMENT",
        "paymentRequestId": request_id,
        "paymentAmount": {"currency": "HKD", "value": "100"},
        "paymentMethodType": "ALIPAY_HK",
        "referenceOrderId": f"ORDER_{request_id}",
        "orderDescription": "openams official SDK session",
        "paymentRedirectUrl": "https://shop.example/return",
        "settlementCurrency": "HKD",
    }
    [result] = run([official_gateway.call("createPaymentSession", params)])
    parsed = _ok(result, "createPaymentSession")
    assert result["path"] == "/ams/sandbox/api/v1/payments/createPaymentSession"
    assert _status(parsed) == ("SUCCESS", "S"), result["raw"]
    assert parsed["paymentSessionData"], result["raw"]
    assert parsed["paymentSessionId"], result["raw"]
    assert parsed["paymentSessionExpiryTime"], result["raw"]


def test_unknown_payment_is_a_signed_order_not_exist(
    run: Any, official_gateway: OfficialGateway
) -> None:
    unknown = f"NO_SUCH_PAYMENT_{uuid.uuid4().hex}"
    inquiry, cancel = run(
        [
            official_gateway.call("inquiryPayment", {"paymentId": unknown}),
            official_gateway.call("cancel", {"paymentId": unknown}),
        ]
    )
    for result, api in ((inquiry, "inquiryPayment"), (cancel, "cancel")):
        parsed = _ok(result, f"{api} of an unknown paymentId")
        assert _status(parsed) == ("ORDER_NOT_EXIST", "F"), result["raw"]


def test_wrong_merchant_key_gets_a_signed_invalid_signature(
    run: Any, official_gateway: OfficialGateway
) -> None:
    stranger = pem_body(generate_key_pair().private_pem)
    request_id = _request_id()
    wrong, right = run(
        [
            official_gateway.call("pay", _pay_params(request_id), private_key=stranger),
            # the refused request left no trace: the same id still pays normally
            official_gateway.call("pay", _pay_params(request_id)),
        ]
    )
    parsed = _ok(wrong, "pay signed with the wrong merchant key")
    assert _status(parsed) == ("INVALID_SIGNATURE", "F"), wrong["raw"]
    assert parsed["paymentId"] is None
    assert _status(_ok(right, "pay with the right key")) == ("PAYMENT_IN_PROCESS", "U")


def test_unknown_client_id_gets_a_signed_failure(
    run: Any, official_gateway: OfficialGateway
) -> None:
    [result] = run(
        [
            official_gateway.call(
                "pay", _pay_params(_request_id()), client_id="SANDBOX_NOBODY_" + uuid.uuid4().hex
            )
        ]
    )
    parsed = _ok(result, "pay from an unregistered client id")
    code, status = _status(parsed)
    assert status == "F", result["raw"]
    assert code in {"CLIENT_INVALID", "KEY_NOT_FOUND"}, result["raw"]


def test_pkcs8_merchant_key_body_works_with_the_pinned_sdk(
    run: Any, official_gateway: OfficialGateway
) -> None:
    assert official_gateway.private_key_pkcs8 != official_gateway.private_key
    request_id = _request_id()
    paid, inquiry = run(
        [
            official_gateway.call(
                "pay", _pay_params(request_id), private_key=official_gateway.private_key_pkcs8
            ),
            official_gateway.call(
                "inquiryPayment",
                {"paymentRequestId": request_id},
                private_key=official_gateway.private_key_pkcs8,
            ),
        ]
    )
    parsed = _ok(paid, "pay signed with a PKCS#8 key body")
    assert _status(parsed) == ("PAYMENT_IN_PROCESS", "U"), paid["raw"]
    assert parsed["paymentId"]
    assert _ok(inquiry, "inquiry with a PKCS#8 key body")["paymentStatus"] == "PROCESSING"


def test_the_sdk_refuses_a_response_it_cannot_verify(
    run: Any, official_gateway: OfficialGateway
) -> None:
    """Control: the harness really depends on the SDK's response verification."""
    someone_else = pem_body(generate_key_pair().public_pem)
    [result] = run(
        [official_gateway.call("pay", _pay_params(_request_id()), gateway_public_key=someone_else)]
    )
    error = result.get("error", "")
    assert error.startswith("AlipayApiException: response"), result
    assert "verif" in error, result
