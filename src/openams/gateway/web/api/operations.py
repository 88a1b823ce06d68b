"""The table of AMS operations: path name -> request model and service call."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from openams.gateway.domain.chaos import ChaosSettings
from openams.gateway.domain.merchant import Merchant
from openams.gateway.methods.catalogue import to_payment_option_wire
from openams.gateway.services.captures import CaptureService
from openams.gateway.services.consult import ConsultService
from openams.gateway.services.continuation import Links
from openams.gateway.services.payments import PaymentService
from openams.gateway.services.refunds import RefundService
from openams.gateway.services.sandbox import SandboxService
from openams.gateway.services.sessions import SessionService
from openams.gateway.web.api.router import Operation
from openams.protocol import models
from openams.protocol.results import result


class CompletePaymentRequest(models.WireModel):
    """Sandbox helper: settle a payment as if the buyer had paid or failed."""

    payment_request_id: str | None = Field(default=None, max_length=64)
    payment_id: str | None = Field(default=None, max_length=64)
    outcome: str
    result_code: str | None = Field(default=None, max_length=64)
    result_message: str | None = Field(default=None, max_length=256)


class CompleteRefundRequest(models.WireModel):
    """Sandbox helper: end a refund in process as SUCCESS or FAIL."""

    refund_request_id: str | None = Field(default=None, max_length=64)
    refund_id: str | None = Field(default=None, max_length=64)
    outcome: str
    result_code: str | None = Field(default=None, max_length=64)
    result_message: str | None = Field(default=None, max_length=256)


class CompleteCaptureRequest(models.WireModel):
    """Sandbox helper: end a capture in process as SUCCESS or FAIL."""

    capture_request_id: str | None = Field(default=None, max_length=64)
    capture_id: str | None = Field(default=None, max_length=64)
    outcome: str
    result_code: str | None = Field(default=None, max_length=64)
    result_message: str | None = Field(default=None, max_length=256)


class AdvanceClockRequest(models.WireModel):
    seconds: int


class PaymentReference(models.WireModel):
    payment_request_id: str | None = Field(default=None, max_length=64)
    payment_id: str | None = Field(default=None, max_length=64)


class NotificationChaosRequest(models.WireModel):
    duplicate: bool = False
    delay_seconds: int = 0
    out_of_order: bool = False
    drop_first: int = 0


def build_operations(
    payments: PaymentService,
    sessions: SessionService,
    consult: ConsultService,
    sandbox: SandboxService,
    links: Links,
    *,
    refunds: RefundService | None = None,
    captures: CaptureService | None = None,
) -> dict[str, Operation]:
    def do_consult(_merchant: Merchant, request: models.ConsultRequest) -> dict[str, Any]:
        options = consult.consult(request)
        return {
            "result": result("SUCCESS", "success"),
            "paymentOptions": [
                to_payment_option_wire(option, f"{links.base_url}/static/logos")
                for option in options
            ],
        }

    def complete(merchant: Merchant, request: CompletePaymentRequest) -> dict[str, Any]:
        return payments.complete(
            merchant,
            payment_id=request.payment_id,
            payment_request_id=request.payment_request_id,
            outcome=request.outcome,
            result_code=request.result_code,
            result_message=request.result_message,
        )

    def advance_clock(merchant: Merchant, request: AdvanceClockRequest) -> dict[str, Any]:
        return sandbox.advance_clock(merchant, request.seconds)

    def resend(merchant: Merchant, request: PaymentReference) -> dict[str, Any]:
        return sandbox.resend(merchant, request.payment_id, request.payment_request_id)

    def chaos(merchant: Merchant, request: NotificationChaosRequest) -> dict[str, Any]:
        settings = ChaosSettings.validated(
            duplicate=request.duplicate,
            delay_seconds=request.delay_seconds,
            out_of_order=request.out_of_order,
            drop_first=request.drop_first,
        )
        return sandbox.set_chaos(merchant, settings)

    after_payment: dict[str, Operation] = {}
    if refunds is not None:
        after_payment["payments/refund"] = Operation(models.RefundRequest, refunds.refund)
        after_payment["payments/inquiryRefund"] = Operation(
            models.InquiryRefundRequest, refunds.inquiry
        )

        def complete_refund(merchant: Merchant, request: CompleteRefundRequest) -> dict[str, Any]:
            assert refunds is not None
            return refunds.complete(
                merchant,
                refund_id=request.refund_id,
                refund_request_id=request.refund_request_id,
                outcome=request.outcome,
                result_code=request.result_code,
                result_message=request.result_message,
            )

        after_payment["testHelpers/completeRefund"] = Operation(
            CompleteRefundRequest, complete_refund, sandbox_only=True
        )
    if captures is not None:
        after_payment["payments/capture"] = Operation(models.CaptureRequest, captures.capture)

        def complete_capture(merchant: Merchant, request: CompleteCaptureRequest) -> dict[str, Any]:
            assert captures is not None
            return captures.complete(
                merchant,
                capture_id=request.capture_id,
                capture_request_id=request.capture_request_id,
                outcome=request.outcome,
                result_code=request.result_code,
                result_message=request.result_message,
            )

        after_payment["testHelpers/completeCapture"] = Operation(
            CompleteCaptureRequest, complete_capture, sandbox_only=True
        )

    def inquiry_payment(
        merchant: Merchant, request: models.InquiryPaymentRequest
    ) -> dict[str, Any]:
        """inquiryPayment; a refund or capture in process whose settle time has passed
        ends first, so the answer agrees with inquiryRefund and the resends."""
        body = payments.inquiry(merchant, request)
        settle = {"REFUND": refunds, "CAPTURE": captures}
        now = payments.clock()
        ended = [
            service.settle_if_due(merchant.client_id, row["transactionId"], now)
            for row in body.get("transactions", ())
            if row["transactionStatus"] == "PROCESSING"
            and (service := settle.get(row["transactionType"])) is not None
        ]
        return payments.inquiry(merchant, request) if any(ended) else body

    return {
        **after_payment,
        "testHelpers/advanceClock": Operation(AdvanceClockRequest, advance_clock, True),
        "testHelpers/resendNotification": Operation(PaymentReference, resend, True),
        "testHelpers/notificationChaos": Operation(NotificationChaosRequest, chaos, True),
        "payments/pay": Operation(models.PayRequest, payments.pay),
        "payments/inquiryPayment": Operation(models.InquiryPaymentRequest, inquiry_payment),
        "payments/cancel": Operation(models.CancelRequest, payments.cancel),
        "payments/consult": Operation(models.ConsultRequest, do_consult),
        "payments/createPaymentSession": Operation(
            models.CreatePaymentSessionRequest, sessions.create
        ),
        "testHelpers/completePayment": Operation(
            CompletePaymentRequest, complete, sandbox_only=True
        ),
    }
