"""Daily FX rates: list, set, import, and the price a pair has on a day."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from openams.gateway.domain.clock import Clock
from openams.gateway.domain.fx import FxRate, Price, resolve_price
from openams.gateway.domain.ports import UnitOfWork, UnitOfWorkFactory


def price_on(uow: UnitOfWork, base: str, quote: str, day: date) -> Price:
    """The price of one ``base`` in ``quote`` on ``day`` (raises ``RateNotFound``)."""
    return resolve_price(uow.fx_rates.latest, base, quote, day)


@dataclass
class FxService:
    uow: UnitOfWorkFactory
    clock: Clock

    def rates(self, day: date | None = None) -> list[FxRate]:
        """Every stored rate, or with ``day`` the rate of each pair in force that day."""
        with self.uow() as uow:
            return uow.fx_rates.all(day)

    def set(self, rate: FxRate) -> None:
        self.put_all([rate])

    def put_all(self, rates: list[FxRate]) -> int:
        """Store the rates in one transaction (a rate of the same pair and day is replaced)."""
        now = self.clock()
        with self.uow(write=True) as uow:
            for rate in rates:
                uow.fx_rates.put(rate, now)
            uow.commit()
        return len(rates)

    def price(self, base: str, quote: str, day: date) -> Price:
        with self.uow() as uow:
            return price_on(uow, base, quote, day)
