"""Disputes: a buyer's bank questions a paid card payment (chargeback or retrieval request).

One dispute, one table of moves (:data:`TRANSITIONS`):

- OPEN: the merchant may ``acceptDispute`` (-> ACCEPTED) or ``supplyDefenseDocument``
  (-> DEFENDED) until ``defenseDueTime``; past it, an OPEN dispute is lost by timeout
  (-> LOST);
- DEFENDED: a new document replaces the last one until the sandbox judges it (WON or
  LOST), by ``testHelpers/resolveDispute`` or, at ``defenseDueTime``, by the sandbox rule
  (:func:`sandbox_judgement`);
- ACCEPTED, WON, LOST are final.

Money: while a CHARGEBACK is OPEN or DEFENDED its amount is held (it cannot be
refunded); ACCEPTED and LOST debit it for good; WON gives it back. A RETRIEVAL_REQUEST
asks for documents only and never moves money.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

from openams.gateway.domain.clock import from_ms
from openams.gateway.domain.errors import DomainError, param_illegal
from openams.protocol.money import Money

#: How long the merchant has to answer (Antom: "within the specified time limit"; the
#: card schemes give the acquirer some weeks, the merchant about a week).
DEFENSE_WINDOW = timedelta(days=7)
#: DEFENSE_DUE_ALERT goes out when this much is left (Antom: 24 hours before).
ALERT_BEFORE = timedelta(hours=24)
#: A defended dispute of this ``disputeAmount.value`` is lost at its judgement.
LOSE_ON_DEFENSE_VALUE = 1414
#: ``disputeEvidence`` is Base64 of at most this many characters (Antom's API page; about
#: 732 KB of file, inside the default 1 MiB body limit).
MAX_EVIDENCE_CHARS = 1_000_000


class DisputeStatus(StrEnum):
    OPEN = "OPEN"
    DEFENDED = "DEFENDED"
    ACCEPTED = "ACCEPTED"
    WON = "WON"
    LOST = "LOST"

    @property
    def is_final(self) -> bool:
        return self in (DisputeStatus.ACCEPTED, DisputeStatus.WON, DisputeStatus.LOST)


class DisputeType(StrEnum):
    CHARGEBACK = "CHARGEBACK"
    RETRIEVAL_REQUEST = "RETRIEVAL_REQUEST"


class DisputeAction(StrEnum):
    ACCEPT = "ACCEPT"
    DEFEND = "DEFEND"
    WIN = "WIN"
    LOSE = "LOSE"


_S = DisputeStatus
TRANSITIONS: dict[tuple[DisputeStatus, DisputeAction], DisputeStatus] = {
    (_S.OPEN, DisputeAction.ACCEPT): _S.ACCEPTED,
    (_S.OPEN, DisputeAction.DEFEND): _S.DEFENDED,
    (_S.DEFENDED, DisputeAction.DEFEND): _S.DEFENDED,
    (_S.OPEN, DisputeAction.WIN): _S.WON,
    (_S.OPEN, DisputeAction.LOSE): _S.LOST,
    (_S.DEFENDED, DisputeAction.WIN): _S.WON,
    (_S.DEFENDED, DisputeAction.LOSE): _S.LOST,
}

#: Reason codes the sandbox names (card scheme codes); any other code is kept as sent.
REASON_MESSAGES: dict[str, str] = {
    "10.4": "Other Fraud - Card-Absent Environment",
    "13.1": "Merchandise/Services Not Received",
    "13.3": "Not as Described or Defective Merchandise/Services",
    "12.6.1": "Duplicate Processing",
    "13.6": "Credit Not Processed",
    "4837": "No Cardholder Authorization",
    "4853": "Cardholder Dispute",
    "4855": "Goods or Services Not Provided",
}
DEFAULT_REASON_CODE = "10.4"


def reason_message(code: str) -> str:
    return REASON_MESSAGES.get(code, f"dispute reason code {code}")


def new_dispute_id(now_ms: int) -> str:
    """34 characters in Antom's style: a two-digit kind, the day, then random digits."""
    return f"17{from_ms(now_ms):%Y%m%d}{secrets.randbelow(10**24):024d}"


@dataclass(slots=True)
class Dispute:
    dispute_id: str
    client_id: str
    payment_id: str
    payment_request_id: str
    dispute_type: DisputeType
    amount: Money
    reason_code: str
    status: DisputeStatus
    created_at: int
    defense_due_at: int
    #: DEFENSE_DUE_ALERT sent
    alerted: bool = False
    defended_at: int | None = None
    judged_at: int | None = None
    #: TIMEOUT or MERCHANT_ACCEPTED for a dispute the merchant did not win by defending
    accept_reason: str | None = None
    evidence: bytes | None = None
    evidence_format: str | None = None

    @property
    def moves_money(self) -> bool:
        return self.dispute_type is DisputeType.CHARGEBACK

    @property
    def alert_at(self) -> int:
        return self.defense_due_at - int(ALERT_BEFORE.total_seconds() * 1000)

    @property
    def debited(self) -> bool:
        """ACCEPTED or LOST chargeback: the merchant paid the amount back."""
        return self.moves_money and self.status in (DisputeStatus.ACCEPTED, DisputeStatus.LOST)

    def move(self, action: DisputeAction, now: int) -> None:
        """Apply ``action`` or refuse it with what the merchant can still do."""
        target = TRANSITIONS.get((self.status, action))
        if target is None:
            if self.status.is_final:
                raise DomainError(
                    "NOT_ALLOW_IN_CURRENT_STATUS",
                    f"dispute {self.dispute_id} is already {self.status.value}",
                )
            raise DomainError(
                "NOT_ALLOW_IN_CURRENT_STATUS",
                f"cannot {action.value.lower()} dispute {self.dispute_id}: it is "
                f"{self.status.value}",
            )
        if action in (DisputeAction.ACCEPT, DisputeAction.DEFEND) and now >= self.defense_due_at:
            raise DomainError(
                "TIME_EXCEEDS_LIMIT",
                f"the defense of dispute {self.dispute_id} ended at its defenseDueTime; it "
                "can no longer be accepted or defended",
            )
        self.status = target
        if action is DisputeAction.DEFEND:
            self.defended_at = now
        elif action is DisputeAction.ACCEPT:
            self.judged_at, self.accept_reason = now, "MERCHANT_ACCEPTED"
        else:
            self.judged_at = now


def sandbox_judgement(dispute: Dispute) -> DisputeAction:
    """What the sandbox decides at ``defenseDueTime``: an undefended dispute is lost by
    timeout; a defended one is won, unless its amount is :data:`LOSE_ON_DEFENSE_VALUE`."""
    if dispute.status is DisputeStatus.OPEN:
        return DisputeAction.LOSE
    if dispute.amount.value == LOSE_ON_DEFENSE_VALUE:
        return DisputeAction.LOSE
    return DisputeAction.WIN


# ----------------------------------------------------------------- evidence files

#: Defense documents the sandbox takes, by their first bytes; the names are Antom's
#: ``disputeEvidenceFormat`` values.
_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"%PDF-", "PDF"),
    (b"\xff\xd8\xff", "JPG"),
)


def evidence_format(content: bytes) -> str:
    """The format of a defense document, read from its content (never from a name);
    PARAM_ILLEGAL for anything but a PDF or JPEG file."""
    if not content:
        raise param_illegal("disputeEvidence is empty; send a PDF or JPEG file in Base64")
    for magic, name in _SIGNATURES:
        if content.startswith(magic):
            return name
    raise param_illegal(
        "disputeEvidence is not a PDF or JPEG file (checked by its content); convert the "
        "document to PDF or JPEG and send it in Base64"
    )


def check_dispute_amount(paid: Money, requested: Money, disputable: int) -> None:
    if requested.currency != paid.currency:
        raise param_illegal(
            f"disputeAmount.currency {requested.currency} must be the payment currency "
            f"{paid.currency}"
        )
    if requested.value > disputable:
        raise param_illegal(
            f"disputeAmount {requested} is more than can be disputed: at most "
            f"{Money(paid.currency, disputable)} (the amount paid less refunds and other "
            "disputes)"
        )
