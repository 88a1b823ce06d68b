"""Composition root of the shop: ``create_shop_app(settings)``."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated, Any

from fastapi import FastAPI, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.concurrency import run_in_threadpool

from openams.protocol.money import from_minor
from openams.sdk import (
    ApiError,
    Client,
    MessageFormatError,
    OpenAmsError,
    SignatureVerificationError,
    notification_ack,
)
from openams.shop.admin import install_admin_routes
from openams.shop.admin_orders import admin_orders_router
from openams.shop.after_sales import AfterSales
from openams.shop.catalogue import PRODUCTS
from openams.shop.embedded import start_embedded
from openams.shop.entry_code import EntryCodeDesk
from openams.shop.entry_code_routes import entry_code_router
from openams.shop.service import PaymentMismatch, Shop, terminal_for
from openams.shop.settings import ShopSettings
from openams.shop.store import create_engine
from openams.shop.till import Till
from openams.shop.till_routes import till_router

SESSION_COOKIE = "openams_shop_session"
TEMPLATES = Path(__file__).with_name("templates")
STATIC = Path(__file__).with_name("static")


def gross_settlement_of(payment: Any) -> dict[str, str] | None:
    """A payment's grossSettlementAmount (AlipayCN) in wire form, if the gateway sent one."""
    if payment["gross_settlement_currency"] is None:
        return None
    return {
        "currency": payment["gross_settlement_currency"],
        "value": str(payment["gross_settlement_value"]),
    }


class Poller:
    """Background inquiry polling of open payments, every ``poll_interval_seconds``."""

    def __init__(self, shop: Shop) -> None:
        self._shop = shop
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="openams-shop-poller", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self._shop.settings.poll_interval_seconds):
            try:
                self._shop.poll_open_payments()
            except Exception:  # keep polling; the next round tries again
                continue

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=10)


def build_client(settings: ShopSettings) -> Client:
    return Client(
        client_id=settings.client_id,
        private_key=settings.private_key_file.read_text(),
        gateway_public_key=settings.gateway_public_key_file.read_text(),
        base_url=settings.gateway_url,
        key_version=settings.key_version,
        timeout=settings.gateway_timeout_seconds,
    )


def create_shop_app(
    settings: ShopSettings | None = None,
    *,
    client: Client | None = None,
    background_poll: bool = True,
) -> FastAPI:
    """The shop's ASGI app: its own SQLite database, the gateway only through ``openams.sdk``."""
    settings = settings or ShopSettings()
    engine = create_engine(settings.database_path)
    shop = Shop(settings, engine, client or build_client(settings))
    secret = (settings.secret or secrets.token_hex(32)).encode()
    templates = Jinja2Templates(directory=str(TEMPLATES))
    templates.env.globals["money"] = lambda value, currency: (
        f"{currency} {from_minor(int(value), currency)}"
    )

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        poller = Poller(shop) if background_poll else None
        if poller is not None:
            poller.start()
        try:
            yield
        finally:
            if poller is not None:
                poller.stop()
            shop.client.close()
            engine.dispose()

    app = FastAPI(title="openams shop", lifespan=lifespan, docs_url=None, redoc_url=None)
    app.state.shop = shop
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    after_sales = AfterSales(shop)

    def session_of(request: Request) -> str | None:
        value = request.cookies.get(SESSION_COOKIE)
        return value if value and len(value) == 32 and value.isalnum() else None

    def csrf_for(session_id: str) -> str:
        return hmac.new(secret, session_id.encode(), hashlib.sha256).hexdigest()

    def check_csrf(request: Request, token: str) -> str:
        session_id = session_of(request)
        if session_id is None or not hmac.compare_digest(csrf_for(session_id), token):
            raise HTTPException(status_code=403, detail="invalid CSRF token")
        return session_id

    def page(request: Request, name: str, context: dict[str, Any], status: int = 200) -> Response:
        session_id = session_of(request) or secrets.token_hex(16)
        context = {"csrf": csrf_for(session_id), "currency": settings.currency, **context}
        response = templates.TemplateResponse(request, name, context, status_code=status)
        if request.cookies.get(SESSION_COOKIE) != session_id:
            response.set_cookie(SESSION_COOKIE, session_id, httponly=True, samesite="lax")
        return response

    def own_order(request: Request, order_id: str) -> Any:
        order = shop.order(order_id)
        if order is None or order["session_id"] != session_of(request):
            raise HTTPException(status_code=404, detail="no such order")
        return order

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> Response:
        """A page for people, JSON for the status endpoints' fetch calls."""
        if "text/html" not in request.headers.get("accept", ""):
            return JSONResponse({"detail": exc.detail}, status_code=exc.status_code)
        context = {"status": exc.status_code, "message": str(exc.detail)}
        return page(request, "error.html", context, status=exc.status_code)

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/", response_class=HTMLResponse)
    def index(request: Request) -> Response:
        return page(request, "index.html", {"products": list(PRODUCTS.values())})

    @app.post("/cart/add")
    def cart_add(
        request: Request,
        product_id: Annotated[str, Form()],
        csrf: Annotated[str, Form()],
        quantity: Annotated[int, Form()] = 1,
    ) -> Response:
        session_id = check_csrf(request, csrf)
        try:
            shop.add_to_cart(session_id, product_id, quantity)
        except ValueError as exc:
            raise HTTPException(status_code=400, detail=str(exc)) from None
        return RedirectResponse("/cart", status_code=303)

    @app.get("/cart", response_class=HTMLResponse)
    def cart(request: Request) -> Response:
        session_id = session_of(request)
        lines = shop.cart(session_id) if session_id else []
        items = [(PRODUCTS[p], q) for p, q in lines]
        return page(request, "cart.html", {"items": items, "total": shop.total(lines)})

    @app.post("/checkout")
    def checkout(request: Request, csrf: Annotated[str, Form()]) -> Response:
        session_id = check_csrf(request, csrf)
        try:
            order_id = shop.place_order(session_id)
        except ValueError as exc:
            raise HTTPException(status_code=400, detail=str(exc)) from None
        return RedirectResponse(f"/orders/{order_id}/checkout", status_code=303)

    @app.get("/orders/{order_id}/checkout", response_class=HTMLResponse)
    def order_checkout(request: Request, order_id: str) -> Response:
        order = own_order(request, order_id)
        terminal, os_type = terminal_for(request.headers.get("user-agent", ""))
        error = None
        try:
            methods = shop.payment_methods(order["amount"], terminal, os_type)
        except OpenAmsError as exc:
            methods, error = [], f"payment methods are not available: {exc}"
        context = {
            "order": order,
            "methods": methods,
            "error": error,
            "attempt": shop.latest_attempt_id(order_id),
        }
        return page(request, "checkout.html", context)

    @app.post("/orders/{order_id}/pay")
    def pay(
        request: Request,
        order_id: str,
        method: Annotated[str, Form()],
        csrf: Annotated[str, Form()],
        attempt: Annotated[str | None, Form()] = None,
    ) -> Response:
        check_csrf(request, csrf)
        own_order(request, order_id)
        client_ip = request.client.host if request.client else None
        try:
            request_id, redirect = shop.pay(
                order_id,
                method[:64],
                request.headers.get("user-agent", ""),
                client_ip,
                page_token=attempt[:64] if attempt is not None else None,
            )
        except ValueError as exc:
            raise HTTPException(status_code=409, detail=str(exc)) from None
        except ApiError as exc:
            order = own_order(request, order_id)
            error = f"the payment was refused: {exc.result_code} {exc.result_message or ''}"
            context = {"order": order, "methods": [], "error": error}
            return page(request, "checkout.html", context, status=402)
        if redirect is None:
            return RedirectResponse(f"/orders/{order_id}/result?p={request_id}", status_code=303)
        if redirect.is_form:  # a POST redirectActionForm: the browser submits it
            return page(request, "form_post.html", {"redirect": redirect})
        return RedirectResponse(redirect.url, status_code=303)

    @app.post("/orders/{order_id}/embedded", response_class=HTMLResponse)
    def embedded(request: Request, order_id: str, csrf: Annotated[str, Form()]) -> Response:
        """The payment inside this page (openams-checkout.js and a payment session)."""
        check_csrf(request, csrf)
        order = own_order(request, order_id)
        client_ip = request.client.host if request.client else None
        try:
            request_id, session_data = start_embedded(
                shop, order_id, request.headers.get("user-agent", ""), client_ip
            )
        except ValueError as exc:
            raise HTTPException(status_code=409, detail=str(exc)) from None
        except ApiError as exc:
            error = f"the payment was refused: {exc.result_code} {exc.result_message or ''}"
            context = {"order": order, "methods": [], "error": error}
            return page(request, "checkout.html", context, status=402)
        context = {
            "order": order,
            "session_data": session_data,
            "sdk_url": f"{settings.gateway_url.rstrip('/')}/sdk/ams-checkout.js",
            "result_url": f"/orders/{order_id}/result?p={request_id}",
        }
        return page(request, "embedded.html", context)

    @app.get("/orders/{order_id}/result", response_class=HTMLResponse)
    def result(request: Request, order_id: str) -> Response:
        # Never trust the redirect (or its query): the page asks /status, which asks the
        # database and, for open payments, inquiryPayment.
        order = own_order(request, order_id)
        context = {
            "order": order,
            "poll_ms": int(settings.poll_interval_seconds * 1000),
            "processing_ms": int(settings.processing_after_seconds * 1000),
        }
        return page(request, "result.html", context)

    @app.post("/orders/{order_id}/cancel")
    def cancel_processing(
        request: Request, order_id: str, csrf: Annotated[str, Form()]
    ) -> Response:
        """The buyer gives up on a payment that is still processing; the order stays open."""
        check_csrf(request, csrf)
        own_order(request, order_id)
        after_sales.cancel_processing(order_id)
        return RedirectResponse(f"/orders/{order_id}/result", status_code=303)

    @app.get("/orders/{order_id}/status")
    def status(request: Request, order_id: str) -> JSONResponse:
        own_order(request, order_id)
        for payment in shop.payments_of(order_id):
            if payment["status"] in ("PENDING", "CANCELLING"):
                shop.refresh(payment["payment_request_id"])
        order = own_order(request, order_id)
        attempts = shop.payments_of(order_id)
        paid_via = next(
            (p["result_source"] for p in attempts if p["payment_request_id"] == order["paid_by"]),
            None,
        )
        return JSONResponse(
            {
                "orderId": order_id,
                "status": order["status"],
                "paidBy": order["paid_by"],
                "paidVia": paid_via,
                # Not while an attempt is still open: it is settled first (APM guide).
                "canPayAgain": order["status"] == "OPEN"
                and not any(p["status"] in ("PENDING", "CANCELLING") for p in attempts),
                "payments": [
                    {
                        "paymentRequestId": p["payment_request_id"],
                        "method": p["method"],
                        "status": p["status"],
                        "resultCode": p["result_code"],
                        "source": p["result_source"],
                        "grossSettlementAmount": gross_settlement_of(p),
                        "captureStatus": p["capture_status"],
                    }
                    for p in attempts
                ],
            }
        )

    @app.post("/notify")
    async def notify(request: Request) -> Response:
        body = await request.body()
        try:
            await run_in_threadpool(
                shop.handle_notification,
                request.method,
                request.url.path,
                dict(request.headers),
                body,
            )
        except SignatureVerificationError:
            return JSONResponse({"error": "signature verification failed"}, status_code=401)
        except MessageFormatError:
            return JSONResponse({"error": "malformed notification"}, status_code=400)
        except PaymentMismatch:  # logged; not acknowledged, so never taken as paid
            return JSONResponse({"error": "not this order's amount"}, status_code=409)
        return Response(notification_ack(), media_type="application/json")

    gate = install_admin_routes(
        app, shop, key=secret, page=page, session_of=session_of, check_csrf=check_csrf
    )
    app.include_router(
        admin_orders_router(after_sales, gate=gate, page=page, check_csrf=check_csrf)
    )
    app.state.entry_desk = EntryCodeDesk(shop)
    app.include_router(
        entry_code_router(
            app.state.entry_desk,
            page=page,
            check_csrf=check_csrf,
            own_order=own_order,
            background=background_poll,
        )
    )
    app.include_router(
        till_router(
            Till(app.state.entry_desk), page=page, check_csrf=check_csrf, own_order=own_order
        )
    )
    return app
