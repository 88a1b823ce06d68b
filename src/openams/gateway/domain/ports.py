"""What the domain needs from storage. ``gateway.store`` implements these."""

from __future__ import annotations

from collections.abc import Collection
from contextlib import AbstractContextManager
from datetime import date
from typing import Any, Protocol

from openams.gateway.domain.chaos import ChaosSettings
from openams.gateway.domain.fx import FxRate, SettlementKind, TransactionSettlement
from openams.gateway.domain.ledger import LedgerEntry
from openams.gateway.domain.merchant import Merchant, MerchantKey
from openams.gateway.domain.notification import DeliveryAttempt, Notification
from openams.gateway.domain.payment import Payment
from openams.gateway.domain.payment_methods import PaymentMethodSpec
from openams.gateway.domain.session import PaymentSession
from openams.gateway.domain.transactions import Capture, Refund
from openams.gateway.domain.vault import SavedCard


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

    def due_payments(self, now: int, limit: int) -> list[Payment]:
        """PROCESSING payments whose expiry has passed, oldest first, locked for this
        transaction (rows other transactions hold are passed over)."""
        ...

    def due_for_expiry(self, now: int, limit: int) -> list[str]:
        """Ids of PROCESSING payments whose expiry has passed, oldest first."""
        ...

    def shift_expiry(self, client_id: str, ms: int) -> int:
        """Bring the merchant's pending expiries ``ms`` closer (sandbox advanceClock)."""
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
    def for_client(self, client_id: str | None, limit: int) -> list[Notification]: ...
    def claim_due(
        self,
        now: int,
        limit: int,
        owner: str,
        lease_ms: int,
        exclude_clients: Collection[str] = (),
    ) -> list[Notification]: ...

    def release(self, notification_ids: Collection[str], owner: str) -> None:
        """Give back leases ``owner`` holds, unchanged (due again at once)."""
        ...

    def save(self, notification: Notification) -> None: ...
    def record_attempt(self, attempt: DeliveryAttempt) -> None: ...
    def attempts(self, notification_id: str) -> list[DeliveryAttempt]: ...
    def shift_pending(self, client_id: str, ms: int) -> int: ...


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

    def due(self, now: int, limit: int) -> list[tuple[str, str]]:
        """(client id, capture id) of PROCESSING captures whose settle time passed."""
        ...

    def shift_settle(self, client_id: str, ms: int) -> int:
        """Bring the merchant's PROCESSING captures ``ms`` closer to settling."""
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

    def due(self, now: int, limit: int) -> list[tuple[str, str]]:
        """(client id, refund id) of PROCESSING refunds whose settle time passed."""
        ...

    def shift_settle(self, client_id: str, ms: int) -> int:
        """Bring the merchant's PROCESSING refunds ``ms`` closer to settling."""
        ...


class CardVault(Protocol):
    """Saved cards (``cardToken``): never the card number, never the CVV."""

    def add(self, card: SavedCard) -> None: ...
    def get(self, client_id: str, card_token: str) -> SavedCard | None: ...


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

    def commit(self) -> None: ...


class UnitOfWorkFactory(Protocol):
    def __call__(self, *, write: bool = False) -> AbstractContextManager[UnitOfWork]: ...


class PaymentMethodCatalogue(Protocol):
    """The payment methods the gateway offers (``gateway.methods`` holds the data)."""

    def get(self, type: str) -> PaymentMethodSpec | None: ...

    def consult(self, **query: Any) -> list[Any]: ...
