"""capture (spec §3.6): the merchant captures a card authorization made with
``paymentFactor.captureMode=MANUAL``.

Full amount only, within 7 days of the authorization, idempotent on
``captureRequestId``. The payment row is locked for the whole check-and-capture, so two
concurrent captures of one authorization cannot both succeed.

An asynchronous capture (the sandbox amount in
:mod:`openams.gateway.domain.async_outcomes`) answers ``U/CAPTURE_IN_PROCESS``; its
payment is CAPTURING (reported SUCCESS, as an authorization is) until
``testHelpers/completeCapture`` or its settle time (the dispatcher's sweep, or the next
resend) ends it with a CAPTURE_RESULT: SUCCESS captures the payment, FAIL leaves the
authorization as it was (capture again with a new captureRequestId, or cancel).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from openams.gateway.domain import async_outcomes
from openams.gateway.domain.clock import Clock, iso
from openams.gateway.domain.errors import DomainError, param_illegal
from openams.gateway.domain.merchant import Merchant
from openams.gateway.domain.payment import Payment
from openams.gateway.domain.ports import UnitOfWork, UnitOfWorkFactory
from openams.gateway.domain.transactions import (
    Capture,
    TransactionStatus,
    check_capture_amount,
    new_capture_id,
)
from openams.gateway.domain.transitions import PaymentStatus
from openams.gateway.services.pay_rules import blank, parse_money
from openams.gateway.services.payments import PaymentService
from openams.gateway.services.presenters import capture_body, transaction_result
from openams.gateway.services.refunds import failure_code
from openams.protocol.models import CaptureRequest
from openams.protocol.money import Money
from openams.protocol.results import lookup, result


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
        now = merchant.now(self.clock())
        with self.uow(write=True) as uow:
            existing = uow.captures.get_by_request_id(client_id, request_id)
            if existing is not None:
                problem = existing.repeat_problem(request.payment_id, amount)
                if problem is not None:
                    raise problem
                if not _due(existing, now):
                    return _replay(existing, request.payment_id, amount)
            payment = uow.payments.get(client_id, request.payment_id, for_update=True)
            if payment is None:
                raise DomainError(
                    "ORDER_NOT_EXIST", f"no payment with paymentId {request.payment_id}"
                )
            # Under the payment's lock: an identical request may have just finished.
            existing = uow.captures.get_by_request_id(client_id, request_id)
            if existing is not None:
                if _due(existing, now) and existing.payment_id == payment.payment_id:
                    self.payments.settlement.finish_capture(uow, payment, existing, now)
                    uow.commit()
                return _replay(existing, request.payment_id, amount)
            # as a read would: a PENDING authorization whose result is due is authorized
            self.payments.settle_if_due(uow, payment, now)
            if self.payments.lapse_authorization_if_due(uow, payment, now):
                uow.commit()
            self._check_capturable(uow, payment)
            check_capture_amount(payment.amount, amount)
            try:
                if async_outcomes.capture_is_async(amount.value):
                    settle_at = now + async_outcomes.settle_delay_ms()
                    capture = self.payments.settlement.begin_capture(
                        uow, payment, new_capture_id(now), request_id, amount, now, settle_at
                    )
                else:
                    capture = self.payments.settlement.capture(
                        uow, payment, new_capture_id(now), request_id, amount, now
                    )
            except LookupError:  # the same captureRequestId, for another payment, won a race
                raced = uow.captures.get_by_request_id(client_id, request_id)
                assert raced is not None
                return _replay(raced, request.payment_id, amount)
            uow.commit()
        return {"result": transaction_result(capture), **capture_body(capture)}

    # ------------------------------------------------------ sandbox outcomes

    def complete(
        self,
        merchant: Merchant,
        *,
        capture_id: str | None,
        capture_request_id: str | None,
        outcome: str,
        result_code: str | None = None,
        result_message: str | None = None,
    ) -> dict[str, Any]:
        """End a capture in process as SUCCESS or FAIL (sandbox ``completeCapture``).
        Repeating the outcome a capture ended with is a no-op; another outcome after it
        ended is ORDER_STATUS_INVALID."""
        code = failure_code(outcome, result_code)
        if blank(capture_id) and blank(capture_request_id):
            raise param_illegal("captureId or captureRequestId is required")
        now = merchant.now(self.clock())
        with self.uow(write=True) as uow:
            if not blank(capture_id):
                assert capture_id is not None
                found = uow.captures.get(merchant.client_id, capture_id)
                described = f"captureId {capture_id}"
            else:
                assert capture_request_id is not None
                found = uow.captures.get_by_request_id(merchant.client_id, capture_request_id)
                described = f"captureRequestId {capture_request_id}"
            if found is None:
                # Another merchant's capture looks exactly like one that does not exist.
                raise DomainError("ORDER_NOT_EXIST", f"no capture with {described}")
            payment, capture = self._locked(uow, found)
            if capture.status is TransactionStatus.PROCESSING:
                failure = None
                if code is not None:
                    failure = (code, result_message or lookup(code).message)
                self.payments.settlement.finish_capture(uow, payment, capture, now, failure)
                uow.commit()
            elif capture.status.value != outcome or (
                result_code is not None and capture.result_code != code
            ):
                ended = capture.status.value + (
                    f" ({capture.result_code})" if capture.result_code else ""
                )
                raise DomainError(
                    "ORDER_STATUS_INVALID",
                    f"cannot complete: capture {capture.capture_id} already ended {ended}",
                )
        return {
            "result": result("SUCCESS", "success"),
            "captureStatus": capture.status.value,
            **capture_body(capture),
        }

    def settle_due(self, limit: int, client_id: str | None = None) -> int:
        """End up to ``limit`` asynchronous captures whose settle time passed on their
        merchant's clock (of one merchant with ``client_id``) (SUCCESS), each in its own
        transaction with its CAPTURE_RESULT; returns how many."""
        with self.uow() as uow:  # a cheap read first: no writer lock when nothing is due
            due = uow.captures.due(self.clock(), limit, client_id)
        return sum(self.settle_if_due(client, capture_id, now) for client, capture_id, now in due)

    def settle_if_due(self, client_id: str, capture_id: str, now: int) -> bool:
        """End the capture (SUCCESS), in its own transaction, if its settle time has
        passed and nobody ended it meanwhile; True when this call ended it."""
        with self.uow(write=True) as uow:
            found = uow.captures.get(client_id, capture_id)
            if found is None:
                return False
            payment, capture = self._locked(uow, found)
            if not _due(capture, now):
                return False
            self.payments.settlement.finish_capture(uow, payment, capture, now)
            uow.commit()
            return True

    @staticmethod
    def _locked(uow: UnitOfWork, found: Capture) -> tuple[Payment, Capture]:
        """The capture's payment locked, and the capture read again under that lock."""
        payment = uow.payments.get(found.client_id, found.payment_id, for_update=True)
        capture = uow.captures.get(found.client_id, found.capture_id)
        assert payment is not None and capture is not None
        return payment, capture

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
        if payment.status is PaymentStatus.CAPTURING:
            done = uow.captures.for_payment(payment.client_id, payment.payment_id)
            ids = ", ".join(c.capture_id for c in done if c.status is TransactionStatus.PROCESSING)
            raise DomainError(
                "ORDER_STATUS_INVALID",
                f"cannot capture: a capture of payment {payment.payment_id} is in process "
                f"(captureId {ids or '?'}); wait for its CAPTURE_RESULT",
            )
        if payment.status is PaymentStatus.SUCCESS and payment.is_authorization:
            done = uow.captures.for_payment(payment.client_id, payment.payment_id)
            ids = ", ".join(c.capture_id for c in done if c.status is TransactionStatus.SUCCESS)
            ids = ids or "?"
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


def _due(capture: Capture, now: int) -> bool:
    return (
        capture.status is TransactionStatus.PROCESSING
        and capture.settle_at is not None
        and now >= capture.settle_at
    )


def _replay(capture: Capture, payment_id: str, amount: Money) -> dict[str, Any]:
    """The answer to a resent capture: U while in process, then the final S or F."""
    problem = capture.repeat_problem(payment_id, amount)
    if problem is not None:
        raise problem
    return {"result": transaction_result(capture), **capture_body(capture)}
