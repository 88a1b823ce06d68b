"""capture (spec §3.6): the merchant captures a card authorization made with
``paymentFactor.captureMode=MANUAL``.

Full amount only, within 7 days of the authorization, idempotent on
``captureRequestId``. The payment row is locked for the whole check-and-capture, so two
concurrent captures of one authorization cannot both succeed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from openams.gateway.domain.clock import Clock, iso
from openams.gateway.domain.errors import DomainError, param_illegal
from openams.gateway.domain.merchant import Merchant
from openams.gateway.domain.payment import Payment
from openams.gateway.domain.ports import UnitOfWork, UnitOfWorkFactory
from openams.gateway.domain.transactions import Capture, check_capture_amount, new_capture_id
from openams.gateway.domain.transitions import PaymentStatus
from openams.gateway.services.pay_rules import blank, parse_money
from openams.gateway.services.payments import PaymentService
from openams.gateway.services.presenters import capture_body
from openams.protocol.models import CaptureRequest
from openams.protocol.money import Money
from openams.protocol.results import result


@dataclass
class CaptureService:
    uow: UnitOfWorkFactory
    payments: PaymentService
    clock: Clock

    def capture(self, merchant: Merchant, request: CaptureRequest) -> dict[str, Any]:
        if blank(request.capture_request_id):
            raise param_illegal("captureRequestId is required")
        if blank(request.payment_id):
            raise param_illegal("paymentId is required")
        amount = parse_money(request.capture_amount, "captureAmount")
        client_id, request_id = merchant.client_id, request.capture_request_id
        now = self.clock()
        with self.uow(write=True) as uow:
            existing = uow.captures.get_by_request_id(client_id, request_id)
            if existing is not None:
                return _replay(existing, request.payment_id, amount)
            payment = uow.payments.get(client_id, request.payment_id, for_update=True)
            if payment is None:
                raise DomainError(
                    "ORDER_NOT_EXIST", f"no payment with paymentId {request.payment_id}"
                )
            # Under the payment's lock: an identical request may have just finished.
            existing = uow.captures.get_by_request_id(client_id, request_id)
            if existing is not None:
                return _replay(existing, request.payment_id, amount)
            if self.payments.lapse_authorization_if_due(uow, payment, now):
                uow.commit()
            self._check_capturable(uow, payment)
            check_capture_amount(payment.amount, amount)
            try:
                capture = self.payments.settlement.capture(
                    uow, payment, new_capture_id(now), request_id, amount, now
                )
            except LookupError:  # the same captureRequestId, for another payment, won a race
                raced = uow.captures.get_by_request_id(client_id, request_id)
                assert raced is not None
                return _replay(raced, request.payment_id, amount)
            uow.commit()
        return {"result": result("SUCCESS", "success"), **capture_body(capture)}

    @staticmethod
    def _check_capturable(uow: UnitOfWork, payment: Payment) -> None:
        """The refusals with their own result codes; the transition table does the rest."""
        if payment.status is PaymentStatus.CANCELLED and payment.is_authorization:
            if payment.result_code == "AUTH_EXPIRED":
                deadline = iso(payment.auth_expires_at or 0)
                raise DomainError(
                    "AUTH_EXPIRED",
                    f"cannot capture: the authorization expired at {deadline} (7 days after "
                    "it was made) and the hold on the card is released; use a new payment",
                )
            if payment.paid_at is not None:
                raise DomainError(
                    "AUTH_CANCELLED",
                    "cannot capture: the authorization was voided by cancel; use a new payment",
                )
        if payment.status is PaymentStatus.SUCCESS and payment.is_authorization:
            done = uow.captures.for_payment(payment.client_id, payment.payment_id)
            ids = ", ".join(c.capture_id for c in done) or "?"
            raise DomainError(
                "ORDER_STATUS_INVALID",
                f"cannot capture: payment {payment.payment_id} is already captured "
                f"(captureId {ids}); Checkout Payment captures once, for the full amount",
            )
        if payment.status is PaymentStatus.SUCCESS:
            raise DomainError(
                "ORDER_STATUS_INVALID",
                f"cannot capture: payment {payment.payment_id} is not an authorization "
                "(paymentFactor.isAuthorization); it was captured when the buyer paid",
            )


def _replay(capture: Capture, payment_id: str, amount: Money) -> dict[str, Any]:
    problem = capture.repeat_problem(payment_id, amount)
    if problem is not None:
        raise problem
    return {"result": result("SUCCESS", "success"), **capture_body(capture)}
