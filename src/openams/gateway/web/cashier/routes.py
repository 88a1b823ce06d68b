"""Routes of the hosted pages. Thin: each reads the form, calls ``CashierService``, renders.

Every page is found by an unguessable token (a payment's, or a session id), every form
is CSRF-protected, every template autoescapes, and a bad link is a page, never a 500.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Form, Request
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from openams.gateway.domain.cards import CardError
from openams.gateway.domain.clock import from_ms, iso
from openams.gateway.domain.errors import DomainError
from openams.gateway.domain.simulation import TEST_ACCOUNTS, THREE_DS_CODE
from openams.gateway.services.cashier import (
    CashierService,
    CashierView,
    LinkNotFound,
    LinkState,
    PageKind,
    Step,
)
from openams.gateway.web.cashier.csrf import FIELD, Csrf
from openams.gateway.web.cashier.qr import qr_png
from openams.gateway.web.cashier.scan import ScanRefused, host_of, scanned_link
from openams.gateway.web.cashier.sdk import sdk_router

TEMPLATES = Path(__file__).with_name("templates")

#: The pages load only their own script, styles and images; nobody may frame them.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "connect-src 'self'; base-uri 'none'; frame-ancestors 'none'; object-src 'none'"
    ),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    # The token is in the path: never send it to the merchant (or anyone) as a Referer.
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


def security_headers(frame_origins: tuple[str, ...] = ()) -> dict[str, str]:
    """The pages' headers. A payment session's pages (the Web SDK's embed mode) may be
    framed by the origins their merchant registered, and only by those; every other page
    refuses every frame."""
    if not frame_origins:
        return SECURITY_HEADERS
    policy = SECURITY_HEADERS["Content-Security-Policy"].replace(
        "frame-ancestors 'none'", "frame-ancestors " + " ".join(frame_origins)
    )
    headers = {k: v for k, v in SECURITY_HEADERS.items() if k != "X-Frame-Options"}
    headers["Content-Security-Policy"] = policy
    return headers


def framed(request: Request) -> bool:
    """Whether the browser loads this page into a frame (Fetch Metadata)."""
    return request.headers.get("sec-fetch-dest") == "iframe"


#: Schemes a merchant's paymentRedirectUrl may not use on our pages.
_UNSAFE_SCHEMES = {"javascript", "data", "vbscript", "file", "blob", "about"}

Text = Annotated[str, Form()]

WALLET_PAGES = frozenset({PageKind.QR, PageKind.WALLET})
ANY_PAGE = frozenset(PageKind)

_LINK_PAGES: dict[LinkState, tuple[int, str, str]] = {
    LinkState.PAID: (
        409,
        "This payment is already complete",
        "It has been paid; there is nothing more to do here.",
    ),
    LinkState.PENDING: (
        409,
        "This payment is being confirmed",
        "You have paid; the result follows. There is nothing more to do here.",
    ),
    LinkState.FAILED: (
        410,
        "This payment did not go through",
        "It failed and can no longer be paid. Go back to the shop to try again.",
    ),
    LinkState.EXPIRED: (
        410,
        "This payment link has expired",
        "The time to pay is over. Go back to the shop to start a new payment.",
    ),
    LinkState.CANCELLED: (
        410,
        "This payment was cancelled",
        "The merchant cancelled it, so it can no longer be paid.",
    ),
}


def safe_redirect(url: str | None) -> str | None:
    """The merchant's redirect URL, unless its scheme could run script on our page."""
    if not url:
        return None
    scheme = urlsplit(url.strip()).scheme.lower()
    if not scheme or scheme in _UNSAFE_SCHEMES:
        return None
    return url.strip()


def countdown(seconds: int) -> str:
    """``13:58``, ``5:03:20`` or ``6d 23:59:58``: time left, as the page's script writes it."""
    days, rest = divmod(max(0, seconds), 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days}d {hours}:{minutes:02d}:{secs:02d}"
    if hours:
        return f"{hours}:{minutes:02d}:{secs:02d}"
    return f"{minutes}:{secs:02d}"


def readable_utc(ms: int) -> str:
    """``6 Dec 2026, 17:39 UTC``: for people; the page's script rewrites it in local time."""
    moment = from_ms(ms)
    return f"{moment.day} {moment:%b %Y, %H:%M} UTC"


def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["iso"] = iso
    env.filters["countdown"] = countdown
    env.filters["readable_utc"] = readable_utc
    return env


class Pages:
    """Renders templates with the CSRF field and the security headers."""

    def __init__(self, csrf: Csrf) -> None:
        self.env = _environment()
        self.csrf = csrf

    def render(
        self,
        request: Request,
        template: str,
        *,
        scope: str = "",
        status: int = 200,
        **context: Any,
    ) -> HTMLResponse:
        cookie, new = self.csrf.cookie_of(request)
        origins = context.pop("frame_origins", None) or getattr(
            context.get("view"), "frame_origins", ()
        )
        html = self.env.get_template(template).render(
            csrf_field=FIELD,
            csrf_token=self.csrf.token(cookie, scope),
            test_accounts=sorted(TEST_ACCOUNTS),
            three_ds_code=THREE_DS_CODE,
            frame_origins=origins,
            embedded=bool(origins) and framed(request),
            **context,
        )
        response = HTMLResponse(html, status_code=status, headers=security_headers(origins))
        if new:
            self.csrf.set_cookie(
                response, cookie, secure=request.url.scheme == "https", embeddable=bool(origins)
            )
        return response

    def link_error(
        self,
        request: Request,
        status: int,
        title: str,
        message: str,
        return_url: str | None = None,
        *,
        frame_origins: tuple[str, ...] = (),
        state: str = "",
    ) -> HTMLResponse:
        return self.render(
            request,
            "link_error.html",
            status=status,
            title=title,
            message=message,
            return_url=safe_redirect(return_url),
            frame_origins=frame_origins,
            state=state,
        )

    def not_found(self, request: Request) -> HTMLResponse:
        return self.link_error(
            request,
            404,
            "Payment link not found",
            "This link is not valid. Check that you copied all of it, or go back to the "
            "shop and start the payment again.",
        )

    def closed(self, request: Request, view: CashierView) -> HTMLResponse:
        status, title, message = _LINK_PAGES[view.state]
        return self.link_error(
            request,
            status,
            title,
            message,
            view.redirect_url,
            frame_origins=view.frame_origins,
            state=view.state.value,
        )

    def forbidden(self, request: Request, retry_url: str) -> HTMLResponse:
        return self.link_error(
            request,
            403,
            "This page is out of date",
            "Your form could not be checked (it may have been open too long). "
            "Open the payment page again and retry.",
            retry_url,
        )


def cashier_router(service: CashierService, csrf: Csrf) -> APIRouter:
    pages = Pages(csrf)
    router = APIRouter(include_in_schema=False)
    router.include_router(sdk_router())

    def load(token: str) -> CashierView | None:
        try:
            return service.view(token)
        except LinkNotFound:
            return None

    def see_result(token: str, via: str = "") -> RedirectResponse:
        suffix = "?via=scan" if via == "scan" else ""
        return RedirectResponse(f"/cashier/{token}/result{suffix}", status_code=303)

    def after(request: Request, view: CashierView, step: Step, mode: str) -> Response:
        if step.kind == "processing":
            return pages.render(
                request,
                "processing.html",
                scope=view.token,
                view=view,
                ticket=step.ticket,
                mode=mode,
            )
        return see_result(view.token, "scan" if mode == "scan" else "")

    def open_view(
        request: Request, token: str, submitted: str, kinds: frozenset[PageKind]
    ) -> CashierView | Response:
        """The view for a form post: checks CSRF, that the payment is still open, and
        that the form belongs to this payment's kind of page (no wallet login for a card)."""
        if not csrf.valid(request, submitted, token):
            return pages.forbidden(request, f"/cashier/{token}")
        view = load(token)
        if view is None or view.kind not in kinds:
            return pages.not_found(request)
        if view.state is not LinkState.OPEN:
            return see_result(token)
        return view

    # ------------------------------------------------------------ pages

    def wallet_login(
        request: Request, view: CashierView, mode: str, *, error: str = "", status: int = 200
    ) -> Response:
        return pages.render(
            request,
            "wallet_login.html",
            scope=view.token,
            status=status,
            view=view,
            mode=mode,
            error=error,
        )

    def card_form(
        request: Request,
        view: CashierView,
        *,
        errors: dict[str, str] | None = None,
        values: dict[str, str] | None = None,
        status: int = 200,
    ) -> Response:
        return pages.render(
            request,
            "card.html",
            scope=view.token,
            status=status,
            view=view,
            errors=errors or {},
            values=values or {},
        )

    def challenge(request: Request, view: CashierView, step: Step) -> Response:
        assert step.card is not None
        return pages.render(
            request,
            "card_3ds.html",
            scope=view.token,
            view=view,
            card=step.card,
            ticket=step.ticket,
            error="",
        )

    def show(request: Request, view: CashierView, *, mode: str = "h5") -> Response:
        if view.state is not LinkState.OPEN:
            return pages.closed(request, view)
        if view.kind is PageKind.CARD and view.pending_card is not None:
            return challenge(request, view, service.pending_challenge(view))
        if view.kind is PageKind.CARD:
            return card_form(request, view)
        if view.kind is PageKind.BANK:
            return pages.render(request, "bank.html", scope=view.token, view=view)
        if view.kind is PageKind.WALLET:
            return wallet_login(request, view, mode)
        return pages.render(request, "qr.html", scope=view.token, view=view)

    @router.get("/cashier/{token}")
    def cashier(request: Request, token: str) -> Response:
        view = load(token)
        return pages.not_found(request) if view is None else show(request, view)

    @router.get("/cashier/{token}/qr.png")
    def qr_image(token: str, picSize: str = "L") -> Response:
        view = load(token)
        if view is None:
            return Response("payment link not found", status_code=404, media_type="text/plain")
        return Response(
            qr_png(view.code_value, picSize),
            media_type="image/png",
            headers={"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"},
        )

    @router.get("/cashier/{token}/status")
    def status(token: str) -> JSONResponse:
        view = load(token)
        if view is None:
            return JSONResponse({"state": "NOT_FOUND", "final": True}, status_code=404)
        return JSONResponse(
            {
                "state": view.state.value,
                "final": view.state is not LinkState.OPEN,
                "resultUrl": f"/cashier/{token}/result",
            },
            headers={"Cache-Control": "no-store"},
        )

    @router.get("/cashier/{token}/result")
    def result(request: Request, token: str, via: str = "") -> Response:
        view = load(token)
        if view is None:
            return pages.not_found(request)
        redirect = None if via == "scan" else safe_redirect(view.redirect_url)
        return pages.render(
            request,
            "result.html",
            scope=token,
            view=view,
            redirect=redirect if view.state is not LinkState.OPEN else None,
            return_url=safe_redirect(view.redirect_url),
            scanned=via == "scan",
        )

    @router.get("/code/{token}")
    def scanned(request: Request, token: str) -> Response:
        """The code value: what a wallet app opens after scanning the QR code."""
        view = load(token)
        if view is None:
            return pages.not_found(request)
        if view.state is not LinkState.OPEN:
            return pages.closed(request, view)
        if view.kind in (PageKind.CARD, PageKind.BANK):
            return show(request, view)
        return wallet_login(request, view, "scan")

    @router.get("/app/{method}/{token}")
    def applink(request: Request, method: str, token: str) -> Response:
        """applinkUrl: opens the app when installed, else falls back to the H5 page."""
        view = load(token)
        if view is None or view.method.type.lower() != method.lower():
            return pages.not_found(request)
        if view.state is not LinkState.OPEN:
            return pages.closed(request, view)
        return pages.render(
            request,
            "app_launch.html",
            view=view,
            scheme_url=service.links.scheme(view.method.type, token),
            fallback_url=f"/cashier/{token}",
        )

    @router.get("/alipaycn/{page}/cashier")
    def alipaycn(request: Request, page: str, parameters: str = "", token: str = "") -> Response:
        """redirectActionForm of ALIPAY_CN, submitted as a GET form (seed: S-CN)."""
        found = service.alipaycn_token(parameters, token)
        view = load(found) if found and page in ("pc", "h5") else None
        if view is None:
            return pages.not_found(request)
        if view.state is not LinkState.OPEN:
            return pages.closed(request, view)
        if page == "h5":
            return wallet_login(request, view, "h5")
        return pages.render(request, "qr.html", scope=view.token, view=view)

    # ------------------------------------------------------------ wallet

    @router.post("/cashier/{token}/login")
    def login(
        request: Request,
        token: str,
        csrf_token: Text = "",
        account: Text = "",
        password: Text = "",
        mode: Text = "h5",
    ) -> Response:
        view = open_view(request, token, csrf_token, WALLET_PAGES)
        if not isinstance(view, CashierView):
            return view
        if not account.strip() or not password:
            return wallet_login(
                request, view, mode, error="Enter an account and a password.", status=400
            )
        return pages.render(
            request,
            "wallet_confirm.html",
            scope=token,
            view=view,
            account=account.strip(),
            ticket=service.wallet_ticket(token, account),
            mode=mode,
        )

    @router.post("/cashier/{token}/confirm")
    def confirm(
        request: Request, token: str, csrf_token: Text = "", ticket: Text = "", mode: Text = "h5"
    ) -> Response:
        view = open_view(request, token, csrf_token, WALLET_PAGES)
        if not isinstance(view, CashierView):
            return view
        account = service.wallet_account(token, ticket)
        if account is None:
            return wallet_login(request, view, mode, error="Log in again.", status=400)
        if mode != "scan":
            return pages.render(
                request, "wallet_password.html", scope=token, view=view, ticket=ticket, mode=mode
            )
        return act(request, view, mode, lambda: service.wallet_pay(token, account))

    @router.post("/cashier/{token}/password")
    def password(
        request: Request,
        token: str,
        csrf_token: Text = "",
        ticket: Text = "",
        password: Text = "",
        mode: Text = "h5",
    ) -> Response:
        view = open_view(request, token, csrf_token, WALLET_PAGES)
        if not isinstance(view, CashierView):
            return view
        account = service.wallet_account(token, ticket)
        if account is None:
            return wallet_login(request, view, mode, error="Log in again.", status=400)
        if not password:
            return pages.render(
                request,
                "wallet_password.html",
                scope=token,
                status=400,
                view=view,
                ticket=ticket,
                mode=mode,
                error="Enter your payment password.",
            )
        return act(request, view, mode, lambda: service.wallet_pay(token, account))

    @router.post("/cashier/{token}/settle")
    def settle(
        request: Request, token: str, csrf_token: Text = "", ticket: Text = "", mode: Text = "h5"
    ) -> Response:
        view = open_view(request, token, csrf_token, WALLET_PAGES)
        if not isinstance(view, CashierView):
            return view
        return act(request, view, mode, lambda: service.settle(token, ticket))

    def act(request: Request, view: CashierView, mode: str, action: Any) -> Response:
        try:
            step = action()
        except DomainError as error:
            if error.code == "PARAM_ILLEGAL":
                return pages.link_error(
                    request, 400, "This page is out of date", error.message, view.redirect_url
                )
            return see_result(view.token, mode)  # it closed meanwhile: say how it ended
        return after(request, view, step, mode)

    @router.post("/cashier/{token}/decline")
    def decline(request: Request, token: str, csrf_token: Text = "", mode: Text = "h5") -> Response:
        view = open_view(request, token, csrf_token, ANY_PAGE)
        if not isinstance(view, CashierView):
            return view
        return act(request, view, mode, lambda: service.decline(token))

    # ------------------------------------------------------------ card

    @router.post("/cashier/{token}/card")
    def card(
        request: Request,
        token: str,
        csrf_token: Text = "",
        number: Text = "",
        expiry_month: Text = "",
        expiry_year: Text = "",
        cvv: Text = "",
        holder_name: Text = "",
        save_card: Text = "",
    ) -> Response:
        view = open_view(request, token, csrf_token, frozenset({PageKind.CARD}))
        if not isinstance(view, CashierView):
            return view
        if view.pending_card is not None:  # the card came with the pay request
            return RedirectResponse(f"/cashier/{token}", status_code=303)
        try:
            step = service.pay_card(
                token,
                number=number,
                expiry_month=expiry_month,
                expiry_year=expiry_year,
                cvv=cvv,
                holder_name=holder_name,
                save=save_card == "yes",
            )
        except CardError as error:
            # Echo back only what is not secret: never the number or the CVV.
            keep = {
                "holder_name": holder_name,
                "expiry_month": expiry_month,
                "expiry_year": expiry_year,
            }
            return card_form(request, view, errors=error.errors, values=keep, status=400)
        except DomainError:
            return see_result(token)
        if step.kind == "challenge":
            return challenge(request, view, step)
        return see_result(token)

    @router.post("/cashier/{token}/3ds")
    def three_ds(
        request: Request, token: str, csrf_token: Text = "", ticket: Text = "", code: Text = ""
    ) -> Response:
        view = open_view(request, token, csrf_token, frozenset({PageKind.CARD}))
        if not isinstance(view, CashierView):
            return view
        return act(request, view, "", lambda: service.answer_challenge(token, ticket, code))

    # ------------------------------------------------------------ bank

    @router.post("/cashier/{token}/transfer")
    def transfer(request: Request, token: str, csrf_token: Text = "") -> Response:
        view = open_view(request, token, csrf_token, frozenset({PageKind.BANK}))
        if not isinstance(view, CashierView):
            return view
        return act(request, view, "", lambda: service.transfer_received(token))

    # ------------------------------------------------------------ checkout

    @router.get("/checkout/{session_id}")
    def checkout(request: Request, session_id: str, element: str = "") -> Response:
        try:
            view = service.checkout(session_id)
        except LinkNotFound:
            return pages.link_error(
                request,
                404,
                "Checkout not found",
                "This checkout link is not valid. Go back to the shop and start again.",
            )
        if view.payment_token is not None:
            return RedirectResponse(f"/cashier/{view.payment_token}", status_code=303)
        if view.expired:
            return pages.link_error(
                request,
                410,
                "This checkout has expired",
                "The time to pay is over. Go back to the shop to start again.",
                view.redirect_url,
                frame_origins=view.frame_origins,
                state="EXPIRED",
            )
        return pages.render(
            request,
            "checkout.html",
            scope=session_id,
            view=view,
            error="",
            element=element == "1",
        )

    @router.post("/checkout/{session_id}")
    def start_checkout(
        request: Request,
        session_id: str,
        csrf_token: Text = "",
        method: Text = "",
        element: Text = "",
    ) -> Response:
        if not csrf.valid(request, csrf_token, session_id):
            return pages.forbidden(request, f"/checkout/{session_id}")
        try:
            view = service.checkout(session_id)
        except LinkNotFound:
            return pages.link_error(request, 404, "Checkout not found", "Start again.")
        try:
            target = service.start_checkout(session_id, method)
        except DomainError as error:
            return pages.render(
                request,
                "checkout.html",
                scope=session_id,
                status=400,
                view=view,
                error=error.message,
                element=element == "1",
            )
        return RedirectResponse(target, status_code=303)

    # ------------------------------------------------------------ wallet scanner

    @router.get("/wallet/scan")
    def wallet_scan(request: Request) -> Response:
        """The wallet's scanner: paste a QR code's value to open it in the wallet."""
        return pages.render(request, "wallet_scan.html", value="", error="")

    @router.get("/wallet/open")
    def wallet_open(request: Request, url: str = "") -> Response:
        """Open a scanned link inside the wallet: the wallet frame, then the link itself."""
        try:
            link = scanned_link(url)
        except ScanRefused as refused:
            value = url if len(url) <= 2048 else ""
            return pages.render(
                request, "wallet_scan.html", status=400, value=value, error=str(refused)
            )
        return pages.render(request, "wallet_open.html", url=link, host=host_of(link))

    return router
