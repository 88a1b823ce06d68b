"""Specific bad values, each with a clear, signed answer, and stored data left intact.

Bodies that are not JSON, too large, too deep or of the wrong content type are covered in
tests/gateway/integration/test_auth_and_envelope.py; amounts on pay and consult in
test_consult_and_sessions.py. Here: huge numbers, zero and negative amounts and unknown
currencies on every operation that takes money, and a wrong JSON type in every kind of
field (string, object, array, boolean, integer), on every operation.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import select

from openams.gateway.app import Gateway
from openams.gateway.store.tables import notifications, payments, refunds
from tests.ams_client import AmsClient
from tests.gateway.integration.card_payloads import card_meta, card_pay_body
from tests.gateway.integration.payloads import new_id, pay_body

HUGE_NUMBERS: list[tuple[str, str]] = [
    ("10" + "0" * 30, "a 32-digit integer"),
    ("1e400", "a float that overflows to infinity"),
    ("-1e400", "negative infinity"),
    ("1e-400", "a float that underflows to zero"),
    ("9" * 4000, "4,000 digits (under Python's int parsing limit)"),
    ("9223372036854775808", "2**63, one past the largest BIGINT"),
    ("NaN", "NaN (Python's json accepts it)"),
    ("Infinity", "Infinity (Python's json accepts it)"),
    ("100.0", "a float with a zero fraction"),
]

#: Surrounding whitespace is tolerated (" 100" is 100); these are not amounts.
ZERO_AND_NEGATIVE = [
    "0", "-0", "-1", "-100", "00", "1 00", "+100", "0x10", "1_000", "\uff11\uff10\uff10"
]  # fmt: skip


def _paid(ams: AmsClient, value: str = "1000") -> dict[str, Any]:
    body = pay_body(value=value)
    reply = ams.call("payments/pay", body)
    done = ams.call(
        "testHelpers/completePayment", {"paymentId": reply.body["paymentId"], "outcome": "SUCCESS"}
    )
    assert done.code == "SUCCESS", done.result
    return reply.body


def _authorized(ams: AmsClient) -> dict[str, Any]:
    reply = ams.call(
        "payments/pay", card_pay_body(card_meta(), authorization=True, capture_mode="MANUAL")
    )
    assert reply.code == "SUCCESS", reply.result
    return reply.body


def _money_bodies(ams: AmsClient) -> dict[str, tuple[dict[str, Any], list[str]]]:
    """One valid body per operation that takes an amount, and where its amounts are."""
    paid = _paid(ams)
    authorized = _authorized(ams)
    session = pay_body()
    return {
        "payments/pay": (pay_body(), ["paymentAmount", "order.orderAmount"]),
        "payments/createPaymentSession": (session, ["paymentAmount", "order.orderAmount"]),
        "payments/consult": (
            {
                "productCode": "CASHIER_PAYMENT",
                "paymentAmount": {"currency": "HKD", "value": "100"},
                "env": {"terminalType": "WEB"},
            },
            ["paymentAmount"],
        ),
        "payments/refund": (
            {
                "refundRequestId": new_id("RF"),
                "paymentId": paid["paymentId"],
                "refundAmount": {"currency": "HKD", "value": "10"},
            },
            ["refundAmount"],
        ),
        "payments/capture": (
            {
                "captureRequestId": new_id("CAP"),
                "paymentId": authorized["paymentId"],
                "captureAmount": {"currency": "USD", "value": "1000"},
            },
            ["captureAmount"],
        ),
    }


def _with(body: dict[str, Any], dotted: str, key: str, raw_value: str) -> bytes:
    """``body`` as JSON with ``dotted.key`` replaced by the raw JSON text ``raw_value``."""
    marker = "@@VALUE@@"
    copy = json.loads(json.dumps(body))
    target = copy
    for part in dotted.split("."):
        target = target[part]
    target[key] = marker
    return json.dumps(copy).replace(f'"{marker}"', raw_value).encode()


def _snapshot(gateway: Gateway) -> list[list[tuple[Any, ...]]]:
    with gateway.engine.connect() as conn:
        return [
            [tuple(r) for r in conn.execute(select(t).order_by(*t.primary_key.columns))]
            for t in (payments, refunds, notifications)
        ]


def _fresh(body: dict[str, Any]) -> dict[str, Any]:
    """The same request with new idempotency keys, so each attempt is judged on its own."""
    copy = json.loads(json.dumps(body))
    for key in ("paymentRequestId", "refundRequestId", "captureRequestId"):
        if key in copy:
            copy[key] = new_id(key[:3].upper())
    return copy


def test_huge_numbers_in_amounts_are_refused_and_change_nothing(
    ams: AmsClient, gateway: Gateway
) -> None:
    cases = _money_bodies(ams)
    before = _snapshot(gateway)
    for api, (body, amounts) in cases.items():
        for where in amounts:
            for raw, what in HUGE_NUMBERS:
                reply = ams.call(api, _with(_fresh(body), where, "value", raw))
                assert reply.code == "PARAM_ILLEGAL", (api, where, what, reply.result)
                assert where.split(".")[-1] in reply.result["resultMessage"], (api, what)
    assert _snapshot(gateway) == before


@pytest.mark.parametrize("value", ZERO_AND_NEGATIVE)
def test_zero_negative_and_malformed_amounts_everywhere(
    ams: AmsClient, gateway: Gateway, value: str
) -> None:
    cases = _money_bodies(ams)
    before = _snapshot(gateway)
    for api, (body, amounts) in cases.items():
        for where in amounts:
            reply = ams.call(api, _with(_fresh(body), where, "value", json.dumps(value)))
            assert reply.code == "PARAM_ILLEGAL", (api, where, value, reply.result)
    assert _snapshot(gateway) == before


@pytest.mark.parametrize(
    "currency", ["XYZ", "hkd", "HK", "HKDD", "", "123", "\u20ac", "BTC", "XXX", "EURO"]
)
def test_unknown_currencies_everywhere(ams: AmsClient, gateway: Gateway, currency: str) -> None:
    cases = _money_bodies(ams)
    before = _snapshot(gateway)
    for api, (body, amounts) in cases.items():
        for where in amounts:
            reply = ams.call(api, _with(_fresh(body), where, "currency", json.dumps(currency)))
            # an ISO code the method does not take is CURRENCY_NOT_SUPPORT; refunds and
            # captures must be in the payment's currency
            assert reply.code in ("PARAM_ILLEGAL", "CURRENCY_NOT_SUPPORT"), (
                api,
                where,
                currency,
                reply.result,
            )
            assert reply.result["resultStatus"] == "F"
    assert _snapshot(gateway) == before


#: A JSON number in a string field is read as its text (see the last test), so strings
#: get the other wrong types.
WRONG_TYPES: list[tuple[str, Any]] = [
    ("string", True),
    ("string", {"a": 1}),
    ("string", ["a"]),
    ("object", "text"),
    ("object", 7),
    ("object", [{"currency": "HKD"}]),
    ("array", {"a": 1}),
    ("array", "ALIPAY_HK"),
    ("boolean", "maybe"),
    ("boolean", {"x": 1}),
    ("integer", "soon"),
    ("integer", 1.5),
    ("integer", [1]),
]

#: (operation, a valid body, field path, the field's kind)
FIELDS: list[tuple[str, str, str]] = [
    ("payments/pay", "paymentRequestId", "string"),
    ("payments/pay", "order", "object"),
    ("payments/pay", "paymentAmount", "object"),
    ("payments/pay", "paymentAmount.value", "string"),
    ("payments/pay", "paymentMethod.paymentMethodType", "string"),
    ("payments/pay", "order.goods", "array"),
    ("payments/pay", "paymentFactor.isAuthorization", "boolean"),
    ("payments/consult", "allowedPaymentMethods", "array"),
    ("payments/inquiryPayment", "paymentId", "string"),
    ("payments/cancel", "paymentRequestId", "string"),
    ("payments/refund", "refundAmount", "object"),
    ("payments/inquiryRefund", "refundRequestId", "string"),
    ("payments/capture", "isLastCapture", "boolean"),
    ("testHelpers/advanceClock", "seconds", "integer"),
    ("testHelpers/notificationChaos", "duplicate", "boolean"),
    ("testHelpers/notificationChaos", "delaySeconds", "integer"),
]


def _valid(api: str, ams: AmsClient, paid: dict[str, Any]) -> dict[str, Any]:
    body: dict[str, Any] = {
        "payments/pay": {**pay_body(), "paymentFactor": {"isAuthorization": False}},
        "payments/consult": {
            "productCode": "CASHIER_PAYMENT",
            "paymentAmount": {"currency": "HKD", "value": "100"},
            "env": {"terminalType": "WEB"},
        },
        "payments/inquiryPayment": {"paymentId": paid["paymentId"]},
        "payments/cancel": {"paymentRequestId": paid["paymentRequestId"]},
        "payments/refund": {
            "refundRequestId": new_id("RF"),
            "paymentId": paid["paymentId"],
            "refundAmount": {"currency": "HKD", "value": "1"},
        },
        "payments/inquiryRefund": {"refundRequestId": "RF_unknown"},
        "payments/capture": {
            "captureRequestId": new_id("CAP"),
            "paymentId": paid["paymentId"],
            "captureAmount": {"currency": "HKD", "value": "1000"},
        },
        "testHelpers/advanceClock": {"seconds": 1},
        "testHelpers/notificationChaos": {},
    }[api]
    return body


def _set_path(body: dict[str, Any], dotted: str, value: Any) -> dict[str, Any]:
    copy = json.loads(json.dumps(body))
    target = copy
    parts = dotted.split(".")
    for part in parts[:-1]:
        target = target.setdefault(part, {})
    target[parts[-1]] = value
    return copy


def test_wrong_types_in_every_field_kind(ams: AmsClient, gateway: Gateway) -> None:
    paid = _paid(ams)
    before = _snapshot(gateway)
    checked = 0
    for api, field, kind in FIELDS:
        for wrong_kind, value in WRONG_TYPES:
            if wrong_kind != kind:
                continue
            body = _set_path(_valid(api, ams, paid), field, value)
            reply = ams.call(api, body)
            assert reply.code == "PARAM_ILLEGAL", (api, field, value, reply.result)
            assert reply.result["resultStatus"] == "F"
            # the message names the field (its last part, as the wire spells it)
            assert field.split(".")[-1] in reply.result["resultMessage"], (
                api,
                field,
                reply.result,
            )
            checked += 1
    assert checked >= 25
    assert _snapshot(gateway) == before


def test_numbers_where_strings_are_expected_are_read_as_strings(ams: AmsClient) -> None:
    """Antom is lenient: a JSON number in a string field is its decimal text."""
    body = pay_body()
    body["order"]["referenceOrderId"] = 12345
    assert ams.call("payments/pay", body).code == "PAYMENT_IN_PROCESS"


def test_complete_payment_refuses_result_codes_outside_the_catalogue(
    ams: AmsClient, gateway: Gateway
) -> None:
    """A made-up failure code would otherwise reach the merchant's PAYMENT_RESULT
    notification and inquiries (the gateway's own catalogue check let unknown codes pass
    as failures)."""
    paid = ams.call("payments/pay", pay_body()).body
    for code in ("MADE_UP_CODE", "success", "PAYMENT_IN_PROCESS"):
        reply = ams.call(
            "testHelpers/completePayment",
            {"paymentId": paid["paymentId"], "outcome": "FAIL", "resultCode": code},
        )
        assert reply.code == "PARAM_ILLEGAL", (code, reply.result)
    inquiry = ams.call("payments/inquiryPayment", {"paymentId": paid["paymentId"]})
    assert inquiry.body["paymentStatus"] == "PROCESSING"
    declined = ams.call(
        "testHelpers/completePayment",
        {"paymentId": paid["paymentId"], "outcome": "FAIL", "resultCode": "RISK_REJECT"},
    )
    assert declined.body["paymentResultCode"] == "RISK_REJECT"


def test_nul_characters_are_refused_on_every_database(ams: AmsClient, gateway: Gateway) -> None:
    """Found by the generated requests on PostgreSQL, whose text cannot hold NUL: a
    paymentId of "\\u0000" reached a query and the catch-all."""
    paid = _paid(ams)
    before = _snapshot(gateway)
    cases = [
        ("payments/cancel", {"paymentId": "\x00"}),
        ("payments/inquiryPayment", {"paymentRequestId": "PR\x00"}),
        ("payments/pay", {**pay_body(), "paymentRequestId": "A\x00B"}),
        ("payments/pay", {**pay_body(), "extra\x00key": 1}),
        ("payments/refund", {
            "refundRequestId": "RF\x00", "paymentId": paid["paymentId"],
            "refundAmount": {"currency": "HKD", "value": "1"},
        }),
    ]  # fmt: skip
    for api, body in cases:
        reply = ams.call(api, body)
        assert reply.code == "PARAM_ILLEGAL", (api, reply.result)
        assert "NUL" in reply.result["resultMessage"]
    assert _snapshot(gateway) == before
    # an escaped backslash followed by "u0000" is just text
    escaped = pay_body()
    escaped["order"]["orderDescription"] = "C:\\u0000"
    assert ams.call("payments/pay", escaped).code == "PAYMENT_IN_PROCESS"
