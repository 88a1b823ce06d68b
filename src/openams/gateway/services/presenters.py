"""Payments rendered as AMS response and inquiry bodies."""

from __future__ import annotations

from typing import Any

from openams.gateway.domain.clock import iso
from openams.gateway.domain.fx import SettlementBook, SettlementKind, TransactionSettlement
from openams.gateway.domain.payment import Payment
from openams.gateway.domain.transactions import (
    Capture,
    Refund,
    TransactionStatus,
    TransactionType,
)
from openams.gateway.domain.transitions import PaymentStatus
from openams.protocol.results import result


def payment_ids(payment: Payment) -> dict[str, Any]:
    return {
        "paymentRequestId": payment.payment_request_id,
        "paymentId": payment.payment_id,
        "paymentAmount": payment.amount.wire(),
        "paymentCreateTime": iso(payment.created_at),
    }


def card_fields(payment: Payment) -> dict[str, Any]:
    """``paymentResultInfo`` of a payment made on the hosted card page (empty otherwise)."""
    if payment.card is None:
        return {}
    return {"paymentResultInfo": payment.card.payment_result_info()}


def customs_fields(payment: Payment) -> dict[str, Any]:
    """``customsDeclarationAmount`` of a successful AlipayCN payment in CNY: the amount
    declarable to China customs, in CNY (notifyPayment and inquiryPayment). Left out for
    AlipayCN payments in other currencies (docs/decisions.md, "Wire types")."""
    if (
        payment.method_type != "ALIPAY_CN"
        or payment.amount.currency != "CNY"
        or payment.status.wire != PaymentStatus.SUCCESS.value
    ):
        return {}
    return {"customsDeclarationAmount": payment.amount.wire()}


def payment_result_code(payment: Payment) -> tuple[str, str]:
    if payment.status is PaymentStatus.PROCESSING:
        return "PAYMENT_IN_PROCESS", "payment in process"
    return payment.result_code or "PROCESS_FAIL", payment.result_message or ""


def authorization_fields(payment: Payment) -> dict[str, Any]:
    """``authExpiryTime`` of a card authorization that is held or captured."""
    if not payment.is_authorization or payment.auth_expires_at is None:
        return {}
    if payment.status not in (
        PaymentStatus.AUTHORIZED,
        PaymentStatus.CAPTURING,
        PaymentStatus.SUCCESS,
    ):
        return {}
    return {"authExpiryTime": iso(payment.auth_expires_at)}


def transaction_result(transaction: Capture | Refund) -> dict[str, str]:
    """The ``result`` of a capture or refund: S, U (CAPTURE_IN_PROCESS /
    REFUND_IN_PROCESS) or F with its reason."""
    if transaction.status is TransactionStatus.SUCCESS:
        return result("SUCCESS", "success")
    if transaction.status is TransactionStatus.PROCESSING:
        in_process = (
            "CAPTURE_IN_PROCESS" if isinstance(transaction, Capture) else "REFUND_IN_PROCESS"
        )
        return result(in_process)
    return result(transaction.result_code or "PROCESS_FAIL", transaction.result_message)


def capture_body(capture: Capture) -> dict[str, Any]:
    """The capture fields of the capture response and of notifyCapture (spec §3.6, §5.2)."""
    body: dict[str, Any] = {
        "captureRequestId": capture.capture_request_id,
        "captureId": capture.capture_id,
        "paymentId": capture.payment_id,
        "captureAmount": capture.amount.wire(),
    }
    if capture.captured_at is not None:
        body["captureTime"] = iso(capture.captured_at)
    return body


def settlement_fields(settlement: TransactionSettlement | None) -> dict[str, Any]:
    """``grossSettlementAmount`` and ``settlementQuote`` of a locked settlement (or none)."""
    return {} if settlement is None else settlement.wire()


def refund_body(refund: Refund, settlement: TransactionSettlement | None = None) -> dict[str, Any]:
    """The refund fields of the refund response, inquiryRefund and notifyRefund (spec
    §3.4, §3.5, §5.2); ``settlement`` is the refund's at the payment's locked quote."""
    body: dict[str, Any] = {
        "refundRequestId": refund.refund_request_id,
        "refundId": refund.refund_id,
        "paymentId": refund.payment_id,
        "refundAmount": refund.amount.wire(),
    }
    if refund.refunded_at is not None and refund.status is TransactionStatus.SUCCESS:
        body["refundTime"] = iso(refund.refunded_at)
    body.update(settlement_fields(settlement))
    return body


def _transaction(
    kind: TransactionType,
    transaction_id: str,
    request_id: str,
    status: TransactionStatus,
    amount: dict[str, str],
    at: int,
    settlement: TransactionSettlement | None = None,
    failure: tuple[str | None, str | None] = (None, None),
) -> dict[str, Any]:
    outcome = None
    if status is TransactionStatus.SUCCESS:
        outcome = result("SUCCESS", "success")
    elif status is TransactionStatus.FAIL:  # why it failed; PROCESSING has no result yet
        outcome = result(failure[0] or "PROCESS_FAIL", failure[1])
    row: dict[str, Any] = {
        "transactionType": kind.value,
        "transactionId": transaction_id,
        "transactionRequestId": request_id,
        "transactionStatus": status.value,
        "transactionAmount": amount,
        "transactionTime": iso(at),
    }
    if outcome is not None:
        row["transactionResult"] = outcome
    row.update(settlement_fields(settlement))
    return row


def transactions(
    captures: list[Capture], refunds: list[Refund], book: SettlementBook | None = None
) -> list[dict[str, Any]]:
    """inquiryPayment ``transactions``: captures and refunds, oldest first, each with its
    settlement at the payment's locked quote when ``book`` has one."""
    book = book or SettlementBook()
    rows = [
        (
            c.captured_at or c.created_at,
            _transaction(
                TransactionType.CAPTURE,
                c.capture_id,
                c.capture_request_id,
                c.status,
                c.amount.wire(),
                c.captured_at or c.created_at,
                book.find(SettlementKind.CAPTURE, c.capture_id),
                (c.result_code, c.result_message),
            ),
        )
        for c in captures
    ] + [
        (
            r.refunded_at or r.created_at,
            _transaction(
                TransactionType.REFUND,
                r.refund_id,
                r.refund_request_id,
                r.status,
                r.amount.wire(),
                r.refunded_at or r.created_at,
                book.find(SettlementKind.REFUND, r.refund_id),
                (r.result_code, r.result_message),
            ),
        )
        for r in refunds
    ]
    return [row for _at, row in sorted(rows, key=lambda pair: pair[0])]


def inquiry_body(
    payment: Payment,
    transactions: list[dict[str, Any]] | None = None,
    book: SettlementBook | None = None,
) -> dict[str, Any]:
    """inquiryPayment; ``transactions`` (captures, refunds) is left out when there are none,
    ``grossSettlementAmount`` and ``settlementQuote`` when no quote was locked."""
    code, message = payment_result_code(payment)
    body: dict[str, Any] = {
        "result": result("SUCCESS", "success"),
        "paymentStatus": payment.status.wire,
        "paymentResultCode": code,
        "paymentResultMessage": message,
        **payment_ids(payment),
        "paymentMethodType": payment.method_type,
    }
    if payment.paid_at is not None and payment.status.wire == PaymentStatus.SUCCESS.value:
        body["paymentTime"] = iso(payment.paid_at)
    if payment.status.wire == PaymentStatus.SUCCESS.value:
        # what the buyer's wallet charged: the payment amount (no wallet-side FX here)
        body["actualPaymentAmount"] = payment.amount.wire()
    body.update(customs_fields(payment))
    body.update(card_fields(payment))
    body.update(authorization_fields(payment))
    if book is not None and payment.status.wire == PaymentStatus.SUCCESS.value:
        body.update(settlement_fields(book.find(SettlementKind.PAYMENT, payment.payment_id)))
    if transactions:
        body["transactions"] = transactions
    return body
