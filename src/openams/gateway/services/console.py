"""Use cases of the merchant console: sign-in accounts, payment lists and timelines.

Actions (refund, cancel, resend, simulate, advance the clock) go through the AMS
services themselves; this module only reads, and manages console passwords.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Protocol

from openams.gateway.domain.clock import Clock, iso
from openams.gateway.domain.fx import SettlementKind, TransactionSettlement
from openams.gateway.domain.merchant import ClockShift, Merchant, MerchantKey
from openams.gateway.domain.notification import DeliveryAttempt, Notification
from openams.gateway.domain.payment import Payment
from openams.gateway.domain.ports import UnitOfWork
from openams.gateway.domain.transactions import Capture, Refund, TransactionStatus
from openams.gateway.services.keyset import KeysetPage, keyset_page_of
from openams.gateway.services.merchants import active_version
from openams.gateway.services.settlement import locked_settlements
from openams.protocol.money import Money

ADMIN = "admin"
#: scrypt cost: 2**14 x 8 x 1 (16 MiB, about 50 ms), the stdlib's recommended minimum.
_N, _R, _P = 2**14, 8, 1
PAGE_SIZE = 50
MAX_PAGE_SIZE = 200


def hash_password(password: str, *, n: int = _N, r: int = _R, p: int = _P) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=n, r=r, p=p, dklen=32)
    return f"scrypt${n}${r}${p}${salt.hex()}${digest.hex()}"


def check_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        found = hashlib.scrypt(
            password.encode(), salt=bytes.fromhex(salt), n=int(n), r=int(r), p=int(p), dklen=32
        )
    except ValueError:
        return False
    return hmac.compare_digest(found.hex(), digest)


class ConsoleQueries(Protocol):
    def list_merchants(self) -> list[Merchant]: ...
    def list_payments(
        self,
        client_id: str,
        *,
        status: str | None = None,
        method_type: str | None = None,
        created_from: int | None = None,
        created_to: int | None = None,
        search_id: str | None = None,
        before: tuple[int, str] | None = None,
        after: tuple[int, str] | None = None,
        limit: int = PAGE_SIZE,
    ) -> list[Payment]: ...
    def get_password_hash(self, username: str) -> str | None: ...
    def count_users(self) -> int: ...
    def set_password_hash(self, username: str, password_hash: str, now: int) -> None: ...
    def add_user_if_absent(self, username: str, password_hash: str, now: int) -> bool: ...
    def get_session_epoch(self, username: str) -> int | None: ...
    def bump_session_epoch(self, username: str, now: int) -> None: ...


class ConsoleUnitOfWork(UnitOfWork, Protocol):
    console: ConsoleQueries


class ConsoleUnitOfWorkFactory(Protocol):
    def __call__(self, *, write: bool = False) -> AbstractContextManager[ConsoleUnitOfWork]: ...


@dataclass(frozen=True)
class PaymentFilters:
    status: str | None = None
    method_type: str | None = None
    created_from: int | None = None
    created_to: int | None = None
    search_id: str | None = None


@dataclass(frozen=True)
class Delivery:
    notification: Notification
    attempts: list[DeliveryAttempt]


@dataclass(frozen=True)
class TimelineEntry:
    at: int
    kind: str
    text: str


@dataclass(frozen=True)
class KeyState:
    key: MerchantKey
    #: "active" (the version the merchant signs with), "valid" or "retired"
    status: str


@dataclass(frozen=True)
class PaymentDetail:
    payment: Payment
    captures: list[Capture]
    refunds: list[Refund]
    deliveries: list[Delivery]
    timeline: list[TimelineEntry] = field(default_factory=list)
    #: what the payment settles for at its locked quote (a payment settled in another
    #: currency than its own), else None
    settlement: TransactionSettlement | None = None

    @property
    def refunded(self) -> Money:
        """What the payment's successful refunds gave back."""
        done = (r.amount.value for r in self.refunds if r.status is TransactionStatus.SUCCESS)
        return Money(self.payment.amount.currency, sum(done))


@dataclass
class ConsoleService:
    uow: ConsoleUnitOfWorkFactory
    clock: Clock

    # ------------------------------------------------------------- accounts

    def ensure_admin(self) -> str | None:
        """Create the admin account if there is no console user yet; its new password
        is returned (to print once), else None.

        Race-safe: of several processes starting on one database, the insert of only one
        goes in (``ON CONFLICT DO NOTHING``), and only that one gets a password back.
        """
        with self.uow() as uow:
            if uow.console.count_users():
                return None
        password = secrets.token_urlsafe(18)  # 144 random bits
        password_hash = hash_password(password)
        with self.uow(write=True) as uow:
            if uow.console.count_users():
                return None
            created = uow.console.add_user_if_absent(ADMIN, password_hash, self.clock())
            uow.commit()
        return password if created else None

    def set_password(self, username: str, password: str) -> None:
        """Set (or create) the user's password; the user's existing sessions end."""
        if not username or len(username) > 64:
            raise ValueError("the username must be 1 to 64 characters")
        if len(password) < 8:
            raise ValueError("the password must have at least 8 characters")
        with self.uow(write=True) as uow:
            uow.console.set_password_hash(username, hash_password(password), self.clock())
            uow.commit()

    def session_epoch(self, username: str) -> int | None:
        """The user's current session epoch (None: no such user). A session cookie is
        good only while it carries this number."""
        with self.uow() as uow:
            return uow.console.get_session_epoch(username)

    def end_sessions(self, username: str) -> None:
        """End every session of the user (sign-out): their cookies carry an old epoch."""
        with self.uow(write=True) as uow:
            uow.console.bump_session_epoch(username, self.clock())
            uow.commit()

    def verify(self, username: str, password: str) -> bool:
        with self.uow() as uow:
            stored = uow.console.get_password_hash(username)
        if stored is None:
            hash_password(password)  # same work either way: no user enumeration by timing
            return False
        return check_password(password, stored)

    # --------------------------------------------------------------- reads

    def merchants(self) -> list[Merchant]:
        with self.uow() as uow:
            return uow.console.list_merchants()

    def keys(self, client_id: str) -> list[KeyState]:
        with self.uow() as uow:
            keys = uow.merchants.keys(client_id)
        active = active_version(keys)
        return [
            KeyState(
                k, "retired" if k.retired else "active" if k.key_version == active else "valid"
            )
            for k in keys
        ]

    def key(self, client_id: str, key_version: str) -> KeyState | None:
        return next((k for k in self.keys(client_id) if k.key.key_version == key_version), None)

    def payments(
        self,
        client_id: str,
        filters: PaymentFilters,
        before: tuple[int, str] | None = None,
        after: tuple[int, str] | None = None,
        limit: int = PAGE_SIZE,
    ) -> KeysetPage[Payment]:
        """One page of the merchant's payments, newest first: older than ``before``, or
        just newer than ``after`` (keyset: created_at, payment_id)."""
        limit = max(1, min(limit, MAX_PAGE_SIZE))

        def rows(
            before: tuple[int, str] | None, after: tuple[int, str] | None, n: int
        ) -> list[Payment]:
            with self.uow() as uow:
                return uow.console.list_payments(
                    client_id,
                    status=filters.status,
                    method_type=filters.method_type,
                    created_from=filters.created_from,
                    created_to=filters.created_to,
                    search_id=filters.search_id,
                    before=before,
                    after=after,
                    limit=n,
                )

        return keyset_page_of(rows, before=before, after=after, limit=limit)

    def detail(self, client_id: str, payment_id: str) -> PaymentDetail | None:
        with self.uow() as uow:
            payment = uow.payments.get(client_id, payment_id)
            if payment is None:
                return None
            captures = uow.captures.for_payment(client_id, payment_id)
            refunds = uow.refunds.for_payment(client_id, payment_id)
            deliveries = [
                Delivery(n, uow.outbox.attempts(n.notification_id))
                for n in uow.outbox.for_payment(client_id, payment_id)
            ]
            shifts = uow.merchants.clock_shifts(client_id, since=payment.created_at)
            book = locked_settlements(uow, payment)
        timeline = _timeline(payment, captures, refunds, deliveries) + clock_entries(shifts)
        return PaymentDetail(
            payment,
            captures,
            refunds,
            deliveries,
            sorted(timeline, key=lambda e: e.at),
            book.find(SettlementKind.PAYMENT, payment_id),
        )


def clock_entries(shifts: list[ClockShift]) -> list[TimelineEntry]:
    """Each advance of the merchant's clock, at the moment its clock jumped from."""
    return [
        TimelineEntry(
            shift.from_ms,
            "clock",
            f"sandbox clock advanced {_duration(shift.seconds)} (to {iso(shift.to_ms)})",
        )
        for shift in shifts
    ]


def _duration(seconds: int) -> str:
    """``90`` -> ``1 min 30 s``; ``90000`` -> ``1 d 1 h``."""
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60), ("s", 1)):
        count, seconds = divmod(seconds, size)
        if count:
            parts.append(f"{count} {unit}")
    return " ".join(parts) or "0 s"


def _timeline(
    payment: Payment, captures: list[Capture], refunds: list[Refund], deliveries: list[Delivery]
) -> list[TimelineEntry]:
    entries = [TimelineEntry(payment.created_at, "created", f"created for {payment.amount}")]
    if payment.paid_at is not None:
        entries.append(TimelineEntry(payment.paid_at, "paid", f"paid: {payment.status.value}"))
    if payment.cancelled_at is not None:
        entries.append(TimelineEntry(payment.cancelled_at, "cancelled", "cancelled"))
    if payment.closed_at is not None:
        reason = payment.result_code or payment.status.value
        entries.append(TimelineEntry(payment.closed_at, "closed", f"closed: {reason}"))
    for capture in captures:
        at = capture.captured_at or capture.created_at
        text = f"capture {capture.capture_id}: {capture.amount} {capture.status.value}"
        entries.append(TimelineEntry(at, "capture", text))
    for refund in refunds:
        at = refund.refunded_at or refund.created_at
        text = f"refund {refund.refund_id}: {refund.amount} {refund.status.value}"
        entries.append(TimelineEntry(at, "refund", text))
    for delivery in deliveries:
        n = delivery.notification
        entries.append(TimelineEntry(n.created_at, "notification", f"{n.notify_type.value} queued"))
        for attempt in delivery.attempts:
            status = attempt.http_status if attempt.http_status is not None else attempt.error
            ack = "acknowledged" if attempt.acknowledged else "not acknowledged"
            text = f"{n.notify_type.value} attempt {attempt.attempt_number}: {status}, {ack}"
            entries.append(TimelineEntry(attempt.attempted_at, "delivery", text))
    return sorted(entries, key=lambda e: e.at)
