"""The admin's order pages: every order, and one order with refund and cancel.

Behind the same ``AdminGate`` as reconciliation; every form carries the CSRF token. A
refund or cancel that worked redirects back to the order page (POST, redirect, GET: a
reload never sends it twice); one that did not shows the page again with the reason.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from openams.protocol.money import from_minor
from openams.shop.admin import AdminGate, Page
from openams.shop.after_sales import AfterSaleError, AfterSales

#: Messages after a refund or cancel, by the ``done`` query value (never free text).
DONE = {
    "refund": "Refunded.",
    "refund-pending": "The refund is being processed; this page shows its result.",
    "cancel": "Cancelled.",
}


def admin_orders_router(
    after_sales: AfterSales,
    *,
    gate: AdminGate,
    page: Page,
    check_csrf: Callable[[Request, str], str],
) -> APIRouter:
    router = APIRouter(include_in_schema=False)

    def order_page(
        request: Request, order_id: str, *, error: str | None = None, status: int = 200
    ) -> Response:
        after_sales.refresh_refunds(order_id)
        view = after_sales.view(order_id)
        if view is None:
            return page(request, "admin_missing.html", {"order_id": order_id[:64]}, 404)
        currency = view.order["currency"]
        context: dict[str, Any] = {
            "view": view,
            "error": error,
            "done": DONE.get(request.query_params.get("done", "")),
            "refundable_major": str(from_minor(view.refundable, currency)),
        }
        return page(request, "admin_order.html", context, status)

    @router.get("/admin/orders")
    def order_list(request: Request) -> Response:
        refusal = gate.refusal(request)
        if refusal is not None:
            return refusal
        return page(request, "admin_orders.html", {"orders": after_sales.recent_orders()}, 200)

    @router.get("/admin/orders/{order_id}")
    def order_detail(request: Request, order_id: str) -> Response:
        return gate.refusal(request) or order_page(request, order_id)

    @router.post("/admin/orders/{order_id}/refund")
    def refund(
        request: Request,
        order_id: str,
        csrf: Annotated[str, Form()],
        amount: Annotated[str, Form()] = "",
    ) -> Response:
        check_csrf(request, csrf)
        refusal = gate.refusal(request)
        if refusal is not None:
            return refusal
        try:
            made = after_sales.refund(order_id, amount)
        except AfterSaleError as exc:
            return order_page(request, order_id, error=str(exc), status=400)
        done = "refund" if made["status"] == "SUCCESS" else "refund-pending"
        return RedirectResponse(f"/admin/orders/{order_id}?done={done}", status_code=303)

    @router.post("/admin/orders/{order_id}/cancel")
    def cancel(request: Request, order_id: str, csrf: Annotated[str, Form()]) -> Response:
        check_csrf(request, csrf)
        refusal = gate.refusal(request)
        if refusal is not None:
            return refusal
        try:
            after_sales.cancel(order_id)
        except AfterSaleError as exc:
            return order_page(request, order_id, error=str(exc), status=409)
        return RedirectResponse(f"/admin/orders/{order_id}?done=cancel", status_code=303)

    return router
