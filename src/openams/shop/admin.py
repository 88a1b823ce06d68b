"""The merchant's admin pages: reconciliation of the gateway's transaction file.

Behind ``ShopSettings.admin_secret``: unset, the pages answer a 404 page that explains
``OPENAMS_SHOP_ADMIN_SECRET``; set, a sign-in form asks for it once per browser session
(an HMAC of the session id in a cookie). Every form carries the shop's usual CSRF token.
``AdminGate`` is shared with the order pages (``admin_orders.py``).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from datetime import date
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import FastAPI, File, Form, Request, UploadFile
from fastapi.responses import RedirectResponse, Response

from openams.shop.reconcile import (
    MAX_FILE_BYTES,
    Outcome,
    ReconciliationFileError,
    date_from_filename,
    parse_transactions,
    reconcile,
)
from openams.shop.service import Shop

ADMIN_COOKIE = "openams_shop_admin"
PATH = "/admin/reconciliation"

Page = Callable[[Request, str, dict[str, Any], int], Response]


class AdminGate:
    """Who may use the admin pages: the secret, once per browser session.

    ``refusal(request)`` is None for a signed-in admin, else the page to answer: the
    "admin is off" page (404) when no secret is set, or a redirect to the sign-in form.
    """

    def __init__(
        self,
        admin_secret: str | None,
        *,
        key: bytes,
        page: Page,
        session_of: Callable[[Request], str | None],
    ) -> None:
        self.admin_secret = admin_secret
        self._key = key
        self._page = page
        self._session_of = session_of

    def token(self, session_id: str) -> str:
        return hmac.new(self._key, f"admin:{session_id}".encode(), hashlib.sha256).hexdigest()

    def signed_in(self, request: Request) -> bool:
        session_id = self._session_of(request)
        cookie = request.cookies.get(ADMIN_COOKIE, "")
        return session_id is not None and hmac.compare_digest(self.token(session_id), cookie)

    def off_page(self, request: Request) -> Response | None:
        """The page that explains OPENAMS_SHOP_ADMIN_SECRET, when it is not set."""
        if self.admin_secret:
            return None
        return self._page(request, "admin_off.html", {}, 404)

    def refusal(self, request: Request) -> Response | None:
        off = self.off_page(request)
        if off is not None:
            return off
        if self.signed_in(request):
            return None
        target = quote(request.url.path, safe="/")
        return RedirectResponse(f"/admin/login?next={target}", status_code=303)


def _next_page(target: str) -> str:
    """Where to go after signing in: an admin page of this shop, never elsewhere."""
    path = target.strip()
    if path.startswith("/admin/") and "//" not in path and "\\" not in path:
        return path
    return PATH


def install_admin_routes(
    app: FastAPI,
    shop: Shop,
    *,
    key: bytes,
    page: Page,
    session_of: Callable[[Request], str | None],
    check_csrf: Callable[[Request, str], str],
) -> AdminGate:
    """Add ``/admin/login`` and ``/admin/reconciliation`` to the shop's app; returns the
    gate the other admin pages share."""
    gate = AdminGate(shop.settings.admin_secret, key=key, page=page, session_of=session_of)

    def reconciliation_page(
        request: Request, context: dict[str, Any], status: int = 200
    ) -> Response:
        base = {"report": None, "error": None, "outcomes": list(Outcome), "filename": None}
        return page(request, "reconciliation.html", {**base, **context}, status)

    def login_page(request: Request, target: str, error: str | None, status: int) -> Response:
        context = {"error": error, "next": _next_page(target)}
        return page(request, "admin_login.html", context, status)

    @app.get("/admin/login")
    def admin_login_form(request: Request, next: str = PATH) -> Response:
        return gate.off_page(request) or login_page(request, next, None, 200)

    @app.post("/admin/login")
    def admin_login(
        request: Request,
        secret: Annotated[str, Form()],
        csrf: Annotated[str, Form()],
        next: Annotated[str, Form()] = PATH,
    ) -> Response:
        off = gate.off_page(request)
        if off is not None:
            return off
        session_id = check_csrf(request, csrf)
        assert gate.admin_secret is not None
        if not hmac.compare_digest(secret.encode(), gate.admin_secret.encode()):
            return login_page(request, next, "Wrong admin secret.", 403)
        response = RedirectResponse(_next_page(next), status_code=303)
        response.set_cookie(ADMIN_COOKIE, gate.token(session_id), httponly=True, samesite="strict")
        return response

    @app.get("/admin")
    def admin_home(request: Request) -> Response:
        return gate.refusal(request) or RedirectResponse("/admin/orders", status_code=303)

    @app.get(PATH)
    def reconciliation_form(request: Request) -> Response:
        return gate.refusal(request) or reconciliation_page(request, {})

    @app.post(PATH)
    async def reconciliation_upload(
        request: Request,
        csrf: Annotated[str, Form()],
        file: Annotated[UploadFile, File()],
        day: Annotated[str, Form()] = "",
    ) -> Response:
        off = gate.off_page(request)
        if off is not None:
            return off
        check_csrf(request, csrf)
        refusal = gate.refusal(request)
        if refusal is not None:
            return refusal
        data = await file.read(MAX_FILE_BYTES + 1)
        context: dict[str, Any] = {"filename": file.filename}
        try:
            report_day = _day(day) or date_from_filename(file.filename)
            rows = parse_transactions(data)
        except ReconciliationFileError as exc:
            return reconciliation_page(request, {**context, "error": str(exc)}, 400)
        report = reconcile(rows, shop.transactions(), report_day)
        return reconciliation_page(request, {**context, "report": report})

    return gate


def _day(text: str) -> date | None:
    if not text.strip():
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise ReconciliationFileError(f"the date {text.strip()[:20]!r} is not YYYY-MM-DD") from None
