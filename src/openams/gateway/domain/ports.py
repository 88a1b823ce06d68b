"""What the domain needs from storage. ``gateway.store`` implements these."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from contextlib import AbstractContextManager
from datetime import date
from typing import Any, Protocol

from openams.gateway.domain.chaos import ChaosSettings
from openams.gateway.domain.disputes import Dispute
from openams.gateway.domain.fx import FxRate, SettlementKind, TransactionSettlement
from openams.gateway.domain.ledger import LedgerEntry
from openams.gateway.domain.merchant import ClockShift, Merchant, MerchantKey
from openams.gateway.domain.notification import (
    ClaimedNotification,
    DeliveryAttempt,
    DeliveryStatus,
    Notification,
)
from openams.gateway.domain.payment import Payment
from openams.gateway.domain.payment_codes import PaymentCode
from openams.gateway.domain.payment_methods import PaymentMethodSpec
from openams.gateway.domain.request_log import LogEntry, LogQuery
from openams.gateway.domain.session import PaymentSession
from openams.gateway.domain.transactions import Capture, Refund
from openams.gateway.domain.vault import SavedCard
from openams.gateway.domain.vaulting import Vaulting


class MerchantRepository(Protocol):
    def get(self, client_id: str) -> Merchant | None: ...
    def add(self, merchant: Merchant) -> None: ...
    def update_notify_url(self, client_id: str, notify_url: str | None) -> None: ...
    def get_key(self, client_id: str, key_version: str) -> MerchantKey | None: ...
    def add_key(self, key: MerchantKey) -> None: ...
    def update_key(self, key: MerchantKey) -> None: ...
    def keys(self, client_id: str) -> list[MerchantKey]: ...
    def get_chaos(self, client_id: str) -> ChaosSettings: ...
    def set_chaos(self, client_id: str, chaos: ChaosSettings) -> None: ...
    def get_frame_origins(self, client_id: str) -> tuple[str, ...]: ...
    def set_frame_origins(self, client_id: str, origins: tuple[str, ...]) -> None: ...

    def clock_offset(self, client_id: str) -> int:
        """How far the merchant's clock runs ahead of real time, in ms (0: unknown)."""
        ...

    def advance_clock(self, client_id: str, ms: int, real_now: int) -> ClockShift:
        """Move the merchant's clock ``ms`` ahead; the shift, as recorded."""
        ...

    def clock_shifts(self, client_id: str, since: int, limit: int = 100) -> list[ClockShift]:
        """The merchant's clock shifts that ended after ``since`` (merchant time)."""
        ...


class PaymentRepository(Protocol):
    def get(
        self, client_id: str, payment_id: str, *, for_update: bool = False
    ) -> Payment | None: ...

    def get_by_request_id(
        self, client_id: str, payment_request_id: str, *, for_update: bool = False
    ) -> Payment | None: ...

    def get_by_token(self, token: str, *, for_update: bool = False) -> Payment | None: ...

    def get_by_id(self, payment_id: str, *, for_update: bool = False) -> Payment | None:
        """Any merchant's payment: for the gateway's own jobs, never for merchant calls."""
        ...

    def add_if_absent(self, payment: Payment) -> bool:
        """Insert unless (client_id, payment_request_id) exists; True when inserted."""
        ...

    def save(self, payment: Payment) -> None: ...

    def due_payments(
        self, now: int, limit: int, client_id: str | None = None
    ) -> list[tuple[Payment, int]]:
        """PROCESSING payments whose expiry has passed and PENDING ones whose result is
        due on their merchant's clock, each with the merchant's now, locked for this
        transaction (rows other transactions hold are passed over). ``now`` is real
        time; ``client_id`` keeps to one merchant."""
        ...

    def due_for_expiry(self, now: int, limit: int, client_id: str | None = None) -> list[str]:
        """Ids of the payments ``due_payments`` would return."""
        ...

    def count_open(self, client_id: str) -> int:
        """The merchant's PROCESSING and PENDING payments."""
        ...


class SessionRepository(Protocol):
    def get(self, session_id: str) -> PaymentSession | None:
        """Any merchant's session by its id: for the hosted checkout page only."""
        ...

    def get_by_request_id(
        self, client_id: str, payment_request_id: str
    ) -> PaymentSession | None: ...

    def add_if_absent(self, session: PaymentSession) -> bool: ...


class NotificationRepository(Protocol):
    """The outbox: rows written with the state change, delivered later."""

    def add(self, notification: Notification) -> None: ...
    def get(self, notification_id: str) -> Notification | None: ...
    def for_payment(self, client_id: str, payment_id: str) -> list[Notification]: ...
    def latest_status(
        self, client_id: str, payment_ids: Collection[str]
    ) -> dict[str, DeliveryStatus]:
        """The status of each payment's (or vaulting's) latest notification, in one
        query; a payment without notifications is absent."""
        ...

    def for_client(self, client_id: str | None, limit: int) -> list[Notification]: ...
    def search(
        self,
        client_id: str | None,
        *,
        notify_types: Collection[str] = (),
        created_from: int | None = None,
        created_to: int | None = None,
        before: str | None = None,
        after: str | None = None,
        payment_id: str | None = None,
        limit: int,
    ) -> list[Notification]: ...
    def claim_due(
        self,
        now: int,
        limit: int,
        owner: str,
        lease_ms: int,
        exclude_clients: Collection[str] = (),
    ) -> list[ClaimedNotification]: ...

    def release(self, notification_ids: Collection[str], owner: str) -> None:
        """Give back leases ``owner`` holds, unchanged (due again at once)."""
        ...

    def save_progress(
        self, notifications: Sequence[Notification | ClaimedNotification]
    ) -> None: ...
    def record_attempt(self, attempt: DeliveryAttempt) -> None: ...
    def record_attempts(self, attempts: Sequence[DeliveryAttempt]) -> None: ...
    def attempts(self, notification_id: str) -> list[DeliveryAttempt]: ...
    def count_pending(self, client_id: str, *, due_by: int | None = None) -> int:
        """The merchant's notifications waiting for an attempt (due by ``due_by``, the
        merchant's time, when given)."""
        ...


class RequestLogRepository(Protocol):
    def add_all(self, entries: Sequence[LogEntry]) -> None: ...
    def get(self, log_id: int) -> LogEntry | None: ...
    def search(self, query: LogQuery, limit: int) -> list[LogEntry]: ...
    def for_payment(
        self, client_id: str, payment_id: str, payment_request_id: str
    ) -> list[LogEntry]: ...
    def prune(self, older_than: int, keep_per_client: int) -> int:
        """Delete entries older than ``older_than`` and all but each client's newest
        ``keep_per_client``; the number deleted."""
        ...


class CaptureRepository(Protocol):
    def get_by_request_id(self, client_id: str, capture_request_id: str) -> Capture | None: ...

    def add_if_absent(self, capture: Capture) -> bool:
        """Insert unless (client_id, capture_request_id) exists; True when inserted."""
        ...

    def for_payment(self, client_id: str, payment_id: str) -> list[Capture]: ...
    def get(self, client_id: str, capture_id: str) -> Capture | None: ...

    def save(self, capture: Capture) -> None:
        """Store the outcome of a capture that was in process."""
        ...

    def due(self, now: int, limit: int, client_id: str | None = None) -> list[tuple[str, str, int]]:
        """(client id, capture id, the merchant's now) of PROCESSING captures whose settle
        time passed on their merchant's clock; ``now`` is real time."""
        ...

    def count_open(self, client_id: str) -> int:
        """The merchant's PROCESSING captures that settle by themselves."""
        ...


class RefundRepository(Protocol):
    def get(self, client_id: str, refund_id: str) -> Refund | None: ...
    def get_by_request_id(self, client_id: str, refund_request_id: str) -> Refund | None: ...

    def add_if_absent(self, refund: Refund) -> bool:
        """Insert unless (client_id, refund_request_id) exists; True when inserted."""
        ...

    def for_payment(self, client_id: str, payment_id: str) -> list[Refund]: ...

    def total_refunded(self, client_id: str, payment_id: str, *, in_process: bool = True) -> int:
        """Sum of the payment's successful refunds and (``in_process``) of those still in
        process, in minor units: what can no longer be refunded."""
        ...

    def count_refunds(self, client_id: str, payment_id: str) -> int:
        """How many of the payment's refunds succeeded or are in process."""
        ...

    def save(self, refund: Refund) -> None:
        """Store the outcome of a refund that was in process."""
        ...

    def due(self, now: int, limit: int, client_id: str | None = None) -> list[tuple[str, str, int]]:
        """(client id, refund id, the merchant's now) of PROCESSING refunds whose settle
        time passed on their merchant's clock; ``now`` is real time."""
        ...

    def count_open(self, client_id: str) -> int:
        """The merchant's PROCESSING refunds that settle by themselves."""
        ...


class DisputeRepository(Protocol):
    def add(self, dispute: Dispute) -> None: ...
    def save(self, dispute: Dispute) -> None: ...

    def get(
        self, client_id: str, dispute_id: str, *, with_evidence: bool = False
    ) -> Dispute | None: ...

    def for_client(
        self,
        client_id: str,
        limit: int,
        *,
        before: tuple[int, str] | None = None,
        after: tuple[int, str] | None = None,
    ) -> list[Dispute]: ...

    def held(self, client_id: str, payment_id: str) -> int:
        """What the payment's chargebacks hold or took: it cannot be refunded."""
        ...

    def debited(self, client_id: str, payment_id: str) -> int: ...
    def has_active(self, client_id: str, payment_id: str) -> bool: ...

    def due(
        self, now: int, alert_ms: int, limit: int, client_id: str | None = None
    ) -> list[tuple[str, str, int]]:
        """(client id, dispute id, the merchant's now) of disputes with a deadline or an
        alert due on their merchant's clock; ``now`` is real time."""
        ...

    def count_active(self, client_id: str) -> int:
        """The merchant's open and defended disputes."""
        ...


class CardVault(Protocol):
    """Saved cards (``cardToken``): never the card number, never the CVV."""

    def add(self, card: SavedCard) -> None: ...
    def get(self, client_id: str, card_token: str) -> SavedCard | None: ...


class VaultingRepository(Protocol):
    """Card vaultings, one per (client id, vaultingRequestId)."""

    def add_if_absent(self, vaulting: Vaulting) -> bool: ...

    def get_by_request_id(
        self, client_id: str, vaulting_request_id: str, *, for_update: bool = False
    ) -> Vaulting | None: ...

    def get_by_token(self, token: str, *, for_update: bool = False) -> Vaulting | None: ...
    def save(self, vaulting: Vaulting) -> None: ...
    def for_client(self, client_id: str, limit: int) -> list[Vaulting]: ...


class FxRateRepository(Protocol):
    """Daily FX rates: one per (base, quote, day)."""

    def latest(self, base: str, quote: str, day: date) -> FxRate | None:
        """The pair's rate with the latest day on or before ``day``."""
        ...

    def put(self, rate: FxRate, now_ms: int) -> None: ...
    def all(self, day: date | None = None) -> list[FxRate]: ...


class SettlementRepository(Protocol):
    """Settlement amounts at a payment's locked quote, one per transaction."""

    def add(self, settlement: TransactionSettlement) -> None: ...

    def get(
        self, client_id: str, kind: SettlementKind, transaction_id: str
    ) -> TransactionSettlement | None: ...

    def for_payment(self, client_id: str, payment_id: str) -> list[TransactionSettlement]: ...


class Ledger(Protocol):
    """The settled transactions of a merchant (settlement report)."""

    def entries(self, client_id: str, start_ms: int, end_ms: int) -> list[LedgerEntry]: ...


class PaymentCodeRepository(Protocol):
    def add(self, code: PaymentCode) -> None: ...
    def get(self, code_hash: str) -> PaymentCode | None: ...
    def get_by_id(self, code_id: str) -> PaymentCode | None: ...

    def use(self, code_hash: str, now_ms: int, client_id: str, payment_id: str) -> bool:
        """Mark an unused, unexpired code used; False when it is not (any more)."""
        ...

    def prune_unused(self, expired_before: int) -> int:
        """Delete the codes never used that expired before ``expired_before``."""
        ...


class UnitOfWork(Protocol):
    """One database transaction. Leaving the block without ``commit()`` rolls back."""

    merchants: MerchantRepository
    payments: PaymentRepository
    sessions: SessionRepository
    outbox: NotificationRepository
    captures: CaptureRepository
    refunds: RefundRepository
    cards: CardVault
    fx_rates: FxRateRepository
    settlements: SettlementRepository
    ledger: Ledger
    request_log: RequestLogRepository
    payment_codes: PaymentCodeRepository
    vaultings: VaultingRepository
    disputes: DisputeRepository

    def commit(self) -> None: ...


class UnitOfWorkFactory(Protocol):
    def __call__(self, *, write: bool = False) -> AbstractContextManager[UnitOfWork]: ...


class PaymentMethodCatalogue(Protocol):
    """The payment methods the gateway offers (``gateway.methods`` holds the data)."""

    def get(self, type: str) -> PaymentMethodSpec | None: ...

    def consult(self, **query: Any) -> list[Any]: ...
