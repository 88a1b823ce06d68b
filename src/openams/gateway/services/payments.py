"""pay, inquiryPayment, cancel and the one path every payment takes to a final state."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from openams.gateway.domain import async_outcomes
from openams.gateway.domain.cards import CardResult
from openams.gateway.domain.clock import Clock, from_ms, iso
from openams.gateway.domain.errors import DomainError, param_illegal
from openams.gateway.domain.merchant import Merchant
from openams.gateway.domain.payment import Fingerprint, Payment, new_payment_id, new_token
from openams.gateway.domain.payment_codes import PaymentCode, needs_confirmation
from openams.gateway.domain.payment_methods import check_cancellable
from openams.gateway.domain.ports import PaymentMethodCatalogue, UnitOfWork, UnitOfWorkFactory
from openams.gateway.domain.result_triggers import PAYMENT_FAILURE_CODES
from openams.gateway.domain.simulation import Outcome as WalletOutcome
from openams.gateway.domain.simulation import wallet_decision
from openams.gateway.domain.transactions import Capture
from openams.gateway.domain.transitions import PaymentEvent, PaymentStatus, apply, can
from openams.gateway.services import payment_codes
from openams.gateway.services.cards import CardPayments, scrub_card_data
from openams.gateway.services.continuation import Links, continuation
from openams.gateway.services.merchant_time import merchant_now
from openams.gateway.services.notifications import Notifier
from openams.gateway.services.pay_rules import PAYMENT_CODE, blank, validate_pay
from openams.gateway.services.presenters import (
    authorization_fields,
    card_fields,
    inquiry_body,
    payment_ids,
    transactions,
)
from openams.gateway.services.settlement import Settlement, locked_settlements
from openams.protocol.models import CancelRequest, InquiryPaymentRequest, PayRequest
from openams.protocol.results import lookup, result


class NewPaymentStore(Protocol):
    def insert_new(self, payment: Payment) -> bool:
        """Store a payment in its own committed transaction unless its (client id,
        paymentRequestId) exists; True when this call stored it."""
        ...


@dataclass
class ClosedPayments:
    """What a sweep did: payments expired, PENDING payments settled."""

    expired: int = 0
    settled: int = 0

    @property
    def total(self) -> int:
        return self.expired + self.settled


class Outcome:
    SUCCESS = "SUCCESS"
    FAIL = "FAIL"
    #: the buyer paid; the final result follows (PAYMENT_PENDING), SUCCESS by itself after
    #: :data:`async_outcomes.SETTLE_DELAY` unless completed before
    PENDING = "PENDING"


#: The transition each outcome of ``complete`` takes (SUCCESS of an authorization is
#: AUTHORIZE, allowed from the same states as SUCCEED).
_COMPLETING = {
    Outcome.SUCCESS: PaymentEvent.SUCCEED,
    Outcome.FAIL: PaymentEvent.FAIL,
    Outcome.PENDING: PaymentEvent.PEND,
}


@dataclass
class PaymentService:
    uow: UnitOfWorkFactory
    catalogue: PaymentMethodCatalogue
    links: Links
    clock: Clock
    notifier: Notifier
    #: The common case (no card data, a new paymentRequestId) without a unit of work.
    new_payments: NewPaymentStore | None = None
    settlement: Settlement = field(init=False)
    cards: CardPayments = field(init=False)

    def __post_init__(self) -> None:
        self.settlement = Settlement(self.notifier)
        self.cards = CardPayments(self.settlement)

    # ------------------------------------------------------------------ pay

    def pay(self, merchant: Merchant, request: PayRequest) -> dict[str, Any]:
        real_now = self.clock()
        now = merchant.now(real_now)
        try:
            command = validate_pay(request, self.catalogue, now)
        except DomainError:
            # An identical resend is answered from what is stored, before any check that
            # depends on time or state (paymentExpiryTime passed, a card expired since).
            replayed = self._replay_identical(merchant, request, now)
            if replayed is None:
                raise
            return replayed
        notify_url = None if blank(request.payment_notify_url) else request.payment_notify_url
        payment = Payment(
            payment_id=new_payment_id(now),
            client_id=merchant.client_id,
            payment_request_id=request.payment_request_id,
            status=PaymentStatus.PROCESSING,
            amount=command.money,
            product_code=request.product_code,
            method_type=command.method.type,
            method_id=request.payment_method.payment_method_id or None,
            fingerprint=command.fingerprint.encode(),
            created_at=now,
            expires_at=command.expires_at,
            token=new_token(),
            terminal_type=command.terminal_type,
            os_type=command.os_type,
            reference_order_id=request.order.reference_order_id or None,
            order_description=request.order.order_description,
            redirect_url=request.payment_redirect_url or None,
            notify_url=notify_url,
            settlement_currency=command.fingerprint.settlement_currency,
            # the card number masked, the CVV left out
            request=scrub_card_data(request.wire()),
            is_authorization=command.is_authorization,
            capture_mode=command.capture_mode,
        )
        # Without card data a pay writes its payment row and nothing else, and is new in
        # the common case: insert first, and go the long way only when the
        # paymentRequestId is taken.
        with_code = command.scenario == PAYMENT_CODE
        plain = command.card is None and command.card_token is None and not with_code
        if plain and self.new_payments is not None and self.new_payments.insert_new(payment):
            return self._pay_body(payment)
        with self.uow(write=True) as uow:
            existing = None
            if not plain:
                existing = uow.payments.get_by_request_id(
                    merchant.client_id, request.payment_request_id, for_update=True
                )
            charge = None
            code = None
            if existing is None:
                charge = self.cards.resolve(
                    uow,
                    merchant.client_id,
                    charge=command.card,
                    card_token=command.card_token,
                    now_ms=now,
                    amount_value=command.money.value,
                )
            if existing is None and with_code:
                try:
                    # a buyer's code ages in real time: it is no merchant's
                    code = payment_codes.use(uow, str(payment.method_id), payment, real_now)
                except DomainError:
                    # an identical request may have used the code for this very payment
                    existing = uow.payments.get_by_request_id(
                        merchant.client_id, request.payment_request_id, for_update=True
                    )
                    if existing is None:
                        raise
            if existing is None and uow.payments.add_if_absent(payment):
                if charge is not None:
                    self.cards.charge(uow, payment, charge, now)
                if code is not None:
                    self._present_code(uow, payment, code, now)
                uow.commit()
                if charge is not None and charge.answer_lost:
                    return {"result": result("UNKNOWN_EXCEPTION")}
                return self._pay_body(payment)
            if existing is None:  # lost a race with an identical concurrent request
                existing = uow.payments.get_by_request_id(
                    merchant.client_id, request.payment_request_id, for_update=True
                )
                assert existing is not None
            body = self._replay(uow, existing, command.fingerprint, now)
            uow.commit()
            return body

    def _present_code(self, uow: UnitOfWork, payment: Payment, code: PaymentCode, now: int) -> None:
        """The buyer's wallet takes a payment made with its code: it pays at once, refuses
        (a sandbox account's failure), pays with the result pending, or, for a large
        amount, waits for the buyer to confirm on the phone (stays PROCESSING)."""
        decision = wallet_decision(payment.amount.value, code.buyer)
        if decision.outcome is WalletOutcome.FAIL:
            failure = decision.result_code or "PROCESS_FAIL"
            message = decision.result_message or lookup(failure).message
            self.settlement.fail(uow, payment, now, failure, message)
        elif decision.outcome is not WalletOutcome.SUCCESS:  # processing, or pending
            payment.pend(now, now + async_outcomes.settle_delay_ms())
            uow.payments.save(payment)
            self.notifier.payment_result(uow, payment)
        elif not needs_confirmation(payment.amount.value):
            self._succeed(uow, payment, now)

    def _replay_identical(
        self, merchant: Merchant, request: PayRequest, now: int
    ) -> dict[str, Any] | None:
        """The stored answer to a resend identical to the stored request, else None."""
        if blank(request.payment_request_id):
            return None
        with self.uow(write=True) as uow:
            payment = uow.payments.get_by_request_id(
                merchant.client_id, request.payment_request_id, for_update=True
            )
            if payment is None or payment.request != scrub_card_data(request.wire()):
                return None
            body = self._replay(uow, payment, Fingerprint.decode(payment.fingerprint), now)
            uow.commit()
            return body

    def _replay(
        self, uow: UnitOfWork, payment: Payment, fingerprint: Fingerprint, now: int
    ) -> dict[str, Any]:
        stored = payment.fingerprint
        if stored != fingerprint.encode():
            original = Fingerprint.decode(stored)
            fields = ", ".join(original.differences(fingerprint))
            raise DomainError(
                "REPEAT_REQ_INCONSISTENT",
                f"paymentRequestId {payment.payment_request_id} was first used with different "
                f"{fields}; resend the identical request or use a new paymentRequestId",
            )
        if self._expire_if_due(uow, payment, now) or self.settle_if_due(uow, payment, now):
            uow.commit()  # the closing and its notification stand, whatever is answered
        if payment.status is PaymentStatus.CANCELLED:
            raise DomainError(
                "ORDER_IS_CANCELED",
                f"payment {payment.payment_id} was canceled; use a new paymentRequestId",
            )
        if payment.status is PaymentStatus.FAIL:
            raise DomainError(
                "ORDER_IS_CLOSED",
                f"payment {payment.payment_id} is closed ({payment.result_code}: "
                f"{payment.result_message}); use a new paymentRequestId",
            )
        return self._pay_body(payment)

    def _pay_body(self, payment: Payment) -> dict[str, Any]:
        if payment.status.wire == PaymentStatus.SUCCESS.value:
            body = {"result": result("SUCCESS", "success"), **payment_ids(payment)}
            if payment.paid_at is not None:
                body["paymentTime"] = iso(payment.paid_at)
            return {**body, **card_fields(payment), **authorization_fields(payment)}
        if payment.status is PaymentStatus.FAIL:  # a card the issuer declined
            outcome = result(payment.result_code or "PROCESS_FAIL", payment.result_message)
            return {"result": outcome, **payment_ids(payment), **card_fields(payment)}
        method = self.catalogue.get(payment.method_type)
        assert method is not None
        return {
            "result": result("PAYMENT_IN_PROCESS"),
            **payment_ids(payment),
            **continuation(payment, method, self.links),
            **card_fields(payment),
        }

    # --------------------------------------------------------------- lookup

    @staticmethod
    def _ref(
        payment_id: str | None, payment_request_id: str | None
    ) -> tuple[str | None, str | None]:
        if blank(payment_id) and blank(payment_request_id):
            raise param_illegal("paymentId or paymentRequestId is required")
        return (payment_id or None), (None if not blank(payment_id) else payment_request_id)

    def find(
        self,
        uow: UnitOfWork,
        client_id: str,
        payment_id: str | None,
        payment_request_id: str | None,
        *,
        for_update: bool = False,
    ) -> Payment:
        pid, prid = self._ref(payment_id, payment_request_id)
        if pid is not None:
            payment = uow.payments.get(client_id, pid, for_update=for_update)
        else:
            assert prid is not None
            payment = uow.payments.get_by_request_id(client_id, prid, for_update=for_update)
        if payment is None:
            # Another merchant's payment looks exactly like one that does not exist.
            raise DomainError("ORDER_NOT_EXIST", f"no payment with {_describe(pid, prid)}")
        return payment

    def _expire_if_due(self, uow: UnitOfWork, payment: Payment, now: int) -> bool:
        if not payment.is_due_to_expire(now):
            return False
        payment.expire(now)
        uow.payments.save(payment)
        self.notifier.payment_result(uow, payment)
        return True

    def settle_if_due(self, uow: UnitOfWork, payment: Payment, now: int) -> bool:
        """A PENDING payment whose final result is due succeeds (PAYMENT_RESULT S), in
        the caller's unit of work (which holds the payment's lock); True if it did."""
        if not payment.is_due_to_settle(now):
            return False
        self._succeed(uow, payment, now)
        return True

    def _succeed(
        self, uow: UnitOfWork, payment: Payment, now: int, *, challenged: bool = True
    ) -> Capture | None:
        """The buyer's payment succeeds: a server-to-server card awaiting its 3-D Secure
        challenge passed it (``challenged``; not for a card the hosted page just gave), a
        card saved on the hosted page is vaulted, the sale (or authorization, and its
        automatic capture) is settled with its notifications."""
        if challenged:
            self.cards.complete_challenge(payment)
        self.cards.save_hosted_card(uow, payment, now)
        return self.settlement.succeed(uow, payment, now)

    def expire_due(self, limit: int) -> int:
        """Close up to ``limit`` payments whose expiry passed, and settle the PENDING ones
        whose result is due, each with its notification, in one transaction; returns how
        many. Rows another sweeper holds are skipped."""
        return self.close_due(limit).total

    def close_due(self, limit: int, client_id: str | None = None) -> ClosedPayments:
        """``expire_due`` (for one merchant with ``client_id``), counting the payments
        expired and the PENDING ones settled. Each is due on its merchant's clock."""
        real_now = self.clock()
        closed = ClosedPayments()
        with self.uow() as uow:  # a cheap read first: no writer lock when nothing is due
            if not uow.payments.due_for_expiry(real_now, 1, client_id):
                return closed
        with self.uow(write=True) as uow:
            for payment, now in uow.payments.due_payments(real_now, limit, client_id):
                if self._expire_if_due(uow, payment, now):
                    closed.expired += 1
                elif self.settle_if_due(uow, payment, now):
                    closed.settled += 1
            uow.commit()
        return closed

    def now_for(self, uow: UnitOfWork, client_id: str) -> int:
        """The merchant's time now (its clock offset read in ``uow``)."""
        return merchant_now(uow, self.clock, client_id)

    def lapse_authorization_if_due(self, uow: UnitOfWork, payment: Payment, now: int) -> bool:
        """An authorization not captured within 7 days is released (no notification)."""
        if not payment.authorization_lapsed(now):
            return False
        payment.expire_authorization(now)
        uow.payments.save(payment)
        return True

    def inquiry(self, merchant: Merchant, request: InquiryPaymentRequest) -> dict[str, Any]:
        now = merchant.now(self.clock())
        with self.uow() as uow:
            payment = self.find(
                uow, merchant.client_id, request.payment_id, request.payment_request_id
            )
        if (
            payment.is_due_to_expire(now)
            or payment.is_due_to_settle(now)
            or payment.authorization_lapsed(now)
        ):
            with self.uow(write=True) as uow:
                payment = self.find(
                    uow, merchant.client_id, payment.payment_id, None, for_update=True
                )
                self._expire_if_due(uow, payment, now)
                self.settle_if_due(uow, payment, now)
                self.lapse_authorization_if_due(uow, payment, now)
                uow.commit()
        with self.uow() as uow:
            captures = uow.captures.for_payment(merchant.client_id, payment.payment_id)
            refunds = uow.refunds.for_payment(merchant.client_id, payment.payment_id)
            book = locked_settlements(uow, payment)  # no query unless settled across currencies
        return inquiry_body(payment, transactions(captures, refunds, book), book)

    # --------------------------------------------------------------- cancel

    def cancel(self, merchant: Merchant, request: CancelRequest) -> dict[str, Any]:
        now = merchant.now(self.clock())
        with self.uow(write=True) as uow:
            payment = self.find(
                uow,
                merchant.client_id,
                request.payment_id,
                request.payment_request_id,
                for_update=True,
            )
            # as a read would: a PENDING payment whose result is due has succeeded
            self.settle_if_due(uow, payment, now)
            if self.lapse_authorization_if_due(uow, payment, now):
                uow.commit()
            if (
                payment.status is not PaymentStatus.CANCELLED
                or payment.result_code == "AUTH_EXPIRED"
            ):
                self._check_cancellable(uow, payment, now)
                if payment.status is PaymentStatus.AUTHORIZED:
                    payment.void(now)
                else:
                    payment.cancel(now)
                uow.payments.save(payment)
                uow.commit()
        assert payment.cancelled_at is not None
        return {
            "result": result("SUCCESS", "success"),
            "paymentId": payment.payment_id,
            "paymentRequestId": payment.payment_request_id,
            "cancelTime": iso(payment.cancelled_at),
        }

    def cancel_refusal(self, merchant: Merchant, payment_id: str) -> DomainError | None:
        """Why ``cancel`` would refuse the payment now, or None when it would cancel it
        (the console offers Cancel only then). A payment already cancelled needs none."""
        now = merchant.now(self.clock())
        with self.uow() as uow:
            payment = self.find(uow, merchant.client_id, payment_id, None)
            lapsed = payment.result_code == "AUTH_EXPIRED"
            if payment.status is PaymentStatus.CANCELLED and not lapsed:
                return DomainError("ORDER_IS_CANCELED", "the payment is already cancelled")
            try:
                self._check_cancellable(uow, payment, now)
            except DomainError as refusal:
                return refusal
        return None

    def _check_cancellable(self, uow: UnitOfWork, payment: Payment, now: int) -> None:
        """Refuse a cancel the payment cannot take: a lapsed authorization, a state the
        transition table lets no CANCEL (or VOID) leave, the method's cancel window, a
        partly refunded payment."""
        if payment.result_code == "AUTH_EXPIRED":
            raise DomainError(
                "AUTH_EXPIRED",
                f"cannot cancel: the authorization of payment {payment.payment_id} "
                "was not captured within 7 days and is already released",
            )
        self._check_cancel_window(payment, now)
        voids = payment.status is PaymentStatus.AUTHORIZED
        apply(payment.status, PaymentEvent.VOID if voids else PaymentEvent.CANCEL)
        if not voids:
            self._check_no_refunds(uow, payment)

    def can_complete(self, payment: Payment, now: int) -> bool:
        """Whether the payment can still move to SUCCESS or FAIL (``complete``): the
        transition table allows both from its state and it is not due to expire."""
        return (
            can(payment.status, PaymentEvent.SUCCEED)
            and can(payment.status, PaymentEvent.FAIL)
            and not payment.is_due_to_expire(now)
        )

    def _check_cancel_window(self, payment: Payment, now: int) -> None:
        if payment.status is PaymentStatus.FAIL:
            raise DomainError(
                "ORDER_STATUS_INVALID",
                f"cannot cancel: payment status is FAIL ({payment.result_code}); "
                "the buyer was not charged",
            )
        method = self.catalogue.get(payment.method_type)
        assert method is not None
        paid_at = from_ms(payment.paid_at) if payment.paid_at is not None else None
        # A successful card payment is captured (a sale is captured at once).
        captured = payment.status is PaymentStatus.SUCCESS
        check_cancellable(method, paid_at=paid_at, captured=captured, now=from_ms(now))

    @staticmethod
    def _check_no_refunds(uow: UnitOfWork, payment: Payment) -> None:
        if payment.status is not PaymentStatus.SUCCESS:
            return
        refunded = uow.refunds.total_refunded(payment.client_id, payment.payment_id)
        if refunded:
            raise DomainError(
                "ORDER_STATUS_INVALID",
                f"cannot cancel: payment {payment.payment_id} is partly refunded; refund the "
                "rest instead",
            )

    # ------------------------------------------------------ final states

    def complete(
        self,
        merchant: Merchant | None,
        *,
        payment_id: str | None = None,
        payment_request_id: str | None = None,
        token: str | None = None,
        outcome: str,
        result_code: str | None = None,
        result_message: str | None = None,
        card: CardResult | None = None,
    ) -> dict[str, Any]:
        """Move a payment to SUCCESS or FAIL, or to PENDING on its way there: the one
        path the sandbox helper and the hosted pages share. Repeating the same outcome is
        a no-op. ``card`` is what the hosted card page kept of the buyer's card
        (``paymentResultInfo``)."""
        if outcome not in (Outcome.SUCCESS, Outcome.FAIL, Outcome.PENDING):
            raise param_illegal(f"outcome must be SUCCESS, FAIL or PENDING, got {outcome!r}")
        code = result_code or ("SUCCESS" if outcome == Outcome.SUCCESS else "PROCESS_FAIL")
        if outcome == Outcome.FAIL and code not in PAYMENT_FAILURE_CODES:
            # only documented payment failures reach notifications and inquiries
            raise param_illegal(
                f"resultCode {code!r} is not a payment failure code; use one of "
                + ", ".join(PAYMENT_FAILURE_CODES)
            )
        with self.uow(write=True) as uow:
            if token is not None:
                found = uow.payments.get_by_token(token, for_update=True)
                if found is None:
                    raise DomainError("ORDER_NOT_EXIST", "no payment for this link")
                payment = found
            else:
                assert merchant is not None
                payment = self.find(
                    uow, merchant.client_id, payment_id, payment_request_id, for_update=True
                )
            now = self.now_for(uow, payment.client_id)
            if self._expire_if_due(uow, payment, now):
                uow.commit()
                raise DomainError("ORDER_IS_CLOSED", "the payment expired before it was paid")
            if self.settle_if_due(uow, payment, now):
                uow.commit()  # it settled by itself: the outcome below is checked against it
            if payment.status.wire == outcome and (
                outcome != Outcome.FAIL or result_code is None or payment.result_code == code
            ):  # the outcome it already has: nothing to do
                return inquiry_body(payment)
            if not can(payment.status, _COMPLETING[outcome]):
                raise DomainError(
                    "ORDER_STATUS_INVALID",
                    f"cannot complete as {outcome}: payment status is {payment.status.value}"
                    "; only a PROCESSING (or, for SUCCESS and FAIL, PENDING) payment can move",
                )
            if card is not None:
                payment.card = card
            capture = None
            if outcome == Outcome.PENDING:
                payment.pend(now, now + async_outcomes.settle_delay_ms())
                uow.payments.save(payment)
                self.notifier.payment_result(uow, payment)
            elif outcome == Outcome.SUCCESS:
                capture = self._succeed(uow, payment, now, challenged=card is None)
            else:
                if card is None:  # a server-to-server card payment ending after its challenge
                    self.cards.complete_challenge(payment)
                message = result_message or lookup(code).message
                self.settlement.fail(uow, payment, now, code, message)
            uow.commit()
        return inquiry_body(payment, transactions([capture], []) if capture else None)


def _describe(payment_id: str | None, payment_request_id: str | None) -> str:
    if payment_id is not None:
        return f"paymentId {payment_id}"
    return f"paymentRequestId {payment_request_id}"
