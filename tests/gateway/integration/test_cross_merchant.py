"""Every AMS endpoint that names a payment, refund or capture, called by another merchant.

The endpoints come from the API's own operation table (``AmsApi.operations``): each whose
request model has a field naming one of those (``NAMING_FIELDS``) must have a case in
``CASES``, so an endpoint added later fails here until someone says what another
merchant may do with it. Merchant A owns the objects; merchant B names them:

- a lookup or an action answers B exactly as it answers for an id that does not exist
  (code, message less the ids, fields), and changes nothing of A's;
- pay and createPaymentSession take A's request id as B's own, new request.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from openams.gateway.app import Gateway, create_app
from openams.gateway.domain.async_outcomes import IN_PROCESS_VALUE
from tests.ams_client import AmsClient, AmsReply
from tests.gateway.integration.card_payloads import card_meta, card_pay_body
from tests.gateway.integration.payloads import new_id, pay_body, session_body

#: Request fields that name a payment, refund or capture.
NAMING_FIELDS = {
    "payment_id",
    "payment_request_id",
    "refund_id",
    "refund_request_id",
    "capture_id",
    "capture_request_id",
}
#: The same, as the wire spells them.
_ID_FIELDS = (
    "paymentId",
    "paymentRequestId",
    "refundId",
    "refundRequestId",
    "captureId",
    "captureRequestId",
)
UNKNOWN = "40400000000000000000"
NOT_FOUND = {"ORDER_NOT_EXIST"}


@dataclass
class Owned:
    """Merchant A's objects, each in the state its endpoints act on."""

    open: dict[str, Any]  # a PROCESSING wallet payment
    paid: dict[str, Any]  # a paid payment ...
    refund: dict[str, Any]  # ... with a refund in process
    held: dict[str, Any]  # a card authorization, not captured
    capturing: dict[str, Any]  # a card authorization with a capture in process
    capture: dict[str, Any]

    def ids(self) -> set[str]:
        """Every id of A's objects: what B must never see."""
        bodies = (self.open, self.paid, self.refund, self.held, self.capturing, self.capture)
        return {body[key] for body in bodies for key in _ID_FIELDS if key in body}

    def payments(self) -> list[str]:
        return [p["paymentId"] for p in (self.open, self.paid, self.held, self.capturing)]


def _own(ams: AmsClient) -> Owned:
    open_body = pay_body()
    opened = ams.call("payments/pay", open_body).body
    paid = ams.call("payments/pay", pay_body(value="5000")).body
    done = ams.call(
        "testHelpers/completePayment", {"paymentId": paid["paymentId"], "outcome": "SUCCESS"}
    )
    assert done.body["paymentStatus"] == "SUCCESS", done.body
    refund = ams.call(
        "payments/refund",
        {
            "refundRequestId": new_id("RF"),
            "paymentId": paid["paymentId"],
            "refundAmount": {"currency": "HKD", "value": str(IN_PROCESS_VALUE)},
        },
    )
    assert refund.code == "REFUND_IN_PROCESS", refund.result

    def authorize(value: str) -> dict[str, Any]:
        body = card_pay_body(card_meta(), authorization=True, capture_mode="MANUAL", value=value)
        reply = ams.call("payments/pay", body)
        assert reply.code == "SUCCESS", reply.result
        return reply.body

    held = authorize("1000")
    capturing = authorize(str(IN_PROCESS_VALUE))
    capture = ams.call(
        "payments/capture",
        {
            "captureRequestId": new_id("CAP"),
            "paymentId": capturing["paymentId"],
            "captureAmount": {"currency": "USD", "value": str(IN_PROCESS_VALUE)},
        },
    )
    assert capture.code == "CAPTURE_IN_PROCESS", capture.result
    return Owned(
        open={**opened, "paymentRequestId": open_body["paymentRequestId"]},
        paid=paid,
        refund=refund.body,
        held=held,
        capturing=capturing,
        capture=capture.body,
    )


Bodies = Callable[[Owned], list[dict[str, Any]]]


def _by_payment(pick: Callable[[Owned], dict[str, Any]], **extra: Any) -> Bodies:
    def bodies(owned: Owned) -> list[dict[str, Any]]:
        payment = pick(owned)
        return [
            {"paymentId": payment["paymentId"], **extra},
            {"paymentRequestId": payment["paymentRequestId"], **extra},
        ]

    return bodies


#: What B sends, per endpoint, naming A's objects. ``None``: the endpoint creates with a
#: request id of B's own (checked by ``test_a_request_id_is_the_callers_own``).
CASES: dict[str, Bodies | None] = {
    "payments/pay": None,
    "payments/createPaymentSession": None,
    "payments/inquiryPayment": _by_payment(lambda o: o.paid),
    "payments/cancel": _by_payment(lambda o: o.open),
    "testHelpers/completePayment": _by_payment(lambda o: o.open, outcome="SUCCESS"),
    "testHelpers/resendNotification": _by_payment(lambda o: o.paid),
    "testHelpers/openDispute": _by_payment(lambda o: o.paid),
    "payments/refund": lambda o: [
        {
            "refundRequestId": new_id("RF"),
            "paymentId": o.paid["paymentId"],
            "refundAmount": {"currency": "HKD", "value": "100"},
        }
    ],
    "payments/inquiryRefund": lambda o: [
        {"refundId": o.refund["refundId"]},
        {"refundRequestId": o.refund["refundRequestId"]},
    ],
    "testHelpers/completeRefund": lambda o: [
        {"refundId": o.refund["refundId"], "outcome": "SUCCESS"},
        {"refundRequestId": o.refund["refundRequestId"], "outcome": "FAIL"},
    ],
    "payments/capture": lambda o: [
        {
            "captureRequestId": new_id("CAP"),
            "paymentId": o.held["paymentId"],
            "captureAmount": {"currency": "USD", "value": "1000"},
        },
        {  # A's captureRequestId too
            "captureRequestId": o.capture["captureRequestId"],
            "paymentId": o.capturing["paymentId"],
            "captureAmount": {"currency": "USD", "value": str(IN_PROCESS_VALUE)},
        },
    ],
    "testHelpers/completeCapture": lambda o: [
        {"captureId": o.capture["captureId"], "outcome": "SUCCESS"},
        {"captureRequestId": o.capture["captureRequestId"], "outcome": "FAIL"},
    ],
}


def naming_operations(gateway: Gateway) -> set[str]:
    """The API's endpoints whose request names a payment, refund or capture."""
    api = create_app(gateway=gateway).ams_api
    assert api is not None
    return {
        name
        for name, operation in api.operations.items()
        if NAMING_FIELDS & set(operation.model.model_fields)
    }


def test_every_endpoint_that_names_a_transaction_has_a_case(gateway: Gateway) -> None:
    found = naming_operations(gateway)
    assert "payments/capture" in found and "payments/inquiryRefund" in found  # not vacuous
    assert found == set(CASES), (
        f"endpoints without a cross-merchant case: {sorted(found - set(CASES))}; "
        f"cases for no endpoint: {sorted(set(CASES) - found)}"
    )


def _unknown(value: Any, secrets: set[str]) -> Any:
    """``value`` with A's ids replaced by one that exists nowhere."""
    if isinstance(value, dict):
        return {k: _unknown(v, secrets) for k, v in value.items()}
    return UNKNOWN if value in secrets else value


def _hide(text: str, secrets: set[str]) -> str:
    for secret in secrets:
        text = text.replace(secret, UNKNOWN)
    return text


def _snapshot(ams: AmsClient, gateway: Gateway, owned: Owned) -> list[Any]:
    """What A can see of its objects, and the notifications they have."""
    seen: list[Any] = []
    for payment_id in owned.payments():
        seen.append(ams.call("payments/inquiryPayment", {"paymentId": payment_id}).body)
        with gateway.store() as uow:
            seen.append(len(uow.outbox.for_payment(ams.client_id, payment_id)))
    seen.append(ams.call("payments/inquiryRefund", {"refundId": owned.refund["refundId"]}).body)
    return seen


@pytest.mark.parametrize("api", sorted(name for name, bodies in CASES.items() if bodies))
def test_another_merchants_transaction_looks_like_none(
    ams: AmsClient, other_ams: AmsClient, gateway: Gateway, api: str
) -> None:
    owned = _own(ams)
    secrets = owned.ids()
    before = _snapshot(ams, gateway, owned)
    bodies = CASES[api]
    assert bodies is not None
    for body in bodies(owned):
        theirs: AmsReply = other_ams.call(api, body)
        missing: AmsReply = other_ams.call(api, _unknown(body, secrets))
        assert theirs.code in NOT_FOUND, (api, body, theirs.result)
        assert theirs.code == missing.code, (api, body)
        assert _hide(theirs.result["resultMessage"], secrets) == missing.result["resultMessage"]
        assert set(theirs.body) == set(missing.body), (api, body)
        assert not secrets & set(map(str, theirs.body.values())), (api, theirs.body)
    assert _snapshot(ams, gateway, owned) == before


def test_a_request_id_is_the_callers_own(
    ams: AmsClient, other_ams: AmsClient, gateway: Gateway
) -> None:
    """B sending A's paymentRequestId makes B's own payment or session: it neither
    replays A's nor is refused as a repeat."""
    owned = _own(ams)
    before = _snapshot(ams, gateway, owned)
    mine = pay_body(request_id=owned.open["paymentRequestId"])
    theirs = other_ams.call("payments/pay", mine)
    assert theirs.code == "PAYMENT_IN_PROCESS", theirs.result
    assert theirs.body["paymentId"] not in owned.ids()
    session = session_body()
    first = ams.call("payments/createPaymentSession", session)
    assert first.code == "SUCCESS", first.result
    again = other_ams.call("payments/createPaymentSession", session)
    assert again.code == "SUCCESS", again.result
    assert again.body["paymentSessionId"] != first.body["paymentSessionId"]
    assert _snapshot(ams, gateway, owned) == before
