"""Console sign-in state: a signed session cookie, signed flash messages, and a login
rate limiter."""

from __future__ import annotations

import ipaddress
import threading
import time
from collections import deque
from collections.abc import Callable

from starlette.requests import Request
from starlette.responses import Response

from openams.gateway.services.tickets import TicketSigner

SESSION_COOKIE = "openams_console"
SESSION_SECONDS = 12 * 3600
_PURPOSE = "console-session"
FLASH_COOKIE = "openams_console_flash"
FLASH_SECONDS = 60
FLASH_MAX_CHARS = 500
FLASH_KINDS = ("notice", "error")
_FLASH_PURPOSE = "console-flash"


#: The user's current session epoch (None: no such user), read from the database.
EpochLookup = Callable[[str], int | None]


def _no_sessions(_user: str) -> int | None:
    return None


class Sessions:
    """``{"u": username, "e": session epoch, "exp": epoch seconds}`` in an HMAC-signed,
    HttpOnly cookie; and the one-shot flash message of the last action, in another.

    The signature and the age are not enough: a session is good only while its ``e`` is
    the user's current session epoch in the database, which sign-out and a new password
    move on (:meth:`ConsoleService.end_sessions`, ``set_password``). Until a lookup is
    attached (:meth:`attach`), no session is good.
    """

    def __init__(
        self,
        signer: TicketSigner,
        *,
        now: Callable[[], float] = time.time,
        epoch_of: EpochLookup = _no_sessions,
    ) -> None:
        self._signer = signer
        self._now = now
        self._epoch_of = epoch_of

    def attach(self, epoch_of: EpochLookup) -> None:
        """Check sessions against ``epoch_of`` (the console service's stored epochs)."""
        self._epoch_of = epoch_of

    def user(self, request: Request) -> str | None:
        data = self._signer.unsign(_PURPOSE, request.cookies.get(SESSION_COOKIE))
        if data is None:
            return None
        user, epoch, expires = data.get("u"), data.get("e"), data.get("exp")
        if not isinstance(user, str) or not isinstance(expires, int | float):
            return None
        if not isinstance(epoch, int) or isinstance(epoch, bool) or expires <= self._now():
            return None
        return user if self._epoch_of(user) == epoch else None

    def start(self, request: Request, response: Response, user: str, epoch: int) -> None:
        data = {"u": user, "e": epoch, "exp": int(self._now()) + SESSION_SECONDS}
        ticket = self._signer.sign(_PURPOSE, data)
        response.set_cookie(
            SESSION_COOKIE,
            ticket,
            max_age=SESSION_SECONDS,
            httponly=True,
            samesite="lax",
            secure=request.url.scheme == "https",
            path="/console",
        )

    @staticmethod
    def end(response: Response) -> None:
        response.delete_cookie(SESSION_COOKIE, path="/console", httponly=True, samesite="lax")

    # A flash message is the outcome of an action, shown once on the page the action
    # redirects to. It travels in a signed cookie, not in the URL, so a crafted link
    # cannot put words in the console's mouth.

    def flash(self, request: Request, response: Response, kind: str, text: str) -> None:
        data = {"k": kind, "t": text[:FLASH_MAX_CHARS], "exp": int(self._now()) + FLASH_SECONDS}
        response.set_cookie(
            FLASH_COOKIE,
            self._signer.sign(_FLASH_PURPOSE, data),
            max_age=FLASH_SECONDS,
            httponly=True,
            samesite="lax",
            secure=request.url.scheme == "https",
            path="/console",
        )

    def flashed(self, request: Request) -> tuple[str, str] | None:
        """The pending (kind, text) message, if its cookie is present, signed and fresh."""
        data = self._signer.unsign(_FLASH_PURPOSE, request.cookies.get(FLASH_COOKIE))
        if data is None:
            return None
        kind, text, expires = data.get("k"), data.get("t"), data.get("exp")
        if kind not in FLASH_KINDS or not isinstance(text, str):
            return None
        return (kind, text) if isinstance(expires, int) and expires > self._now() else None

    @staticmethod
    def clear_flash(request: Request, response: Response) -> None:
        if FLASH_COOKIE in request.cookies:
            response.delete_cookie(FLASH_COOKIE, path="/console", httponly=True, samesite="lax")


class LoginLimiter:
    """Failed sign-ins per ``window`` seconds: at most ``per_user_and_address`` for one
    (username, client address) pair and ``per_address`` for one client address.

    There is no limit per username alone: that would let anyone lock the real user out
    by failing on purpose. An address over its limit gets 429 (for every username, or for
    the one it failed on) until its oldest counted failure is ``window`` seconds old; a
    refused attempt is not counted, so the wait is never longer than the window. A
    successful sign-in forgets the pair's failures.
    """

    def __init__(
        self,
        per_user_and_address: int = 5,
        per_address: int = 20,
        window: float = 60.0,
        *,
        now: Callable[[], float] = time.monotonic,
    ) -> None:
        self.per_user_and_address = per_user_and_address
        self.per_address = per_address
        self.window = window
        self._now = now
        self._failures: dict[tuple[str, ...], deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: tuple[str, ...], now: float) -> deque[float]:
        found = self._failures.setdefault(key, deque())
        while found and found[0] <= now - self.window:
            found.popleft()
        return found

    def _limits(self, ip: str, user: str) -> tuple[tuple[tuple[str, ...], int], ...]:
        where = client_network(ip)
        return (
            (("address", where), self.per_address),
            (("pair", where, user), self.per_user_and_address),
        )

    def blocked(self, ip: str, user: str) -> bool:
        now = self._now()
        with self._lock:
            return any(
                len(self._recent(key, now)) >= limit for key, limit in self._limits(ip, user)
            )

    def fail(self, ip: str, user: str) -> None:
        now = self._now()
        with self._lock:
            if len(self._failures) > 100_000:
                self._failures.clear()
            for key, _limit in self._limits(ip, user):
                self._recent(key, now).append(now)

    def succeeded(self, ip: str, user: str) -> None:
        with self._lock:
            self._failures.pop(("pair", client_network(ip), user), None)


def client_network(ip: str) -> str:
    """What the limiter counts as one client: an IPv4 address, or an IPv6 address's /64
    (one subscriber's prefix, whose 2**64 addresses would otherwise each get their own
    limit). Anything unparsable counts as itself."""
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return ip
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)
