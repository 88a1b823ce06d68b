"""In-store order code (merchant-presented) and payment code (user-presented) payments on a
live gateway: what pay answers per scenario, what the buyer's code allows, what is notified."""

from __future__ import annotations

import threading
from dataclasses import replace
from typing import Any

import httpx
import pytest

from openams.gateway.app import Gateway
from openams.gateway.domain.payment_codes import CONFIRM_FROM_VALUE, KEEP_EXPIRED_MS, code_hash
from tests.ams_client import AmsClient, AmsReply
from tests.conftest import ShiftableClock
from tests.gateway.integration.payloads import in_store_body, new_id


def issue(ams: AmsClient, buyer: str = "alice") -> str:
    reply = ams.call("testHelpers/issuePaymentCode", {"buyer": buyer})
    assert reply.code == "SUCCESS", reply.result
    return str(reply.body["paymentCode"])


def pay(ams: AmsClient, body: dict[str, Any]) -> AmsReply:
    return ams.call("payments/pay", body)


def inquiry(ams: AmsClient, payment_id: str) -> dict[str, Any]:
    reply = ams.call("payments/inquiryPayment", {"paymentId": payment_id})
    assert reply.code == "SUCCESS", reply.result
    return reply.body


def notices(gateway: Gateway, ams: AmsClient, payment_id: str) -> list[dict[str, Any]]:
    with gateway.store() as uow:
        return [n.body for n in uow.outbox.for_payment(ams.client_id, payment_id)]


# ------------------------------------------------------------------------- order code


def test_order_code_pay_answers_the_order_code_form_only(ams: AmsClient) -> None:
    reply = pay(ams, in_store_body("OrderCode"))
    assert (reply.result["resultStatus"], reply.code) == ("U", "PAYMENT_IN_PROCESS")
    form = reply.body["orderCodeForm"]
    assert form["paymentMethodType"] == "CONNECT_WALLET"
    displays = [d["displayType"] for d in form["codeDetails"]]
    assert displays == ["TEXT", "BIGIMAGE", "MIDDLEIMAGE", "SMALLIMAGE"]
    assert "/code/" in form["codeDetails"][0]["codeValue"]
    for absent in ("normalUrl", "redirectActionForm", "paymentActionForm", "schemeUrl"):
        assert absent not in reply.body


def test_order_code_expires_after_three_minutes_and_notifies(
    ams: AmsClient, gateway: Gateway, clock: ShiftableClock
) -> None:
    clock.freeze()  # exact ages: the machine's speed cannot add a second
    payment_id = pay(ams, in_store_body("OrderCode")).body["paymentId"]
    clock.advance(179)
    assert gateway.payments.expire_due(10) == 0
    clock.advance(2)
    assert gateway.payments.expire_due(10) == 1
    assert inquiry(ams, payment_id)["paymentStatus"] == "FAIL"
    [notice] = notices(gateway, ams, payment_id)
    assert notice["result"]["resultCode"] == "ORDER_IS_CLOSED"


@pytest.mark.parametrize(
    ("path", "field"),
    [
        (("order", "merchant", "store"), "order.merchant.store"),
        (("order", "merchant", "store", "storeMCC"), "order.merchant.store.storeMCC"),
        (("order", "merchant", "referenceMerchantId"), "order.merchant.referenceMerchantId"),
        (("order", "merchant", "merchantName"), "order.merchant.merchantName"),
    ],
)
@pytest.mark.parametrize("scenario", ["OrderCode", "PaymentCode"])
def test_the_sdk_builders_required_fields_are_required(
    ams: AmsClient, scenario: str, path: tuple[str, ...], field: str
) -> None:
    body = in_store_body(scenario, code="281234567890123456")
    parent = body
    for key in path[:-1]:
        parent = parent[key]
    del parent[path[-1]]
    reply = pay(ams, body)
    assert reply.code == "PARAM_ILLEGAL"
    assert field in reply.result["resultMessage"]


def test_a_missing_or_unknown_scenario_is_refused(ams: AmsClient) -> None:
    missing = pay(ams, in_store_body("OrderCode", paymentFactor={}))
    assert missing.code == "PARAM_ILLEGAL"
    assert "inStorePaymentScenario" in missing.result["resultMessage"]
    unknown = pay(ams, in_store_body("FaceCode"))
    assert unknown.code == "BUSINESS_NOT_SUPPORT"


# ------------------------------------------------------------------------ payment code


@pytest.mark.parametrize(
    ("field", "name"),
    [
        ("storeTerminalId", "order.env.storeTerminalId"),
        ("storeTerminalRequestTime", "order.env.storeTerminalRequestTime"),
    ],
)
def test_payment_code_needs_the_store_terminal(ams: AmsClient, field: str, name: str) -> None:
    body = in_store_body("PaymentCode", code=issue(ams))
    del body["order"]["env"][field]
    reply = pay(ams, body)
    assert reply.code == "PARAM_ILLEGAL" and name in reply.result["resultMessage"]


def test_payment_code_needs_the_code(ams: AmsClient) -> None:
    reply = pay(ams, in_store_body("PaymentCode"))
    assert reply.code == "PARAM_ILLEGAL"
    assert "paymentMethodId" in reply.result["resultMessage"]


def test_a_plain_payment_code_payment_succeeds_at_once(ams: AmsClient, gateway: Gateway) -> None:
    reply = pay(ams, in_store_body("PaymentCode", code=issue(ams)))
    assert (reply.result["resultStatus"], reply.code) == ("S", "SUCCESS")
    assert "paymentTime" in reply.body
    for absent in ("normalUrl", "orderCodeForm", "redirectActionForm"):
        assert absent not in reply.body
    payment_id = reply.body["paymentId"]
    assert inquiry(ams, payment_id)["paymentStatus"] == "SUCCESS"
    [notice] = notices(gateway, ams, payment_id)
    assert (notice["notifyType"], notice["result"]["resultStatus"]) == ("PAYMENT_RESULT", "S")


def test_a_code_pays_once_and_the_identical_resend_gets_the_stored_answer(
    ams: AmsClient,
) -> None:
    code = issue(ams)
    first = in_store_body("PaymentCode", code=code)
    assert pay(ams, first).code == "SUCCESS"
    resend = pay(ams, first)
    assert resend.code == "SUCCESS"
    again = pay(ams, in_store_body("PaymentCode", code=code))
    assert (again.result["resultStatus"], again.code) == ("F", "INVALID_PAYMENT_CODE")
    assert "already used" in again.result["resultMessage"]
    assert "paymentId" not in again.body


def test_an_expired_code_is_refused(ams: AmsClient, clock: ShiftableClock) -> None:
    # frozen: a code 59 s old is valid however long the machine takes in between (CI
    # once took more than a second between issuing and paying)
    clock.freeze()
    code = issue(ams)
    clock.advance(59)
    valid = pay(ams, in_store_body("PaymentCode", code=code, value="100"))
    assert valid.code == "SUCCESS"
    late = issue(ams)
    clock.advance(60)
    reply = pay(ams, in_store_body("PaymentCode", code=late))
    assert (reply.result["resultStatus"], reply.code) == ("F", "EXPIRED_CODE")


def test_unused_codes_go_an_hour_after_they_expired(
    ams: AmsClient, gateway: Gateway, clock: ShiftableClock
) -> None:
    """The wallet page issues codes to anyone who opens it: what is never used must go."""
    clock.freeze()  # exact ages: the machine's speed cannot add a second
    used = issue(ams)
    assert pay(ams, in_store_body("PaymentCode", code=used, value="100")).code == "SUCCESS"
    forgotten = [issue(ams) for _ in range(3)]
    clock.advance(60 + KEEP_EXPIRED_MS // 1000 - 1)
    issue(ams)  # within the hour: the forgotten codes are kept, and say they expired
    late = pay(ams, in_store_body("PaymentCode", code=forgotten[0]))
    assert late.code == "EXPIRED_CODE", late.result
    clock.advance(2)
    issue(ams)
    with gateway.engine.connect() as conn:
        kept = {row[0] for row in conn.exec_driver_sql("SELECT code_hash FROM payment_codes")}
    assert code_hash(used) in kept
    assert kept.isdisjoint(code_hash(code) for code in forgotten)
    assert len(kept) == 3  # the used code and the two issued since
    gone = pay(ams, in_store_body("PaymentCode", code=forgotten[1]))
    assert gone.code == "INVALID_PAYMENT_CODE", gone.result


@pytest.mark.parametrize("code", ["289999999999999999", "28-not-a-code", "x" * 128])
def test_an_unknown_code_is_refused(ams: AmsClient, code: str) -> None:
    reply = pay(ams, in_store_body("PaymentCode", code=code))
    assert (reply.result["resultStatus"], reply.code) == ("F", "INVALID_PAYMENT_CODE")


def test_a_code_is_stored_as_its_hash_only(ams: AmsClient, gateway: Gateway) -> None:
    code = issue(ams)
    with gateway.engine.connect() as conn:
        rows = [tuple(r) for r in conn.exec_driver_sql("SELECT * FROM payment_codes").all()]
    assert len(rows) == 1
    assert code not in repr(rows) and code_hash(code) in rows[0]


def test_a_large_amount_waits_for_the_buyer_then_succeeds(ams: AmsClient, gateway: Gateway) -> None:
    body = in_store_body("PaymentCode", code=issue(ams), value=str(CONFIRM_FROM_VALUE))
    reply = pay(ams, body)
    assert (reply.result["resultStatus"], reply.code) == ("U", "PAYMENT_IN_PROCESS")
    for absent in ("normalUrl", "orderCodeForm", "redirectActionForm", "applinkUrl"):
        assert absent not in reply.body
    payment_id = reply.body["paymentId"]
    assert inquiry(ams, payment_id)["paymentStatus"] == "PROCESSING"
    assert pay(ams, body).code == "PAYMENT_IN_PROCESS"  # the resend: the same answer
    done = ams.call("testHelpers/completePayment", {"paymentId": payment_id, "outcome": "SUCCESS"})
    assert done.code == "SUCCESS"
    assert inquiry(ams, payment_id)["paymentStatus"] == "SUCCESS"
    [notice] = notices(gateway, ams, payment_id)
    assert notice["result"]["resultCode"] == "SUCCESS"


def test_unconfirmed_payment_is_cancelled_by_the_merchant_after_its_timeout(
    ams: AmsClient, clock: ShiftableClock
) -> None:
    body = in_store_body("PaymentCode", code=issue(ams), value="25000")
    payment_id = pay(ams, body).body["paymentId"]
    clock.advance(9 * 60)
    assert inquiry(ams, payment_id)["paymentStatus"] == "PROCESSING"
    cancelled = ams.call("payments/cancel", {"paymentId": payment_id})
    assert cancelled.code == "SUCCESS"
    assert inquiry(ams, payment_id)["paymentStatus"] == "CANCELLED"


def test_a_sandbox_account_failure_is_answered_at_once(ams: AmsClient, gateway: Gateway) -> None:
    reply = pay(ams, in_store_body("PaymentCode", code=issue(ams, "sandbox_nobalance")))
    assert (reply.result["resultStatus"], reply.code) == ("F", "USER_BALANCE_NOT_ENOUGH")
    payment_id = reply.body["paymentId"]
    assert inquiry(ams, payment_id)["paymentResultCode"] == "USER_BALANCE_NOT_ENOUGH"
    [notice] = notices(gateway, ams, payment_id)
    assert notice["result"]["resultCode"] == "USER_BALANCE_NOT_ENOUGH"


def test_another_merchant_cannot_tell_a_used_code_from_an_unknown_one(
    ams: AmsClient, other_ams: AmsClient
) -> None:
    code = issue(ams)
    assert pay(ams, in_store_body("PaymentCode", code=code)).code == "SUCCESS"
    reply = pay(other_ams, in_store_body("PaymentCode", code=code))
    assert reply.code == "INVALID_PAYMENT_CODE"


def test_issue_payment_code_checks_the_buyer(ams: AmsClient) -> None:
    assert ams.call("testHelpers/issuePaymentCode", {"buyer": "  "}).code == "PARAM_ILLEGAL"
    assert ams.call("testHelpers/issuePaymentCode", {"buyer": "b" * 65}).code == "PARAM_ILLEGAL"
    assert ams.call("testHelpers/issuePaymentCode", {}).code == "PARAM_ILLEGAL"
    codes = {issue(ams) for _ in range(5)}
    assert len(codes) == 5 and all(len(c) == 18 and c.startswith("28") for c in codes)


def test_concurrent_pays_with_one_code_charge_once(ams: AmsClient) -> None:
    code = issue(ams)
    workers = 6
    barrier = threading.Barrier(workers)
    answers: list[str] = []
    lock = threading.Lock()

    def attempt() -> None:
        with httpx.Client(base_url=ams.http.base_url) as http:
            own = replace(ams, http=http)
            body = in_store_body("PaymentCode", code=code, request_id=new_id())
            barrier.wait()
            answer = own.call("payments/pay", body).code
        with lock:
            answers.append(answer)

    threads = [threading.Thread(target=attempt) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(answers) == ["INVALID_PAYMENT_CODE"] * (workers - 1) + ["SUCCESS"]


def test_a_pending_wallet_answers_in_process_then_succeeds_by_itself(
    ams: AmsClient, gateway: Gateway, clock: ShiftableClock
) -> None:
    reply = pay(ams, in_store_body("PaymentCode", code=issue(ams, "sandbox_pending"), value="100"))
    assert (reply.result["resultStatus"], reply.code) == ("U", "PAYMENT_IN_PROCESS")
    payment_id = reply.body["paymentId"]
    assert inquiry(ams, payment_id)["paymentStatus"] == "PENDING"
    clock.advance(61)
    assert inquiry(ams, payment_id)["paymentStatus"] == "SUCCESS"
    kinds = [n["notifyType"] for n in notices(gateway, ams, payment_id)]
    assert kinds == ["PAYMENT_PENDING", "PAYMENT_RESULT"]
