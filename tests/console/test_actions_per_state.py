"""The payment page offers an action only when the payment's state allows it, and a
hand-made POST of an action it does not offer is refused with a message and changes
nothing. What each state offers is asserted, and for every state every action is tried:
an offered one succeeds, one not offered is refused."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from openams.gateway.app import Gateway
from openams.gateway.domain.transactions import TransactionStatus
from tests.ams_client import AmsClient
from tests.console.conftest import csrf_of
from tests.gateway.integration.card_payloads import card_meta, card_pay_body
from tests.gateway.integration.payloads import new_id, pay_body

CLIENT = "SANDBOX_TEST_MERCHANT"
BASE = f"/console/m/{CLIENT}"

#: action -> (what shows it on the page, the form post that does it)
ACTIONS: dict[str, tuple[str, str, dict[str, str]]] = {
    "refund": ('name="amount"', "refund", {}),
    "cancel": (">Cancel payment<", "cancel", {}),
    "simulate success": (">Simulate success<", "simulate", {"outcome": "SUCCESS"}),
    "simulate failure": (">Simulate failure<", "simulate", {"outcome": "FAIL"}),
    "resend": (">Resend notification<", "resend", {}),
}


def _pay(ams: AmsClient, body: dict[str, Any]) -> str:
    reply = ams.call("payments/pay", body)
    assert reply.result["resultStatus"] in ("U", "S"), reply.body
    return str(reply.body["paymentId"])


def _complete(ams: AmsClient, payment_id: str, outcome: str) -> None:
    ams.call("testHelpers/completePayment", {"paymentId": payment_id, "outcome": outcome})


def processing(ams: AmsClient) -> str:
    return _pay(ams, pay_body(value="8800"))


def pending(ams: AmsClient) -> str:
    payment_id = processing(ams)
    _complete(ams, payment_id, "PENDING")
    return payment_id


def paid(ams: AmsClient) -> str:
    payment_id = processing(ams)
    _complete(ams, payment_id, "SUCCESS")
    return payment_id


def failed(ams: AmsClient) -> str:
    payment_id = processing(ams)
    _complete(ams, payment_id, "FAIL")
    return payment_id


def cancelled(ams: AmsClient) -> str:
    payment_id = processing(ams)
    assert ams.call("payments/cancel", {"paymentId": payment_id}).code == "SUCCESS"
    return payment_id


def _refund(ams: AmsClient, payment_id: str, value: str) -> None:
    reply = ams.call(
        "payments/refund",
        {
            "refundRequestId": new_id("RF"),
            "paymentId": payment_id,
            "refundAmount": {"currency": "HKD", "value": value},
        },
    )
    assert reply.code == "SUCCESS", reply.body


def partly_refunded(ams: AmsClient) -> str:
    payment_id = paid(ams)
    _refund(ams, payment_id, "3000")
    return payment_id


def fully_refunded(ams: AmsClient) -> str:
    payment_id = paid(ams)
    _refund(ams, payment_id, "8800")
    return payment_id


def authorized(ams: AmsClient) -> str:
    return _pay(ams, card_pay_body(card_meta(), authorization=True, capture_mode="MANUAL"))


def captured(ams: AmsClient) -> str:
    return _pay(ams, card_pay_body(card_meta()))


#: state -> (how to make it, its status, the actions the page offers)
STATES: dict[str, tuple[Callable[[AmsClient], str], str, set[str]]] = {
    "processing": (processing, "PROCESSING", {"cancel", "simulate success", "simulate failure"}),
    "pending": (pending, "PENDING", {"cancel", "simulate success", "simulate failure", "resend"}),
    # an AlipayHK payment can be reversed until 00:15 (UTC+8) the next day
    "paid": (paid, "SUCCESS", {"refund", "cancel", "resend"}),
    "partly refunded": (partly_refunded, "SUCCESS", {"refund", "resend"}),
    "fully refunded": (fully_refunded, "SUCCESS", {"resend"}),
    "failed": (failed, "FAIL", {"resend"}),
    "cancelled": (cancelled, "CANCELLED", set()),
    "authorized": (authorized, "AUTHORIZED", {"cancel", "resend"}),
    "captured card": (captured, "SUCCESS", {"refund", "resend"}),
}


def offered(html: str) -> set[str]:
    actions = html[html.index('data-testid="actions"') :]
    actions = actions[: actions.index("<h2>")]
    return {name for name, (marker, _path, _data) in ACTIONS.items() if marker in actions}


def _state(gateway: Gateway, payment_id: str) -> tuple[str, int, int]:
    detail = gateway.console.detail(CLIENT, payment_id)
    assert detail is not None
    refunded = sum(r.amount.value for r in detail.refunds if r.status is not TransactionStatus.FAIL)
    return detail.payment.status.value, refunded, len(detail.deliveries)


@pytest.mark.parametrize("state", list(STATES))
def test_each_state_offers_only_its_actions(
    console: httpx.Client, ams: AmsClient, gateway: Gateway, state: str
) -> None:
    make, status, expected = STATES[state]
    payment_id = make(ams)
    page = console.get(f"{BASE}/payments/{payment_id}").text
    assert re.search(rf'data-testid="status">{status}<', page), page
    assert offered(page) == expected
    if not expected:
        assert f"No action applies to a {status} payment" in page


@pytest.mark.parametrize("state", list(STATES))
@pytest.mark.parametrize("action", list(ACTIONS))
def test_an_action_works_exactly_when_it_is_offered(
    console: httpx.Client, ams: AmsClient, gateway: Gateway, state: str, action: str
) -> None:
    make, _status, expected = STATES[state]
    payment_id = make(ams)
    page = f"{BASE}/payments/{payment_id}"
    html = console.get(page).text
    _marker, path, data = ACTIONS[action]
    amount = re.search(r'name="amount"[^>]*value="([^"]*)"', html)
    form = {"csrf_token": csrf_of(html), "amount": amount.group(1) if amount else "1.00", **data}
    before = _state(gateway, payment_id)
    reply = console.post(f"{page}/{path}", data=form)
    assert reply.status_code == 303, reply.text
    shown = console.get(reply.headers["location"]).text
    if action in expected:
        assert 'role="status"' in shown and 'role="alert"' not in shown, shown
        return
    alert = re.search(r'role="alert">(.*?)</p>', shown, re.S)
    assert alert is not None, shown
    assert re.search(r"cannot|no notification|already|not", alert.group(1)), alert.group(1)
    assert _state(gateway, payment_id) == before  # nothing changed
