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

Asynchronous refunds (``isAsyncRefund``, or the sandbox amounts in
:mod:`openams.gateway.domain.async_outcomes`) answer ``U/REFUND_IN_PROCESS`` and stay
PROCESSING, counting against the refundable amount, until ``testHelpers/completeRefund``
or their settle time (the dispatcher's sweep, or the next read of the refund) ends them:
SUCCESS, or FAIL, which gives the amount back. Their REFUND_RESULT (and settlement) is
written when they end, in the same transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from openams.gateway.domain import async_outcomes
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
    refundable,
)
from openams.gateway.domain.transitions import PaymentStatus
from openams.gateway.services.notifications import Notifier
from openams.gateway.services.pay_rules import blank, check_notify_url, parse_money
from openams.gateway.services.payments import Outcome, PaymentService
from openams.gateway.services.presenters import refund_body, transaction_result
from openams.gateway.services.settlement import committed_back, given_back, settle_follow_up
from openams.protocol.models import InquiryRefundRequest, RefundRequest
from openams.protocol.money import Money
from openams.protocol.results import RESULT_CODES, ResultStatus, lookup, result


def refund_notification_body(
    refund: Refund, settlement: TransactionSettlement | None = None
) -> dict[str, Any]:
    """notifyRefund (spec §5.2): ``refundStatus`` SUCCESS with ``result`` S, or FAIL with
    ``result`` F and the failure's code."""
    return {
        "notifyType": NotifyType.REFUND_RESULT.value,
        "result": transaction_result(refund),
        "refundStatus": refund.status.value,
        **refund_body(refund, settlement),
    }


def failure_code(outcome: str, result_code: str | None) -> str | None:
    """Check a sandbox completion's ``outcome`` and ``resultCode``; the code of a FAIL
    (``PROCESS_FAIL`` when none is given), None for SUCCESS."""
    if outcome not in (Outcome.SUCCESS, Outcome.FAIL):
        raise param_illegal(f"outcome must be SUCCESS or FAIL, got {outcome!r}")
    if outcome == Outcome.SUCCESS:
        return None
    code = result_code or "PROCESS_FAIL"
    found = lookup(code)
    if found.code not in RESULT_CODES or found.status is not ResultStatus.FAIL:
        # only catalogued failures reach notifications and inquiries
        raise param_illegal(f"resultCode {code!r} is not a failure (F) result code")
    return found.code


@dataclass
class RefundService:
    uow: UnitOfWorkFactory
    catalogue: PaymentMethodCatalogue
    clock: Clock
    notifier: Notifier
    #: brings a payment up to date (a PENDING one whose result is due succeeds) first
    payments: PaymentService

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
        if notify_url is not None:
            check_notify_url("refundNotifyUrl", notify_url)
        is_async = async_outcomes.refund_is_async(amount.value, bool(request.is_async_refund))
        client_id, request_id = merchant.client_id, request.refund_request_id
        now = merchant.now(self.clock())
        with self.uow(write=True) as uow:
            existing = uow.refunds.get_by_request_id(client_id, request_id)
            if existing is not None:
                problem = existing.repeat_problem(request.payment_id, amount)
                if problem is not None:
                    raise problem
                if not self._due(existing, now):
                    return _replay(uow, existing, request.payment_id, amount)
            payment = uow.payments.get(client_id, request.payment_id, for_update=True)
            if payment is None:
                raise DomainError(
                    "ORDER_NOT_EXIST", f"no payment with paymentId {request.payment_id}"
                )
            # Under the payment's lock: an identical request may have just finished.
            existing = uow.refunds.get_by_request_id(client_id, request_id)
            if existing is not None:
                problem = existing.repeat_problem(request.payment_id, amount)
                if problem is not None:
                    raise problem
                if self._due(existing, now):  # its settle time passed: end it first
                    self._settle_by_itself(uow, payment, existing, now)
                    uow.commit()
                return _replay(uow, existing, request.payment_id, amount)
            # as a read would: a PENDING payment whose result is due has succeeded
            self.payments.settle_if_due(uow, payment, now)
            self._check(uow, payment, amount, now)
            if not is_async and async_outcomes.refund_balance_short(amount.value):
                code, message = async_outcomes.BALANCE_SHORT_RESULT
                raise DomainError(code, message)
            refund = Refund(
                refund_id=new_refund_id(now),
                client_id=client_id,
                payment_id=payment.payment_id,
                refund_request_id=request_id,
                amount=amount,
                status=TransactionStatus.PROCESSING if is_async else TransactionStatus.SUCCESS,
                created_at=now,
                refunded_at=None if is_async else now,
                reference_refund_id=request.reference_refund_id or None,
                reason=request.refund_reason or None,
                notify_url=notify_url,
                settle_at=now + async_outcomes.settle_delay_ms() if is_async else None,
            )
            # what earlier refunds and chargebacks gave back, for the settlement share
            # (before this one is added)
            refunded_before = given_back(uow, payment)
            if not uow.refunds.add_if_absent(refund):
                # the same refundRequestId, for another payment, won a race
                raced = uow.refunds.get_by_request_id(client_id, request_id)
                assert raced is not None
                return _replay(uow, raced, request.payment_id, amount)
            if is_async:  # the outcome, its settlement and REFUND_RESULT come when it ends
                uow.commit()
                return {"result": transaction_result(refund), **refund_body(refund)}
            settlement = settle_follow_up(
                uow,
                payment,
                SettlementKind.REFUND,
                refund.refund_id,
                amount,
                now,
                moved_before=refunded_before,
            )
            self._notify(uow, refund, settlement)
            uow.commit()
        return {"result": result("SUCCESS", "success"), **refund_body(refund, settlement)}

    def refund_left(self, merchant: Merchant, payment_id: str) -> Money | DomainError:
        """What ``refund`` would still take for the payment now (its whole remaining
        amount passes every check ``refund`` makes), or why it would refuse any refund.
        The console offers Refund only with an amount."""
        now = merchant.now(self.clock())
        with self.uow() as uow:
            payment = uow.payments.get(merchant.client_id, payment_id)
            if payment is None:
                return DomainError("ORDER_NOT_EXIST", f"no payment with paymentId {payment_id}")
            committed = committed_back(uow, payment)
            left = Money(payment.amount.currency, refundable(payment.amount.value, sum(committed)))
            if not left.value:
                return DomainError(
                    "REFUND_AMOUNT_EXCEED", f"nothing is left to refund of {payment.amount}"
                )
            try:
                self._check(uow, payment, left, now, committed=committed)
            except DomainError as refusal:
                return refusal
        return left

    def _check(
        self,
        uow: UnitOfWork,
        payment: Payment,
        amount: Money,
        now: int,
        *,
        committed: tuple[int, int] | None = None,
    ) -> None:
        """Refuse a refund the payment cannot take. What counts as refunded already is
        every refund that succeeded or is still in process (``committed``: the caller's
        ``committed_back``, read in this unit of work)."""
        if payment.status is PaymentStatus.CANCELLED:
            raise DomainError(
                "ORDER_IS_CANCELED",
                f"cannot refund: payment {payment.payment_id} was canceled "
                f"({payment.result_code}); the buyer's funds were already released",
            )
        if payment.status in (PaymentStatus.AUTHORIZED, PaymentStatus.CAPTURING):
            doing = "being captured" if payment.status is PaymentStatus.CAPTURING else "not"
            raise DomainError(
                "ORDER_STATUS_INVALID",
                f"cannot refund: payment {payment.payment_id} is authorized but {doing} "
                "captured; capture it first (and wait for the capture), or cancel it to "
                "release the authorization",
            )
        payment.ensure_refundable()  # the transition table: SUCCESS only
        method = self.catalogue.get(payment.method_type)
        assert method is not None and payment.paid_at is not None
        captured = payment.amount.value
        refunds = uow.refunds.count_refunds(payment.client_id, payment.payment_id)
        check_refundable(
            method,
            paid_at=from_ms(payment.paid_at),
            now=from_ms(now),
            partial=amount.value != captured,
            refunds_before=refunds,
        )
        refunded, held = committed if committed is not None else committed_back(uow, payment)
        check_refund_amount(
            payment.amount, captured=captured, refunded=refunded, requested=amount, disputed=held
        )

    @staticmethod
    def _due(refund: Refund, now: int) -> bool:
        return (
            refund.status is TransactionStatus.PROCESSING
            and refund.settle_at is not None
            and now >= refund.settle_at
        )

    def _notify(
        self, uow: UnitOfWork, refund: Refund, settlement: TransactionSettlement | None
    ) -> None:
        self.notifier.enqueue(
            uow,
            client_id=refund.client_id,
            notify_type=NotifyType.REFUND_RESULT,
            subject_id=refund.refund_id,
            payment_id=refund.payment_id,
            url=refund.notify_url,
            body=refund_notification_body(refund, settlement),
        )

    def _settle(
        self,
        uow: UnitOfWork,
        payment: Payment,
        refund: Refund,
        now: int,
        failure: tuple[str, str] | None,
    ) -> TransactionSettlement | None:
        """End a refund in process (the caller holds the payment's lock): SUCCESS with
        its settlement, or FAIL (``failure`` = code, message), which gives its amount
        back to the refundable; one REFUND_RESULT either way."""
        settlement = None
        refund.settle_at = None
        if failure is None:
            refunded_before = given_back(uow, payment)
            refund.status, refund.refunded_at = TransactionStatus.SUCCESS, now
            settlement = settle_follow_up(
                uow,
                payment,
                SettlementKind.REFUND,
                refund.refund_id,
                refund.amount,
                now,
                moved_before=refunded_before,
            )
        else:
            refund.status = TransactionStatus.FAIL
            refund.result_code, refund.result_message = failure
        uow.refunds.save(refund)
        self._notify(uow, refund, settlement)
        return settlement

    def _settle_by_itself(
        self, uow: UnitOfWork, payment: Payment, refund: Refund, now: int
    ) -> TransactionSettlement | None:
        return self._settle(
            uow, payment, refund, now, async_outcomes.refund_settles_by_itself(refund.amount.value)
        )

    def _locked(
        self, uow: UnitOfWork, client_id: str, refund_id: str
    ) -> tuple[Payment, Refund] | None:
        """The refund and its payment, the payment row locked, the refund read under it."""
        found = uow.refunds.get(client_id, refund_id)
        if found is None:
            return None
        payment = uow.payments.get(client_id, found.payment_id, for_update=True)
        refund = uow.refunds.get(client_id, refund_id)
        assert payment is not None and refund is not None
        return payment, refund

    # ------------------------------------------------------ sandbox outcomes

    def complete(
        self,
        merchant: Merchant,
        *,
        refund_id: str | None,
        refund_request_id: str | None,
        outcome: str,
        result_code: str | None = None,
        result_message: str | None = None,
    ) -> dict[str, Any]:
        """End a refund in process as SUCCESS or FAIL (sandbox ``completeRefund``).
        Repeating the outcome a refund ended with is a no-op; another outcome after it
        ended is ORDER_STATUS_INVALID."""
        code = failure_code(outcome, result_code)
        now = merchant.now(self.clock())
        with self.uow(write=True) as uow:
            refund, described = self._find(uow, merchant.client_id, refund_id, refund_request_id)
            if refund is None:
                raise DomainError("ORDER_NOT_EXIST", f"no refund with {described}")
            locked = self._locked(uow, merchant.client_id, refund.refund_id)
            assert locked is not None
            payment, refund = locked
            if refund.status is TransactionStatus.PROCESSING:
                failure = None
                if code is not None:
                    failure = (code, result_message or lookup(code).message)
                self._settle(uow, payment, refund, now, failure)
                uow.commit()
            elif refund.status.value != outcome or (
                result_code is not None and refund.result_code != code
            ):
                ended = refund.status.value + (
                    f" ({refund.result_code})" if refund.result_code else ""
                )
                raise DomainError(
                    "ORDER_STATUS_INVALID",
                    f"cannot complete: refund {refund.refund_id} already ended {ended}",
                )
            settlement = uow.settlements.get(
                merchant.client_id, SettlementKind.REFUND, refund.refund_id
            )
        return self._inquiry_body(refund, settlement)

    def settle_due(self, limit: int, client_id: str | None = None) -> int:
        """End up to ``limit`` asynchronous refunds whose settle time passed on their
        merchant's clock (of one merchant with ``client_id``), each in its own
        transaction with its notification; returns how many."""
        with self.uow() as uow:  # a cheap read first: no writer lock when nothing is due
            due = uow.refunds.due(self.clock(), limit, client_id)
        return sum(self.settle_if_due(client, refund_id, now) for client, refund_id, now in due)

    def settle_if_due(self, client_id: str, refund_id: str, now: int) -> bool:
        """End the refund, in its own transaction, if its settle time has passed and
        nobody ended it meanwhile; True when this call ended it."""
        with self.uow(write=True) as uow:
            locked = self._locked(uow, client_id, refund_id)
            if locked is None or not self._due(locked[1], now):
                return False
            self._settle_by_itself(uow, *locked, now)
            uow.commit()
            return True

    # -------------------------------------------------------- inquiryRefund

    @staticmethod
    def _find(
        uow: UnitOfWork, client_id: str, refund_id: str | None, refund_request_id: str | None
    ) -> tuple[Refund | None, str]:
        if blank(refund_id) and blank(refund_request_id):
            raise param_illegal("refundId or refundRequestId is required")
        if not blank(refund_id):
            assert refund_id is not None
            return uow.refunds.get(client_id, refund_id), f"refundId {refund_id}"
        assert refund_request_id is not None
        return (
            uow.refunds.get_by_request_id(client_id, refund_request_id),
            f"refundRequestId {refund_request_id}",
        )

    def inquiry(self, merchant: Merchant, request: InquiryRefundRequest) -> dict[str, Any]:
        now = merchant.now(self.clock())
        with self.uow() as uow:
            refund, described = self._find(
                uow, merchant.client_id, request.refund_id, request.refund_request_id
            )
        if refund is None:
            # Another merchant's refund looks exactly like one that does not exist.
            raise DomainError("ORDER_NOT_EXIST", f"no refund with {described}")
        if self._due(refund, now):  # its settle time passed: end it before answering
            with self.uow(write=True) as uow:
                locked = self._locked(uow, merchant.client_id, refund.refund_id)
                assert locked is not None
                payment, refund = locked
                if self._due(refund, now):
                    self._settle_by_itself(uow, payment, refund, now)
                    uow.commit()
        with self.uow() as uow:
            settlement = uow.settlements.get(
                merchant.client_id, SettlementKind.REFUND, refund.refund_id
            )
        return self._inquiry_body(refund, settlement)

    @staticmethod
    def _inquiry_body(refund: Refund, settlement: TransactionSettlement | None) -> dict[str, Any]:
        body = {"result": result("SUCCESS", "success"), **refund_body(refund, settlement)}
        body.pop("paymentId")
        body["refundStatus"] = refund.status.value
        return body


def _replay(uow: UnitOfWork, refund: Refund, payment_id: str, amount: Money) -> dict[str, Any]:
    """The answer to a resent refund: its current state (U while in process, then the
    final S or F)."""
    problem = refund.repeat_problem(payment_id, amount)
    if problem is not None:
        raise problem
    settlement = uow.settlements.get(refund.client_id, SettlementKind.REFUND, refund.refund_id)
    return {"result": transaction_result(refund), **refund_body(refund, settlement)}
