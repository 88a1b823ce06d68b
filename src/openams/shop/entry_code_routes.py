"""Routes of the entry-code counter: the store's QR code, the amount page, the result page.

``entry_code_router`` is registered by ``create_shop_app``, which lends it its page
renderer, CSRF check and order-ownership check, so these pages share the shop's
session cookie and rules.
"""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Annotated, Any
from urllib.parse import urlsplit

from fastapi import APIRouter, FastAPI, Form, HTTPException, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from openams.sdk import ApiError, OpenAmsError
from openams.shop.entry_code import (
    DEFAULT_STORE,
    STORES,
    AmountInputError,
    EntryCodeDesk,
    StoreInfo,
    parse_amount,
)

#: ``page(request, template, context, status)`` of the shop app.
PageRenderer = Callable[..., Response]
#: User agents of wallet web views carry one of these tokens (the sandbox wallet: the last).
WALLET_MARKERS = ("AlipayClient", "AlipayConnect", "OpenAMSWallet")
#: What the page names the gateway's wallet simulator (/wallet/scan in any browser).
SIMULATOR = "the openams wallet simulator"


def origin_of(url: str) -> str:
    parts = urlsplit(url.strip())
    return f"{parts.scheme}://{parts.netloc}".lower() if parts.scheme and parts.netloc else ""


def wallet_of(user_agent: str, referer: str = "", gateway_url: str = "") -> str | None:
    """The wallet the page was opened in, if any: a wallet web view's User-Agent token,
    else the gateway's wallet simulator, which opens scanned links with its origin as the
    Referer (any browser can run it, so its User-Agent tells nothing)."""
    marker = next((marker for marker in WALLET_MARKERS if marker in user_agent), None)
    if marker is not None:
        return marker
    if referer and gateway_url and origin_of(referer) == origin_of(gateway_url):
        return SIMULATOR
    return None


def store_or_404(page: PageRenderer, request: Request, store_id: str) -> StoreInfo | Response:
    """The store, or the shop's "no such store" page (404)."""
    store = STORES.get(store_id)
    if store is None:
        return page(request, "entry_missing.html", {"store_id": store_id[:32]}, 404)
    return store


def desk_order(
    desk: EntryCodeDesk, own_order: Callable[[Request, str], Any], request: Request, order_id: str
) -> Any:
    """An in-store order of this browser's session, else 404."""
    order = own_order(request, order_id)
    if not desk.is_entry_order(order_id):
        raise HTTPException(status_code=404, detail="no such order")
    return order


class Sweeper:
    """Background settle() of open entry-code orders, every poll interval (at least 1 s)."""

    def __init__(self, desk: EntryCodeDesk) -> None:
        self._desk = desk
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="openams-shop-entry", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def _run(self) -> None:
        interval = max(1.0, self._desk.shop.settings.poll_interval_seconds)
        while not self._stop.wait(interval):
            try:
                self._desk.sweep()
            except Exception:  # keep sweeping; the next round tries again
                continue

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=10)


def entry_code_router(
    desk: EntryCodeDesk,
    *,
    page: PageRenderer,
    check_csrf: Callable[[Request, str], str],
    own_order: Callable[[Request, str], Any],
    background: bool = True,
) -> APIRouter:
    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        sweeper = Sweeper(desk) if background else None
        if sweeper is not None:
            sweeper.start()
        try:
            yield
        finally:
            if sweeper is not None:
                sweeper.stop()

    router = APIRouter(include_in_schema=False, lifespan=lifespan)

    def entry_order(request: Request, order_id: str) -> Any:
        return desk_order(desk, own_order, request, order_id)

    def amount_page(
        request: Request,
        store: StoreInfo,
        *,
        amount: str = "",
        error: str = "",
        status: int = 200,
        opened_in: str = "",
    ) -> Response:
        user_agent = request.headers.get("user-agent", "")
        wallet = wallet_of(
            user_agent, request.headers.get("referer", ""), desk.shop.settings.gateway_url
        )
        # Shown again after a refused amount: the form remembers where it was opened.
        if wallet is None and opened_in in (*WALLET_MARKERS, SIMULATOR):
            wallet = opened_in
        context = {
            "store": store,
            "amount": amount,
            "error": error,
            "wallet": wallet,
            "user_agent": user_agent,
        }
        return page(request, "entry_amount.html", context, status)

    @router.get("/store")
    def default_store() -> Response:
        return RedirectResponse(f"/stores/{DEFAULT_STORE}/entry-code", status_code=303)

    @router.get("/stores/{store_id}/entry-code")
    def entry_code(request: Request, store_id: str) -> Response:
        store = store_or_404(page, request, store_id)
        if not isinstance(store, StoreInfo):
            return store
        context = {
            "store": store,
            "entry_url": desk.entry_url(store),
            "stores": STORES,
            "wallet_scan_url": f"{desk.shop.settings.gateway_url.rstrip('/')}/wallet/scan",
        }
        return page(request, "entry_code.html", context)

    @router.get("/stores/{store_id}/entry-code.png")
    def entry_code_image(store_id: str) -> Response:
        store = STORES.get(store_id)
        if store is None:
            return Response("no such store", status_code=404, media_type="text/plain")
        return Response(desk.entry_code_png(store), media_type="image/png")

    @router.get("/stores/{store_id}/pay")
    def amount_form(request: Request, store_id: str) -> Response:
        store = store_or_404(page, request, store_id)
        return store if not isinstance(store, StoreInfo) else amount_page(request, store)

    @router.post("/stores/{store_id}/pay")
    def entry_pay(
        request: Request,
        store_id: str,
        csrf: Annotated[str, Form()],
        amount: Annotated[str, Form()] = "",
        opened_in: Annotated[str, Form()] = "",
    ) -> Response:
        session_id = check_csrf(request, csrf)
        store = store_or_404(page, request, store_id)
        if not isinstance(store, StoreInfo):
            return store
        typed = amount[:32]
        try:
            minor = parse_amount(typed, desk.currency)
        except AmountInputError as exc:
            return amount_page(
                request, store, amount=typed, error=str(exc), status=400, opened_in=opened_in
            )
        client_ip = request.client.host if request.client else None
        try:
            order_id, redirect = desk.start(
                session_id, store, minor, request.headers.get("user-agent", ""), client_ip
            )
        except ApiError as exc:
            error = f"The payment was refused: {exc.result_code} {exc.result_message or ''}"
            return amount_page(
                request, store, amount=typed, error=error.strip(), status=402, opened_in=opened_in
            )
        except OpenAmsError:
            error = "The payment service did not answer; nothing was charged. Try again."
            return amount_page(
                request, store, amount=typed, error=error, status=503, opened_in=opened_in
            )
        if redirect is None:
            return RedirectResponse(f"/store-orders/{order_id}", status_code=303)
        if redirect.is_form:
            return page(request, "form_post.html", {"redirect": redirect})
        return RedirectResponse(redirect.url, status_code=303)

    @router.get("/store-orders/{order_id}")
    def entry_result(request: Request, order_id: str) -> Response:
        # Never trust the redirect: the page asks /status, which asks the database and,
        # for an open payment, inquiryPayment.
        order = entry_order(request, order_id)
        context = {
            "order": order,
            "store": desk.store_of(order_id),
            "poll_ms": max(500, int(desk.shop.settings.poll_interval_seconds * 1000)),
        }
        return page(request, "entry_result.html", context)

    @router.get("/store-orders/{order_id}/status")
    def entry_status(request: Request, order_id: str) -> JSONResponse:
        entry_order(request, order_id)
        desk.settle(order_id)
        order = entry_order(request, order_id)
        payments = desk.shop.payments_of(order_id)
        last = payments[-1] if payments else None
        return JSONResponse(
            {
                "orderId": order_id,
                "status": order["status"],
                "paymentStatus": last["status"] if last else None,
                "resultCode": last["result_code"] if last else None,
            },
            headers={"Cache-Control": "no-store"},
        )

    @router.post("/store-orders/{order_id}/cancel")
    def entry_cancel(request: Request, order_id: str, csrf: Annotated[str, Form()]) -> Response:
        check_csrf(request, csrf)
        entry_order(request, order_id)
        desk.abandon(order_id)
        return RedirectResponse(f"/store-orders/{order_id}", status_code=303)

    return router
