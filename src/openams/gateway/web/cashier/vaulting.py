"""The hosted vaulting form: the buyer types a card to save it (createVaultingSession), or
answers the 3-D Secure challenge of a card being vaulted (either API).

Found by the vaulting's unguessable page token; every form is CSRF-protected; a bad or
spent link is a page, never a 500. When the vaulting ends the buyer goes back to the
merchant's ``redirectUrl``.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from openams.gateway.domain.cards import CardError
from openams.gateway.domain.errors import DomainError
from openams.gateway.domain.vaulting import VaultingStatus
from openams.gateway.services.vaulting import VaultingLinkNotFound, VaultingService, VaultingView
from openams.gateway.web.cashier.csrf import Csrf
from openams.gateway.web.cashier.routes import Pages, Text, safe_redirect

_DONE = {
    VaultingStatus.SUCCESS: (200, "Card saved", "Your card is saved with the merchant."),
    VaultingStatus.FAIL: (410, "The card was not saved", "This card could not be saved."),
}


def vaulting_router(service: VaultingService, csrf: Csrf) -> APIRouter:
    pages = Pages(csrf)
    router = APIRouter(include_in_schema=False)

    def not_found(request: Request) -> Response:
        return pages.link_error(
            request, 404, "Link not found", "This card-saving link is not valid."
        )

    def done(request: Request, view: VaultingView) -> Response:
        status, title, message = _DONE.get(
            view.status, (409, "In progress", "This card is being saved.")
        )
        if view.status is VaultingStatus.FAIL:
            message = f"{message} {view.result_message}"
        return pages.link_error(request, status, title, message, view.redirect_url)

    def show(
        request: Request,
        view: VaultingView,
        *,
        errors: dict[str, str] | None = None,
        values: dict[str, str] | None = None,
        status: int = 200,
    ) -> Response:
        if not view.open:
            return done(request, view)
        template = "vault_3ds.html" if view.challenge else "vault_card.html"
        return pages.render(
            request,
            template,
            scope=view.token,
            status=status,
            view=view,
            errors=errors or {},
            values=values or {},
        )

    def after(request: Request, view: VaultingView) -> Response:
        """Back to the merchant once the vaulting ended; the challenge when one follows."""
        target = safe_redirect(view.redirect_url)
        if not view.open and target is not None:
            return RedirectResponse(target, status_code=303)
        return show(request, view)

    def load(token: str) -> VaultingView | None:
        try:
            return service.view(token)
        except VaultingLinkNotFound:
            return None

    def posted(request: Request, token: str, csrf_token: str) -> VaultingView | Response:
        """The vaulting a form was posted for, or the page refusing the post."""
        view = load(token)
        if view is None:
            return not_found(request)
        if not csrf.valid(request, csrf_token, token):
            return pages.forbidden(request, f"/vault/{token}")
        return view

    @router.get("/vault/{token}")
    def form(request: Request, token: str) -> Response:
        view = load(token)
        return not_found(request) if view is None else show(request, view)

    @router.post("/vault/{token}/card")
    def card(
        request: Request,
        token: str,
        csrf_token: Text = "",
        number: Text = "",
        expiry_month: Text = "",
        expiry_year: Text = "",
        cvv: Text = "",
        holder_name: Text = "",
    ) -> Response:
        view = posted(request, token, csrf_token)
        if not isinstance(view, VaultingView):
            return view
        try:
            view = service.submit_card(
                token,
                number=number,
                expiry_month=expiry_month,
                expiry_year=expiry_year,
                cvv=cvv,
                holder_name=holder_name,
            )
        except CardError as error:
            # Echo back only what is not secret: never the number or the CVV.
            keep = {
                "holder_name": holder_name,
                "expiry_month": expiry_month,
                "expiry_year": expiry_year,
            }
            return show(request, view, errors=error.errors, values=keep, status=400)
        except (DomainError, VaultingLinkNotFound):
            view = load(token) or view
        return after(request, view)

    @router.post("/vault/{token}/3ds")
    def three_ds(request: Request, token: str, csrf_token: Text = "", code: Text = "") -> Response:
        view = posted(request, token, csrf_token)
        if not isinstance(view, VaultingView):
            return view
        try:
            view = service.answer_challenge(token, code)
        except (DomainError, VaultingLinkNotFound):
            view = load(token) or view
        return after(request, view)

    return router
