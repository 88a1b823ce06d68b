"""The merchant's admin pages: reconciliation of the gateway's transaction file.

Behind ``ShopSettings.admin_secret``: unset, the pages answer 404; set, a sign-in form
asks for it once per browser session (an HMAC of the session id in a cookie). The
upload form carries the shop's usual CSRF token.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from datetime import date
from typing import Annotated, Any

from fastapi import FastAPI, File, Form, HTTPException, Request, UploadFile
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


def install_admin_routes(
    app: FastAPI,
    shop: Shop,
    *,
    key: bytes,
    page: Page,
    session_of: Callable[[Request], str | None],
    check_csrf: Callable[[Request, str], str],
) -> None:
    """Add ``/admin/login`` and ``/admin/reconciliation`` to the shop's app."""
    admin_secret = shop.settings.admin_secret

    def admin_token(session_id: str) -> str:
        return hmac.new(key, f"admin:{session_id}".encode(), hashlib.sha256).hexdigest()

    def enabled() -> str:
        if not admin_secret:
            raise HTTPException(
                status_code=404,
                detail="the admin pages are off: set OPENAMS_SHOP_ADMIN_SECRET to turn them on",
            )
        return admin_secret

    def signed_in(request: Request) -> bool:
        session_id = session_of(request)
        token = request.cookies.get(ADMIN_COOKIE, "")
        return session_id is not None and hmac.compare_digest(admin_token(session_id), token)

    def reconciliation_page(
        request: Request, context: dict[str, Any], status: int = 200
    ) -> Response:
        base = {"report": None, "error": None, "outcomes": list(Outcome), "filename": None}
        return page(request, "reconciliation.html", {**base, **context}, status)

    @app.get("/admin/login")
    def admin_login_form(request: Request) -> Response:
        enabled()
        return page(request, "admin_login.html", {"error": None}, 200)

    @app.post("/admin/login")
    def admin_login(
        request: Request,
        secret: Annotated[str, Form()],
        csrf: Annotated[str, Form()],
    ) -> Response:
        expected = enabled()
        session_id = check_csrf(request, csrf)
        if not hmac.compare_digest(secret.encode(), expected.encode()):
            return page(request, "admin_login.html", {"error": "wrong admin secret"}, 403)
        response = RedirectResponse(PATH, status_code=303)
        response.set_cookie(ADMIN_COOKIE, admin_token(session_id), httponly=True, samesite="strict")
        return response

    @app.get(PATH)
    def reconciliation_form(request: Request) -> Response:
        enabled()
        if not signed_in(request):
            return RedirectResponse("/admin/login", status_code=303)
        return reconciliation_page(request, {})

    @app.post(PATH)
    async def reconciliation_upload(
        request: Request,
        csrf: Annotated[str, Form()],
        file: Annotated[UploadFile, File()],
        day: Annotated[str, Form()] = "",
    ) -> Response:
        enabled()
        check_csrf(request, csrf)
        if not signed_in(request):
            return RedirectResponse("/admin/login", status_code=303)
        data = await file.read(MAX_FILE_BYTES + 1)
        context: dict[str, Any] = {"filename": file.filename}
        try:
            report_day = _day(day) or date_from_filename(file.filename)
            rows = parse_transactions(data)
        except ReconciliationFileError as exc:
            return reconciliation_page(request, {**context, "error": str(exc)}, 400)
        report = reconcile(rows, shop.transactions(), report_day)
        return reconciliation_page(request, {**context, "report": report})


def _day(text: str) -> date | None:
    if not text.strip():
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise ReconciliationFileError(f"the date {text.strip()[:20]!r} is not YYYY-MM-DD") from None
