"""Disputes: the sandbox opens and judges them, the merchant accepts or defends them.

APIs (spec-like facts and decisions: docs/disputes.md):

- ``testHelpers/openDispute`` (sandbox): a chargeback or retrieval request on a paid card
  payment; notifyDispute DISPUTE_CREATED;
- ``payments/acceptDispute``: the merchant gives up; DISPUTE_JUDGED (ACCEPT_BY_MERCHANT,
  ``disputeAcceptReason`` MERCHANT_ACCEPTED);
- ``payments/supplyDefenseDocument``: a PDF or JPEG file in Base64; DEFENSE_SUPPLIED;
- ``payments/downloadDisputeEvidence``: the evidence template, or the document supplied;
- ``testHelpers/resolveDispute`` (sandbox): WON or LOST now; DISPUTE_JUDGED;
- the deadline (``defenseDueTime``): DEFENSE_DUE_ALERT 24 h before it; at it, an open
  dispute is lost by TIMEOUT and a defended one judged by the sandbox rule. The
  dispatcher's sweep applies due deadlines, so does any call on the dispute first.

Every change and its notification are written in one transaction, under the lock of the
dispute's payment (the same lock refunds take), so a refund and a dispute of one payment
can never together give the buyer more than was paid.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from openams.gateway.domain import disputes as rules
from openams.gateway.domain.clock import Clock, iso
from openams.gateway.domain.disputes import (
    Dispute,
    DisputeAction,
    DisputeStatus,
    DisputeType,
    evidence_format,
)
from openams.gateway.domain.errors import DomainError, param_illegal
from openams.gateway.domain.fx import SettlementKind
from openams.gateway.domain.merchant import Merchant
from openams.gateway.domain.notification import Notification, NotifyType
from openams.gateway.domain.payment import Payment
from openams.gateway.domain.payment_methods import MethodCategory
from openams.gateway.domain.ports import PaymentMethodCatalogue, UnitOfWork, UnitOfWorkFactory
from openams.gateway.domain.transitions import PaymentStatus
from openams.gateway.services.dispute_template import evidence_template
from openams.gateway.services.keyset import KeysetPage, keyset_page_of
from openams.gateway.services.merchant_time import merchant_now
from openams.gateway.services.notifications import Notifier
from openams.gateway.services.pay_rules import blank
from openams.gateway.services.payments import PaymentService
from openams.gateway.services.settlement import committed_back, given_back, settle_follow_up
from openams.protocol.money import Money
from openams.protocol.results import result

_ALERT_MS = int(rules.ALERT_BEFORE.total_seconds() * 1000)
_WINDOW_MS = int(rules.DEFENSE_WINDOW.total_seconds() * 1000)

#: ``disputeEvidenceType`` as the official SDKs send it (their enum's wire value), and
#: the enum's own names, which a hand-written request may use.
EVIDENCE_TYPES = {
    "DISPUTE_EVIDENCE_TEMPLATE": "TEMPLATE",
    "TEMPLATE": "TEMPLATE",
    "DISPUTE_EVIDENCE_FILE": "FILE",
    "FILE": "FILE",
}

#: disputeJudgedResult: who bears the dispute.
BUYER_BEARS, MERCHANT_BEARS = "ACCEPT_BY_CUSTOMER", "ACCEPT_BY_MERCHANT"


def dispute_notification_body(dispute: Dispute, kind: str) -> dict[str, Any]:
    """notifyDispute as Antom sends it: ``disputeNotificationType`` ``kind`` (no
    ``notifyType``, no ``result``: Antom's page lists neither)."""
    body: dict[str, Any] = {
        "paymentRequestId": dispute.payment_request_id,
        "disputeId": dispute.dispute_id,
        "paymentId": dispute.payment_id,
        "disputeTime": iso(dispute.created_at),
        "disputeAmount": dispute.amount.wire(),
        "disputeNotificationType": kind,
        "disputeReasonCode": dispute.reason_code,
        "disputeReasonMsg": rules.reason_message(dispute.reason_code),
        "disputeType": dispute.dispute_type.value,
    }
    if kind in ("DISPUTE_CREATED", "DEFENSE_DUE_ALERT"):
        body["defenseDueTime"] = iso(dispute.defense_due_at)
    if kind == "DEFENSE_SUPPLIED" and dispute.defended_at is not None:
        body["defenseSuppliedTime"] = iso(dispute.defended_at)
    if kind == "DISPUTE_JUDGED" and dispute.judged_at is not None:
        body["disputeJudgedTime"] = iso(dispute.judged_at)
        lost = dispute.status in (DisputeStatus.ACCEPTED, DisputeStatus.LOST)
        body["disputeJudgedResult"] = MERCHANT_BEARS if lost else BUYER_BEARS
        if dispute.debited:
            body["disputeJudgedAmount"] = dispute.amount.wire()
        if dispute.accept_reason is not None:
            body["disputeAcceptReason"] = dispute.accept_reason
            body["disputeAcceptTime"] = iso(dispute.judged_at)
    return body


def dispute_view(dispute: Dispute) -> dict[str, Any]:
    """What the sandbox helpers answer about a dispute (and the console shows)."""
    view: dict[str, Any] = {
        "disputeId": dispute.dispute_id,
        "paymentId": dispute.payment_id,
        "paymentRequestId": dispute.payment_request_id,
        "disputeType": dispute.dispute_type.value,
        "disputeStatus": dispute.status.value,
        "disputeAmount": dispute.amount.wire(),
        "disputeReasonCode": dispute.reason_code,
        "disputeReasonMsg": rules.reason_message(dispute.reason_code),
        "disputeTime": iso(dispute.created_at),
        "defenseDueTime": iso(dispute.defense_due_at),
    }
    if dispute.defended_at is not None:
        view["defenseSuppliedTime"] = iso(dispute.defended_at)
    if dispute.judged_at is not None:
        view["disputeJudgedTime"] = iso(dispute.judged_at)
    if dispute.accept_reason is not None:
        view["disputeAcceptReason"] = dispute.accept_reason
    return view


@dataclass
class DisputeService:
    uow: UnitOfWorkFactory
    catalogue: PaymentMethodCatalogue
    clock: Clock
    notifier: Notifier
    payments: PaymentService

    # ------------------------------------------------------------ sandbox: open

    def open(
        self,
        merchant: Merchant,
        *,
        payment_id: str | None,
        payment_request_id: str | None,
        amount: Money | None,
        reason_code: str | None,
        dispute_type: str | None,
    ) -> dict[str, Any]:
        kind = _dispute_type(dispute_type)
        code = rules.DEFAULT_REASON_CODE if blank(reason_code) else str(reason_code).strip()
        now = merchant.now(self.clock())
        with self.uow(write=True) as uow:
            payment = self.payments.find(
                uow, merchant.client_id, payment_id, payment_request_id, for_update=True
            )
            self._check_disputable(uow, payment)
            disputable = self._disputable(uow, payment)
            amount = amount if amount is not None else Money(payment.amount.currency, disputable)
            if disputable <= 0:
                raise DomainError(
                    "ORDER_STATUS_INVALID",
                    f"payment {payment.payment_id} has nothing left to dispute: it is refunded "
                    "or disputed in full",
                )
            if kind is DisputeType.CHARGEBACK:
                rules.check_dispute_amount(payment.amount, amount, disputable)
            else:
                rules.check_dispute_amount(payment.amount, amount, payment.amount.value)
            dispute = Dispute(
                dispute_id=rules.new_dispute_id(now),
                client_id=merchant.client_id,
                payment_id=payment.payment_id,
                payment_request_id=payment.payment_request_id,
                dispute_type=kind,
                amount=amount,
                reason_code=code,
                status=DisputeStatus.OPEN,
                created_at=now,
                defense_due_at=now + _WINDOW_MS,
            )
            uow.disputes.add(dispute)
            self._notify(uow, payment, dispute, "DISPUTE_CREATED")
            uow.commit()
        return {"result": result("SUCCESS", "success"), **dispute_view(dispute)}

    def _check_disputable(self, uow: UnitOfWork, payment: Payment) -> None:
        method = self.catalogue.get(payment.method_type)
        if method is None or method.category is not MethodCategory.CARD:
            raise DomainError(
                "BUSINESS_NOT_SUPPORT",
                f"cannot open a dispute on payment {payment.payment_id}: disputes are for card "
                f"payments, this one is {payment.method_type}",
            )
        if payment.status is not PaymentStatus.SUCCESS:
            raise DomainError(
                "ORDER_STATUS_INVALID",
                f"cannot open a dispute on payment {payment.payment_id}: it is "
                f"{payment.status.value}; only a paid (captured) card payment can be disputed",
            )
        if uow.disputes.has_active(payment.client_id, payment.payment_id):
            raise DomainError(
                "ORDER_STATUS_INVALID",
                f"payment {payment.payment_id} already has an open dispute; accept it, defend "
                "it or resolve it first",
            )

    @staticmethod
    def _disputable(uow: UnitOfWork, payment: Payment) -> int:
        """The amount paid less refunds (done or in process) and chargebacks."""
        return payment.amount.value - sum(committed_back(uow, payment))

    # --------------------------------------------------------- merchant's answers

    def accept(self, merchant: Merchant, dispute_id: str | None) -> dict[str, Any]:
        with self._answering(merchant, dispute_id) as (uow, payment, dispute, now):
            if dispute.status is DisputeStatus.ACCEPTED:  # an identical resend
                assert dispute.judged_at is not None
                return _answer(dispute, dispute.judged_at)
            self._move(dispute, DisputeAction.ACCEPT, now)
            self._judge(uow, payment, dispute, now)
            uow.commit()
        assert dispute.judged_at is not None
        return _answer(dispute, dispute.judged_at)

    def supply_defense(
        self, merchant: Merchant, dispute_id: str | None, evidence: str | None
    ) -> dict[str, Any]:
        content = _decode_evidence(evidence)
        found_format = evidence_format(content)
        with self._answering(merchant, dispute_id, evidence=True) as (uow, payment, dispute, now):
            if dispute.evidence == content and dispute.defended_at is not None:
                return _answer(dispute, dispute.defended_at)  # an identical resend
            self._move(dispute, DisputeAction.DEFEND, now)
            dispute.evidence, dispute.evidence_format = content, found_format
            uow.disputes.save(dispute)
            self._notify(uow, payment, dispute, "DEFENSE_SUPPLIED")
            uow.commit()
        assert dispute.defended_at is not None
        return _answer(dispute, dispute.defended_at)

    def download_evidence(
        self, merchant: Merchant, dispute_id: str | None, evidence_type: str | None
    ) -> dict[str, Any]:
        dispute_id = _required_id(dispute_id)
        if blank(evidence_type):
            raise param_illegal("disputeEvidenceType is required")
        wanted = EVIDENCE_TYPES.get(str(evidence_type).strip())
        if wanted is None:
            raise param_illegal(
                f"disputeEvidenceType {evidence_type!r} is not DISPUTE_EVIDENCE_TEMPLATE or "
                "DISPUTE_EVIDENCE_FILE"
            )
        self.settle_if_due(merchant.client_id, dispute_id, merchant.now(self.clock()))
        with self.uow() as uow:
            dispute = self._get(uow, merchant.client_id, dispute_id, evidence=wanted == "FILE")
        if wanted == "TEMPLATE":
            content, found_format = evidence_template(dispute), "PDF"
        elif dispute.evidence is None or dispute.evidence_format is None:
            raise DomainError(
                "NOT_ALLOW_IN_CURRENT_STATUS",
                f"dispute {dispute_id} has no defense document yet; supply one with "
                "supplyDefenseDocument",
            )
        else:
            content, found_format = dispute.evidence, dispute.evidence_format
        return {
            "result": result("SUCCESS", "success"),
            "disputeEvidence": base64.b64encode(content).decode("ascii"),
            "disputeEvidenceFormat": found_format,
        }

    # --------------------------------------------------------- sandbox: judge

    def resolve(
        self, merchant: Merchant, dispute_id: str | None, outcome: str | None
    ) -> dict[str, Any]:
        actions = {"WON": DisputeAction.WIN, "LOST": DisputeAction.LOSE}
        action = actions.get(str(outcome or "").strip())
        if action is None:
            raise param_illegal(f"outcome must be WON or LOST, got {outcome!r}")
        with self._answering(merchant, dispute_id) as (uow, payment, dispute, now):
            if dispute.status.value == outcome:  # the same outcome again: a no-op
                return {"result": result("SUCCESS", "success"), **dispute_view(dispute)}
            self._move(dispute, action, now)
            self._judge(uow, payment, dispute, now)
            uow.commit()
        return {"result": result("SUCCESS", "success"), **dispute_view(dispute)}

    def settle_due(self, limit: int, client_id: str | None = None) -> int:
        """Send due alerts and judge disputes past their deadline on their merchant's
        clock (of one merchant with ``client_id``), each in its own transaction with its
        notification; returns how many moved."""
        with self.uow() as uow:  # a cheap read first: no writer lock when nothing is due
            due = uow.disputes.due(self.clock(), _ALERT_MS, limit, client_id)
        return sum(self.settle_if_due(client, dispute_id, now) for client, dispute_id, now in due)

    def settle_if_due(self, client_id: str, dispute_id: str, now: int) -> bool:
        """Apply the dispute's alert and deadline if due, in their own transaction; True
        when something was applied."""
        with self.uow() as uow:
            found = uow.disputes.get(client_id, dispute_id)
        if found is None or not _due(found, now):
            return False
        with self.uow(write=True) as uow:
            payment, dispute = self._locked(uow, client_id, dispute_id)
            if not _due(dispute, now):
                return False
            if now < dispute.defense_due_at:
                dispute.alerted = True
                uow.disputes.save(dispute)
                self._notify(uow, payment, dispute, "DEFENSE_DUE_ALERT")
            else:
                timed_out = dispute.status is DisputeStatus.OPEN
                judged_at = dispute.defense_due_at
                dispute.move(rules.sandbox_judgement(dispute), judged_at)
                if timed_out:
                    dispute.accept_reason = "TIMEOUT"
                self._judge(uow, payment, dispute, judged_at)
            uow.commit()
            return True

    # ------------------------------------------------------------------ reads

    def page(
        self,
        client_id: str,
        *,
        before: tuple[int, str] | None = None,
        after: tuple[int, str] | None = None,
        limit: int = 50,
    ) -> KeysetPage[Dispute]:
        """One page of the merchant's disputes, newest first: older than ``before``, or
        just newer than ``after`` (keyset: created_at, dispute_id)."""

        def rows(
            before: tuple[int, str] | None, after: tuple[int, str] | None, n: int
        ) -> list[Dispute]:
            with self.uow() as uow:
                return uow.disputes.for_client(client_id, n, before=before, after=after)

        return keyset_page_of(rows, before=before, after=after, limit=limit)

    def timeline(self, client_id: str, dispute_id: str) -> tuple[Dispute, list[Notification]]:
        """The dispute (its due deadline applied first) and its notifications, oldest first."""
        with self.uow() as uow:
            now = merchant_now(uow, self.clock, client_id)
        self.settle_if_due(client_id, dispute_id, now)
        with self.uow() as uow:
            dispute = self._get(uow, client_id, dispute_id)
            notes = [
                n
                for n in uow.outbox.for_payment(client_id, dispute.payment_id)
                if n.notify_type is NotifyType.DISPUTE and n.subject_id == dispute_id
            ]
        return dispute, notes

    # ---------------------------------------------------------------- helpers

    @contextmanager
    def _answering(
        self, merchant: Merchant, dispute_id: str | None, *, evidence: bool = False
    ) -> Iterator[tuple[UnitOfWork, Payment, Dispute, int]]:
        """A write on the dispute: its due deadline applied first (in its own
        transaction), then the dispute read under its payment's lock. The caller
        commits; leaving without a commit rolls back."""
        dispute_id = _required_id(dispute_id)
        now = merchant.now(self.clock())
        self.settle_if_due(merchant.client_id, dispute_id, now)
        with self.uow(write=True) as uow:
            payment, dispute = self._locked(uow, merchant.client_id, dispute_id, evidence=evidence)
            yield uow, payment, dispute, now

    @staticmethod
    def _get(
        uow: UnitOfWork, client_id: str, dispute_id: str, *, evidence: bool = False
    ) -> Dispute:
        dispute = uow.disputes.get(client_id, dispute_id, with_evidence=evidence)
        if dispute is None:
            # Another merchant's dispute looks exactly like one that does not exist.
            raise DomainError("ORDER_NOT_EXIST", f"no dispute with disputeId {dispute_id}")
        return dispute

    def _locked(
        self, uow: UnitOfWork, client_id: str, dispute_id: str, *, evidence: bool = False
    ) -> tuple[Payment, Dispute]:
        """The dispute, read under its payment's row lock."""
        found = self._get(uow, client_id, dispute_id)
        payment = uow.payments.get(client_id, found.payment_id, for_update=True)
        assert payment is not None
        return payment, self._get(uow, client_id, dispute_id, evidence=evidence)

    @staticmethod
    def _move(dispute: Dispute, action: DisputeAction, now: int) -> None:
        if action in (DisputeAction.ACCEPT, DisputeAction.DEFEND) and (
            dispute.accept_reason == "TIMEOUT"
        ):
            raise DomainError(
                "TIME_EXCEEDS_LIMIT",
                f"dispute {dispute.dispute_id} was lost when its defenseDueTime passed; it can "
                "no longer be accepted or defended",
            )
        dispute.move(action, now)

    def _judge(self, uow: UnitOfWork, payment: Payment, dispute: Dispute, now: int) -> None:
        """Store a final dispute, its settlement debit (a lost or accepted chargeback) and
        its DISPUTE_JUDGED."""
        if dispute.debited:
            settle_follow_up(
                uow,
                payment,
                SettlementKind.DISPUTE,
                dispute.dispute_id,
                dispute.amount,
                now,
                moved_before=given_back(uow, payment),
            )
        uow.disputes.save(dispute)
        self._notify(uow, payment, dispute, "DISPUTE_JUDGED")

    def _notify(self, uow: UnitOfWork, payment: Payment, dispute: Dispute, kind: str) -> None:
        self.notifier.enqueue(
            uow,
            client_id=dispute.client_id,
            notify_type=NotifyType.DISPUTE,
            subject_id=dispute.dispute_id,
            payment_id=dispute.payment_id,
            url=payment.notify_url,
            body=dispute_notification_body(dispute, kind),
        )


def _due(dispute: Dispute, now: int) -> bool:
    if dispute.status.is_final:
        return False
    if now >= dispute.defense_due_at:
        return True
    return dispute.status is DisputeStatus.OPEN and not dispute.alerted and now >= dispute.alert_at


def _answer(dispute: Dispute, at: int) -> dict[str, Any]:
    """acceptDispute / supplyDefenseDocument: ``disputeId`` and ``disputeResolutionTime``."""
    return {
        "result": result("SUCCESS", "success"),
        "disputeId": dispute.dispute_id,
        "disputeResolutionTime": iso(at),
    }


def _required_id(dispute_id: str | None) -> str:
    if dispute_id is None or blank(dispute_id):
        raise param_illegal("disputeId is required")
    return dispute_id


def _dispute_type(value: str | None) -> DisputeType:
    if value is None or blank(value):
        return DisputeType.CHARGEBACK
    try:
        return DisputeType(value.strip())
    except ValueError:
        raise param_illegal(
            f"disputeType must be CHARGEBACK or RETRIEVAL_REQUEST, got {value!r}"
        ) from None


def _decode_evidence(evidence: str | None) -> bytes:
    if evidence is None or blank(evidence):
        raise param_illegal("disputeEvidence is required: a PDF or JPEG file in Base64")
    if len(evidence) > rules.MAX_EVIDENCE_CHARS:
        raise param_illegal(
            f"disputeEvidence has {len(evidence)} characters; at most "
            f"{rules.MAX_EVIDENCE_CHARS} are taken (about 732 KB of file)"
        )
    try:
        return base64.b64decode("".join(evidence.split()), validate=True)
    except (binascii.Error, ValueError):
        raise param_illegal("disputeEvidence is not valid Base64") from None
