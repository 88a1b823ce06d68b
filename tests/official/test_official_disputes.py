"""The official SDK against disputes on a real ``openams serve`` over TLS.

A paid card payment is disputed with the sandbox helper ``testHelpers/openDispute``; the
merchant answers with the SDK's own ``AlipayAcceptDisputeRequest``,
``AlipaySupplyDefenseDocumentRequest`` and ``AlipayDownloadDisputeEvidenceRequest``
(responses read back through their response classes); the sandbox judges with
``testHelpers/resolveDispute`` or the deadline (``advanceClock``). Every notifyDispute
the gateway's dispatcher delivers is checked with ``webhook_tool.check_signature`` and
parsed by ``AlipayDisputeNotify``.
"""

from __future__ import annotations

import base64
import time
from collections.abc import Iterator
from typing import Any

import pytest

from openams.gateway.domain.disputes import DEFENSE_WINDOW
from tests.gateway.integration.card_payloads import card_meta
from tests.notify.receiver import Received, Receiver, receiver
from tests.official.conftest import OfficialGateway, OfficialSDK
from tests.official.test_official_async_refund_capture import _id, _ok, _status

pytestmark = pytest.mark.official

OPEN_DISPUTE = "/ams/api/v1/testHelpers/openDispute"
RESOLVE_DISPUTE = "/ams/api/v1/testHelpers/resolveDispute"
ADVANCE_CLOCK = "/ams/api/v1/testHelpers/advanceClock"
PDF = b"%PDF-1.4\n% openams official SDK test\n%%EOF\n"
#: An upper bound for the dispatcher of ``openams serve``; never asserted.
NOTIFICATION_WAIT_SECONDS = 60.0


@pytest.fixture
def run(official_sdk: OfficialSDK, official_gateway: OfficialGateway) -> Any:
    def _run(commands: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return official_sdk.run(commands, env=official_gateway.env)

    return _run


@pytest.fixture
def merchant() -> Iterator[Receiver]:
    with receiver() as inbox:
        yield inbox


def _raw(official_gateway: OfficialGateway, path: str, body: dict[str, Any]) -> dict[str, Any]:
    return official_gateway.call("raw", {"path": path, "body": body})


def _disputed_card_payment(
    run: Any, official_gateway: OfficialGateway, merchant: Receiver, value: str = "2500"
) -> tuple[str, str]:
    """A card sale paid through the SDK, then disputed: (paymentId, disputeId)."""
    request_id = _id("PAY")
    [paid] = run(
        [
            official_gateway.call(
                "payCard",
                {
                    "paymentRequestId": request_id,
                    "paymentAmount": {"currency": "USD", "value": value},
                    "paymentMethodType": "CARD",
                    "paymentMethodMetaData": card_meta(),
                    "terminalType": "WEB",
                    "paymentNotifyUrl": merchant.url,
                },
            )
        ]
    )
    payment = _ok(paid, "card pay")
    assert _status(payment) == ("SUCCESS", "S"), paid["raw"]
    [opened] = run(
        [
            _raw(
                official_gateway,
                OPEN_DISPUTE,
                {"paymentRequestId": request_id, "disputeReasonCode": "13.1"},
            )
        ]
    )
    assert _status(_ok(opened, "openDispute")) == ("SUCCESS", "S"), opened["raw"]
    return payment["paymentId"], opened["raw"]["disputeId"]


def _wait_for(inbox: Receiver, dispute_id: str, kind: str) -> Received:
    deadline = time.monotonic() + NOTIFICATION_WAIT_SECONDS
    while time.monotonic() < deadline:
        for note in list(inbox.received):
            body = note.json
            if body.get("disputeId") == dispute_id and body.get("disputeNotificationType") == kind:
                return note
        time.sleep(0.2)
    seen = [n.json.get("disputeNotificationType") for n in inbox.received]
    raise AssertionError(f"no {kind} for dispute {dispute_id} arrived; got {seen}")


def _verified(
    official_sdk: OfficialSDK, official_gateway: OfficialGateway, note: Received
) -> dict[str, Any]:
    """check_signature on the delivery as received, then AlipayDisputeNotify's reading."""
    check, parsed = official_sdk.run(
        [
            {
                "op": "webhook_check",
                "path": note.path,
                "client_id": note.headers["client-id"],
                "time": note.headers["request-time"],
                "body": note.body.decode(),
                "signature_header": note.headers["signature"],
                "public_key": official_gateway.gateway_public_key,
            },
            {"op": "parse_dispute_notify", "body": note.body.decode()},
        ]
    )
    assert check == {"valid": True}, note.body
    assert "error" not in parsed, parsed
    return parsed


def test_accept_dispute_with_the_official_sdk(
    run: Any, official_sdk: OfficialSDK, official_gateway: OfficialGateway, merchant: Receiver
) -> None:
    payment_id, dispute_id = _disputed_card_payment(run, official_gateway, merchant)
    created = _verified(
        official_sdk, official_gateway, _wait_for(merchant, dispute_id, "DISPUTE_CREATED")
    )
    assert created["paymentId"] == payment_id
    assert created["disputeAmount"] == {"currency": "USD", "value": "2500"}
    assert created["disputeReasonCode"] == "13.1" and created["defenseDueTime"]

    accepted, again, refund = run(
        [
            official_gateway.call("acceptDispute", {"disputeId": dispute_id}),
            official_gateway.call("acceptDispute", {"disputeId": dispute_id}),
            official_gateway.call(
                "refund",
                {
                    "refundRequestId": _id("RF"),
                    "paymentId": payment_id,
                    "refundAmount": {"currency": "USD", "value": "1"},
                },
            ),
        ]
    )
    assert '"disputeId"' in accepted["request_body"]
    answer = _ok(accepted, "acceptDispute")
    assert _status(answer) == ("SUCCESS", "S"), accepted["raw"]
    assert answer["disputeId"] == dispute_id and answer["disputeResolutionTime"]
    assert _ok(again, "acceptDispute again") == answer
    assert _status(_ok(refund, "refund after the chargeback")) == ("REFUND_AMOUNT_EXCEED", "F")

    judged = _verified(
        official_sdk, official_gateway, _wait_for(merchant, dispute_id, "DISPUTE_JUDGED")
    )
    assert judged["disputeJudgedResult"] == "ACCEPT_BY_MERCHANT"
    assert judged["disputeAcceptReason"] == "MERCHANT_ACCEPTED"
    assert judged["disputeJudgedAmount"] == {"currency": "USD", "value": "2500"}


@pytest.mark.parametrize("outcome", ["WON", "LOST"])
def test_defend_then_resolve_with_the_official_sdk(
    run: Any,
    official_sdk: OfficialSDK,
    official_gateway: OfficialGateway,
    merchant: Receiver,
    outcome: str,
) -> None:
    payment_id, dispute_id = _disputed_card_payment(run, official_gateway, merchant)
    created = _wait_for(merchant, dispute_id, "DISPUTE_CREATED")
    assert _verified(official_sdk, official_gateway, created)["disputeType"] == "CHARGEBACK"
    evidence = base64.b64encode(PDF).decode()
    template, supplied, download, bad = run(
        [
            official_gateway.call(
                "downloadDisputeEvidence",
                {"disputeId": dispute_id, "disputeEvidenceType": "TEMPLATE"},
            ),
            official_gateway.call(
                "supplyDefenseDocument", {"disputeId": dispute_id, "disputeEvidence": evidence}
            ),
            official_gateway.call(
                "downloadDisputeEvidence", {"disputeId": dispute_id, "disputeEvidenceType": "FILE"}
            ),
            official_gateway.call(
                "supplyDefenseDocument",
                {"disputeId": dispute_id, "disputeEvidence": base64.b64encode(b"<html>").decode()},
            ),
        ]
    )
    assert '"DISPUTE_EVIDENCE_TEMPLATE"' in template["request_body"]  # the SDK's wire value
    blank_form = _ok(template, "download template")
    assert _status(blank_form) == ("SUCCESS", "S")
    assert base64.b64decode(blank_form["disputeEvidence"]).startswith(b"%PDF-")
    assert blank_form["disputeEvidenceFormat"] == "PDF"  # parsed into the SDK's enum
    answer = _ok(supplied, "supplyDefenseDocument")
    assert _status(answer) == ("SUCCESS", "S"), supplied["raw"]
    assert answer["disputeId"] == dispute_id and answer["disputeResolutionTime"]
    stored = _ok(download, "download file")
    assert base64.b64decode(stored["disputeEvidence"]) == PDF
    assert _status(_ok(bad, "an HTML defense")) == ("PARAM_ILLEGAL", "F")

    supplied_note = _verified(
        official_sdk, official_gateway, _wait_for(merchant, dispute_id, "DEFENSE_SUPPLIED")
    )
    assert supplied_note["defenseSuppliedTime"] == answer["disputeResolutionTime"]

    [resolved] = run(
        [_raw(official_gateway, RESOLVE_DISPUTE, {"disputeId": dispute_id, "outcome": outcome})]
    )
    assert _status(_ok(resolved, "resolveDispute")) == ("SUCCESS", "S")
    judged = _verified(
        official_sdk, official_gateway, _wait_for(merchant, dispute_id, "DISPUTE_JUDGED")
    )
    expected = "ACCEPT_BY_CUSTOMER" if outcome == "WON" else "ACCEPT_BY_MERCHANT"
    assert judged["disputeJudgedResult"] == expected
    # money: a won dispute leaves the whole payment refundable, a lost one none of it
    [refund] = run(
        [
            official_gateway.call(
                "refund",
                {
                    "refundRequestId": _id("RF"),
                    "paymentId": payment_id,
                    "refundAmount": {"currency": "USD", "value": "2500"},
                },
            )
        ]
    )
    code = "SUCCESS" if outcome == "WON" else "REFUND_AMOUNT_EXCEED"
    assert _status(_ok(refund, "full refund after the judgement"))[0] == code


def test_deadline_missed_with_the_official_sdk(
    run: Any, official_sdk: OfficialSDK, official_gateway: OfficialGateway, merchant: Receiver
) -> None:
    _payment_id, dispute_id = _disputed_card_payment(run, official_gateway, merchant)
    created = _wait_for(merchant, dispute_id, "DISPUTE_CREATED")
    assert _verified(official_sdk, official_gateway, created)["defenseDueTime"]
    # The merchant's virtual clock: 23 h before the deadline (the alert is due), then past it.
    window = int(DEFENSE_WINDOW.total_seconds())
    [first] = run([_raw(official_gateway, ADVANCE_CLOCK, {"seconds": window - 23 * 3600})])
    assert _status(_ok(first, "advanceClock")) == ("SUCCESS", "S")
    alert = _verified(
        official_sdk, official_gateway, _wait_for(merchant, dispute_id, "DEFENSE_DUE_ALERT")
    )
    assert alert["defenseDueTime"]
    [second] = run([_raw(official_gateway, ADVANCE_CLOCK, {"seconds": 24 * 3600})])
    assert _status(_ok(second, "advanceClock")) == ("SUCCESS", "S")
    judged = _verified(
        official_sdk, official_gateway, _wait_for(merchant, dispute_id, "DISPUTE_JUDGED")
    )
    assert judged["disputeAcceptReason"] == "TIMEOUT"
    assert judged["disputeJudgedResult"] == "ACCEPT_BY_MERCHANT"
    [late] = run([official_gateway.call("acceptDispute", {"disputeId": dispute_id})])
    assert _status(_ok(late, "acceptDispute after the deadline")) == ("TIME_EXCEEDS_LIMIT", "F")
