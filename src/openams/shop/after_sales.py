"""After the checkout: refunds (full or partial) and cancels, through ``openams.sdk``.

Persist first, then call out: a refund row is written (PENDING) before ``refund`` is
sent, and a payment is marked CANCELLING before ``cancel`` is sent, so an answer that
never comes is finished by the next look (``inquiryRefund``, the poller's cancel).
Refunds and cancels of paid orders are admin actions (``admin_orders.py``); a buyer may
cancel a payment that is still processing (``cancel_processing``).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import sqlalchemy as sa

from openams.protocol.money import from_minor
from openams.sdk import ApiError, OpenAmsError
from openams.shop.entry_code import AmountInputError, parse_amount
from openams.shop.service import Shop, epoch_of, new_id
from openams.shop.store import orders, payments, refunds

#: Refund statuses that hold money: refunded, or maybe being refunded.
REFUND_HOLDS = ("SUCCESS", "PENDING")


class AfterSaleError(ValueError):
    """A refund or cancel that cannot be done; the message says why, for the page."""


@dataclass(frozen=True)
class OrderView:
    """An order as the admin page shows it: its payments, refunds and what is left."""

    order: sa.RowMapping
    payments: list[sa.RowMapping]
    refunds: list[sa.RowMapping]

    @property
    def paid_payment(self) -> sa.RowMapping | None:
        paid_by = self.order["paid_by"]
        return next((p for p in self.payments if p["payment_request_id"] == paid_by), None)

    @property
    def refunded(self) -> int:
        """Minor units refunded or being refunded."""
        return sum(r["amount"] for r in self.refunds if r["status"] in REFUND_HOLDS)

    @property
    def refundable(self) -> int:
        if self.order["status"] != "PAID" or self.paid_payment is None:
            return 0
        return max(0, self.order["amount"] - self.refunded)

    @property
    def processing(self) -> list[sa.RowMapping]:
        return [p for p in self.payments if p["status"] == "PENDING"]

    @property
    def can_cancel(self) -> bool:
        """A paid order without refunds (cancel refunds it all), or a processing payment."""
        paid = self.order["status"] == "PAID" and not self.refunds
        return paid or (self.order["status"] == "OPEN" and bool(self.processing))

    @property
    def state(self) -> str:
        """What the order page says about the order."""
        status = self.order["status"]
        if status == "PAID" and self.refunded >= self.order["amount"]:
            return "Refunded"
        if status == "PAID" and self.refunded:
            return "Partly refunded"
        if status == "OPEN" and self.processing:
            return "Payment processing"
        return {"PAID": "Paid", "OPEN": "Not paid", "CANCELLED": "Cancelled"}.get(status, status)


class AfterSales:
    """Refund and cancel the shop's orders."""

    def __init__(self, shop: Shop) -> None:
        self.shop = shop

    def view(self, order_id: str) -> OrderView | None:
        order = self.shop.order(order_id)
        if order is None:
            return None
        with self.shop.engine.connect() as db:
            rows = db.execute(
                sa.select(refunds)
                .where(refunds.c.order_id == order_id)
                .order_by(refunds.c.created_at)
            ).all()
        return OrderView(order, self.shop.payments_of(order_id), [r._mapping for r in rows])

    def recent_orders(self, limit: int = 50) -> list[sa.RowMapping]:
        with self.shop.engine.connect() as db:
            rows = db.execute(
                sa.select(orders).order_by(orders.c.created_at.desc()).limit(limit)
            ).all()
        return [row._mapping for row in rows]

    # ----------------------------------------------------------------- refunds

    def refund(self, order_id: str, amount_text: str) -> sa.RowMapping:
        """Refund ``amount_text`` (major units) of a paid order; the refund row after the
        answer. Raises AfterSaleError with a message for the page."""
        view = self._view(order_id)
        payment = view.paid_payment
        if view.order["status"] != "PAID" or payment is None or not payment["payment_id"]:
            raise AfterSaleError("Only a paid order can be refunded.")
        currency = view.order["currency"]
        if not amount_text.strip():
            raise AfterSaleError("Enter the amount to refund.")
        try:
            amount = parse_amount(amount_text[:32], currency)
        except AmountInputError as exc:
            raise AfterSaleError(str(exc)) from None
        if amount > view.refundable:
            left = f"{currency} {from_minor(view.refundable, currency)}"
            raise AfterSaleError(f"At most {left} can still be refunded.")
        request_id = new_id("REFUND")
        with self.shop.engine.begin() as db:
            db.execute(
                refunds.insert().values(
                    refund_request_id=request_id,
                    order_id=order_id,
                    payment_request_id=payment["payment_request_id"],
                    currency=currency,
                    amount=amount,
                    status="PENDING",
                    created_at=time.time(),
                )
            )
        try:
            self._send_refund(self._refund(request_id), payment["payment_id"])
        except ApiError as exc:
            self.shop.record_refund_result(request_id, "FAIL", exc.result_code)
            raise AfterSaleError(
                f"The refund was refused: {exc.result_code} {exc.result_message or ''}".strip()
            ) from None
        except OpenAmsError:
            raise AfterSaleError(
                "The payment service did not answer; the refund is checked again when this "
                "page is opened."
            ) from None
        return self._refund(request_id)

    def _send_refund(self, row: sa.RowMapping, payment_id: str) -> None:
        """Send (or send again: same refundRequestId, so at most once) a refund row and
        apply the answer; raises the sdk's errors."""
        request_id = row["refund_request_id"]
        response = self.shop.client.refund(
            {
                "refundRequestId": request_id,
                "paymentId": payment_id,
                "refundAmount": {"currency": row["currency"], "value": str(row["amount"])},
                "refundReason": "refunded from the shop's order page",
                "refundNotifyUrl": self.shop.settings.notify_url,
            }
        )
        if response.result.result_status == "S":
            self.shop.record_refund_result(
                request_id,
                "SUCCESS",
                response.result.result_code,
                refund_id=response.refund_id,
                refunded_at=epoch_of(response.refund_time),
            )
        elif response.refund_id:
            self._set_refund_id(request_id, response.refund_id)

    def refresh_refunds(self, order_id: str) -> None:
        """Ask inquiryRefund about the order's refunds still PENDING."""
        view = self.view(order_id)
        for row in view.refunds if view else []:
            if row["status"] != "PENDING":
                continue
            try:
                answer = self.shop.client.inquiry_refund(
                    {"refundRequestId": row["refund_request_id"]}
                )
            except ApiError as exc:
                if exc.result_code == "ORDER_NOT_EXIST":  # it never got there: send it
                    self._resend(view, row)
                continue
            except OpenAmsError:
                continue
            if answer.refund_status in ("SUCCESS", "FAIL"):
                self.shop.record_refund_result(
                    row["refund_request_id"],
                    answer.refund_status,
                    answer.refund_status,
                    refund_id=answer.refund_id,
                    refunded_at=epoch_of(answer.refund_time),
                )

    def _resend(self, view: OrderView, row: sa.RowMapping) -> None:
        payment = next(
            (p for p in view.payments if p["payment_request_id"] == row["payment_request_id"]),
            None,
        )
        if payment is None or not payment["payment_id"]:
            return
        try:
            self._send_refund(row, payment["payment_id"])
        except ApiError as exc:
            self.shop.record_refund_result(row["refund_request_id"], "FAIL", exc.result_code)
        except OpenAmsError:
            return  # still PENDING: asked about again next time

    # ------------------------------------------------------------------ cancels

    def cancel(self, order_id: str) -> str:
        """Cancel a paid order (the gateway refunds the buyer in full) or its processing
        payment; returns what happened, for the page."""
        view = self._view(order_id)
        if view.order["status"] == "OPEN":
            if not self.cancel_processing(order_id):
                raise AfterSaleError("There is no payment to cancel.")
            return "The payment was cancelled; the order is open again."
        payment = view.paid_payment
        if view.order["status"] != "PAID" or payment is None:
            raise AfterSaleError("This order cannot be cancelled.")
        if view.refunds:
            raise AfterSaleError("This order has refunds: refund the rest instead.")
        request_id = payment["payment_request_id"]
        with self.shop.engine.begin() as db:
            db.execute(
                orders.update().where(orders.c.order_id == order_id).values(status="CANCELLED")
            )
            self._move(db, request_id, "SUCCESS", "CANCELLING")
        try:
            response = self.shop.client.cancel({"paymentRequestId": request_id})
        except ApiError as exc:
            with self.shop.engine.begin() as db:
                db.execute(
                    orders.update().where(orders.c.order_id == order_id).values(status="PAID")
                )
                self._move(db, request_id, "CANCELLING", "SUCCESS")
            raise AfterSaleError(
                f"The cancel was refused: {exc.result_code} {exc.result_message or ''}".strip()
            ) from None
        except OpenAmsError:
            return "The payment service did not answer; the cancel is sent again shortly."
        if response.result.result_status == "S":
            with self.shop.engine.begin() as db:
                self._move(db, request_id, "CANCELLING", "CANCELLED")
        return "The order was cancelled; the buyer gets the whole amount back."

    def cancel_processing(self, order_id: str) -> bool:
        """Cancel the order's payments that are still processing (the buyer gave up);
        the order stays open. False when none was processing."""
        cancelled = False
        for payment in self.shop.payments_of(order_id):
            if payment["status"] != "PENDING":
                continue
            request_id = payment["payment_request_id"]
            self.shop.refresh(request_id)  # paid or failed meanwhile: nothing to cancel
            with self.shop.engine.begin() as db:
                moved = self._move(db, request_id, "PENDING", "CANCELLING")
            if not moved:
                continue
            cancelled = True
            try:
                response = self.shop.client.cancel({"paymentRequestId": request_id})
            except ApiError:
                with self.shop.engine.begin() as db:  # e.g. failed meanwhile: ask again
                    self._move(db, request_id, "CANCELLING", "PENDING")
                self.shop.refresh(request_id)
                continue
            except OpenAmsError:
                continue  # stays CANCELLING: the poller sends the cancel again
            if response.result.result_status == "S":
                with self.shop.engine.begin() as db:
                    self._move(db, request_id, "CANCELLING", "CANCELLED")
        return cancelled

    # ------------------------------------------------------------------ helpers

    def _view(self, order_id: str) -> OrderView:
        view = self.view(order_id)
        if view is None:
            raise AfterSaleError("There is no such order.")
        return view

    def _refund(self, request_id: str) -> sa.RowMapping:
        with self.shop.engine.connect() as db:
            row = db.execute(
                sa.select(refunds).where(refunds.c.refund_request_id == request_id)
            ).one()
        return row._mapping

    def _set_refund_id(self, request_id: str, refund_id: str) -> None:
        with self.shop.engine.begin() as db:
            db.execute(
                refunds.update()
                .where(refunds.c.refund_request_id == request_id)
                .values(refund_id=refund_id)
            )

    @staticmethod
    def _move(db: sa.Connection, request_id: str, expected: str, status: str) -> bool:
        """Set a payment's status if it is still ``expected``; True when it was."""
        result = db.execute(
            payments.update()
            .where(payments.c.payment_request_id == request_id, payments.c.status == expected)
            .values(status=status)
        )
        return result.rowcount == 1
