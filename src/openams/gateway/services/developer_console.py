"""Console, Developers pages: a merchant's request log and notifications, read in pages,
and the links between them and its payments.

Read-only. Resending and test notifications go through ``SandboxService``, the same
code as the AMS ``testHelpers`` APIs.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass, field, replace

from openams.gateway.domain.notification import DeliveryAttempt, Notification
from openams.gateway.domain.payment import Payment
from openams.gateway.domain.ports import UnitOfWorkFactory
from openams.gateway.domain.request_log import LogEntry, LogQuery
from openams.gateway.services.keyset import KeysetPage, keyset_page, keyset_page_of
from openams.gateway.services.notification_events import find_notification
from openams.gateway.services.request_log import RequestLogService

PAGE_SIZE = 50
#: The most calls the payment page lists (the newest; the Requests page has the rest).
PAYMENT_REQUESTS_SHOWN = 50


@dataclass(frozen=True)
class PaymentCalls:
    """The AMS calls naming a payment, oldest first, and how many more there are."""

    entries: list[LogEntry]
    hidden: int


@dataclass
class DeveloperConsole:
    uow: UnitOfWorkFactory
    request_log: RequestLogService
    #: Stores the calls this process recorded and has not stored yet, so that a page
    #: shows every call made before it was asked for.
    flush_log: Callable[[], None] = field(default=lambda: None)

    # ------------------------------------------------------------ requests

    def requests(self, query: LogQuery, limit: int = PAGE_SIZE) -> KeysetPage[LogEntry]:
        """One page of ``query`` (which names the merchant), newest first: older than
        ``query.before``, or just newer than ``query.after``."""
        self.flush_log()
        return keyset_page(
            lambda cursor, n: self.request_log.search(
                replace(query, before=cursor, after=None, limit=n)
            ),
            lambda cursor, n: self.request_log.search(
                replace(query, before=None, after=cursor, limit=n, oldest_first=True)
            ),
            before=query.before,
            after=query.after,
            limit=limit,
        )

    def request(self, client_id: str, log_id: int) -> LogEntry | None:
        """The entry, when it is one of ``client_id``'s calls."""
        self.flush_log()
        return self.request_log.get(log_id, client_id)

    def payment_calls(self, payment: Payment) -> PaymentCalls:
        self.flush_log()
        calls = self.request_log.for_payment(
            payment.client_id, payment.payment_id, payment.payment_request_id
        )
        hidden = max(0, len(calls) - PAYMENT_REQUESTS_SHOWN)
        return PaymentCalls(calls[hidden:], hidden)

    def payment_of(self, entry: LogEntry) -> Payment | None:
        """The merchant's payment a call names (by paymentId, else paymentRequestId)."""
        with self.uow() as uow:
            if entry.payment_id:
                found = uow.payments.get(entry.client_id, entry.payment_id)
                if found is not None:
                    return found
            if entry.payment_request_id:
                return uow.payments.get_by_request_id(entry.client_id, entry.payment_request_id)
        return None

    # ------------------------------------------------------- notifications

    def notifications(
        self,
        client_id: str,
        *,
        notify_types: Collection[str] = (),
        payment_id: str | None = None,
        before: str | None = None,
        after: str | None = None,
        limit: int = PAGE_SIZE,
    ) -> KeysetPage[Notification]:
        """One page of the merchant's notifications, newest first: older than
        ``before``, or just newer than ``after`` (notification ids)."""

        def rows(before: str | None, after: str | None, n: int) -> list[Notification]:
            with self.uow() as uow:
                return uow.outbox.search(
                    client_id,
                    notify_types=notify_types,
                    payment_id=payment_id,
                    before=before,
                    after=after,
                    limit=n,
                )

        return keyset_page_of(rows, before=before, after=after, limit=limit)

    def notification(
        self, client_id: str, notification_id: str
    ) -> tuple[Notification, list[DeliveryAttempt]] | None:
        """A notification of ``client_id`` and its attempts, oldest first."""
        return find_notification(self.uow, notification_id, client_id)

    def payment_notifications(self, client_id: str, payment_id: str) -> list[Notification]:
        with self.uow() as uow:
            return uow.outbox.for_payment(client_id, payment_id)

    def payment(self, client_id: str, payment_id: str) -> Payment | None:
        with self.uow() as uow:
            return uow.payments.get(client_id, payment_id)
