"""A merchant's time: real time plus its sandbox clock offset (advanceClock)."""

from __future__ import annotations

from openams.gateway.domain.clock import Clock
from openams.gateway.domain.ports import UnitOfWork


def merchant_now(uow: UnitOfWork, clock: Clock, client_id: str) -> int:
    """The merchant's time now, its clock offset read in ``uow``."""
    return clock() + uow.merchants.clock_offset(client_id)
