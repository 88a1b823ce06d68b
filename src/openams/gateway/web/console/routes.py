"""Routes of the merchant console. Thin: each checks the session and CSRF token, calls a
service (never SQL), and renders an autoescaped template or redirects."""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Form, Request
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.responses import HTMLResponse, RedirectResponse, Response

from openams.gateway.domain.clock import iso
from openams.gateway.domain.errors import DomainError
from openams.gateway.domain.merchant import Merchant
from openams.gateway.domain.transitions import PaymentStatus
from openams.gateway.services.console import ConsoleService, PaymentFilters
from openams.gateway.services.developer_console import DeveloperConsole
from openams.gateway.services.frame_origins import FrameOriginService
from openams.gateway.services.merchants import MerchantService
from openams.gateway.services.payment_actions import payment_actions
from openams.gateway.services.payments import Outcome, PaymentService
from openams.gateway.services.presenters import payment_result_code
from openams.gateway.services.refunds import RefundService
from openams.gateway.services.sandbox import SandboxService
from openams.gateway.web.cashier.csrf import FIELD, Csrf
from openams.gateway.web.console.pager import pager_links, pair_cursor, pair_key
from openams.gateway.web.console.security import LoginLimiter, Sessions
from openams.protocol.models import Amount, CancelRequest, RefundRequest
from openams.protocol.money import AmountError, major, parse_major, show

TEMPLATES = Path(__file__).with_name("templates")
PREFIX = "/console"

SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "base-uri 'none'; frame-ancestors 'none'; object-src 'none'; form-action 'self'"
    ),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}

_METHOD = re.compile(r"[A-Z0-9_]{1,64}")

Text = Annotated[str, Form()]
OptText = Annotated[str | None, Form()]


@dataclass
class ConsoleServices:
    console: ConsoleService
    merchants: MerchantService
    payments: PaymentService
    refunds: RefundService
    sandbox: SandboxService
    gateway_public_pem: str
    login_limiter: LoginLimiter = field(default_factory=LoginLimiter)
    #: The request log and notifications (the payment page lists the payment's calls).
    developers: DeveloperConsole | None = None
    #: origins that may frame the merchant's session pages (Settings page)
    frame_origins: FrameOriginService | None = None


def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["iso"] = lambda ms: "" if ms is None else iso(ms)
    env.filters["money"] = lambda amount: "" if amount is None else str(amount)
    env.filters["major"] = lambda amount: major(amount.value, amount.currency)
    return env


class FilterError(ValueError):
    """A list filter the page refuses (shown with a 400 and the reason)."""


def _day_ms(name: str, text: str | None, *, end: bool = False) -> int | None:
    """``YYYY-MM-DD`` (UTC) as epoch ms: its start, or the start of the next day."""
    if not text or not text.strip():
        return None
    try:
        day = datetime.strptime(text.strip(), "%Y-%m-%d").replace(tzinfo=UTC)
    except ValueError:
        raise FilterError(
            f"{name} date {text[:32]!r} is not a date: use YYYY-MM-DD, e.g. 2026-02-28"
        ) from None
    ms = int(day.timestamp() * 1000)
    return ms + 86_400_000 if end else ms


def payment_filters(params: Mapping[str, str]) -> PaymentFilters:
    """The Payments page's filters from its query, or FilterError saying which is wrong."""
    status = (params.get("status") or "").strip().upper() or None
    if status is not None and status not in PaymentStatus.__members__:
        raise FilterError(
            f"status {status[:32]!r} is not a payment status "
            f"({', '.join(PaymentStatus.__members__)})"
        )
    method = (params.get("method") or "").strip().upper() or None
    if method is not None and not _METHOD.fullmatch(method):
        raise FilterError(
            f"method {method[:32]!r} is not a payment method type (letters, digits and _, "
            "e.g. ALIPAY_HK)"
        )
    created_from = _day_ms("from", params.get("from"))
    created_to = _day_ms("to", params.get("to"), end=True)
    if created_from is not None and created_to is not None and created_from >= created_to:
        raise FilterError("the from date is after the to date")
    search_id = (params.get("q") or "").strip() or None
    if search_id is not None and len(search_id) > 64:
        raise FilterError("an id has at most 64 characters")
    return PaymentFilters(status, method, created_from, created_to, search_id)


class Console:
    def __init__(self, services: ConsoleServices, csrf: Csrf, sessions: Sessions) -> None:
        self.s = services
        self.csrf = csrf
        self.sessions = sessions
        sessions.attach(services.console.session_epoch)
        self.limiter = services.login_limiter
        self.env = _environment()

    # ------------------------------------------------------------ helpers

    def render(
        self,
        request: Request,
        template: str,
        *,
        user: str | None,
        status: int = 200,
        **context: Any,
    ) -> HTMLResponse:
        cookie, new = self.csrf.cookie_of(request)
        scope = f"console:{user}" if user else "console-login"
        kind, text = self.sessions.flashed(request) or ("", "")
        html = self.env.get_template(template).render(
            csrf_field=FIELD,
            csrf_token=self.csrf.token(cookie, scope),
            user=user,
            notice=text if kind == "notice" else None,
            error=text if kind == "error" else None,
            **context,
        )
        response = HTMLResponse(html, status_code=status, headers=SECURITY_HEADERS)
        self.sessions.clear_flash(request, response)
        if new:
            self.csrf.set_cookie(response, cookie, secure=request.url.scheme == "https")
        return response

    def page(self, request: Request, status: int, title: str, message: str) -> HTMLResponse:
        user = self.sessions.user(request)
        return self.render(
            request, "message.html", user=user, status=status, title=title, message=message
        )

    def merchant(self, client_id: str) -> Merchant | None:
        return self.s.merchants.get(client_id)

    def signed_in_view(self, request: Request, client_id: str) -> tuple[str, Merchant] | Response:
        """The signed-in user and the merchant page they asked for, or the answer instead:
        a redirect to the sign-in page, or a 404 page for an unknown merchant."""
        user = self.sessions.user(request)
        if user is None:
            return self.redirect(f"{PREFIX}/login")
        merchant = self.merchant(client_id)
        if merchant is None:
            return self.page(request, 404, "No such merchant", f"{client_id} is not registered.")
        return user, merchant

    @staticmethod
    def redirect(url: str, **query: str) -> RedirectResponse:
        if query:
            url = f"{url}?{urlencode(query)}"
        return RedirectResponse(url, status_code=303, headers=SECURITY_HEADERS)

    def flash_redirect(self, request: Request, url: str, kind: str, text: str) -> Response:
        """Back to ``url``, which shows ``text`` once (a signed flash cookie)."""
        response = self.redirect(url)
        self.sessions.flash(request, response, kind, text)
        return response

    def act(
        self,
        request: Request,
        client_id: str,
        token: str | None,
        back: str,
        run: Callable[[Merchant], str],
    ) -> Response:
        """A form post's action: ``run(merchant)`` behind the session and CSRF checks, then
        back to ``back`` with its notice, or with the refusal's message."""
        _user, refused = self.guard(request, token)
        if refused is not None:
            return refused
        merchant = self.merchant(client_id)
        if merchant is None:
            return self.page(request, 404, "No such merchant", f"{client_id} is not registered.")
        try:
            notice = run(merchant)
        except DomainError as exc:
            return self.flash_redirect(request, back, "error", f"{exc.code}: {exc.message}")
        except ValueError as exc:
            return self.flash_redirect(request, back, "error", str(exc))
        return self.flash_redirect(request, back, "notice", notice)

    def guard(self, request: Request, token: str | None) -> tuple[str | None, Response | None]:
        """The signed-in user of a form post with a valid CSRF token, or the refusal."""
        user = self.sessions.user(request)
        if user is None:
            return None, self.redirect(f"{PREFIX}/login")
        if not self.csrf.valid(request, token, f"console:{user}"):
            return None, self.page(
                request,
                403,
                "Form expired",
                "The form's security token is missing or wrong. "
                "Go back, reload the page and try again.",
            )
        return user, None


def console_router(services: ConsoleServices, csrf: Csrf, sessions: Sessions) -> APIRouter:
    c = Console(services, csrf, sessions)
    router = APIRouter(prefix=PREFIX, include_in_schema=False)

    # ------------------------------------------------------------- sign-in

    @router.get("/login")
    def login_form(request: Request) -> Response:
        return c.render(request, "login.html", user=None)

    @router.post("/login")
    def login(
        request: Request, username: Text = "", password: Text = "", csrf_token: OptText = None
    ) -> Response:
        ip = request.client.host if request.client else "?"
        if not c.csrf.valid(request, csrf_token, "console-login"):
            return c.render(
                request,
                "login.html",
                user=None,
                status=403,
                failure="The form expired; please try again.",
            )
        if c.limiter.blocked(ip, username):
            return c.render(
                request,
                "login.html",
                user=None,
                status=429,
                failure="Too many failed sign-ins from this address. Wait a minute and try again.",
            )
        if not services.console.verify(username, password):
            c.limiter.fail(ip, username)
            return c.render(
                request,
                "login.html",
                user=None,
                status=401,
                failure="Wrong username or password.",
            )
        epoch = services.console.session_epoch(username)
        if epoch is None:  # removed between the password check and now
            return c.render(
                request, "login.html", user=None, status=401, failure="Wrong username or password."
            )
        c.limiter.succeeded(ip, username)
        response = c.redirect(PREFIX)
        sessions.start(request, response, username, epoch)
        return response

    @router.post("/logout")
    def logout(request: Request, csrf_token: OptText = None) -> Response:
        user, refused = c.guard(request, csrf_token)
        if refused is not None or user is None:
            return refused or c.redirect(f"{PREFIX}/login")
        services.console.end_sessions(user)  # every session of the user, on the server
        response = c.redirect(f"{PREFIX}/login")
        sessions.end(response)
        return response

    # --------------------------------------------------------------- pages

    @router.get("")
    @router.get("/")
    def home(request: Request) -> Response:
        user = sessions.user(request)
        if user is None:
            return c.redirect(f"{PREFIX}/login")
        return c.render(
            request, "merchants.html", user=user, merchants=services.console.merchants()
        )

    @router.get("/m/{client_id}/payments")
    def payments(request: Request, client_id: str) -> Response:
        seen = c.signed_in_view(request, client_id)
        if isinstance(seen, Response):
            return seen
        user, merchant = seen
        q = request.query_params
        context: dict[str, Any] = dict(
            user=user, merchant=merchant, statuses=list(PaymentStatus.__members__), query=q
        )
        try:
            filters = payment_filters(q)
            before, after = pair_cursor(q.get("before")), pair_cursor(q.get("after"))
        except ValueError as exc:
            return c.render(
                request, "payments.html", status=400, failure=str(exc), page=None, **context
            )
        page = services.console.payments(client_id, filters, before, after)
        pager = pager_links(
            f"{PREFIX}/m/{quote(client_id, safe='')}/payments",
            q,
            page,
            lambda p: pair_key(p.created_at, p.payment_id),
        )
        return c.render(request, "payments.html", page=page, pager=pager, failure=None, **context)

    @router.get("/m/{client_id}/payments/{payment_id}")
    def payment(request: Request, client_id: str, payment_id: str) -> Response:
        user = sessions.user(request)
        if user is None:
            return c.redirect(f"{PREFIX}/login")
        merchant = c.merchant(client_id)
        detail = services.console.detail(client_id, payment_id) if merchant else None
        if merchant is None or detail is None:
            return c.page(request, 404, "No such payment", f"{payment_id} was not found.")
        calls = services.developers.payment_calls(detail.payment) if services.developers else None
        return c.render(
            request,
            "payment.html",
            user=user,
            merchant=merchant,
            d=detail,
            calls=calls,
            result=payment_result_code(detail.payment),
            actions=payment_actions(
                services.payments, services.refunds, services.console.clock, merchant, detail
            ),
        )

    # ------------------------------------------------------------- actions

    act = c.act

    def detail_url(client_id: str, payment_id: str) -> str:
        return f"{PREFIX}/m/{quote(client_id, safe='')}/payments/{quote(payment_id, safe='')}"

    @router.post("/m/{client_id}/payments/{payment_id}/refund")
    def refund(
        request: Request,
        client_id: str,
        payment_id: str,
        amount: Text = "",
        reason: OptText = None,
        csrf_token: OptText = None,
    ) -> Response:
        def run(merchant: Merchant) -> str:
            found = services.console.detail(merchant.client_id, payment_id)
            if found is None:
                raise DomainError("ORDER_NOT_EXIST", f"no payment with paymentId {payment_id}")
            currency = found.payment.amount.currency
            try:
                minor = parse_major(amount, currency)
            except AmountError as exc:
                raise ValueError(f"refund amount: {exc}") from None
            body = RefundRequest(
                refund_request_id=f"console-{secrets.token_hex(12)}",
                payment_id=payment_id,
                refund_amount=Amount(currency=currency, value=str(minor)),
                refund_reason=(reason or "").strip()[:256] or None,
            )
            out = services.refunds.refund(merchant, body)
            return f"refund {out.get('refundId', '')} of {show(minor, currency)} accepted"

        return act(request, client_id, csrf_token, detail_url(client_id, payment_id), run)

    @router.post("/m/{client_id}/payments/{payment_id}/cancel")
    def cancel(
        request: Request, client_id: str, payment_id: str, csrf_token: OptText = None
    ) -> Response:
        def run(merchant: Merchant) -> str:
            refusal = services.payments.cancel_refusal(merchant, payment_id)
            if refusal is not None:  # already cancelled included: nothing to do
                raise refusal
            services.payments.cancel(merchant, CancelRequest(payment_id=payment_id))
            return "payment cancelled"

        return act(request, client_id, csrf_token, detail_url(client_id, payment_id), run)

    @router.post("/m/{client_id}/payments/{payment_id}/resend")
    def resend(
        request: Request, client_id: str, payment_id: str, csrf_token: OptText = None
    ) -> Response:
        def run(merchant: Merchant) -> str:
            services.sandbox.resend(merchant, payment_id, None)
            return "notification queued again"

        return act(request, client_id, csrf_token, detail_url(client_id, payment_id), run)

    @router.post("/m/{client_id}/payments/{payment_id}/simulate")
    def simulate(
        request: Request,
        client_id: str,
        payment_id: str,
        outcome: Text = "",
        csrf_token: OptText = None,
    ) -> Response:
        def run(merchant: Merchant) -> str:
            if not merchant.is_sandbox:
                raise ValueError("simulations are for sandbox merchants only")
            if outcome not in (Outcome.SUCCESS, Outcome.FAIL):
                raise ValueError("outcome must be SUCCESS or FAIL")
            found = services.console.detail(merchant.client_id, payment_id)
            if found is None:
                raise DomainError("ORDER_NOT_EXIST", f"no payment with paymentId {payment_id}")
            if not services.payments.can_complete(
                found.payment, merchant.now(services.console.clock())
            ):
                raise ValueError(
                    f"cannot simulate {outcome}: payment status is "
                    f"{found.payment.status.value}; only a PROCESSING or PENDING payment "
                    "that has not expired can still move"
                )
            services.payments.complete(merchant, payment_id=payment_id, outcome=outcome)
            return f"payment completed: {outcome}"

        return act(request, client_id, csrf_token, detail_url(client_id, payment_id), run)

    @router.post("/m/{client_id}/advance-clock")
    def advance_clock(
        request: Request, client_id: str, seconds: Text = "", csrf_token: OptText = None
    ) -> Response:
        def run(merchant: Merchant) -> str:
            if not merchant.is_sandbox:
                raise ValueError("the clock moves for sandbox merchants only")
            if not seconds.strip().isdigit():
                raise ValueError("seconds must be a whole number")
            return str(services.sandbox.advance_clock(merchant, int(seconds))["message"])

        return act(
            request, client_id, csrf_token, f"{PREFIX}/m/{quote(client_id, safe='')}/payments", run
        )

    # ------------------------------------------------------ keys, settings

    @router.get("/m/{client_id}/keys")
    def keys(request: Request, client_id: str) -> Response:
        seen = c.signed_in_view(request, client_id)
        if isinstance(seen, Response):
            return seen
        user, merchant = seen
        return c.render(
            request,
            "keys.html",
            user=user,
            merchant=merchant,
            keys=services.console.keys(client_id),
            gateway_public_pem=services.gateway_public_pem,
        )

    @router.post("/m/{client_id}/keys")
    def add_key(
        request: Request,
        client_id: str,
        key_version: Text = "",
        public_key: Text = "",
        csrf_token: OptText = None,
    ) -> Response:
        def run(merchant: Merchant) -> str:
            version = key_version.strip()
            if not version or len(version) > 16:
                raise ValueError("the key version must be 1 to 16 characters")
            services.merchants.add(merchant.client_id, public_key, key_version=version)
            return f"key version {version} added"

        return act(
            request, client_id, csrf_token, f"{PREFIX}/m/{quote(client_id, safe='')}/keys", run
        )

    def keys_url(client_id: str) -> str:
        return f"{PREFIX}/m/{quote(client_id, safe='')}/keys"

    @router.post("/m/{client_id}/keys/activate")
    def activate_key(
        request: Request, client_id: str, key_version: Text = "", csrf_token: OptText = None
    ) -> Response:
        def run(merchant: Merchant) -> str:
            services.merchants.activate_key(merchant.client_id, key_version)
            return f"key version {key_version} is now the active one"

        return act(request, client_id, csrf_token, keys_url(client_id), run)

    @router.get("/m/{client_id}/keys/retire")
    def confirm_retire(request: Request, client_id: str, version: str = "") -> Response:
        user = sessions.user(request)
        if user is None:
            return c.redirect(f"{PREFIX}/login")
        merchant = c.merchant(client_id)
        state = services.console.key(client_id, version) if merchant else None
        if merchant is None or state is None or state.status == "retired":
            return c.page(request, 404, "No such key", f"No key version {version} to retire.")
        active = next((k for k in services.console.keys(client_id) if k.status == "active"), None)
        return c.render(
            request, "retire.html", user=user, merchant=merchant, state=state, active=active
        )

    @router.post("/m/{client_id}/keys/retire")
    def retire_key(
        request: Request,
        client_id: str,
        key_version: Text = "",
        confirm: OptText = None,
        csrf_token: OptText = None,
    ) -> Response:
        def run(merchant: Merchant) -> str:
            if confirm != key_version:
                raise ValueError("retiring a key needs the confirmation page; nothing changed")
            services.merchants.retire_key(merchant.client_id, key_version)
            return (
                f"key version {key_version} retired: requests signed with it now get KEY_NOT_FOUND"
            )

        return act(request, client_id, csrf_token, keys_url(client_id), run)

    @router.get("/m/{client_id}/settings")
    def settings(request: Request, client_id: str) -> Response:
        seen = c.signed_in_view(request, client_id)
        if isinstance(seen, Response):
            return seen
        user, merchant = seen
        origins = services.frame_origins.origins(client_id) if services.frame_origins else ()
        return c.render(
            request, "settings.html", user=user, merchant=merchant, frame_origins=origins
        )

    @router.post("/m/{client_id}/settings")
    def save_settings(
        request: Request, client_id: str, notify_url: Text = "", csrf_token: OptText = None
    ) -> Response:
        def run(merchant: Merchant) -> str:
            services.merchants.set_notify_url(merchant.client_id, notify_url.strip() or None)
            return "settings saved"

        return act(
            request, client_id, csrf_token, f"{PREFIX}/m/{quote(client_id, safe='')}/settings", run
        )

    @router.post("/m/{client_id}/settings/frame-origins")
    def save_frame_origins(
        request: Request, client_id: str, frame_origins: Text = "", csrf_token: OptText = None
    ) -> Response:
        """The origins that may frame the merchant's session pages, one per line."""

        def run(merchant: Merchant) -> str:
            if services.frame_origins is None:
                raise ValueError("frame origins cannot be changed here")
            wanted = [line for line in frame_origins.splitlines() if line.strip()]
            saved = services.frame_origins.replace(merchant.client_id, wanted)
            return f"frame origins saved: {' '.join(saved) or 'none (no site may frame)'}"

        return act(
            request, client_id, csrf_token, f"{PREFIX}/m/{quote(client_id, safe='')}/settings", run
        )

    return router
