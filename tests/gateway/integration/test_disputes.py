"""Disputes over the wire: openDispute, notifyDispute, acceptDispute, supplyDefenseDocument,
downloadDisputeEvidence, resolveDispute, the deadline on the virtual clock, and the money
invariants (refundable amount, settlement report) after each ending."""

from __future__ import annotations

import base64
import json
import re
import subprocess
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from openams.gateway.app import Gateway
from openams.gateway.domain.disputes import DEFENSE_WINDOW, MAX_EVIDENCE_CHARS
from openams.gateway.services.reports import ReportService
from tests.ams_client import AmsClient, AmsReply
from tests.gateway.integration.card_payloads import card_meta, card_pay_body
from tests.gateway.integration.payloads import new_id, pay_body
from tests.gateway.integration.test_cli import OPENAMS
from tests.gateway.integration.test_cli import run as run_cli

PDF = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 32
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
WINDOW_S = int(DEFENSE_WINDOW.total_seconds())


def b64(content: bytes) -> str:
    return base64.b64encode(content).decode()


def card_sale(ams: AmsClient, value: str = "1000") -> dict[str, Any]:
    reply = ams.call("payments/pay", card_pay_body(card_meta(), value=value))
    assert reply.code == "SUCCESS", reply.result
    return reply.body


def open_dispute(ams: AmsClient, payment_id: str, **extra: Any) -> AmsReply:
    return ams.call("testHelpers/openDispute", {"paymentId": payment_id, **extra})


def refund(ams: AmsClient, payment_id: str, value: str) -> AmsReply:
    body = {
        "refundRequestId": new_id("RF"),
        "paymentId": payment_id,
        "refundAmount": {"currency": "USD", "value": value},
    }
    return ams.call("payments/refund", body)


def dispute_notes(gateway: Gateway, client_id: str, payment_id: str) -> list[dict[str, Any]]:
    with gateway.store() as uow:
        rows = uow.outbox.for_payment(client_id, payment_id)
    return [n.body for n in rows if n.notify_type.value == "DISPUTE"]


def kinds(gateway: Gateway, client_id: str, payment_id: str) -> list[str]:
    return [b["disputeNotificationType"] for b in dispute_notes(gateway, client_id, payment_id)]


def report_rows(gateway: Gateway, client_id: str) -> tuple[list[list[str]], list[list[str]]]:
    """Today's transaction rows and settlement rows (clock may be moved: use its day)."""
    day = datetime.fromtimestamp(gateway.clock() / 1000, tz=UTC).date()
    report = ReportService(gateway.store).settlement_report(client_id, day)
    txs = [line.split(",") for line in report.transactions_csv().strip().split("\r\n")]
    summary = [line.split(",") for line in report.settlement_csv().strip().split("\r\n")]
    return txs, summary


def column(rows: list[list[str]], name: str) -> list[str]:
    index = rows[0].index(name)
    return [row[index] for row in rows[1:]]


def test_open_notifies_dispute_created_and_holds_the_amount(
    ams: AmsClient, gateway: Gateway
) -> None:
    paid = card_sale(ams)
    opened = open_dispute(
        ams,
        paid["paymentId"],
        disputeAmount={"currency": "USD", "value": "600"},
        disputeReasonCode="13.1",
    )
    assert opened.code == "SUCCESS", opened.result
    assert opened.body["disputeStatus"] == "OPEN"
    assert opened.body["disputeAmount"] == {"currency": "USD", "value": "600"}
    [created] = dispute_notes(gateway, ams.client_id, paid["paymentId"])
    assert created["disputeNotificationType"] == "DISPUTE_CREATED"
    assert created["disputeId"] == opened.body["disputeId"]
    assert created["paymentRequestId"] == paid["paymentRequestId"]
    assert created["disputeReasonCode"] == "13.1"
    assert created["disputeReasonMsg"] == "Merchandise/Services Not Received"
    assert created["disputeType"] == "CHARGEBACK"
    assert "notifyType" not in created and "result" not in created
    due = datetime.fromisoformat(created["defenseDueTime"])
    assert (due - datetime.fromisoformat(created["disputeTime"])) == DEFENSE_WINDOW
    # the disputed 6.00 is held: 4.00 can still be refunded, not more
    over = refund(ams, paid["paymentId"], "401")
    assert over.code == "REFUND_AMOUNT_EXCEED", over.result
    assert "USD 6.00 is held or taken back by a chargeback" in over.result["resultMessage"]
    assert refund(ams, paid["paymentId"], "400").code == "SUCCESS"
    # one open dispute per payment
    again = open_dispute(ams, paid["paymentId"])
    assert again.code == "ORDER_STATUS_INVALID"


def test_open_refusals(ams: AmsClient, other_ams: AmsClient) -> None:
    paid = card_sale(ams)
    too_much = open_dispute(
        ams, paid["paymentId"], disputeAmount={"currency": "USD", "value": "1001"}
    )
    assert too_much.code == "PARAM_ILLEGAL" and "USD 10.00" in too_much.result["resultMessage"]
    currency = open_dispute(ams, paid["paymentId"], disputeAmount={"currency": "HKD", "value": "1"})
    assert currency.code == "PARAM_ILLEGAL"
    assert open_dispute(ams, paid["paymentId"], disputeType="FRIENDLY").code == "PARAM_ILLEGAL"
    assert open_dispute(other_ams, paid["paymentId"]).code == "ORDER_NOT_EXIST"
    wallet = ams.call("payments/pay", pay_body()).body
    assert open_dispute(ams, wallet["paymentId"]).code == "BUSINESS_NOT_SUPPORT"
    assert ams.call("testHelpers/openDispute", {}).code == "PARAM_ILLEGAL"
    production = AmsClient(
        ams.http, ams.client_id, ams.private_key, ams.gateway_public_key, sandbox=False
    )
    assert production.call("testHelpers/openDispute", {"paymentId": paid["paymentId"]}).code == (
        "NO_INTERFACE_DEF"
    )
    # a fully refunded payment has nothing left to dispute
    refunded = card_sale(ams)
    assert refund(ams, refunded["paymentId"], "1000").code == "SUCCESS"
    assert open_dispute(ams, refunded["paymentId"]).code == "ORDER_STATUS_INVALID"


def test_accepted_dispute_debits_the_merchant(ams: AmsClient, gateway: Gateway) -> None:
    paid = card_sale(ams)
    dispute_id = open_dispute(ams, paid["paymentId"]).body["disputeId"]
    accepted = ams.call("payments/acceptDispute", {"disputeId": dispute_id})
    assert accepted.code == "SUCCESS", accepted.result
    assert accepted.body["disputeId"] == dispute_id and accepted.body["disputeResolutionTime"]
    # an identical resend answers the same, from what is stored
    assert ams.call("payments/acceptDispute", {"disputeId": dispute_id}).body == accepted.body
    assert kinds(gateway, ams.client_id, paid["paymentId"]) == ["DISPUTE_CREATED", "DISPUTE_JUDGED"]
    judged = dispute_notes(gateway, ams.client_id, paid["paymentId"])[-1]
    assert judged["disputeJudgedResult"] == "ACCEPT_BY_MERCHANT"
    assert judged["disputeAcceptReason"] == "MERCHANT_ACCEPTED"
    assert judged["disputeJudgedAmount"] == {"currency": "USD", "value": "1000"}
    # nothing left to refund; the report carries the debit
    assert refund(ams, paid["paymentId"], "1").code == "REFUND_AMOUNT_EXCEED"
    txs, summary = report_rows(gateway, ams.client_id)
    assert column(txs, "transactionType") == ["PAYMENT", "DISPUTE"]
    assert column(txs, "settlementAmountValue") == ["10.00", "-10.00"]
    assert column(summary, "disputeAmount") == ["-10.00"]
    assert column(summary, "netSettlementAmount") == ["0.00"]
    assert column(summary, "disputeCount") == ["1"]
    # a final dispute takes no other answer
    late = ams.call(
        "payments/supplyDefenseDocument", {"disputeId": dispute_id, "disputeEvidence": b64(PDF)}
    )
    assert late.code == "NOT_ALLOW_IN_CURRENT_STATUS", late.result


@pytest.mark.parametrize(("outcome", "refundable"), [("WON", 1000), ("LOST", 300)])
def test_defended_then_judged(
    ams: AmsClient, gateway: Gateway, outcome: str, refundable: int
) -> None:
    paid = card_sale(ams)
    dispute_id = open_dispute(
        ams, paid["paymentId"], disputeAmount={"currency": "USD", "value": "700"}
    ).body["disputeId"]
    supplied = ams.call(
        "payments/supplyDefenseDocument", {"disputeId": dispute_id, "disputeEvidence": b64(PDF)}
    )
    assert supplied.code == "SUCCESS", supplied.result
    assert supplied.body["disputeResolutionTime"]
    # the identical document again is answered from what is stored
    again = ams.call(
        "payments/supplyDefenseDocument", {"disputeId": dispute_id, "disputeEvidence": b64(PDF)}
    )
    assert again.body == supplied.body
    download = ams.call(
        "payments/downloadDisputeEvidence",
        {"disputeId": dispute_id, "disputeEvidenceType": "DISPUTE_EVIDENCE_FILE"},
    )
    assert download.code == "SUCCESS"
    assert base64.b64decode(download.body["disputeEvidence"]) == PDF
    assert download.body["disputeEvidenceFormat"] == "PDF"
    # accepting a defended dispute is not a move the table has
    assert ams.call("payments/acceptDispute", {"disputeId": dispute_id}).code == (
        "NOT_ALLOW_IN_CURRENT_STATUS"
    )
    resolved = ams.call("testHelpers/resolveDispute", {"disputeId": dispute_id, "outcome": outcome})
    assert resolved.code == "SUCCESS", resolved.result
    assert resolved.body["disputeStatus"] == outcome
    same = ams.call("testHelpers/resolveDispute", {"disputeId": dispute_id, "outcome": outcome})
    assert same.code == "SUCCESS"
    other = "LOST" if outcome == "WON" else "WON"
    flipped = ams.call("testHelpers/resolveDispute", {"disputeId": dispute_id, "outcome": other})
    assert flipped.code == "NOT_ALLOW_IN_CURRENT_STATUS"
    # the judgement keeps the defense document
    kept = ams.call(
        "payments/downloadDisputeEvidence",
        {"disputeId": dispute_id, "disputeEvidenceType": "DISPUTE_EVIDENCE_FILE"},
    )
    assert kept.code == "SUCCESS", kept.result
    assert base64.b64decode(kept.body["disputeEvidence"]) == PDF
    assert kinds(gateway, ams.client_id, paid["paymentId"]) == [
        "DISPUTE_CREATED",
        "DEFENSE_SUPPLIED",
        "DISPUTE_JUDGED",
    ]
    judged = dispute_notes(gateway, ams.client_id, paid["paymentId"])[-1]
    expected = "ACCEPT_BY_CUSTOMER" if outcome == "WON" else "ACCEPT_BY_MERCHANT"
    assert judged["disputeJudgedResult"] == expected
    assert ("disputeJudgedAmount" in judged) is (outcome == "LOST")
    # money: a won dispute gives the hold back, a lost one takes it for good
    over = refund(ams, paid["paymentId"], str(refundable + 1))
    assert over.code == "REFUND_AMOUNT_EXCEED", over.result
    assert refund(ams, paid["paymentId"], str(refundable)).code == "SUCCESS"
    txs, summary = report_rows(gateway, ams.client_id)
    types = column(txs, "transactionType")
    assert ("DISPUTE" in types) is (outcome == "LOST")
    net = sum(float(v) for v in column(txs, "settlementAmountValue"))
    assert column(summary, "netSettlementAmount") == [f"{net:.2f}"]
    assert net == pytest.approx(0.0)  # paid 10.00, refunds and the debit give it all back


def test_deadline_missed_on_the_virtual_clock_is_lost(ams: AmsClient, gateway: Gateway) -> None:
    paid = card_sale(ams)
    dispute_id = open_dispute(ams, paid["paymentId"]).body["disputeId"]
    # 24 h before the deadline: the alert
    advanced = ams.call("testHelpers/advanceClock", {"seconds": WINDOW_S - 23 * 3600})
    assert advanced.body["pendingDisputes"] == 1
    assert advanced.body["movedDisputes"] == 1  # alerted before the answer
    assert gateway.disputes.settle_due(10) == 0
    assert kinds(gateway, ams.client_id, paid["paymentId"]) == [
        "DISPUTE_CREATED",
        "DEFENSE_DUE_ALERT",
    ]
    alert = dispute_notes(gateway, ams.client_id, paid["paymentId"])[-1]
    assert alert["defenseDueTime"]
    # past the deadline: the next call on the dispute finds it lost by TIMEOUT
    ams.call("testHelpers/advanceClock", {"seconds": 24 * 3600})
    late = ams.call("payments/acceptDispute", {"disputeId": dispute_id})
    assert late.code == "TIME_EXCEEDS_LIMIT", late.result
    supplied = ams.call(
        "payments/supplyDefenseDocument", {"disputeId": dispute_id, "disputeEvidence": b64(PDF)}
    )
    assert supplied.code == "TIME_EXCEEDS_LIMIT"
    assert kinds(gateway, ams.client_id, paid["paymentId"])[-1] == "DISPUTE_JUDGED"
    judged = dispute_notes(gateway, ams.client_id, paid["paymentId"])[-1]
    assert judged["disputeAcceptReason"] == "TIMEOUT"
    assert judged["disputeJudgedResult"] == "ACCEPT_BY_MERCHANT"
    assert refund(ams, paid["paymentId"], "1").code == "REFUND_AMOUNT_EXCEED"
    assert gateway.disputes.settle_due(10) == 0  # judged once


def test_the_sweep_judges_a_defended_dispute_at_its_deadline(
    ams: AmsClient, gateway: Gateway
) -> None:
    won = card_sale(ams)
    lost = card_sale(ams, value="1414")
    ids = [open_dispute(ams, paid["paymentId"]).body["disputeId"] for paid in (won, lost)]
    for dispute_id in ids:
        reply = ams.call(
            "payments/supplyDefenseDocument",
            {"disputeId": dispute_id, "disputeEvidence": b64(JPEG)},
        )
        assert reply.code == "SUCCESS", reply.result
    advanced = ams.call("testHelpers/advanceClock", {"seconds": WINDOW_S})
    assert advanced.body["movedDisputes"] == 2  # judged before the answer
    assert gateway.disputes.settle_due(10) == 0
    results = [
        dispute_notes(gateway, ams.client_id, paid["paymentId"])[-1]["disputeJudgedResult"]
        for paid in (won, lost)
    ]
    assert results == ["ACCEPT_BY_CUSTOMER", "ACCEPT_BY_MERCHANT"]
    # no alert for a defended dispute
    assert "DEFENSE_DUE_ALERT" not in kinds(gateway, ams.client_id, won["paymentId"])
    # the sweep's judgement keeps each defense document
    for dispute_id in ids:
        kept = ams.call(
            "payments/downloadDisputeEvidence",
            {"disputeId": dispute_id, "disputeEvidenceType": "DISPUTE_EVIDENCE_FILE"},
        )
        assert kept.code == "SUCCESS", kept.result
        assert base64.b64decode(kept.body["disputeEvidence"]) == JPEG


def test_defense_documents_are_checked(ams: AmsClient) -> None:
    paid = card_sale(ams)
    dispute_id = open_dispute(ams, paid["paymentId"]).body["disputeId"]

    def supply(evidence: Any) -> AmsReply:
        return ams.call(
            "payments/supplyDefenseDocument", {"disputeId": dispute_id, "disputeEvidence": evidence}
        )

    png = supply(b64(PNG))
    assert png.code == "PARAM_ILLEGAL" and "PDF or JPEG" in png.result["resultMessage"]
    named_pdf = supply(b64(b"just text, named evidence.pdf"))
    assert named_pdf.code == "PARAM_ILLEGAL"
    assert supply("not base64!!").code == "PARAM_ILLEGAL"
    assert supply("").code == "PARAM_ILLEGAL"
    big = supply("A" * (MAX_EVIDENCE_CHARS + 4))
    assert big.code == "PARAM_ILLEGAL" and str(MAX_EVIDENCE_CHARS) in big.result["resultMessage"]
    assert ams.call("payments/supplyDefenseDocument", {"disputeId": dispute_id}).code == (
        "PARAM_ILLEGAL"
    )
    # nothing stored: the dispute is still open, with no document
    none_yet = ams.call(
        "payments/downloadDisputeEvidence",
        {"disputeId": dispute_id, "disputeEvidenceType": "DISPUTE_EVIDENCE_FILE"},
    )
    assert none_yet.code == "NOT_ALLOW_IN_CURRENT_STATUS"
    template = ams.call(
        "payments/downloadDisputeEvidence",
        {"disputeId": dispute_id, "disputeEvidenceType": "DISPUTE_EVIDENCE_TEMPLATE"},
    )
    assert template.code == "SUCCESS" and template.body["disputeEvidenceFormat"] == "PDF"
    content = base64.b64decode(template.body["disputeEvidence"])
    assert content.startswith(b"%PDF-") and dispute_id.encode() in content
    bad_type = ams.call(
        "payments/downloadDisputeEvidence", {"disputeId": dispute_id, "disputeEvidenceType": "X"}
    )
    assert bad_type.code == "PARAM_ILLEGAL"
    unknown = ams.call("payments/acceptDispute", {"disputeId": "17000000000000000000"})
    assert unknown.code == "ORDER_NOT_EXIST"
    assert ams.call("payments/acceptDispute", {}).code == "PARAM_ILLEGAL"


def test_retrieval_request_moves_no_money(ams: AmsClient, gateway: Gateway) -> None:
    paid = card_sale(ams)
    opened = open_dispute(ams, paid["paymentId"], disputeType="RETRIEVAL_REQUEST")
    assert opened.code == "SUCCESS"
    assert refund(ams, paid["paymentId"], "100").code == "SUCCESS"  # nothing held
    lost = ams.call(
        "testHelpers/resolveDispute", {"disputeId": opened.body["disputeId"], "outcome": "LOST"}
    )
    assert lost.code == "SUCCESS"
    assert refund(ams, paid["paymentId"], "900").code == "SUCCESS"
    txs, _summary = report_rows(gateway, ams.client_id)
    assert "DISPUTE" not in column(txs, "transactionType")


def test_cli_lists_disputes(ams: AmsClient, gateway: Gateway, database_url: str) -> None:
    paid = card_sale(ams, value="1234")
    dispute_id = open_dispute(ams, paid["paymentId"]).body["disputeId"]
    assert ams.call("payments/acceptDispute", {"disputeId": dispute_id}).code == "SUCCESS"
    out = run_cli("disputes", "list", "--client-id", ams.client_id, "--database-url", database_url)
    header, row = out.strip().splitlines()
    assert header.startswith("disputeId,status,disputeType,amount,currency")
    assert row.startswith(f"{dispute_id},ACCEPTED (MERCHANT_ACCEPTED),CHARGEBACK,12.34,USD,")
    unknown = subprocess.run(
        [OPENAMS, "disputes", "list", "--client-id", "NOBODY", "--database-url", database_url],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert unknown.returncode == 2 and "no merchant" in unknown.stderr


def test_the_documented_notification_is_what_is_sent(ams: AmsClient, gateway: Gateway) -> None:
    """docs/disputes.md's example notifyDispute has exactly the fields an accepted
    dispute's DISPUTE_JUDGED carries, with the same value types."""
    doc = (Path(__file__).resolve().parents[3] / "docs" / "disputes.md").read_text()
    [example] = [json.loads(block) for block in re.findall(r"```json\n(.*?)```", doc, re.S)]
    paid = card_sale(ams, value="2500")
    dispute_id = open_dispute(ams, paid["paymentId"], disputeReasonCode="13.1").body["disputeId"]
    assert ams.call("payments/acceptDispute", {"disputeId": dispute_id}).code == "SUCCESS"
    sent = dispute_notes(gateway, ams.client_id, paid["paymentId"])[-1]
    assert set(sent) == set(example)
    assert {k: type(v) for k, v in sent.items()} == {k: type(v) for k, v in example.items()}
    fixed = ("disputeNotificationType", "disputeReasonCode", "disputeReasonMsg", "disputeType")
    assert {k: sent[k] for k in fixed} == {k: example[k] for k in fixed}
    assert sent["disputeJudgedAmount"] == example["disputeJudgedAmount"]


def test_refunds_and_a_dispute_sent_at_once_never_give_back_more_than_was_paid(
    ams: AmsClient, gateway: Gateway
) -> None:
    """Twelve refunds of 1.00 and a dispute of 5.00 on a 10.00 payment, all at once: they
    serialise on the payment's row, so what was refunded plus what the chargeback holds
    is at most 10.00, whichever order they ran in."""
    paid = card_sale(ams)

    def send(n: int) -> AmsReply:
        if n == 6:
            return open_dispute(
                ams, paid["paymentId"], disputeAmount={"currency": "USD", "value": "500"}
            )
        return refund(ams, paid["paymentId"], "100")

    with ThreadPoolExecutor(max_workers=13) as pool:
        replies = list(pool.map(send, range(13)))
    dispute = replies.pop(6)
    refunded = sum(100 for reply in replies if reply.code == "SUCCESS")
    assert {reply.code for reply in replies} <= {"SUCCESS", "REFUND_AMOUNT_EXCEED"}
    held = 500 if dispute.code == "SUCCESS" else 0
    # after the refunds: more than what is left (PARAM_ILLEGAL), or nothing left at all
    assert dispute.code in ("SUCCESS", "PARAM_ILLEGAL", "ORDER_STATUS_INVALID"), dispute.result
    if dispute.code == "ORDER_STATUS_INVALID":
        assert refunded == 1000
        assert "nothing left to dispute" in dispute.result["resultMessage"]
    assert refunded + held <= 1000
    with gateway.store() as uow:
        assert uow.refunds.total_refunded(ams.client_id, paid["paymentId"]) == refunded
        assert uow.disputes.held(ams.client_id, paid["paymentId"]) == held
    # what is left can be refunded, not a cent more
    left = 1000 - refunded - held
    if left:
        assert refund(ams, paid["paymentId"], str(left + 1)).code == "REFUND_AMOUNT_EXCEED"
        assert refund(ams, paid["paymentId"], str(left)).code == "SUCCESS"


@pytest.mark.parametrize("dispute_first", [False, True])
def test_a_lost_dispute_settles_at_the_locked_quote_and_the_payment_nets_to_zero(
    ams: AmsClient, gateway: Gateway, dispute_first: bool
) -> None:
    """A USD card sale settling in JPY, given back by a refund and a lost chargeback (in
    either order). The debit is converted at the payment's locked quote; whichever of
    the two completes the payment takes what is left of its gross, so the three
    settlement amounts net to exactly 0."""
    body = card_pay_body(
        card_meta(), value="1003", settlementStrategy={"settlementCurrency": "JPY"}
    )
    paid = ams.call("payments/pay", body)
    assert paid.code == "SUCCESS", paid.result
    payment_id = paid.body["paymentId"]

    def lose(value: str) -> None:
        amount = {"currency": "USD", "value": value}
        dispute_id = open_dispute(ams, payment_id, disputeAmount=amount).body["disputeId"]
        resolved = ams.call(
            "testHelpers/resolveDispute", {"disputeId": dispute_id, "outcome": "LOST"}
        )
        assert resolved.code == "SUCCESS", resolved.result

    if dispute_first:
        lose("601")
        assert refund(ams, payment_id, "402").code == "SUCCESS"
    else:
        assert refund(ams, payment_id, "402").code == "SUCCESS"
        lose("601")
    with gateway.store() as uow:
        settled = {s.kind.value: s for s in uow.settlements.for_payment(ams.client_id, payment_id)}
    assert set(settled) == {"PAYMENT", "REFUND", "DISPUTE"}
    assert {s.amount.currency for s in settled.values()} == {"JPY"}
    assert settled["DISPUTE"].quote == settled["PAYMENT"].quote
    gross = settled["PAYMENT"].amount.value
    assert gross == 1504  # USD 10.03 at 150; alone, 6.01 -> 902 and 4.02 -> 603 would be 1505
    assert settled["REFUND"].amount.value + settled["DISPUTE"].amount.value == gross
    txs, summary = report_rows(gateway, ams.client_id)
    assert column(summary, "netSettlementAmount") == ["0"]
    assert sorted(column(txs, "transactionType")) == ["DISPUTE", "PAYMENT", "REFUND"]
