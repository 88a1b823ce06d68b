"""Which actions the console offers on a payment: those its state allows now.

Each answer comes from the check the action itself runs (the payments' transition
table, the method's cancel and refund rules, the refund amounts), so the page never
offers what the service would refuse; a hand-made POST is still refused by the service.
"""

from __future__ import annotations

from dataclasses import dataclass

from openams.gateway.domain.clock import Clock
from openams.gateway.domain.errors import DomainError
from openams.gateway.domain.merchant import Merchant
from openams.gateway.services.console import PaymentDetail
from openams.gateway.services.payments import PaymentService
from openams.gateway.services.refunds import RefundService
from openams.protocol.money import Money


@dataclass(frozen=True)
class PaymentActions:
    #: what a refund can still take (the Refund form's default), None: no refund
    refund_left: Money | None
    #: why no refund is possible ("" when one is)
    refund_refusal: str
    cancel: bool
    #: why Cancel is not offered ("" when it is)
    cancel_refusal: str
    #: Simulate success / failure (sandbox merchants, a payment that can still move)
    simulate: bool
    #: Resend notification (the payment has one)
    resend: bool

    @property
    def any(self) -> bool:
        return bool(self.refund_left or self.cancel or self.simulate or self.resend)


def _why(refusal: DomainError | None) -> str:
    return "" if refusal is None else f"{refusal.code}: {refusal.message}"


def payment_actions(
    payments: PaymentService,
    refunds: RefundService,
    clock: Clock,
    merchant: Merchant,
    detail: PaymentDetail,
) -> PaymentActions:
    payment = detail.payment
    left = refunds.refund_left(merchant, payment.payment_id)
    cancel_refusal = payments.cancel_refusal(merchant, payment.payment_id)
    return PaymentActions(
        refund_left=left if isinstance(left, Money) else None,
        refund_refusal=_why(left if isinstance(left, DomainError) else None),
        cancel=cancel_refusal is None,
        cancel_refusal=_why(cancel_refusal),
        simulate=merchant.is_sandbox and payments.can_complete(payment, merchant.now(clock())),
        resend=bool(detail.deliveries),
    )
