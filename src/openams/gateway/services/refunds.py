"""refund and inquiryRefund (spec §3.4, §3.5).

Full, partial and multiple refunds of a captured payment, idempotent on
``refundRequestId``. Each refund locks its payment's row (``SELECT ... FOR UPDATE`` on
PostgreSQL; SQLite writers are serialised by ``BEGIN IMMEDIATE``) before it adds up
what is already refunded, so refunds sent at the same moment can never together exceed
the captured amount. A refund and its REFUND_RESULT notification (to
``refundNotifyUrl``, else the merchant's default URL) are written in one transaction.

A refund of a payment with a locked settlement quote settles at that same quote (its
``grossSettlementAmount`` and ``settlementQuote`` are in the response, inquiryRefund
and notifyRefund); the refund that completes the payment takes what is left of the
payment's gross settlement amount, so a fully refunded payment nets to zero.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from openams.gateway.domain.clock import Clock, from_ms
from openams.gateway.domain.errors import DomainError, param_illegal
from openams.gateway.domain.fx import SettlementKind, TransactionSettlement
from openams.gateway.domain.merchant import Merchant
from openams.gateway.domain.notification import NotifyType
from openams.gateway.domain.payment import Payment
from openams.gateway.domain.payment_methods import check_refundable
from openams.gateway.domain.ports import PaymentMethodCatalogue, UnitOfWork, UnitOfWorkFactory
from openams.gateway.domain.transactions import (
    Refund,
    TransactionStatus,
    check_refund_amount,
    new_refund_id,
)
from openams.gateway.domain.transitions import PaymentStatus
from openams.gateway.services.notifications import Notifier
from openams.gateway.services.pay_rules import blank, parse_money
from openams.gateway.services.presenters import refund_body
from openams.gateway.services.settlement import settle_follow_up
from openams.protocol.models import InquiryRefundRequest, RefundRequest
from openams.protocol.money import Money
from openams.protocol.results import result


def refund_notification_body(
    refund: Refund, settlement: TransactionSettlement | None = None
) -> dict[str, Any]:
    """notifyRefund (spec §5.2)."""
    return {
        "notifyType": NotifyType.REFUND_RESULT.value,
        "result": result("SUCCESS", "success"),
        "refundStatus": refund.status.value,
        **refund_body(refund, settlement),
    }


@dataclass
class RefundService:
    uow: UnitOfWorkFactory
    catalogue: PaymentMethodCatalogue
    clock: Clock
    notifier: Notifier

    # --------------------------------------------------------------- refund

    def refund(self, merchant: Merchant, request: RefundRequest) -> dict[str, Any]:
        if blank(request.refund_request_id):
            raise param_illegal("refundRequestId is required")
        if blank(request.payment_id):
            raise param_illegal("paymentId is required")
        amount = parse_money(request.refund_amount, "refundAmount")
        notify_url = None if blank(request.refund_notify_url) else request.refund_notify_url
        if notify_url is not None and "://" not in notify_url:
            raise param_illegal(f"refundNotifyUrl {notify_url!r} is not an absolute URL")
        client_id, request_id = merchant.client_id, request.refund_request_id
        now = self.clock()
        with self.uow(write=True) as uow:
            existing = uow.refunds.get_by_request_id(client_id, request_id)
            if existing is not None:
                return _replay(uow, existing, request.payment_id, amount)
            payment = uow.payments.get(client_id, request.payment_id, for_update=True)
            if payment is None:
                raise DomainError(
                    "ORDER_NOT_EXIST", f"no payment with paymentId {request.payment_id}"
                )
            # Under the payment's lock: an identical request may have just finished.
            existing = uow.refunds.get_by_request_id(client_id, request_id)
            if existing is not None:
                return _replay(uow, existing, request.payment_id, amount)
            refunded_before = self._check(uow, payment, amount, now)
            refund = Refund(
                refund_id=new_refund_id(now),
                client_id=client_id,
                payment_id=payment.payment_id,
                refund_request_id=request_id,
                amount=amount,
                status=TransactionStatus.SUCCESS,
                created_at=now,
                refunded_at=now,
                reference_refund_id=request.reference_refund_id or None,
                reason=request.refund_reason or None,
                notify_url=notify_url,
            )
            if not uow.refunds.add_if_absent(refund):
                # the same refundRequestId, for another payment, won a race
                raced = uow.refunds.get_by_request_id(client_id, request_id)
                assert raced is not None
                return _replay(uow, raced, request.payment_id, amount)
            settlement = settle_follow_up(
                uow,
                payment,
                SettlementKind.REFUND,
                refund.refund_id,
                amount,
                now,
                moved_before=refunded_before,
            )
            self.notifier.enqueue(
                uow,
                client_id=client_id,
                notify_type=NotifyType.REFUND_RESULT,
                subject_id=refund.refund_id,
                payment_id=payment.payment_id,
                url=notify_url,
                body=refund_notification_body(refund, settlement),
            )
            uow.commit()
        return {"result": result("SUCCESS", "success"), **refund_body(refund, settlement)}

    def _check(self, uow: UnitOfWork, payment: Payment, amount: Money, now: int) -> int:
        """Refuse a refund the payment cannot take; returns what was refunded before."""
        if payment.status is PaymentStatus.AUTHORIZED:
            raise DomainError(
                "ORDER_STATUS_INVALID",
                f"cannot refund: payment {payment.payment_id} is authorized but not captured; "
                "capture it first, or cancel it to release the authorization",
            )
        payment.ensure_refundable()  # the transition table: SUCCESS only
        method = self.catalogue.get(payment.method_type)
        assert method is not None and payment.paid_at is not None
        captured = payment.amount.value
        check_refundable(
            method,
            paid_at=from_ms(payment.paid_at),
            now=from_ms(now),
            partial=amount.value != captured,
        )
        refunded = uow.refunds.total_refunded(payment.client_id, payment.payment_id)
        check_refund_amount(payment.amount, captured=captured, refunded=refunded, requested=amount)
        return refunded

    # -------------------------------------------------------- inquiryRefund

    def inquiry(self, merchant: Merchant, request: InquiryRefundRequest) -> dict[str, Any]:
        if blank(request.refund_id) and blank(request.refund_request_id):
            raise param_illegal("refundId or refundRequestId is required")
        with self.uow() as uow:
            if not blank(request.refund_id):
                assert request.refund_id is not None
                refund = uow.refunds.get(merchant.client_id, request.refund_id)
                described = f"refundId {request.refund_id}"
            else:
                assert request.refund_request_id is not None
                refund = uow.refunds.get_by_request_id(
                    merchant.client_id, request.refund_request_id
                )
                described = f"refundRequestId {request.refund_request_id}"
            settlement = None
            if refund is not None:
                settlement = uow.settlements.get(
                    merchant.client_id, SettlementKind.REFUND, refund.refund_id
                )
        if refund is None:
            # Another merchant's refund looks exactly like one that does not exist.
            raise DomainError("ORDER_NOT_EXIST", f"no refund with {described}")
        body = {"result": result("SUCCESS", "success"), **refund_body(refund, settlement)}
        body.pop("paymentId")
        body["refundStatus"] = refund.status.value
        return body


def _replay(uow: UnitOfWork, refund: Refund, payment_id: str, amount: Money) -> dict[str, Any]:
    problem = refund.repeat_problem(payment_id, amount)
    if problem is not None:
        raise problem
    settlement = uow.settlements.get(refund.client_id, SettlementKind.REFUND, refund.refund_id)
    return {"result": result("SUCCESS", "success"), **refund_body(refund, settlement)}
