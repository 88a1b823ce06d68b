"""CSRF protection for the cashier's forms: a signed double-submit cookie.

The browser holds a random value in an HttpOnly cookie; each form carries
HMAC(secret, cookie | scope), where the scope is the payment token or session id the
form acts on. A cross-site page can make the browser send the cookie but cannot read
it, so it cannot compute the form field.
"""

from __future__ import annotations

import secrets

from starlette.requests import Request
from starlette.responses import Response

from openams.gateway.services.tickets import TicketSigner

COOKIE = "openams_csrf"
FIELD = "csrf_token"
_PURPOSE = "csrf"


class Csrf:
    def __init__(self, signer: TicketSigner) -> None:
        self._signer = signer

    @staticmethod
    def cookie_of(request: Request) -> tuple[str, bool]:
        """The browser's CSRF cookie value, or a new one (True when new)."""
        value = request.cookies.get(COOKIE, "")
        if 32 <= len(value) <= 64 and value.replace("-", "").replace("_", "").isalnum():
            return value, False
        return secrets.token_urlsafe(32), True

    def token(self, cookie: str, scope: str) -> str:
        return self._signer.mac(_PURPOSE, f"{cookie}|{scope}")

    def valid(self, request: Request, submitted: str | None, scope: str) -> bool:
        cookie = request.cookies.get(COOKIE)
        if not cookie or not submitted:
            return False
        return self._signer.check(_PURPOSE, f"{cookie}|{scope}", submitted)

    @staticmethod
    def set_cookie(
        response: Response, value: str, *, secure: bool, embeddable: bool = False
    ) -> None:
        """``embeddable``: a page the merchant's site may frame. Over HTTPS its cookie is
        then partitioned per top-level site (CHIPS) and sent in a cross-site frame; over
        plain HTTP a framed page works only on the same site (``openams dev``)."""
        if embeddable and secure:
            response.set_cookie(
                COOKIE,
                value,
                httponly=True,
                samesite="none",
                secure=True,
                partitioned=True,
                path="/",
            )
            return
        response.set_cookie(COOKIE, value, httponly=True, samesite="lax", secure=secure, path="/")
