"""The dispute APIs and their sandbox helpers: path name -> request model and service call."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from openams.gateway.domain.merchant import Merchant
from openams.gateway.services.disputes import DisputeService
from openams.gateway.services.pay_rules import parse_money
from openams.gateway.web.api.router import Operation
from openams.protocol import models


class AcceptDisputeRequest(models.WireModel):
    dispute_id: str | None = Field(default=None, max_length=64)


class SupplyDefenseDocumentRequest(models.WireModel):
    dispute_id: str | None = Field(default=None, max_length=64)
    #: length checked by the service, with a message that says the limit
    dispute_evidence: str | None = None


class DownloadDisputeEvidenceRequest(models.WireModel):
    dispute_id: str | None = Field(default=None, max_length=64)
    dispute_evidence_type: str | None = Field(default=None, max_length=64)


class OpenDisputeRequest(models.WireModel):
    """Sandbox helper: the buyer's bank opens a dispute on a paid card payment."""

    payment_id: str | None = Field(default=None, max_length=64)
    payment_request_id: str | None = Field(default=None, max_length=64)
    dispute_amount: models.Amount | None = None
    dispute_reason_code: str | None = Field(default=None, max_length=64)
    dispute_type: str | None = Field(default=None, max_length=32)


class ResolveDisputeRequest(models.WireModel):
    """Sandbox helper: the scheme decides the dispute now."""

    dispute_id: str | None = Field(default=None, max_length=64)
    outcome: str | None = Field(default=None, max_length=16)


def dispute_operations(disputes: DisputeService) -> dict[str, Operation]:
    def open_dispute(merchant: Merchant, request: OpenDisputeRequest) -> dict[str, Any]:
        amount = request.dispute_amount
        return disputes.open(
            merchant,
            payment_id=request.payment_id,
            payment_request_id=request.payment_request_id,
            amount=None if amount is None else parse_money(amount, "disputeAmount"),
            reason_code=request.dispute_reason_code,
            dispute_type=request.dispute_type,
        )

    def accept(merchant: Merchant, request: AcceptDisputeRequest) -> dict[str, Any]:
        return disputes.accept(merchant, request.dispute_id)

    def supply(merchant: Merchant, request: SupplyDefenseDocumentRequest) -> dict[str, Any]:
        return disputes.supply_defense(merchant, request.dispute_id, request.dispute_evidence)

    def download(merchant: Merchant, request: DownloadDisputeEvidenceRequest) -> dict[str, Any]:
        return disputes.download_evidence(
            merchant, request.dispute_id, request.dispute_evidence_type
        )

    def resolve(merchant: Merchant, request: ResolveDisputeRequest) -> dict[str, Any]:
        return disputes.resolve(merchant, request.dispute_id, request.outcome)

    return {
        "payments/acceptDispute": Operation(AcceptDisputeRequest, accept),
        "payments/supplyDefenseDocument": Operation(SupplyDefenseDocumentRequest, supply),
        "payments/downloadDisputeEvidence": Operation(DownloadDisputeEvidenceRequest, download),
        "testHelpers/openDispute": Operation(OpenDisputeRequest, open_dispute, sandbox_only=True),
        "testHelpers/resolveDispute": Operation(ResolveDisputeRequest, resolve, sandbox_only=True),
    }
