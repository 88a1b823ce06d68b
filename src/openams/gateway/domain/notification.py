"""Notifications to merchants (notifyPayment, notifyCapture, notifyRefund, notifyDispute)
as outbox rows.

A notification is written in the same transaction as the state change that causes it,
then delivered at least once by the dispatcher on Antom's retry schedule.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, field
from datetime import timedelta
from enum import StrEnum
from typing import Any


class NotifyType(StrEnum):
    PAYMENT_RESULT = "PAYMENT_RESULT"
    #: the buyer completed the payment; the merchant waits for the PAYMENT_RESULT
    PAYMENT_PENDING = "PAYMENT_PENDING"
    CAPTURE_RESULT = "CAPTURE_RESULT"
    REFUND_RESULT = "REFUND_RESULT"
    #: notifyVaulting: a card vaulting ended (its subject and payment id: the vaulting id)
    VAULTING_RESULT = "VAULTING_RESULT"
    #: notifyDispute (its body carries ``disputeNotificationType``, not ``notifyType``)
    DISPUTE = "DISPUTE"


class DeliveryStatus(StrEnum):
    PENDING = "PENDING"  # waiting for its next attempt
    DELIVERED = "DELIVERED"  # the merchant acknowledged it
    FAILED = "FAILED"  # every attempt of the schedule failed
    NO_URL = "NO_URL"  # neither the request nor the merchant gave a notify URL


#: Intervals before each attempt (spec §5.4): attempt 1 at once, then 2m, 10m, 10m, 1h,
#: 2h, 6h, 15h. After the 8th failed attempt the notification is marked FAILED.
RETRY_INTERVALS: tuple[timedelta, ...] = (
    timedelta(0),
    timedelta(minutes=2),
    timedelta(minutes=10),
    timedelta(minutes=10),
    timedelta(hours=1),
    timedelta(hours=2),
    timedelta(hours=6),
    timedelta(hours=15),
)
MAX_ATTEMPTS = len(RETRY_INTERVALS)


def new_notification_id() -> str:
    """31 characters: ``N``, the creation instant in nanoseconds (16 hex digits), then 56
    random bits. Ids made one after another sort one after another, so notifications
    written in the same millisecond (a PAYMENT_RESULT and its automatic CAPTURE_RESULT)
    keep the order they were written in."""
    return f"N{time.time_ns():016x}{secrets.token_hex(7)}"


def delay_before_attempt(attempt_number: int) -> timedelta:
    """The wait before attempt ``attempt_number`` (1-based) after the previous one."""
    return RETRY_INTERVALS[attempt_number - 1]


@dataclass(slots=True)
class Notification:
    notification_id: str
    client_id: str
    notify_type: NotifyType
    subject_id: str  # paymentId, captureId or refundId
    payment_id: str
    url: str | None
    body: dict[str, Any]
    created_at: int
    next_attempt_at: int
    status: DeliveryStatus = DeliveryStatus.PENDING
    attempts: int = 0
    delivered_at: int | None = None
    last_error: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class ClaimedNotification:
    """A notification as the dispatcher holds it while it delivers: what an attempt
    needs and what it changes, the body as the stored bytes that every attempt sends
    (never decoded and encoded again)."""

    notification_id: str
    client_id: str
    notify_type: NotifyType
    url: str | None
    #: Exactly the stored ``body_json`` (UTF-8): the bytes sent, the same on every attempt.
    body: bytes
    created_at: int
    next_attempt_at: int
    attempts: int
    status: DeliveryStatus = DeliveryStatus.PENDING
    delivered_at: int | None = None
    last_error: str | None = None


@dataclass(frozen=True, slots=True)
class DeliveryAttempt:
    notification_id: str
    attempt_number: int
    attempted_at: int
    kind: str  # "delivery", or a chaos kind: "duplicate", "dropped", "delayed"
    http_status: int | None
    latency_ms: int | None
    response_excerpt: str | None
    error: str | None
    acknowledged: bool
    #: Where it was sent and the signed headers it carried (None when nothing was sent).
    url: str | None = None
    request_headers: dict[str, str] | None = None
