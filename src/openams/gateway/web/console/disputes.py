"""Console: a merchant's disputes, each with its timeline and actions.

``/console/m/{clientId}/disputes`` lists the disputes (newest first) and, for a sandbox
merchant, opens a test dispute on a paid card payment; ``.../disputes/{disputeId}`` shows
the dispute, its notifyDispute deliveries in order, and the actions: accept it, and in
the sandbox resolve it (WON or LOST). Every form carries the console's CSRF token and
calls the same service as the API.
"""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Request
from starlette.responses import Response

from openams.gateway.domain.errors import DomainError
from openams.gateway.domain.merchant import Merchant
from openams.gateway.services.disputes import DisputeService
from openams.gateway.web.cashier.csrf import Csrf
from openams.gateway.web.console.pager import pager_links, pair_cursor, pair_key
from openams.gateway.web.console.routes import (
    PREFIX,
    Console,
    ConsoleServices,
    OptText,
    Text,
)
from openams.gateway.web.console.security import Sessions


def disputes_router(
    services: ConsoleServices, csrf: Csrf, sessions: Sessions, disputes: DisputeService
) -> APIRouter:
    c = Console(services, csrf, sessions)
    router = APIRouter(prefix=PREFIX, include_in_schema=False)

    def list_url(client_id: str) -> str:
        return f"{PREFIX}/m/{quote(client_id, safe='')}/disputes"

    def detail_url(client_id: str, dispute_id: str) -> str:
        return f"{list_url(client_id)}/{quote(dispute_id, safe='')}"

    @router.get("/m/{client_id}/disputes")
    def dispute_list(request: Request, client_id: str) -> Response:
        seen = c.signed_in_view(request, client_id)
        if isinstance(seen, Response):
            return seen
        user, merchant = seen
        params = request.query_params
        try:
            before, after = pair_cursor(params.get("before")), pair_cursor(params.get("after"))
        except ValueError as exc:
            return c.render(
                request,
                "disputes.html",
                status=400,
                user=user,
                merchant=merchant,
                disputes=[],
                pager=None,
                failure=str(exc),
            )
        page = disputes.page(client_id, before=before, after=after)
        return c.render(
            request,
            "disputes.html",
            user=user,
            merchant=merchant,
            disputes=page.rows,
            pager=pager_links(
                list_url(client_id), params, page, lambda d: pair_key(d.created_at, d.dispute_id)
            ),
            failure=None,
        )

    @router.get("/m/{client_id}/disputes/{dispute_id}")
    def dispute_page(request: Request, client_id: str, dispute_id: str) -> Response:
        seen = c.signed_in_view(request, client_id)
        if isinstance(seen, Response):
            return seen
        user, merchant = seen
        try:
            dispute, notes = disputes.timeline(client_id, dispute_id)
        except DomainError:
            return c.page(request, 404, "No such dispute", f"{dispute_id} was not found.")
        return c.render(
            request, "dispute.html", user=user, merchant=merchant, d=dispute, notes=notes
        )

    @router.post("/m/{client_id}/disputes")
    def open_dispute(
        request: Request, client_id: str, payment_id: Text = "", csrf_token: OptText = None
    ) -> Response:
        def run(merchant: Merchant) -> str:
            if not merchant.is_sandbox:
                raise DomainError("ACCESS_DENIED", "test disputes are for sandbox merchants only")
            opened = disputes.open(
                merchant,
                payment_id=payment_id.strip(),
                payment_request_id=None,
                amount=None,
                reason_code=None,
                dispute_type=None,
            )
            return f"dispute {opened['disputeId']} opened"

        return c.act(request, client_id, csrf_token, list_url(client_id), run)

    @router.post("/m/{client_id}/disputes/{dispute_id}/accept")
    def accept(
        request: Request, client_id: str, dispute_id: str, csrf_token: OptText = None
    ) -> Response:
        def run(merchant: Merchant) -> str:
            disputes.accept(merchant, dispute_id)
            return "dispute accepted"

        return c.act(request, client_id, csrf_token, detail_url(client_id, dispute_id), run)

    @router.post("/m/{client_id}/disputes/{dispute_id}/resolve")
    def resolve(
        request: Request,
        client_id: str,
        dispute_id: str,
        outcome: Text = "",
        csrf_token: OptText = None,
    ) -> Response:
        def run(merchant: Merchant) -> str:
            if not merchant.is_sandbox:
                raise DomainError("ACCESS_DENIED", "resolving is for sandbox merchants only")
            disputes.resolve(merchant, dispute_id, outcome)
            return f"dispute resolved: {outcome}"

        return c.act(request, client_id, csrf_token, detail_url(client_id, dispute_id), run)

    return router
