"""Which web origins may frame a merchant's session pages (the Web SDK's embed mode)."""

from __future__ import annotations

from dataclasses import dataclass

from openams.gateway.domain.errors import DomainError
from openams.gateway.domain.frame_origins import normalize_origins
from openams.gateway.domain.ports import UnitOfWork, UnitOfWorkFactory


def _known(uow: UnitOfWork, client_id: str) -> None:
    if uow.merchants.get(client_id) is None:
        raise DomainError("CLIENT_INVALID", f"client-id {client_id!r} is not registered")


@dataclass
class FrameOriginService:
    uow: UnitOfWorkFactory

    def origins(self, client_id: str) -> tuple[str, ...]:
        with self.uow() as uow:
            return uow.merchants.get_frame_origins(client_id)

    def replace(self, client_id: str, origins: list[str] | tuple[str, ...]) -> tuple[str, ...]:
        """Make ``origins`` the merchant's whole list (empty: no page may be framed)."""
        wanted = normalize_origins(origins)
        with self.uow(write=True) as uow:
            _known(uow, client_id)
            uow.merchants.set_frame_origins(client_id, wanted)
            uow.commit()
        return wanted

    def add(self, client_id: str, origins: list[str] | tuple[str, ...]) -> tuple[str, ...]:
        """Register more origins, keeping those registered before."""
        extra = normalize_origins(origins)
        with self.uow(write=True) as uow:
            _known(uow, client_id)
            merged = normalize_origins(uow.merchants.get_frame_origins(client_id) + extra)
            uow.merchants.set_frame_origins(client_id, merged)
            uow.commit()
        return merged
