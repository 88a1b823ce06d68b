"""Due-time conditions on each merchant's own clock, for queries that span merchants.

A merchant's clock is real time plus ``merchants.clock_offset_ms`` (sandbox
advanceClock). A row is due when its stored deadline is at most real now plus the
offset of the row's merchant: such queries join ``merchants`` on ``client_id``. Each also
says ``deadline <= now + the largest offset``, a bound the database can read straight
off the ``(status, deadline)`` index (the largest offset is one look-up in
``ix_merchants_clock_offset``); without offsets it is the plain ``deadline <= now``.
"""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Select, Table, func, select

from openams.gateway.store.tables import merchants

_Select = TypeVar("_Select", bound=Select[Any])


def with_merchant(stmt: _Select, table: Table) -> _Select:
    """``stmt`` (selecting from ``table``) joined with the row's merchant."""
    return stmt.join_from(table, merchants, merchants.c.client_id == table.c.client_id)


def with_merchant_offset(stmt: _Select, table: Table) -> _Select:
    """``stmt`` joined with the row's merchant, its clock offset among the columns
    (``clock_offset_ms``)."""
    joined = with_merchant(stmt, table)
    return joined.add_columns(merchants.c.clock_offset_ms)  # type: ignore[return-value]


def latest_merchant_now(now: int | ColumnElement[Any]) -> ColumnElement[int]:
    """The time on the clock that runs furthest ahead: real ``now`` plus the largest
    offset (0 without merchants)."""
    largest = select(func.coalesce(func.max(merchants.c.clock_offset_ms), 0)).scalar_subquery()
    return now + largest


def merchant_now(now: int | ColumnElement[Any]) -> ColumnElement[int]:
    """Real ``now`` on the clock of the joined row's merchant."""
    return now + merchants.c.clock_offset_ms


def due_on_merchant_clock(
    deadline: ColumnElement[Any], now: int | ColumnElement[Any]
) -> ColumnElement[bool]:
    """``deadline`` has passed on the clock of the row's (joined) merchant (``now``: an
    int, or a bound parameter of a statement built once)."""
    return (deadline <= latest_merchant_now(now)) & (deadline <= merchant_now(now))
