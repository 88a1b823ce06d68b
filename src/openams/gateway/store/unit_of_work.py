"""The unit of work: one connection, one transaction, all repositories on it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import cached_property

from sqlalchemy import Connection, Engine

from openams.gateway.store.checkpointer import WalCheckpointer
from openams.gateway.store.console import SqlConsoleRepository
from openams.gateway.store.disputes import SqlDisputeRepository
from openams.gateway.store.engine import WRITE_OPTION, is_sqlite
from openams.gateway.store.fx import SqlFxRateRepository, SqlSettlementRepository
from openams.gateway.store.ledger import SqlLedger
from openams.gateway.store.notifications import SqlNotificationRepository
from openams.gateway.store.payment_codes import SqlPaymentCodeRepository
from openams.gateway.store.payment_writer import NewPaymentWriter
from openams.gateway.store.repositories import (
    SqlMerchantRepository,
    SqlPaymentRepository,
    SqlSessionRepository,
)
from openams.gateway.store.request_log import SqlRequestLogRepository
from openams.gateway.store.transactions import (
    SqlCaptureRepository,
    SqlCardVault,
    SqlRefundRepository,
)
from openams.gateway.store.vaultings import SqlVaultingRepository
from openams.gateway.store.writer_lock import WriterLock, busy_means_would_wait
from openams.gateway.waiting import may_wait, wrote


class SqlUnitOfWork:
    def __init__(self, conn: Connection) -> None:
        self.connection = conn
        self.merchants = SqlMerchantRepository(conn)
        self.payments = SqlPaymentRepository(conn)
        self.sessions = SqlSessionRepository(conn)
        self.outbox = SqlNotificationRepository(conn)
        self.captures = SqlCaptureRepository(conn)
        self.refunds = SqlRefundRepository(conn)
        self.cards = SqlCardVault(conn)
        self.console = SqlConsoleRepository(conn)
        self._committed = False

    # Built on first use: most units of work (every pay) never touch them.
    @cached_property
    def fx_rates(self) -> SqlFxRateRepository:
        return SqlFxRateRepository(self.connection)

    @cached_property
    def settlements(self) -> SqlSettlementRepository:
        return SqlSettlementRepository(self.connection)

    @cached_property
    def vaultings(self) -> SqlVaultingRepository:
        return SqlVaultingRepository(self.connection)

    @cached_property
    def ledger(self) -> SqlLedger:
        return SqlLedger(self.connection)

    @cached_property
    def request_log(self) -> SqlRequestLogRepository:
        return SqlRequestLogRepository(self.connection)

    @cached_property
    def payment_codes(self) -> SqlPaymentCodeRepository:
        return SqlPaymentCodeRepository(self.connection)

    @cached_property
    def disputes(self) -> SqlDisputeRepository:
        return SqlDisputeRepository(self.connection)

    def commit(self) -> None:
        self.connection.commit()
        self._committed = True
        wrote()


class SqlStore:
    """Hands out units of work. Leaving one without ``commit()`` rolls it back."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._sqlite = is_sqlite(engine)
        self.writer_lock = WriterLock()
        self.checkpointer = WalCheckpointer(engine, self.writer_lock) if self._sqlite else None
        self.new_payments = NewPaymentWriter(
            engine, self.writer_lock, self._committed_without_waiting
        )

    @contextmanager
    def __call__(self, *, write: bool = False) -> Iterator[SqlUnitOfWork]:
        if write and self._sqlite:
            with self.writer_lock, self._unit(write=True) as uow:
                yield uow
        else:
            with self._unit(write=write) as uow:
                yield uow

    @contextmanager
    def _unit(self, *, write: bool) -> Iterator[SqlUnitOfWork]:
        without_waiting = not may_wait()  # before a commit allows waiting again
        with self.engine.connect() as conn:
            if write and self._sqlite:
                conn = conn.execution_options(**{WRITE_OPTION: True})
            uow = SqlUnitOfWork(conn)
            try:
                with busy_means_would_wait():
                    yield uow
            finally:
                if not uow._committed:
                    conn.rollback()
        if uow._committed and without_waiting:
            self._committed_without_waiting()

    def _committed_without_waiting(self) -> None:
        """A connection that leaves checkpoints to the checkpointer committed."""
        if self.checkpointer is not None:
            self.checkpointer.committed()
