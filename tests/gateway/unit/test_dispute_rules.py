"""The dispute's one table of moves, the sandbox judgement, the evidence check and the
template PDF, without a database."""

from __future__ import annotations

import re

import pytest

from openams.gateway.domain.disputes import (
    TRANSITIONS,
    Dispute,
    DisputeAction,
    DisputeStatus,
    DisputeType,
    evidence_format,
    sandbox_judgement,
)
from openams.gateway.domain.errors import DomainError
from openams.gateway.services.dispute_template import evidence_template
from openams.protocol.money import Money

DAY_MS = 86_400_000


def dispute(status: DisputeStatus = DisputeStatus.OPEN, value: int = 1000) -> Dispute:
    return Dispute(
        dispute_id="17202612060000",
        client_id="SANDBOX_X",
        payment_id="20261206",
        payment_request_id="PAY(1)",
        dispute_type=DisputeType.CHARGEBACK,
        amount=Money("USD", value),
        reason_code="13.1",
        status=status,
        created_at=0,
        defense_due_at=7 * DAY_MS,
    )


@pytest.mark.parametrize("status", list(DisputeStatus))
@pytest.mark.parametrize("action", list(DisputeAction))
def test_only_the_table_moves_a_dispute(status: DisputeStatus, action: DisputeAction) -> None:
    d = dispute(status)
    target = TRANSITIONS.get((status, action))
    if target is None:
        with pytest.raises(DomainError) as refused:
            d.move(action, DAY_MS)
        assert refused.value.code == "NOT_ALLOW_IN_CURRENT_STATUS"
        assert d.status is status
    else:
        d.move(action, DAY_MS)
        assert d.status is target
        assert not status.is_final


@pytest.mark.parametrize("action", [DisputeAction.ACCEPT, DisputeAction.DEFEND])
def test_the_merchant_cannot_answer_after_the_deadline(action: DisputeAction) -> None:
    d = dispute()
    with pytest.raises(DomainError) as late:
        d.move(action, d.defense_due_at)
    assert late.value.code == "TIME_EXCEEDS_LIMIT" and d.status is DisputeStatus.OPEN


def test_debits_only_accepted_or_lost_chargebacks() -> None:
    assert [s for s in DisputeStatus if dispute(s).debited] == [
        DisputeStatus.ACCEPTED,
        DisputeStatus.LOST,
    ]
    retrieval = dispute(DisputeStatus.LOST)
    retrieval.dispute_type = DisputeType.RETRIEVAL_REQUEST
    assert not retrieval.debited


def test_sandbox_judgement() -> None:
    assert sandbox_judgement(dispute()) is DisputeAction.LOSE
    assert sandbox_judgement(dispute(DisputeStatus.DEFENDED)) is DisputeAction.WIN
    assert sandbox_judgement(dispute(DisputeStatus.DEFENDED, 1414)) is DisputeAction.LOSE


@pytest.mark.parametrize(
    ("content", "expected"),
    [(b"%PDF-1.7\n...", "PDF"), (b"\xff\xd8\xff\xdb...", "JPG")],
)
def test_evidence_is_known_by_its_content(content: bytes, expected: str) -> None:
    assert evidence_format(content) == expected


@pytest.mark.parametrize(
    "content", [b"", b"\x89PNG\r\n\x1a\n", b"<html>", b"PK\x03\x04", b" %PDF-1.4"]
)
def test_other_content_is_refused(content: bytes) -> None:
    with pytest.raises(DomainError) as refused:
        evidence_format(content)
    assert refused.value.code == "PARAM_ILLEGAL"


def test_the_template_is_a_well_formed_pdf() -> None:
    pdf = evidence_template(dispute())
    assert pdf.startswith(b"%PDF-1.4\n") and pdf.endswith(b"%%EOF\n")
    # the cross-reference table points at each object exactly
    start = int(re.search(rb"startxref\n(\d+)", pdf).group(1))  # type: ignore[union-attr]
    assert pdf[start:].startswith(b"xref\n0 6\n")
    offsets = [int(m) for m in re.findall(rb"(\d{10}) 00000 n", pdf)]
    for number, offset in enumerate(offsets, start=1):
        assert pdf[offset:].startswith(f"{number} 0 obj".encode())
    # merchant text is escaped inside the PDF string: "PAY(1)" cannot end it early
    assert b"PAY\\(1\\)" in pdf
