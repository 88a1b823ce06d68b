"""The money that moved for a merchant: what the settlement report is made of.

Which transactions settle (the rules ``docs/settlement.md`` explains):

- PAYMENT: a sale (not an authorization) whose status is SUCCESS, on the UTC day of its
  ``paymentTime``; a payment reversed by cancel is no longer SUCCESS and does not settle;
- CAPTURE: a successful capture of an authorization, on the UTC day of its
  ``captureTime`` (an authorization moves no money until it is captured);
- REFUND: a successful refund, on the UTC day of its ``refundTime``, negative;
- DISPUTE: an accepted or lost chargeback, on the UTC day it was accepted or judged,
  negative.
"""

from __future__ import annotations

from dataclasses import dataclass

from openams.gateway.domain.fx import SettlementKind, TransactionSettlement
from openams.protocol.money import Money


@dataclass(frozen=True, slots=True)
class LedgerEntry:
    kind: SettlementKind
    transaction_id: str
    #: paymentRequestId, refundRequestId or captureRequestId (a dispute: its disputeId)
    request_id: str
    payment_id: str
    #: paymentTime, captureTime or refundTime (epoch ms)
    at: int
    #: what moved, in the transaction currency (always positive here)
    amount: Money
    #: the payment's settlementStrategy.settlementCurrency (None: its own currency)
    settlement_currency: str | None
    method_type: str
    product_code: str
    reference_order_id: str | None
    #: the locked settlement, when the payment's currency differs and a quote was locked
    settlement: TransactionSettlement | None

    @property
    def sign(self) -> int:
        return -1 if self.kind in (SettlementKind.REFUND, SettlementKind.DISPUTE) else 1

    @property
    def target_currency(self) -> str:
        return self.settlement_currency or self.amount.currency
