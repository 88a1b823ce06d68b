"""Routes of the store's till: the cashier's page, the order code it shows, the result.

Registered by ``create_shop_app`` with the shop's page renderer, CSRF check and
order-ownership check (as the entry-code counter is). The order page polls the entry-code
desk's ``/store-orders/{id}/status`` (which inquires and, once the time is over, cancels)
and offers its cancel.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import FileResponse, RedirectResponse, Response

from openams.sdk import ApiError, OpenAmsError
from openams.shop.entry_code import (
    DEFAULT_STORE,
    AmountInputError,
    StoreInfo,
    parse_amount,
)
from openams.shop.entry_code_routes import PageRenderer, desk_order, store_or_404
from openams.shop.till import PaymentCodeInputError, Till

#: The vendored QR decoder (static/vendor/jsqr-1.4.0/README.md).
JSQR = Path(__file__).with_name("static") / "vendor" / "jsqr-1.4.0" / "jsQR.js"


def till_router(
    till: Till,
    *,
    page: PageRenderer,
    check_csrf: Callable[[Request, str], str],
    own_order: Callable[[Request, str], Any],
) -> APIRouter:
    router = APIRouter(include_in_schema=False)
    desk = till.desk

    def till_page(
        request: Request,
        store: StoreInfo,
        *,
        amount: str = "",
        code: str = "",
        error: str = "",
        status: int = 200,
    ) -> Response:
        context = {"store": store, "amount": amount, "code": code, "error": error}
        return page(request, "till.html", context, status)

    def charge(
        request: Request, store_id: str, csrf: str, amount: str, code: str | None
    ) -> Response:
        session_id = check_csrf(request, csrf)
        store = store_or_404(page, request, store_id)
        if not isinstance(store, StoreInfo):
            return store
        typed, scanned = amount[:32], (code or "")[:64]
        again = {"amount": typed, "code": scanned}
        try:
            minor = parse_amount(typed, desk.currency)
            if code is None:
                order_id = till.show_order_code(session_id, store, minor)
            else:
                order_id = till.charge_payment_code(session_id, store, minor, scanned)
        except (AmountInputError, PaymentCodeInputError) as exc:
            return till_page(request, store, **again, error=str(exc), status=400)
        except ApiError as exc:
            error = f"Refused: {exc.result_code} {exc.result_message or ''}".strip()
            return till_page(request, store, **again, error=error, status=402)
        except OpenAmsError:
            error = "The payment service did not answer; nothing was charged. Try again."
            return till_page(request, store, **again, error=error, status=503)
        return RedirectResponse(f"/till-orders/{order_id}", status_code=303)

    @router.get("/till")
    def default_till() -> Response:
        return RedirectResponse(f"/stores/{DEFAULT_STORE}/till", status_code=303)

    @router.get("/stores/{store_id}/till")
    def till_form(request: Request, store_id: str) -> Response:
        store = store_or_404(page, request, store_id)
        return store if not isinstance(store, StoreInfo) else till_page(request, store)

    @router.post("/stores/{store_id}/till/order-code")
    def order_code(
        request: Request,
        store_id: str,
        csrf: Annotated[str, Form()],
        amount: Annotated[str, Form()] = "",
    ) -> Response:
        return charge(request, store_id, csrf, amount, None)

    @router.post("/stores/{store_id}/till/payment-code")
    def payment_code(
        request: Request,
        store_id: str,
        csrf: Annotated[str, Form()],
        amount: Annotated[str, Form()] = "",
        code: Annotated[str, Form()] = "",
    ) -> Response:
        return charge(request, store_id, csrf, amount, code)

    def till_order(request: Request, order_id: str) -> Any:
        return desk_order(desk, own_order, request, order_id)

    @router.get("/till-orders/{order_id}")
    def order_page(request: Request, order_id: str) -> Response:
        order = till_order(request, order_id)
        found = till.order_code(order_id)
        context = {
            "order": order,
            "store": desk.store_of(order_id),
            "code_value": found[0] if found else None,
            "expire_time": found[1] if found else None,
            "poll_ms": max(500, int(desk.shop.settings.poll_interval_seconds * 1000)),
        }
        return page(request, "till_order.html", context)

    @router.get("/till-orders/{order_id}/code.png")
    def order_code_image(request: Request, order_id: str) -> Response:
        till_order(request, order_id)
        image = till.order_code_png(order_id)
        if image is None:
            return Response("no order code", status_code=404, media_type="text/plain")
        return Response(image, media_type="image/png", headers={"Cache-Control": "no-store"})

    @router.get("/till/static/jsQR.js")
    def jsqr() -> Response:
        return FileResponse(JSQR, media_type="text/javascript")

    return router
