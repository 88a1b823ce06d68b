"""A claim reads what it claims, not the whole outbox, also on a table that has no
statistics yet (a sudden backlog autovacuum has not analyzed): PostgreSQL planned such a
claim as a read, join and sort of every pending row (docs/decisions.md, "The outbox's
statistics")."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import Connection

from openams.gateway.app import Gateway
from openams.gateway.domain.notification import NotifyType
from openams.protocol.keys import KeyPair

PENDING = 20_000
CLAIM = 10
CLIENT_ID = "SANDBOX_BACKLOG"


def fill(gateway: Gateway, merchant_keys: KeyPair) -> None:
    gateway.merchants.add(CLIENT_ID, merchant_keys.public_pem)
    notifier = gateway.payments.notifier
    with gateway.store(write=True) as uow:
        for i in range(PENDING):
            payment_id = f"2026010112345678{i:08d}"
            notifier.enqueue(
                uow,
                client_id=CLIENT_ID,
                notify_type=NotifyType.PAYMENT_RESULT,
                subject_id=payment_id,
                payment_id=payment_id,
                url="http://127.0.0.1:9/notify",
                body={"notifyType": "PAYMENT_RESULT", "paymentId": payment_id},
            )
        uow.commit()


def work_counter(conn: Connection) -> tuple[Callable[[], int], int]:
    """A reading of how much the database has read in this transaction, and the size of
    reading the whole table: PostgreSQL's block requests for the table (and the table's
    blocks), SQLite's virtual machine steps in hundreds (and the table's rows, in
    hundreds: reading a row takes at least one step)."""
    if conn.dialect.name == "postgresql":
        blocks = int(
            conn.exec_driver_sql(
                "SELECT pg_relation_size('notifications') / current_setting('block_size')::int"
            ).scalar_one()
        )

        def blocks_read() -> int:
            return int(
                conn.exec_driver_sql(
                    "SELECT pg_stat_get_xact_blocks_fetched('notifications'::regclass)"
                ).scalar_one()
            )

        return blocks_read, blocks
    steps = [0]

    def step() -> int:
        steps[0] += 1
        return 0  # go on

    conn.connection.driver_connection.set_progress_handler(step, 100)  # type: ignore[union-attr]
    return lambda: steps[0], PENDING // 100


def test_a_claim_reads_what_it_claims_on_a_table_never_analyzed(
    gateway: Gateway, merchant_keys: KeyPair
) -> None:
    fill(gateway, merchant_keys)
    with gateway.store(write=True) as uow:
        read, whole = work_counter(uow.connection)
        before = read()
        claimed = uow.outbox.claim_due(gateway.clock(), CLAIM, "claimer", 60_000)
        used = read() - before
        uow.commit()
    assert len(claimed) == CLAIM
    # reading every pending row reads at least the whole table once
    assert used * 4 < whole, (used, whole)
