"""Console, Developers: the merchant's AMS calls (request log) and notifications.

- ``/console/m/{clientId}/requests``: the calls, newest first, filtered by path, result
  and request id, 50 a page (keyset: ``before=<logId>`` for Next, ``after=<logId>`` for
  Previous, :mod:`openams.gateway.web.console.pager`); each call's detail with its
  headers and bodies, the signature check and a copy-as-curl command.
- ``/console/m/{clientId}/notifications``: the notifications, newest first; each one's
  attempts with the signed headers and body sent; resend it.
- ``/console/m/{clientId}/test-notification``: send a signed test notification.

A merchant's pages show only its own calls and notifications: an id of another
merchant's is "not found". Filters that make no sense are refused with 400 and say why.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from starlette.responses import Response

from openams.gateway.domain.clock import iso_millis
from openams.gateway.domain.errors import DomainError
from openams.gateway.domain.merchant import Merchant
from openams.gateway.domain.notification import NotifyType
from openams.gateway.domain.request_log import MAX_ID, MAX_PATH, LogEntry, LogQuery
from openams.gateway.json_depth import NESTS_TOO_DEEP, too_deep
from openams.gateway.services.developer_console import DeveloperConsole
from openams.gateway.services.notification_events import sent_body
from openams.gateway.services.request_log import as_curl, body_value
from openams.gateway.services.sandbox import TEST_NOTIFICATION_TYPES, sample_notification
from openams.gateway.web.cashier.csrf import Csrf
from openams.gateway.web.console.pager import CURSORS, pager_links
from openams.gateway.web.console.routes import (
    PREFIX,
    Console,
    ConsoleServices,
    FilterError,
    OptText,
    Text,
)
from openams.gateway.web.console.security import Sessions

RESULT_STATUSES = ("S", "F", "U")
_RESULT_CODE = re.compile(r"[A-Z0-9_]{1,64}")
_NOTIFICATION_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
#: A test notification body, at most (the dispatcher sends it as it is).
MAX_TEST_BODY = 64 * 1024


def pretty(value: Any) -> str:
    """JSON indented for reading; text as it is."""
    if isinstance(value, str):
        return value
    return json.dumps(value, indent=2, ensure_ascii=False)


def pretty_body(text: str) -> str:
    return pretty(body_value(text))


def _request_query(client_id: str, params: dict[str, str]) -> LogQuery:
    path = params.get("path", "").strip()
    if len(path) > MAX_PATH:
        raise FilterError(f"the path filter is longer than {MAX_PATH} characters")
    code = params.get("code", "").strip().upper()
    if code and not _RESULT_CODE.fullmatch(code):
        raise FilterError(
            f"result code {code[:64]!r} is not a result code (letters, digits and _, "
            "e.g. SUCCESS or PARAM_ILLEGAL)"
        )
    status = params.get("status", "").strip().upper()
    if status and status not in RESULT_STATUSES:
        raise FilterError(f"result status {status[:16]!r} is not one of S, F or U")
    request_id = params.get("id", "").strip()
    if len(request_id) > MAX_ID:
        raise FilterError(f"a request id has at most {MAX_ID} characters")
    cursors: dict[str, int | None] = {}
    for name in CURSORS:
        text = params.get(name, "").strip()
        if text and not (text.isdigit() and len(text) <= 18):
            raise FilterError(f"{name}={text[:32]!r} is not a log id (a whole number)")
        cursors[name] = int(text) if text else None
    return LogQuery(
        client_id=client_id,
        path=path or None,
        result_code=code or None,
        result_status=status or None,
        request_id=request_id or None,
        before=cursors["before"],
        after=cursors["after"],
    )


def _notification_filters(
    params: dict[str, str],
) -> tuple[list[str], str | None, dict[str, str | None]]:
    kind = params.get("type", "").strip()
    if kind and kind not in NotifyType.__members__:
        raise FilterError(
            f"type {kind[:40]!r} is not a notification type ({', '.join(NotifyType.__members__)})"
        )
    payment_id = params.get("payment", "").strip()
    if len(payment_id) > MAX_ID:
        raise FilterError(f"a paymentId has at most {MAX_ID} characters")
    cursors: dict[str, str | None] = {}
    for name in CURSORS:
        text = params.get(name, "").strip()
        if text and not _NOTIFICATION_ID.fullmatch(text):
            raise FilterError(f"{name}={text[:32]!r} is not a notification id")
        cursors[name] = text or None
    return ([kind] if kind else []), payment_id or None, cursors


def developers_router(
    services: ConsoleServices, csrf: Csrf, sessions: Sessions, *, base_url: str
) -> APIRouter:
    """``base_url``: the gateway's public URL, where the curl commands send requests."""
    if services.developers is None:
        raise ValueError("the Developers pages need ConsoleServices.developers")
    developers: DeveloperConsole = services.developers
    c = Console(services, csrf, sessions)
    c.env.filters["iso_ms"] = lambda ms: "" if ms is None else iso_millis(ms)
    c.env.filters["pretty"] = pretty
    c.env.filters["pretty_body"] = pretty_body
    router = APIRouter(prefix=PREFIX, include_in_schema=False)

    def base(client_id: str) -> str:
        return f"{PREFIX}/m/{quote(client_id, safe='')}"

    # ------------------------------------------------------------ requests

    @router.get("/m/{client_id}/requests")
    def requests_page(request: Request, client_id: str) -> Response:
        seen = c.signed_in_view(request, client_id)
        if isinstance(seen, Response):
            return seen
        user, merchant = seen
        params = dict(request.query_params)
        context: dict[str, Any] = dict(
            user=user, merchant=merchant, query=params, statuses=RESULT_STATUSES
        )
        try:
            query = _request_query(client_id, params)
        except FilterError as exc:
            return c.render(
                request, "requests.html", status=400, failure=str(exc), page=None, **context
            )
        page = developers.requests(query)
        pager = pager_links(f"{base(client_id)}/requests", params, page, lambda e: str(e.log_id))
        return c.render(request, "requests.html", page=page, pager=pager, failure=None, **context)

    @router.get("/m/{client_id}/requests/{log_id}")
    def request_detail(request: Request, client_id: str, log_id: str) -> Response:
        seen = c.signed_in_view(request, client_id)
        if isinstance(seen, Response):
            return seen
        user, merchant = seen
        entry: LogEntry | None = None
        if log_id.isdigit() and len(log_id) <= 18:
            entry = developers.request(client_id, int(log_id))
        if entry is None:
            return c.page(
                request, 404, "No such request", f"{client_id} has no logged call {log_id}."
            )
        payment = developers.payment_of(entry)
        notifications = (
            developers.payment_notifications(client_id, payment.payment_id) if payment else []
        )
        return c.render(
            request,
            "request.html",
            user=user,
            merchant=merchant,
            e=entry,
            ids=entry.request_ids(),
            payment=payment,
            notifications=notifications,
            curl=as_curl(entry, base_url),
        )

    # ------------------------------------------------------- notifications

    @router.get("/m/{client_id}/notifications")
    def notifications_page(request: Request, client_id: str) -> Response:
        seen = c.signed_in_view(request, client_id)
        if isinstance(seen, Response):
            return seen
        user, merchant = seen
        params = dict(request.query_params)
        context: dict[str, Any] = dict(
            user=user, merchant=merchant, query=params, types=list(NotifyType.__members__)
        )
        try:
            types, payment_id, cursors = _notification_filters(params)
        except FilterError as exc:
            return c.render(
                request, "notifications.html", status=400, failure=str(exc), page=None, **context
            )
        page = developers.notifications(
            client_id,
            notify_types=types,
            payment_id=payment_id,
            before=cursors["before"],
            after=cursors["after"],
        )
        pager = pager_links(
            f"{base(client_id)}/notifications", params, page, lambda n: n.notification_id
        )
        return c.render(
            request, "notifications.html", page=page, pager=pager, failure=None, **context
        )

    @router.get("/m/{client_id}/notifications/{notification_id}")
    def notification_detail(request: Request, client_id: str, notification_id: str) -> Response:
        seen = c.signed_in_view(request, client_id)
        if isinstance(seen, Response):
            return seen
        user, merchant = seen
        found = developers.notification(client_id, notification_id)
        if found is None:
            return c.page(
                request,
                404,
                "No such notification",
                f"{client_id} has no notification {notification_id}.",
            )
        notification, attempts = found
        return c.render(
            request,
            "notification.html",
            user=user,
            merchant=merchant,
            n=notification,
            attempts=attempts,
            body=sent_body(notification),
            payment=developers.payment(client_id, notification.payment_id),
        )

    @router.post("/m/{client_id}/notifications/{notification_id}/resend")
    def resend(
        request: Request, client_id: str, notification_id: str, csrf_token: OptText = None
    ) -> Response:
        _user, refused = c.guard(request, csrf_token)
        if refused is not None:
            return refused
        merchant = c.merchant(client_id)
        if merchant is None:
            return c.page(request, 404, "No such merchant", f"{client_id} is not registered.")
        back = f"{base(client_id)}/notifications/{quote(notification_id, safe='')}"
        try:
            out = services.sandbox.resend(merchant, None, None, notification_id)
        except DomainError as exc:
            return c.flash_redirect(request, back, "error", f"{exc.code}: {exc.message}")
        new_id = str(out["notificationId"])
        return c.flash_redirect(
            request,
            f"{base(client_id)}/notifications/{quote(new_id, safe='')}",
            "notice",
            f"notification {notification_id} queued again as {new_id}",
        )

    # ---------------------------------------------------- test notification

    def test_form(
        request: Request,
        user: str,
        merchant: Merchant,
        kind: str,
        body: str,
        url: str,
        *,
        status: int = 200,
        failure: str | None = None,
    ) -> Response:
        return c.render(
            request,
            "test_notification.html",
            status=status,
            user=user,
            merchant=merchant,
            types=TEST_NOTIFICATION_TYPES,
            kind=kind,
            body=body,
            url=url,
            failure=failure,
        )

    @router.get("/m/{client_id}/test-notification")
    def test_notification_form(request: Request, client_id: str) -> Response:
        seen = c.signed_in_view(request, client_id)
        if isinstance(seen, Response):
            return seen
        user, merchant = seen
        kind = request.query_params.get("type") or TEST_NOTIFICATION_TYPES[0]
        url = merchant.notify_url or ""
        if kind not in TEST_NOTIFICATION_TYPES:
            return test_form(
                request,
                user,
                merchant,
                TEST_NOTIFICATION_TYPES[0],
                "",
                url,
                status=400,
                failure=f"type {kind[:40]!r} is not one of {', '.join(TEST_NOTIFICATION_TYPES)}",
            )
        sample = sample_notification(NotifyType(kind), services.console.clock())
        return test_form(request, user, merchant, kind, pretty(sample), url)

    @router.post("/m/{client_id}/test-notification")
    def send_test_notification(
        request: Request,
        client_id: str,
        notify_type: Text = "",
        body: Text = "",
        url: Text = "",
        csrf_token: OptText = None,
    ) -> Response:
        user, refused = c.guard(request, csrf_token)
        if refused is not None or user is None:
            return refused or c.redirect(f"{PREFIX}/login")
        merchant = c.merchant(client_id)
        if merchant is None:
            return c.page(request, 404, "No such merchant", f"{client_id} is not registered.")
        url = url.strip()

        def again(failure: str) -> Response:
            kind = notify_type if notify_type in TEST_NOTIFICATION_TYPES else "PAYMENT_RESULT"
            return test_form(request, user, merchant, kind, body, url, status=400, failure=failure)

        if notify_type not in TEST_NOTIFICATION_TYPES:
            return again(f"the type must be one of {', '.join(TEST_NOTIFICATION_TYPES)}")
        if len(body.encode()) > MAX_TEST_BODY:
            return again(f"the body is larger than {MAX_TEST_BODY // 1024} KiB")
        try:
            parsed = json.loads(body)
        except RecursionError:  # json's C parser, cleanly
            return again(f"the body {NESTS_TOO_DEEP}")
        except ValueError as exc:
            return again(f"the body is not JSON: {exc}")
        if not isinstance(parsed, dict):
            return again("the body must be a JSON object ({...})")
        if too_deep(body, parsed):
            return again(f"the body {NESTS_TOO_DEEP}")
        if not url and not merchant.notify_url:
            return again("the merchant has no notify URL: give a URL here, or set one in Settings")
        try:
            out = services.sandbox.send_test_notification(
                merchant, notify_type, parsed, url or None
            )
        except DomainError as exc:
            return again(f"{exc.code}: {exc.message}")
        new_id = str(out["notificationId"])
        return c.flash_redirect(
            request,
            f"{base(client_id)}/notifications/{quote(new_id, safe='')}",
            "notice",
            f"test notification {new_id} queued to {out.get('url') or 'no URL'}",
        )

    return router
