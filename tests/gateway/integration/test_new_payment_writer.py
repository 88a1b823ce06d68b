"""pay's fast path: its own driver connections, replaced when lost, closed with the pool."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select, text

from openams.gateway.app import Gateway
from openams.gateway.store.engine import is_sqlite
from openams.gateway.store.tables import payments
from tests.ams_client import AmsClient
from tests.gateway.integration.payloads import pay_body


def _drop(gateway: Gateway, conn: Any) -> None:
    """What a database restart does to an idle connection."""
    if is_sqlite(gateway.engine):
        conn.close()
        return
    with gateway.engine.connect() as admin:
        admin.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": conn.info.backend_pid})
        admin.commit()


def _count(gateway: Gateway) -> int:
    with gateway.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(payments)).scalar_one())


def test_a_dropped_idle_connection_is_replaced_and_the_pay_still_lands(
    ams: AmsClient, gateway: Gateway
) -> None:
    assert ams.call("payments/pay", pay_body()).code == "PAYMENT_IN_PROCESS"
    (idle,) = gateway.store.new_payments.idle_connections
    _drop(gateway, idle)

    body = pay_body()
    reply = ams.call("payments/pay", body)

    assert reply.code == "PAYMENT_IN_PROCESS", reply.result
    assert _count(gateway) == 2
    assert ams.call("payments/pay", body).body == reply.body  # and it replays as usual
    assert idle not in gateway.store.new_payments.idle_connections


def test_disposing_the_engine_closes_the_writers_connections(
    ams: AmsClient, gateway: Gateway
) -> None:
    assert ams.call("payments/pay", pay_body()).code == "PAYMENT_IN_PROCESS"
    (idle,) = gateway.store.new_payments.idle_connections

    gateway.close()

    assert gateway.store.new_payments.idle_connections == ()
    if is_sqlite(gateway.engine):
        assert not _answers(idle)
    else:
        assert idle.closed


def _answers(conn: Any) -> bool:
    try:
        conn.execute("SELECT 1")
    except Exception:
        return False
    return True
