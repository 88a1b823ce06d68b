"""Console: a merchant's vaulted cards (issue 20), read-only.

``/console/m/{clientId}/vaulted-cards`` lists each vaulting, newest first: its request
id, how it was made, its state, the card as kept (masked number, brand, expiry), the
cardToken once vaulted and the delivery of its VAULTING_RESULT notification. Nothing
here changes state, so no CSRF token.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from openams.gateway.services.vaulting import VaultingService
from openams.gateway.web.cashier.csrf import Csrf
from openams.gateway.web.console.routes import PREFIX, Console, ConsoleServices
from openams.gateway.web.console.security import Sessions


def vaulted_cards_router(
    services: ConsoleServices, csrf: Csrf, sessions: Sessions, vaultings: VaultingService
) -> APIRouter:
    c = Console(services, csrf, sessions)
    router = APIRouter(prefix=PREFIX, include_in_schema=False)

    @router.get("/m/{client_id}/vaulted-cards")
    def vaulted_cards(request: Request, client_id: str) -> Response:
        seen = c.signed_in_view(request, client_id)
        if isinstance(seen, Response):
            return seen
        user, merchant = seen
        return c.render(
            request,
            "vaulted_cards.html",
            user=user,
            merchant=merchant,
            rows=vaultings.vaulted_cards(client_id),
        )

    return router
