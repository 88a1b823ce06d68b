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
from openams.gateway.services.exchange_rates import ExchangeRateService
from openams.gateway.services.notification_events import NotificationEvents
from openams.gateway.services.payment_codes import PaymentCodeService
from openams.gateway.services.payments import PaymentService
from openams.gateway.services.refunds import RefundService
from openams.gateway.services.sandbox import SandboxService
from openams.gateway.services.sessions import SessionService
from openams.gateway.services.vaulting import VaultingService
from openams.gateway.web.api.router import Operation
from openams.protocol import models, vaulting
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


class ResendNotificationRequest(PaymentReference):
    notification_id: str | None = Field(default=None, max_length=64)


class SendTestNotificationRequest(models.WireModel):
    notify_type: str = Field(max_length=32)
    body: dict[str, Any] | None = None
    url: str | None = Field(default=None, max_length=2048)


class IssuePaymentCodeRequest(models.WireModel):
    """Sandbox helper: the payment code a sandbox buyer's wallet would show."""

    buyer: str = Field(max_length=256)


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
    events: NotificationEvents | None = None,
    payment_codes: PaymentCodeService | None = None,
    vaultings: VaultingService | None = None,
    exchange_rates: ExchangeRateService | None = None,
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

    def resend(merchant: Merchant, request: ResendNotificationRequest) -> dict[str, Any]:
        return sandbox.resend(
            merchant, request.payment_id, request.payment_request_id, request.notification_id
        )

    def send_test(merchant: Merchant, request: SendTestNotificationRequest) -> dict[str, Any]:
        return sandbox.send_test_notification(
            merchant, request.notify_type, request.body, request.url
        )

    def chaos(merchant: Merchant, request: NotificationChaosRequest) -> dict[str, Any]:
        settings = ChaosSettings.validated(
            duplicate=request.duplicate,
            delay_seconds=request.delay_seconds,
            out_of_order=request.out_of_order,
            drop_first=request.drop_first,
        )
        return sandbox.set_chaos(merchant, settings)

    after_payment: dict[str, Operation] = {}
    if payment_codes is not None:

        def issue_code(_merchant: Merchant, request: IssuePaymentCodeRequest) -> dict[str, Any]:
            return payment_codes.issue_answer(request.buyer)

        after_payment["testHelpers/issuePaymentCode"] = Operation(
            IssuePaymentCodeRequest, issue_code, sandbox_only=True
        )
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

    if vaultings is not None:
        after_payment["vaults/createVaultingSession"] = Operation(
            vaulting.VaultingSessionRequest, vaultings.create_session
        )
        after_payment["vaults/vaultPaymentMethod"] = Operation(
            vaulting.VaultPaymentMethodRequest, vaultings.vault
        )
        after_payment["vaults/inquireVaulting"] = Operation(
            vaulting.InquireVaultingRequest, vaultings.inquire
        )
    if exchange_rates is not None:
        after_payment["payments/inquireExchangeRate"] = Operation(
            vaulting.InquireExchangeRateRequest, exchange_rates.inquire
        )

    def inquiry_payment(
        merchant: Merchant, request: models.InquiryPaymentRequest
    ) -> dict[str, Any]:
        """inquiryPayment; a refund or capture in process whose settle time has passed
        ends first, so the answer agrees with inquiryRefund and the resends."""
        body = payments.inquiry(merchant, request)
        settle = {"REFUND": refunds, "CAPTURE": captures}
        now = merchant.now(payments.clock())
        ended = [
            service.settle_if_due(merchant.client_id, row["transactionId"], now)
            for row in body.get("transactions", ())
            if row["transactionStatus"] == "PROCESSING"
            and (service := settle.get(row["transactionType"])) is not None
        ]
        return payments.inquiry(merchant, request) if any(ended) else body

    if events is not None:
        after_payment["notification/inquireNotificationList"] = Operation(
            models.InquireNotificationListRequest, events.inquire_list
        )
        after_payment["notification/inquireNotification"] = Operation(
            models.InquireNotificationRequest, events.inquire
        )
    return {
        **after_payment,
        "testHelpers/advanceClock": Operation(AdvanceClockRequest, advance_clock, True),
        "testHelpers/resendNotification": Operation(ResendNotificationRequest, resend, True),
        "testHelpers/sendTestNotification": Operation(SendTestNotificationRequest, send_test, True),
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
