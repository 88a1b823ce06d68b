"""The wallet simulator's payment code (user-presented mode): what a buyer shows the cashier.

``/wallet/paycode`` asks for a sandbox account; each code page shows a barcode, a QR code
and the digits of a code that pays once and changes every minute. The page reloads
itself: when the merchant's pay used the code for an amount the buyer must confirm, it
becomes the wallet's confirmation page; when the payment ended, its result page.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from openams.gateway.domain.errors import DomainError
from openams.gateway.domain.payment_codes import CONFIRM_FROM_VALUE
from openams.gateway.domain.transitions import PaymentStatus
from openams.gateway.services.cashier import CashierService, LinkNotFound, LinkState
from openams.gateway.services.payment_codes import PaymentCodeService
from openams.gateway.web.cashier.barcode import code128_svg
from openams.gateway.web.cashier.csrf import Csrf
from openams.gateway.web.cashier.qr import qr_png
from openams.gateway.web.cashier.routes import Pages

#: How often the code page looks again (a used code, or a new minute).
REFRESH_SECONDS = 3
_IMAGE_HEADERS = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}


def payment_code_router(
    codes: PaymentCodeService, cashier: CashierService, csrf: Csrf
) -> APIRouter:
    pages = Pages(csrf)
    router = APIRouter(include_in_schema=False)

    def start(request: Request, buyer: str = "", error: str = "", status: int = 200) -> Response:
        return pages.render(
            request,
            "wallet_paycode_start.html",
            status=status,
            buyer=buyer,
            error=error,
            confirm_from=CONFIRM_FROM_VALUE,
        )

    def new_code(buyer: str) -> RedirectResponse:
        shown = codes.issue(buyer)
        return RedirectResponse(f"/wallet/paycode/{shown.code.code_id}", status_code=303)

    @router.get("/wallet/paycode")
    def paycode_start(request: Request) -> Response:
        return start(request)

    @router.get("/wallet/paycode/new")
    def paycode_new(request: Request, buyer: str = "") -> Response:
        try:
            return new_code(buyer)
        except DomainError as error:
            return start(request, buyer[:64], error.message, 400)

    @router.get("/wallet/paycode/{code_id}")
    def paycode(request: Request, code_id: str) -> Response:
        shown = codes.shown(code_id)
        if shown is None:
            return pages.link_error(
                request,
                404,
                "Payment code not found",
                "This payment code page is not valid. Open the wallet's payment code again.",
            )
        code = shown.code
        payment = codes.payment_of(code)
        if payment is None:
            seconds_left = (code.expires_at - codes.clock()) // 1000
            if seconds_left <= 0:  # a new minute: a new code
                return new_code(code.buyer)
            return pages.render(
                request,
                "wallet_paycode.html",
                code_id=code.code_id,
                buyer=code.buyer,
                value=shown.value,
                seconds_left=seconds_left,
                refresh_seconds=min(REFRESH_SECONDS, seconds_left),
            )
        try:
            view = cashier.view(payment.token)
        except LinkNotFound:
            return pages.not_found(request)
        if view.state is LinkState.OPEN and payment.status is PaymentStatus.PROCESSING:
            return pages.render(
                request,
                "wallet_confirm.html",
                scope=view.token,
                view=view,
                account=code.buyer,
                ticket=cashier.wallet_ticket(view.token, code.buyer),
                mode="scan",
            )
        return RedirectResponse(f"/cashier/{view.token}/result?via=scan", status_code=303)

    def image(code_id: str, render: str) -> Response:
        shown = codes.shown(code_id)
        if shown is None:
            return Response("payment code not found", status_code=404, media_type="text/plain")
        if render == "qr":
            return Response(
                qr_png(shown.value, "M"), media_type="image/png", headers=_IMAGE_HEADERS
            )
        return Response(
            code128_svg(shown.value), media_type="image/svg+xml", headers=_IMAGE_HEADERS
        )

    @router.get("/wallet/paycode/{code_id}/qr.png")
    def paycode_qr(code_id: str) -> Response:
        return image(code_id, "qr")

    @router.get("/wallet/paycode/{code_id}/barcode.svg")
    def paycode_barcode(code_id: str) -> Response:
        return image(code_id, "barcode")

    return router
