"""Every row of the result-code table (``domain/result_triggers.py``, published in
docs/result-codes.md) is triggered for real: the documented trigger is sent to a live
gateway and the documented code must come back (and, for a payment's result, reach
inquiryPayment and the PAYMENT_RESULT notification)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from openams.gateway.app import Gateway, build_gateway, create_app
from openams.gateway.domain.payment_codes import CONFIRM_FROM_VALUE
from openams.gateway.domain.result_triggers import (
    ACCEPT_DISPUTE,
    CANCEL,
    CAPTURE,
    CONSULT,
    CREATE_PAYMENT_SESSION,
    CREATE_VAULTING_SESSION,
    DOWNLOAD_EVIDENCE,
    EVERY_API,
    INQUIRE_EXCHANGE_RATE,
    INQUIRE_VAULTING,
    INQUIRY_PAYMENT,
    INQUIRY_REFUND,
    PAY,
    REFUND,
    SUPPLY_DEFENSE,
    TRIGGERS,
    VAULT_PAYMENT_METHOD,
    VAULTING_DECLINES,
    Trigger,
    markdown_table,
)
from openams.gateway.domain.simulation import TEST_CARDS
from openams.gateway.settings import Settings
from openams.protocol.keys import KeyPair, generate_key_pair
from tests.ams_client import AmsClient, AmsReply
from tests.conftest import ShiftableClock
from tests.gateway.integration.card_payloads import card_meta, card_pay_body
from tests.gateway.integration.payloads import in_store_body, new_id, pay_body, session_body
from tests.gateway.integration.vaulting_payloads import session_body as vaulting_session_body
from tests.gateway.integration.vaulting_payloads import vault_body
from tests.live_server import live_server

REPO = Path(__file__).resolve().parents[3]
DAY = 24 * 3600


@dataclass
class World:
    ams: AmsClient
    gateway: Gateway
    clock: ShiftableClock
    settings: Settings
    merchant_keys: KeyPair

    def pay(self, body: dict[str, Any]) -> AmsReply:
        return self.ams.call("payments/pay", body)

    def paid_wallet(self) -> dict[str, Any]:
        body = pay_body()
        payment = self.pay(body).body
        done = self.complete(payment["paymentId"], "SUCCESS")
        assert done.code == "SUCCESS", done.result
        return payment

    def complete(self, payment_id: str, outcome: str, code: str | None = None) -> AmsReply:
        body: dict[str, Any] = {"paymentId": payment_id, "outcome": outcome}
        if code is not None:
            body["resultCode"] = code
        return self.ams.call("testHelpers/completePayment", body)

    def inquiry(self, payment_id: str) -> dict[str, Any]:
        return self.ams.call("payments/inquiryPayment", {"paymentId": payment_id}).body

    def payment_notifications(self, payment_id: str) -> list[dict[str, Any]]:
        with self.gateway.store() as uow:
            return [n.body for n in uow.outbox.for_payment(self.ams.client_id, payment_id)]


Scenario = Callable[[World], str]
SCENARIOS: dict[tuple[str, str], Scenario] = {}


def scenario(api: str, code: str) -> Callable[[Scenario], Scenario]:
    def register(fn: Scenario) -> Scenario:
        assert (api, code) not in SCENARIOS, (api, code)
        SCENARIOS[(api, code)] = fn
        return fn

    return register


# ---------------------------------------------------------------------------- every API


@scenario(EVERY_API, "PARAM_ILLEGAL")
def _param_illegal(w: World) -> str:
    return w.ams.call("payments/inquiryPayment", {}).code


@scenario(EVERY_API, "INVALID_SIGNATURE")
def _invalid_signature(w: World) -> str:
    forger = replace(w.ams, private_key=generate_key_pair().private_key)
    return forger.call("payments/inquiryPayment", {"paymentId": "1"}).code


@scenario(EVERY_API, "KEY_NOT_FOUND")
def _key_not_found(w: World) -> str:
    return replace(w.ams, key_version="9").call("payments/inquiryPayment", {"paymentId": "1"}).code


@scenario(EVERY_API, "CLIENT_INVALID")
def _client_invalid(w: World) -> str:
    stranger = replace(w.ams, client_id="SANDBOX_NOBODY_KNOWS_ME")
    return stranger.call("payments/inquiryPayment", {"paymentId": "1"}).code


@scenario(EVERY_API, "ACCESS_DENIED")
def _access_denied(w: World) -> str:
    w.gateway.merchants.add("LIVE_MERCHANT", w.merchant_keys.public_pem)
    live = replace(w.ams, client_id="LIVE_MERCHANT")
    return live.call("testHelpers/advanceClock", {"seconds": 1}).code


@scenario(EVERY_API, "NO_INTERFACE_DEF")
def _no_interface(w: World) -> str:
    return w.ams.call("payments/refundEverything", {}).code


@scenario(EVERY_API, "METHOD_NOT_SUPPORTED")
def _method_not_supported(w: World) -> str:
    path = w.ams.path("payments/pay")
    response = w.ams.http.get(path, headers={"client-id": w.ams.client_id})
    return w.ams.check_signed(
        path, response.status_code, dict(response.headers), response.content
    ).code


@scenario(EVERY_API, "MEDIA_TYPE_NOT_ACCEPTABLE")
def _media_type(w: World) -> str:
    return w.ams.call("payments/pay", pay_body(), headers={"Content-Type": "text/plain"}).code


@scenario(EVERY_API, "REQUEST_TRAFFIC_EXCEED_LIMIT")
def _traffic(w: World) -> str:
    limited = build_gateway(
        w.settings.model_copy(update={"rate_limit_per_second": 0.01, "rate_limit_burst": 1}),
        clock=w.clock,
    )
    try:
        with live_server(create_app(gateway=limited)) as url, httpx.Client(base_url=url) as http:
            ams = replace(w.ams, http=http)
            assert ams.call("payments/consult", consult_body()).code == "SUCCESS"
            return ams.call("payments/consult", consult_body()).code
    finally:
        limited.close()


@scenario(EVERY_API, "UNKNOWN_EXCEPTION")
def _unknown_exception(w: World) -> str:
    body = card_pay_body(card_meta("4000000000000168"))
    lost = w.pay(body)
    # the payment was made: the identical resend gets the real answer
    assert w.pay(body).code == "SUCCESS"
    return lost.code


# -------------------------------------------------------------------------------- pay


def _code_pay(w: World, code: str, value: str = "100") -> AmsReply:
    return w.pay(in_store_body("PaymentCode", code=code, value=value))


def _issued_code(w: World, buyer: str = "alice") -> str:
    return str(w.ams.call("testHelpers/issuePaymentCode", {"buyer": buyer}).body["paymentCode"])


@scenario(PAY, "INVALID_PAYMENT_CODE")
def _pay_invalid_code(w: World) -> str:
    code = _issued_code(w)
    assert _code_pay(w, code).code == "SUCCESS"
    used = _code_pay(w, code).code
    unknown = _code_pay(w, "280000000000000000").code
    assert used == unknown, (used, unknown)
    return used


@scenario(PAY, "EXPIRED_CODE")
def _pay_expired_code(w: World) -> str:
    code = _issued_code(w)
    w.clock.advance(61)
    return _code_pay(w, code).code


@scenario(PAY, "SUCCESS")
def _pay_success(w: World) -> str:
    by_code = _code_pay(w, _issued_code(w), str(CONFIRM_FROM_VALUE - 1)).code
    by_card = w.pay(card_pay_body(card_meta("4111111111111111"))).code
    assert by_code == by_card, (by_code, by_card)
    return by_card


@scenario(PAY, "PAYMENT_IN_PROCESS")
def _pay_in_process(w: World) -> str:
    by_code = _code_pay(w, _issued_code(w), str(CONFIRM_FROM_VALUE)).code
    by_wallet = w.pay(pay_body()).code
    assert by_code == by_wallet, (by_code, by_wallet)
    return by_wallet


@scenario(PAY, "REPEAT_REQ_INCONSISTENT")
def _pay_inconsistent(w: World) -> str:
    body = pay_body()
    w.pay(body)
    return w.pay(pay_body(request_id=body["paymentRequestId"], value="200")).code


@scenario(PAY, "ORDER_IS_CLOSED")
def _pay_closed(w: World) -> str:
    body = pay_body()
    payment = w.pay(body).body
    w.complete(payment["paymentId"], "FAIL", "USER_BALANCE_NOT_ENOUGH")
    return w.pay(body).code


@scenario(PAY, "ORDER_IS_CANCELED")
def _pay_canceled(w: World) -> str:
    body = pay_body()
    payment = w.pay(body).body
    assert w.ams.call("payments/cancel", {"paymentId": payment["paymentId"]}).code == "SUCCESS"
    return w.pay(body).code


@scenario(PAY, "CURRENCY_NOT_SUPPORT")
def _pay_currency(w: World) -> str:
    return w.pay(pay_body(method="GCASH", currency="USD")).code


@scenario(PAY, "SETTLE_CONTRACT_NOT_MATCH")
def _pay_settle_contract(w: World) -> str:
    body = pay_body(
        method="ALIPAY_CN",
        currency="CNY",
        value="1314",
        settlementStrategy={"settlementCurrency": "CNY"},
    )
    return w.pay(body).code


@scenario(PAY, "INVALID_PAYMENT_METHOD_META_DATA")
def _pay_meta(w: World) -> str:
    return w.pay(card_pay_body(card_meta("4111111111111112"))).code


@scenario(PAY, "PAYMENT_AMOUNT_EXCEED_LIMIT")
def _pay_limit(w: World) -> str:
    return w.pay(pay_body(method="GCASH", currency="PHP", value="10000100")).code


@scenario(PAY, "BUSINESS_NOT_SUPPORT")
def _pay_business(w: World) -> str:
    return w.pay(pay_body(productCode="AGREEMENT_PAYMENT")).code


def _declined_card(number: str) -> Scenario:
    def declined(w: World) -> str:
        reply = w.pay(card_pay_body(card_meta(number)))
        if reply.result["resultStatus"] == "F":
            # the payment exists, failed with the same code, and says so everywhere
            payment_id = reply.body["paymentId"]
            assert w.inquiry(payment_id)["paymentResultCode"] == reply.code
            [notice] = w.payment_notifications(payment_id)
            assert notice["result"]["resultCode"] == reply.code
        return reply.code

    return declined


for _number, _code in (
    ("4000000000000002", "PROCESS_FAIL"),
    ("4000000000009995", "USER_BALANCE_NOT_ENOUGH"),
    ("4100000000000019", "RISK_REJECT"),
    ("4000000000000119", "DO_NOT_HONOR"),
    ("4000000000000127", "INVALID_AMOUNT"),
    ("4000000000000135", "CARD_NOT_SUPPORTED"),
    ("4000000000000143", "INVALID_CARD_NUMBER"),
    ("4000000000000150", "INVALID_EXPIRATION_DATE"),
):
    scenario(PAY, _code)(_declined_card(_number))


# ------------------------------------------------------ inquiryPayment / notifyPayment


@scenario(INQUIRY_PAYMENT, "SUCCESS")
def _inquiry_success(w: World) -> str:
    payment = w.pay(pay_body()).body
    return w.ams.call("payments/inquiryPayment", {"paymentId": payment["paymentId"]}).code


@scenario(INQUIRY_PAYMENT, "ORDER_NOT_EXIST")
def _inquiry_unknown(w: World) -> str:
    return w.ams.call("payments/inquiryPayment", {"paymentId": "2026" + "0" * 30}).code


@scenario(INQUIRY_PAYMENT, "PAYMENT_IN_PROCESS")
def _inquiry_pending(w: World) -> str:
    payment = w.pay(pay_body()).body
    assert w.inquiry(payment["paymentId"])["paymentResultCode"] == "PAYMENT_IN_PROCESS"
    assert w.complete(payment["paymentId"], "PENDING").code == "SUCCESS"
    answer = w.inquiry(payment["paymentId"])
    assert answer["paymentStatus"] == "PENDING"
    [notice] = w.payment_notifications(payment["paymentId"])
    assert (notice["notifyType"], notice["result"]["resultStatus"]) == ("PAYMENT_PENDING", "S")
    return str(answer["paymentResultCode"])


def _payment_result(code: str) -> Scenario:
    def failed(w: World) -> str:
        payment = w.pay(pay_body()).body
        if code == "ORDER_IS_CLOSED":
            w.clock.advance(15 * 60)
            assert w.gateway.payments.expire_due(100) >= 1
        else:
            assert w.complete(payment["paymentId"], "FAIL", code).code == "SUCCESS"
        answer = w.inquiry(payment["paymentId"])
        assert answer["paymentStatus"] == "FAIL"
        [notice] = w.payment_notifications(payment["paymentId"])
        assert notice["notifyType"] == "PAYMENT_RESULT"
        assert (notice["result"]["resultCode"], notice["result"]["resultStatus"]) == (code, "F")
        return str(answer["paymentResultCode"])

    return failed


for _trigger in TRIGGERS:
    if (
        _trigger.api == INQUIRY_PAYMENT
        and _trigger.status == "F"
        and (_trigger.code != "ORDER_NOT_EXIST")
    ):
        scenario(INQUIRY_PAYMENT, _trigger.code)(_payment_result(_trigger.code))


# ---------------------------------------------------------------------------- cancel


@scenario(CANCEL, "SUCCESS")
def _cancel_success(w: World) -> str:
    payment = w.pay(pay_body()).body
    return w.ams.call("payments/cancel", {"paymentId": payment["paymentId"]}).code


@scenario(CANCEL, "ORDER_NOT_EXIST")
def _cancel_unknown(w: World) -> str:
    return w.ams.call("payments/cancel", {"paymentRequestId": new_id()}).code


@scenario(CANCEL, "ORDER_STATUS_INVALID")
def _cancel_failed(w: World) -> str:
    payment = w.pay(pay_body()).body
    w.complete(payment["paymentId"], "FAIL", "RISK_REJECT")
    return w.ams.call("payments/cancel", {"paymentId": payment["paymentId"]}).code


@scenario(CANCEL, "CANCEL_WINDOW_EXCEED")
def _cancel_window(w: World) -> str:
    payment = w.paid_wallet()
    w.clock.advance(2 * DAY)
    return w.ams.call("payments/cancel", {"paymentId": payment["paymentId"]}).code


@scenario(CANCEL, "BUSINESS_NOT_SUPPORT")
def _cancel_never(w: World) -> str:
    payment = w.pay(pay_body(method="DANA", currency="IDR", value="1000000")).body
    return w.ams.call("payments/cancel", {"paymentId": payment["paymentId"]}).code


@scenario(CANCEL, "AUTH_EXPIRED")
def _cancel_lapsed(w: World) -> str:
    body = card_pay_body(card_meta(), authorization=True, capture_mode="MANUAL")
    payment = w.pay(body).body
    w.clock.advance(8 * DAY)
    return w.ams.call("payments/cancel", {"paymentId": payment["paymentId"]}).code


# --------------------------------------------------------------------- refund (sandbox.md)


def _paid(w: World, **kwargs: Any) -> str:
    payment = w.pay(pay_body(**kwargs)).body
    assert w.complete(payment["paymentId"], "SUCCESS").code == "SUCCESS"
    return str(payment["paymentId"])


def _refund(w: World, payment_id: str, value: str, currency: str = "HKD", **extra: Any) -> AmsReply:
    body = {
        "refundRequestId": extra.pop("request_id", None) or new_id("RF"),
        "paymentId": payment_id,
        "refundAmount": {"currency": currency, "value": value},
        **extra,
    }
    return w.ams.call("payments/refund", body)


@scenario(REFUND, "SUCCESS")
def _refund_success(w: World) -> str:
    return _refund(w, _paid(w), "100").code


@scenario(REFUND, "REFUND_IN_PROCESS")
def _refund_in_process(w: World) -> str:
    flagged = _refund(w, _paid(w), "100", isAsyncRefund=True).code
    by_value = _refund(w, _paid(w, value="5000"), "1313").code
    assert flagged == by_value, (flagged, by_value)
    return by_value


@scenario(REFUND, "REPEAT_REQ_INCONSISTENT")
def _refund_inconsistent(w: World) -> str:
    payment_id, request_id = _paid(w), new_id("RF")
    assert _refund(w, payment_id, "10", request_id=request_id).code == "SUCCESS"
    return _refund(w, payment_id, "20", request_id=request_id).code


@scenario(REFUND, "ORDER_NOT_EXIST")
def _refund_unknown(w: World) -> str:
    return _refund(w, "2026" + "0" * 30, "100").code


@scenario(REFUND, "ORDER_IS_CANCELED")
def _refund_cancelled(w: World) -> str:
    payment_id = _paid(w)
    assert w.ams.call("payments/cancel", {"paymentId": payment_id}).code == "SUCCESS"
    return _refund(w, payment_id, "100").code


@scenario(REFUND, "ORDER_STATUS_INVALID")
def _refund_unpaid(w: World) -> str:
    return _refund(w, w.pay(pay_body()).body["paymentId"], "100").code


@scenario(REFUND, "REFUND_NOT_SUPPORTED")
def _refund_not_supported(w: World) -> str:
    return _refund(w, _paid(w, method="KONBINI", currency="JPY", value="500"), "500", "JPY").code


@scenario(REFUND, "REFUND_WINDOW_EXCEED")
def _refund_window(w: World) -> str:
    payment_id = _paid(w)
    w.clock.advance(366 * DAY)
    return _refund(w, payment_id, "100").code


@scenario(REFUND, "PARTIAL_REFUND_NOT_SUPPORTED")
def _refund_partial(w: World) -> str:
    return _refund(w, _paid(w, method="AU", currency="JPY", value="500"), "499", "JPY").code


@scenario(REFUND, "MULTIPLE_REFUNDS_NOT_SUPPORTED")
def _refund_twice(w: World) -> str:
    payment_id = _paid(w, method="SANDBOX_TEST_ONE_REFUND")
    assert _refund(w, payment_id, "10").code == "SUCCESS"
    return _refund(w, payment_id, "10").code


@scenario(REFUND, "REFUND_AMOUNT_EXCEED")
def _refund_too_much(w: World) -> str:
    payment_id = _paid(w)
    assert _refund(w, payment_id, "60", isAsyncRefund=True).code == "REFUND_IN_PROCESS"
    return _refund(w, payment_id, "41").code


@scenario(REFUND, "MERCHANT_BALANCE_NOT_ENOUGH")
def _refund_balance(w: World) -> str:
    return _refund(w, _paid(w, value="5000"), "1212").code


@scenario(INQUIRY_REFUND, "SUCCESS")
def _inquiry_refund(w: World) -> str:
    refund = _refund(w, _paid(w), "100").body
    return w.ams.call("payments/inquiryRefund", {"refundId": refund["refundId"]}).code


@scenario(INQUIRY_REFUND, "ORDER_NOT_EXIST")
def _inquiry_refund_unknown(w: World) -> str:
    return w.ams.call("payments/inquiryRefund", {"refundRequestId": new_id("RF")}).code


def _refund_result(w: World, refund_id: str) -> str:
    """The code of the refund's REFUND_RESULT, after checking it failed everywhere."""
    answer = w.ams.call("payments/inquiryRefund", {"refundId": refund_id}).body
    assert answer["refundStatus"] == "FAIL", answer
    with w.gateway.store() as uow:
        [note] = [
            n.body
            for n in uow.outbox.for_client(w.ams.client_id, 1000)
            if n.notify_type.value == "REFUND_RESULT" and n.body["refundId"] == refund_id
        ]
    assert note["refundStatus"] == "FAIL" and note["result"]["resultStatus"] == "F"
    return str(note["result"]["resultCode"])


@scenario(INQUIRY_REFUND, "MERCHANT_BALANCE_NOT_ENOUGH")
def _refund_fails_by_itself(w: World) -> str:
    refund = _refund(w, _paid(w, value="5000"), "1212", isAsyncRefund=True).body
    w.clock.advance(61)
    assert w.gateway.refunds.settle_due(100) >= 1
    return _refund_result(w, refund["refundId"])


@scenario(INQUIRY_REFUND, "PROCESS_FAIL")
def _refund_failed_by_helper(w: World) -> str:
    refund = _refund(w, _paid(w), "100", isAsyncRefund=True).body
    done = w.ams.call(
        "testHelpers/completeRefund", {"refundId": refund["refundId"], "outcome": "FAIL"}
    )
    assert done.code == "SUCCESS", done.result
    return _refund_result(w, refund["refundId"])


# ---------------------------------------------------------------------------- capture


def _held(w: World, value: str = "1000") -> str:
    body = card_pay_body(card_meta(), authorization=True, capture_mode="MANUAL", value=value)
    reply = w.pay(body)
    assert reply.code == "SUCCESS", reply.result
    return str(reply.body["paymentId"])


def _capture(w: World, payment_id: str, value: str = "1000", **extra: Any) -> AmsReply:
    body = {
        "captureRequestId": extra.pop("request_id", None) or new_id("CAP"),
        "paymentId": payment_id,
        "captureAmount": {"currency": "USD", "value": value},
    }
    return w.ams.call("payments/capture", body)


@scenario(CAPTURE, "SUCCESS")
def _capture_success(w: World) -> str:
    return _capture(w, _held(w)).code


@scenario(CAPTURE, "CAPTURE_IN_PROCESS")
def _capture_in_process(w: World) -> str:
    return _capture(w, _held(w, "1313"), "1313").code


@scenario(CAPTURE, "REPEAT_REQ_INCONSISTENT")
def _capture_inconsistent(w: World) -> str:
    payment_id, request_id = _held(w), new_id("CAP")
    assert _capture(w, payment_id, request_id=request_id).code == "SUCCESS"
    return _capture(w, payment_id, "999", request_id=request_id).code


@scenario(CAPTURE, "ORDER_NOT_EXIST")
def _capture_unknown(w: World) -> str:
    return _capture(w, "2026" + "0" * 30).code


@scenario(CAPTURE, "ORDER_STATUS_INVALID")
def _capture_in_process_twice(w: World) -> str:
    payment_id = _held(w, "1313")
    assert _capture(w, payment_id, "1313").code == "CAPTURE_IN_PROCESS"
    return _capture(w, payment_id, "1313").code


@scenario(CAPTURE, "AUTH_CANCELLED")
def _capture_voided(w: World) -> str:
    payment_id = _held(w)
    assert w.ams.call("payments/cancel", {"paymentId": payment_id}).code == "SUCCESS"
    return _capture(w, payment_id).code


@scenario(CAPTURE, "AUTH_EXPIRED")
def _capture_lapsed(w: World) -> str:
    payment_id = _held(w)
    w.clock.advance(8 * DAY)
    return _capture(w, payment_id).code


@scenario(CAPTURE, "CAPTURE_AMOUNT_EXCEED_AUTH_LIMIT")
def _capture_too_much(w: World) -> str:
    return _capture(w, _held(w), "1001").code


@scenario(CAPTURE, "BUSINESS_NOT_SUPPORT")
def _capture_partial(w: World) -> str:
    return _capture(w, _held(w), "999").code


@scenario(CAPTURE, "PROCESS_FAIL")
def _capture_failed(w: World) -> str:
    payment_id = _held(w, "1313")
    capture = _capture(w, payment_id, "1313").body
    done = w.ams.call(
        "testHelpers/completeCapture", {"captureId": capture["captureId"], "outcome": "FAIL"}
    )
    assert done.code == "SUCCESS", done.result
    assert w.inquiry(payment_id)["paymentStatus"] == "SUCCESS"  # the authorization stays
    [note] = [n for n in w.payment_notifications(payment_id) if n["notifyType"] == "CAPTURE_RESULT"]
    assert note["result"]["resultStatus"] == "F"
    return str(note["result"]["resultCode"])


# --------------------------------------------------------------------------- consult


def consult_body() -> dict[str, Any]:
    return {
        "productCode": "CASHIER_PAYMENT",
        "paymentAmount": {"currency": "HKD", "value": "100"},
        "env": {"terminalType": "WEB"},
    }


@scenario(CONSULT, "SUCCESS")
def _consult(w: World) -> str:
    return w.ams.call("payments/consult", consult_body()).code


# -------------------------------------------------------------- createPaymentSession


def _session(w: World, body: dict[str, Any]) -> AmsReply:
    return w.ams.call("payments/createPaymentSession", body)


@scenario(CREATE_PAYMENT_SESSION, "SUCCESS")
def _session_success(w: World) -> str:
    return _session(w, session_body()).code


@scenario(CREATE_PAYMENT_SESSION, "REPEAT_REQ_INCONSISTENT")
def _session_inconsistent(w: World) -> str:
    body = session_body()
    _session(w, body)
    return _session(w, {**body, "paymentAmount": {"currency": "USD", "value": "1"}}).code


@scenario(CREATE_PAYMENT_SESSION, "ORDER_IS_CLOSED")
def _session_closed(w: World) -> str:
    expiry = datetime.fromtimestamp(w.clock() / 1000, tz=UTC) + timedelta(minutes=10)
    body = session_body(paymentSessionExpiryTime=expiry.isoformat(timespec="seconds"))
    assert _session(w, body).code == "SUCCESS"
    w.clock.advance(11 * 60)
    return _session(w, body).code


@scenario(CREATE_PAYMENT_SESSION, "BUSINESS_NOT_SUPPORT")
def _session_business(w: World) -> str:
    return _session(w, session_body(productCode="AGREEMENT_PAYMENT")).code


@scenario(CREATE_PAYMENT_SESSION, "CURRENCY_NOT_SUPPORT")
def _session_currency(w: World) -> str:
    return _session(w, session_body(paymentMethod={"paymentMethodType": "GCASH"})).code


# ------------------------------------------------- vaultPaymentMethod / notifyVaulting


def _vault(w: World, body: dict[str, Any]) -> AmsReply:
    return w.ams.call("vaults/vaultPaymentMethod", body)


def _vaulting_notes(w: World, request_id: str) -> list[dict[str, Any]]:
    with w.gateway.store() as uow:
        vaulting = uow.vaultings.get_by_request_id(w.ams.client_id, request_id)
        assert vaulting is not None
        return [n.body for n in uow.outbox.for_payment(w.ams.client_id, vaulting.vaulting_id)]


@scenario(VAULT_PAYMENT_METHOD, "SUCCESS")
def _vault_success(w: World) -> str:
    reply = _vault(w, vault_body("4111111111111111"))
    assert reply.body["paymentMethodDetail"]["card"]["cardToken"]
    return reply.code


@scenario(VAULT_PAYMENT_METHOD, "VERIFICATION_IN_PROCESS")
def _vault_challenge(w: World) -> str:
    reply = _vault(w, vault_body("4000000000003220"))
    assert reply.body["normalUrl"]
    forced = _vault(w, vault_body("4111111111111111", is3DSAuthentication=True))
    assert forced.code == reply.code
    return reply.code


@scenario(VAULT_PAYMENT_METHOD, "REPEAT_REQ_INCONSISTENT")
def _vault_inconsistent(w: World) -> str:
    body = vault_body("4111111111111111")
    _vault(w, body)
    return _vault(w, vault_body("5555555555554444", request_id=body["vaultingRequestId"])).code


@scenario(VAULT_PAYMENT_METHOD, "INVALID_PAYMENT_METHOD_META_DATA")
def _vault_bad_card(w: World) -> str:
    return _vault(w, vault_body("4111111111111112")).code


@scenario(VAULT_PAYMENT_METHOD, "BUSINESS_NOT_SUPPORT")
def _vault_brand(w: World) -> str:
    return _vault(w, vault_body("2200000000000004")).code


def _vault_declined(card: str) -> Scenario:
    def run(w: World) -> str:
        body = vault_body(card)
        reply = _vault(w, body)
        [note] = _vaulting_notes(w, body["vaultingRequestId"])
        assert note["result"]["resultCode"] == reply.code
        return reply.code

    return run


for _code, _number in VAULTING_DECLINES.items():
    scenario(VAULT_PAYMENT_METHOD, _code)(_vault_declined(_number))


@scenario(VAULT_PAYMENT_METHOD, "USER_PAYMENT_VERIFICATION_FAILED")
def _vault_3ds_failed(w: World) -> str:
    body = vault_body("4000000000003063")
    token = _vault(w, body).body["normalUrl"].rsplit("/", 1)[1]
    w.gateway.vaultings.answer_challenge(token, "123456")
    [note] = _vaulting_notes(w, body["vaultingRequestId"])
    assert note["result"]["resultStatus"] == "F"
    return str(note["result"]["resultCode"])


@scenario(VAULT_PAYMENT_METHOD, "ORDER_IS_CLOSED")
def _vault_abandoned(w: World) -> str:
    body = vault_body("4000000000003220")
    assert _vault(w, body).code == "VERIFICATION_IN_PROCESS"
    w.clock.advance(3601)
    return _vault(w, body).code


# ------------------------------------------------------------ createVaultingSession


def _vaulting_session(w: World, body: dict[str, Any]) -> AmsReply:
    return w.ams.call("vaults/createVaultingSession", body)


@scenario(CREATE_VAULTING_SESSION, "SUCCESS")
def _vaulting_session_success(w: World) -> str:
    return _vaulting_session(w, vaulting_session_body()).code


@scenario(CREATE_VAULTING_SESSION, "REPEAT_REQ_INCONSISTENT")
def _vaulting_session_inconsistent(w: World) -> str:
    body = vaulting_session_body()
    _vaulting_session(w, body)
    return _vaulting_session(w, {**body, "redirectUrl": "https://other.example/"}).code


@scenario(CREATE_VAULTING_SESSION, "ORDER_IS_CLOSED")
def _vaulting_session_closed(w: World) -> str:
    body = vaulting_session_body()
    assert _vaulting_session(w, body).code == "SUCCESS"
    w.clock.advance(3601)
    return _vaulting_session(w, body).code


# ------------------------------------------------------------------ inquireVaulting


@scenario(INQUIRE_VAULTING, "SUCCESS")
def _inquire_vaulting(w: World) -> str:
    body = vault_body("4111111111111111")
    _vault(w, body)
    return w.ams.call(
        "vaults/inquireVaulting", {"vaultingRequestId": body["vaultingRequestId"]}
    ).code


@scenario(INQUIRE_VAULTING, "VAULTING_NOT_EXIST")
def _inquire_vaulting_unknown(w: World) -> str:
    return w.ams.call("vaults/inquireVaulting", {"vaultingRequestId": new_id("NONE")}).code


# -------------------------------------------------------------- inquireExchangeRate


@scenario(INQUIRE_EXCHANGE_RATE, "SUCCESS")
def _exchange_rate(w: World) -> str:
    body = {"sellCurrency": "CNY", "buyCurrency": "USD"}
    return w.ams.call("payments/inquireExchangeRate", body).code


@scenario(INQUIRE_EXCHANGE_RATE, "CURRENCY_NOT_SUPPORT")
def _exchange_rate_unknown(w: World) -> str:
    body = {"sellCurrency": "USD", "buyCurrency": "ISK"}
    return w.ams.call("payments/inquireExchangeRate", body).code


# ---------------------------------------------------------------------- disputes (disputes.md)

PDF_B64 = "JVBERi0xLjQKJSVFT0YK"  # "%PDF-1.4\n%%EOF\n"
UNKNOWN_DISPUTE = "17000000000000000000000000000000000"


def _dispute(w: World) -> str:
    """An OPEN chargeback on a paid card sale."""
    sale = w.pay(card_pay_body(card_meta())).body
    opened = w.ams.call("testHelpers/openDispute", {"paymentId": sale["paymentId"]})
    assert opened.code == "SUCCESS", opened.result
    return str(opened.body["disputeId"])


def _accept(w: World, dispute_id: str) -> AmsReply:
    return w.ams.call("payments/acceptDispute", {"disputeId": dispute_id})


def _supply(w: World, dispute_id: str) -> AmsReply:
    return w.ams.call(
        "payments/supplyDefenseDocument", {"disputeId": dispute_id, "disputeEvidence": PDF_B64}
    )


def _download(w: World, dispute_id: str, kind: str) -> AmsReply:
    return w.ams.call(
        "payments/downloadDisputeEvidence",
        {"disputeId": dispute_id, "disputeEvidenceType": f"DISPUTE_EVIDENCE_{kind}"},
    )


def _past_deadline(w: World) -> str:
    dispute_id = _dispute(w)
    assert w.ams.call("testHelpers/advanceClock", {"seconds": 7 * DAY}).code == "SUCCESS"
    return dispute_id


@scenario(ACCEPT_DISPUTE, "SUCCESS")
def _accept_success(w: World) -> str:
    dispute_id = _dispute(w)
    first = _accept(w, dispute_id)
    assert _accept(w, dispute_id).body == first.body
    return first.code


@scenario(ACCEPT_DISPUTE, "ORDER_NOT_EXIST")
def _accept_unknown(w: World) -> str:
    return _accept(w, UNKNOWN_DISPUTE).code


@scenario(ACCEPT_DISPUTE, "NOT_ALLOW_IN_CURRENT_STATUS")
def _accept_defended(w: World) -> str:
    dispute_id = _dispute(w)
    assert _supply(w, dispute_id).code == "SUCCESS"
    return _accept(w, dispute_id).code


@scenario(ACCEPT_DISPUTE, "TIME_EXCEEDS_LIMIT")
def _accept_late(w: World) -> str:
    return _accept(w, _past_deadline(w)).code


@scenario(SUPPLY_DEFENSE, "SUCCESS")
def _supply_success(w: World) -> str:
    return _supply(w, _dispute(w)).code


@scenario(SUPPLY_DEFENSE, "ORDER_NOT_EXIST")
def _supply_unknown(w: World) -> str:
    return _supply(w, UNKNOWN_DISPUTE).code


@scenario(SUPPLY_DEFENSE, "NOT_ALLOW_IN_CURRENT_STATUS")
def _supply_decided(w: World) -> str:
    dispute_id = _dispute(w)
    resolved = w.ams.call("testHelpers/resolveDispute", {"disputeId": dispute_id, "outcome": "WON"})
    assert resolved.code == "SUCCESS"
    return _supply(w, dispute_id).code


@scenario(SUPPLY_DEFENSE, "TIME_EXCEEDS_LIMIT")
def _supply_late(w: World) -> str:
    return _supply(w, _past_deadline(w)).code


@scenario(DOWNLOAD_EVIDENCE, "SUCCESS")
def _download_success(w: World) -> str:
    dispute_id = _dispute(w)
    assert _download(w, dispute_id, "TEMPLATE").code == "SUCCESS"
    assert _supply(w, dispute_id).code == "SUCCESS"
    return _download(w, dispute_id, "FILE").code


@scenario(DOWNLOAD_EVIDENCE, "ORDER_NOT_EXIST")
def _download_unknown(w: World) -> str:
    return _download(w, UNKNOWN_DISPUTE, "TEMPLATE").code


@scenario(DOWNLOAD_EVIDENCE, "NOT_ALLOW_IN_CURRENT_STATUS")
def _download_nothing_yet(w: World) -> str:
    return _download(w, _dispute(w), "FILE").code


# ------------------------------------------------------------------------------ tests


@pytest.fixture
def world(
    ams: AmsClient,
    gateway: Gateway,
    clock: ShiftableClock,
    settings: Settings,
    merchant_keys: KeyPair,
) -> Iterator[World]:
    yield World(ams, gateway, clock, settings, merchant_keys)


def test_every_row_of_the_table_has_a_scenario() -> None:
    rows = {(t.api, t.code) for t in TRIGGERS}
    assert len(rows) == len(TRIGGERS), "a (API, code) row is listed twice"
    assert rows - SCENARIOS.keys() == set(), "rows nobody triggers"
    assert SCENARIOS.keys() - rows == set(), "scenarios for rows the table does not list"


@pytest.mark.parametrize("trigger", TRIGGERS, ids=lambda t: f"{t.api.split()[0]}:{t.code}")
def test_the_documented_trigger_gives_the_documented_code(world: World, trigger: Trigger) -> None:
    observed = SCENARIOS[(trigger.api, trigger.code)](world)
    assert observed == trigger.code


def test_the_published_table_is_the_catalogue() -> None:
    doc = (REPO / "docs" / "result-codes.md").read_text(encoding="utf-8")
    assert markdown_table() in doc, "regenerate the table in docs/result-codes.md"


@pytest.mark.parametrize("doc", ["cards.md", "sandbox.md"])
def test_every_test_card_is_documented(doc: str) -> None:
    text = (REPO / "docs" / doc).read_text(encoding="utf-8")
    spaced = text.replace(" ", "")
    missing = [number for number in TEST_CARDS if number not in spaced]
    assert missing == [], f"test cards missing from docs/{doc}"
