"""The shop's use cases: orders, paying through the sdk, inquiry polling, notifications.

Persist first, then call out: a payment row is written before ``pay`` is sent, and an
extra successful payment is marked CANCELLING before ``cancel`` is sent.
"""

from __future__ import annotations

import contextlib
import json
import logging
import re
import secrets
import threading
import time
import unicodedata
import weakref
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from openams.protocol.models import (
    Amount,
    CaptureNotification,
    InquiryPaymentResponse,
    PaymentNotification,
    PayResponse,
    RefundNotification,
)
from openams.sdk import (
    ApiError,
    BuyerRedirect,
    Client,
    OpenAmsError,
    PaymentOutcome,
    buyer_redirect,
    classify_payment,
    payment_mismatch,
    verify_notification,
)
from openams.shop import alipaycn
from openams.shop.catalogue import PRODUCTS
from openams.shop.reconcile import ShopTransaction
from openams.shop.settings import ShopSettings
from openams.shop.store import carts, order_lines, orders, payments, refunds

PRODUCT_CODE = "CASHIER_PAYMENT"
FINAL = frozenset({"SUCCESS", "FAIL", "CANCELLED"})
#: How a final result reached the shop (``shop_payments.result_source``).
SOURCE_PAY = "pay"
SOURCE_NOTIFICATION = "notification"
SOURCE_INQUIRY = "inquiry"

log = logging.getLogger("openams.shop")
#: The checkout page's ``attempt`` field when the order had no payment attempt yet.
NO_ATTEMPT = "none"


class PaymentMismatch(ValueError):
    """A correctly signed answer that is not for this payment's amount or currency."""


def gross_settlement_values(amount: Amount | None) -> dict[str, Any]:
    """``shop_payments`` columns of a grossSettlementAmount (AlipayCN); none without one."""
    if amount is None:
        return {}
    try:
        value = int(amount.value)
    except ValueError:
        return {}
    return {"gross_settlement_currency": amount.currency, "gross_settlement_value": value}


_MOBILE = re.compile(r"Mobile|Android|iPhone|iPad|iPod", re.IGNORECASE)
#: In-app web views of the shop's app add this token to their user agent.
APP_MARKER = "OpenAMSShopApp"


def terminal_for(user_agent: str) -> tuple[str, str | None]:
    """(terminalType, osType) for a browser's User-Agent."""
    os_type = None
    if re.search(r"iPhone|iPad|iPod", user_agent):
        os_type = "IOS"
    elif "Android" in user_agent:
        os_type = "ANDROID"
    if APP_MARKER in user_agent:
        return "APP", os_type or "ANDROID"
    if _MOBILE.search(user_agent):
        return "WAP", os_type or "ANDROID"
    return "WEB", None


def plain_ascii(text: str) -> str:
    """``text`` without Chinese (or any non-ASCII) characters, as the APM guide asks of
    request fields (QRIS and Mastercard refuse them): full-width forms become their ASCII
    twins (NFKC), what is left outside ASCII is dropped, runs of spaces collapse."""
    kept = unicodedata.normalize("NFKC", text).encode("ascii", "ignore").decode()
    return " ".join(kept.split())


def new_id(prefix: str) -> str:
    return f"{prefix}{time.strftime('%Y%m%d%H%M%S')}{secrets.token_hex(6)}"


def epoch_of(timestamp: str | None) -> float | None:
    """Seconds since the epoch of an ISO 8601 time from the gateway; None if unreadable."""
    if not timestamp:
        return None
    try:
        moment = datetime.fromisoformat(timestamp)
    except ValueError:
        return None
    return moment.timestamp() if moment.tzinfo is not None else None


class Shop:
    """Orders and payments in the shop's database, the gateway through ``client``."""

    def __init__(self, settings: ShopSettings, engine: sa.Engine, client: Client) -> None:
        self.settings = settings
        self.engine = engine
        self.client = client
        self.gateway_public_key = settings.gateway_public_key_file.read_text()
        self._lock = threading.Lock()  # one writer at a time on SQLite
        # A lock lives while someone holds or waits for it: the map does not grow with
        # every order ever paid.
        self._order_locks: weakref.WeakValueDictionary[str, threading.Lock] = (
            weakref.WeakValueDictionary()
        )

    # ------------------------------------------------------------------ cart

    def cart(self, session_id: str) -> list[tuple[str, int]]:
        with self.engine.connect() as db:
            rows = db.execute(
                sa.select(carts.c.product_id, carts.c.quantity)
                .where(carts.c.session_id == session_id)
                .order_by(carts.c.product_id)
            ).all()
        return [(row.product_id, row.quantity) for row in rows if row.product_id in PRODUCTS]

    def add_to_cart(self, session_id: str, product_id: str, quantity: int = 1) -> None:
        if product_id not in PRODUCTS or not 1 <= quantity <= 99:
            raise ValueError("unknown product or quantity")
        with self._lock, self.engine.begin() as db:
            current = db.execute(
                sa.select(carts.c.quantity).where(
                    carts.c.session_id == session_id, carts.c.product_id == product_id
                )
            ).scalar()
            if current is None:
                db.execute(
                    carts.insert().values(
                        session_id=session_id, product_id=product_id, quantity=quantity
                    )
                )
            else:
                db.execute(
                    carts.update()
                    .where(carts.c.session_id == session_id, carts.c.product_id == product_id)
                    .values(quantity=min(current + quantity, 99))
                )

    @staticmethod
    def total(lines: list[tuple[str, int]]) -> int:
        return sum(PRODUCTS[product_id].price * quantity for product_id, quantity in lines)

    # ----------------------------------------------------------------- orders

    def place_order(self, session_id: str) -> str:
        """Turn the cart into an OPEN order; returns its referenceOrderId."""
        lines = self.cart(session_id)
        if not lines:
            raise ValueError("the cart is empty")
        order_id = new_id("ORDER")
        description = ", ".join(f"{q} x {PRODUCTS[p].name}" for p, q in lines)[:256]
        with self._lock, self.engine.begin() as db:
            db.execute(
                orders.insert().values(
                    order_id=order_id,
                    session_id=session_id,
                    description=description,
                    currency=self.settings.currency,
                    amount=self.total(lines),
                    status="OPEN",
                    created_at=time.time(),
                )
            )
            for product_id, quantity in lines:
                db.execute(
                    order_lines.insert().values(
                        order_id=order_id,
                        product_id=product_id,
                        quantity=quantity,
                        unit_price=PRODUCTS[product_id].price,
                    )
                )
            db.execute(carts.delete().where(carts.c.session_id == session_id))
        return order_id

    def order(self, order_id: str) -> sa.RowMapping | None:
        with self.engine.connect() as db:
            row = db.execute(sa.select(orders).where(orders.c.order_id == order_id)).first()
        return row._mapping if row is not None else None

    def payments_of(self, order_id: str) -> list[sa.RowMapping]:
        with self.engine.connect() as db:
            rows = db.execute(
                sa.select(payments)
                .where(payments.c.order_id == order_id)
                .order_by(payments.c.created_at)
            ).all()
        return [row._mapping for row in rows]

    def order_items(self, order_id: str) -> list[tuple[str, int]]:
        """(product name, quantity) of each line of an order."""
        with self.engine.connect() as db:
            rows = db.execute(
                sa.select(order_lines.c.product_id, order_lines.c.quantity)
                .where(order_lines.c.order_id == order_id)
                .order_by(order_lines.c.product_id)
            ).all()
        return [
            (
                PRODUCTS[row.product_id].name if row.product_id in PRODUCTS else row.product_id,
                row.quantity,
            )
            for row in rows
        ]

    def payment(self, payment_request_id: str) -> sa.RowMapping | None:
        with self.engine.connect() as db:
            row = db.execute(
                sa.select(payments).where(payments.c.payment_request_id == payment_request_id)
            ).first()
        return row._mapping if row is not None else None

    def transactions(self) -> list[ShopTransaction]:
        """Every payment attempt with its order's amount: what reconciliation compares."""
        with self.engine.connect() as db:
            rows = db.execute(
                sa.select(
                    payments.c.payment_request_id,
                    payments.c.order_id,
                    payments.c.status,
                    payments.c.paid_at,
                    orders.c.amount,
                    orders.c.currency,
                ).join(orders, orders.c.order_id == payments.c.order_id)
            ).all()
        return [
            _transaction(row, row.payment_request_id, "PAYMENT", row.paid_at) for row in rows
        ] + self.refund_transactions()

    def refund_transactions(self) -> list[ShopTransaction]:
        """Every refund the shop asked for, as reconciliation compares them."""
        with self.engine.connect() as db:
            rows = db.execute(sa.select(refunds)).all()
        return [_transaction(row, row.refund_request_id, "REFUND", row.refunded_at) for row in rows]

    def record_refund_result(
        self,
        refund_request_id: str,
        status: str,
        code: str | None,
        *,
        refund_id: str | None = None,
        refunded_at: float | None = None,
    ) -> bool:
        """Apply a refund's final result (SUCCESS or FAIL) once; False for an unknown refund."""
        with self._lock, self.engine.begin() as db:
            row = db.execute(
                sa.select(refunds).where(refunds.c.refund_request_id == refund_request_id)
            ).first()
            if row is None:
                return False
            if row.status != "PENDING":
                return True
            values: dict[str, Any] = {"status": status, "result_code": code}
            if refund_id:
                values["refund_id"] = refund_id
            if status == "SUCCESS":
                values["refunded_at"] = refunded_at if refunded_at is not None else time.time()
            db.execute(
                refunds.update()
                .where(refunds.c.refund_request_id == refund_request_id)
                .values(values)
            )
        return True

    # ---------------------------------------------------------------- gateway

    def payment_methods(self, amount: int, terminal: str, os_type: str | None) -> list[Any]:
        """The enabled options ``consult`` returns for this amount and terminal."""
        env: dict[str, Any] = {"terminalType": terminal}
        if os_type:
            env["osType"] = os_type
        response = self.client.consult(
            {
                "productCode": PRODUCT_CODE,
                "paymentAmount": {"currency": self.settings.currency, "value": str(amount)},
                "env": env,
            }
        )
        return [
            option
            for option in response.payment_options or []
            if option.enabled is not False
            and (
                not option.supported_currencies
                or self.settings.currency in option.supported_currencies
            )
        ]

    def pay(
        self,
        order_id: str,
        method: str,
        user_agent: str,
        client_ip: str | None = None,
        *,
        page_token: str | None = None,
    ) -> tuple[str, BuyerRedirect | None]:
        """Start a payment of an OPEN order, as Antom's guides do it, top to bottom.

        Returns (paymentRequestId, where to send the buyer); no redirect means "show the
        result page" (paid, or the answer was unclear and the shop is finding out).
        Raises ApiError when the gateway refused the pay, ValueError for a closed order.
        ``page_token`` is the checkout page's ``attempt`` field (the latest attempt when
        the page was shown): a second press of the same page's Pay button gets the
        attempt the first press started, never a second payment.
        """
        with self._order_lock(order_id):
            # 1. A double submit: resend the first press's identical pay (one payment).
            started = self._attempt_started_since(order_id, page_token, method)
            if started is not None:
                return started["payment_request_id"], self._resend_pay(started)
            # 2. An attempt still open is inquired, and cancelled unless it is paid.
            paid_by = self.close_open_attempts(order_id)
            if paid_by is not None:
                return paid_by, None
            # 3. A NEW paymentRequestId, written down (PENDING) before pay is sent.
            request_id, body = self.new_payment(order_id, method, user_agent, client_ip)
            body["paymentMethod"] = {"paymentMethodType": method}
            if method == alipaycn.METHOD:
                self._add_alipaycn_fields(order_id, body)
            self._keep_pay_request(request_id, body)
            # 4. pay: the SDK resends the identical body on U and timeouts.
            answer: PayResponse | OpenAmsError
            try:
                answer = self.client.pay(body)
            except OpenAmsError as error:
                answer = error
            # 5. What the answer means (docs/sdk.md, "Is it paid? Is it this order?").
            result = classify_payment(answer)
            if result.outcome is PaymentOutcome.FAILURE:
                self._set_status(request_id, "FAIL", result.result_code)
                if isinstance(answer, OpenAmsError):
                    raise answer  # refused: no payment exists; the buyer may choose again
                return request_id, None
            if result.outcome is PaymentOutcome.UNKNOWN or not isinstance(answer, PayResponse):
                # Unclear is never a failure: inquire now, then keep inquiring; the
                # attempt is cancelled if it stays unclear (or never reached the gateway).
                self._mark_unclear(request_id, result.result_code)
                self.refresh(request_id, force=True)
                return request_id, None
            self._keep_pay_answer(request_id, answer)
            if result.outcome is PaymentOutcome.SUCCESS:
                with contextlib.suppress(PaymentMismatch):  # logged; the inquiry decides
                    self.apply_answer(request_id, answer, source=SOURCE_PAY)
            terminal, _ = terminal_for(user_agent)
            return request_id, buyer_redirect(answer, terminal)

    def _order_lock(self, order_id: str) -> threading.Lock:
        """One payment start at a time per order (two overlapping Pay presses queue)."""
        with self._lock:
            lock = self._order_locks.get(order_id)
            if lock is None:
                lock = self._order_locks[order_id] = threading.Lock()
            return lock

    def _attempt_started_since(
        self, order_id: str, page_token: str | None, method: str
    ) -> sa.RowMapping | None:
        """The attempt a press of this same checkout page already started, if it is open."""
        if page_token is None:
            return None
        attempts = self.payments_of(order_id)
        if not attempts:
            return None
        latest = attempts[-1]
        if (
            latest["payment_request_id"] == page_token
            or latest["status"] != "PENDING"
            or latest["method"] != method
            or latest["pay_request"] is None
        ):
            return None
        return latest

    def _resend_pay(self, attempt: sa.RowMapping) -> BuyerRedirect | None:
        """The identical pay again: the gateway answers the same payment's continuation."""
        try:
            answer = self.client.pay(json.loads(attempt["pay_request"]))
        except OpenAmsError:
            return None  # the result page says what happened
        return buyer_redirect(answer, attempt["terminal"])

    def latest_attempt_id(self, order_id: str) -> str:
        """What the checkout page sends back as ``attempt`` (NO_ATTEMPT before the first)."""
        attempts = self.payments_of(order_id)
        return str(attempts[-1]["payment_request_id"]) if attempts else NO_ATTEMPT

    def close_open_attempts(self, order_id: str) -> str | None:
        """Before a new attempt (the APM guide): inquire each open one and cancel it,
        unless it turns out paid. Returns the paying paymentRequestId of a paid order."""
        for attempt in self.payments_of(order_id):
            if attempt["status"] == "PENDING":
                request_id = attempt["payment_request_id"]
                self.refresh(request_id, force=True)
                self.cancel_attempt(request_id)
        order = self.order(order_id)
        if order is not None and order["status"] == "PAID":
            return str(order["paid_by"])
        return None

    def cancel_attempt(self, request_id: str) -> None:
        """Cancel an attempt that is still PENDING (nothing happens otherwise)."""
        with self._lock, self.engine.begin() as db:
            moved = db.execute(
                payments.update()
                .where(payments.c.payment_request_id == request_id, payments.c.status == "PENDING")
                .values(status="CANCELLING")
            ).rowcount
        if moved:
            self.cancel_extra(request_id)

    def _add_alipaycn_fields(self, order_id: str, body: dict[str, Any]) -> None:
        order = self.order(order_id)
        assert order is not None
        body["order"]["extendInfo"] = alipaycn.order_extend_info(self.order_items(order_id))
        body["settlementStrategy"] = {
            "settlementCurrency": alipaycn.settlement_currency(
                order["currency"], self.settings.cny_settlement_currency
            )
        }

    def _keep_pay_request(self, request_id: str, body: dict[str, Any]) -> None:
        self._update(request_id, pay_request=json.dumps(body, ensure_ascii=False))

    def _mark_unclear(self, request_id: str, code: str | None) -> None:
        self._update(request_id, unclear_since=time.time(), result_code=code)

    def _keep_pay_answer(self, request_id: str, answer: PayResponse) -> None:
        values: dict[str, Any] = {"payment_id": answer.payment_id}
        values.update(gross_settlement_values(answer.gross_settlement_amount))
        self._update(request_id, **values)

    def _update(self, request_id: str, **values: Any) -> None:
        if not values:
            return
        with self._lock, self.engine.begin() as db:
            db.execute(
                payments.update().where(payments.c.payment_request_id == request_id).values(values)
            )

    def new_payment(
        self, order_id: str, method: str, user_agent: str, client_ip: str | None
    ) -> tuple[str, dict[str, Any]]:
        """A NEW paymentRequestId for an OPEN order, written down (PENDING) before any call,
        and the request body every way of paying shares (pay, createPaymentSession)."""
        order = self.order(order_id)
        if order is None or order["status"] != "OPEN":
            raise ValueError("this order cannot be paid")
        terminal, os_type = terminal_for(user_agent)
        request_id = new_id("PAY")
        with self._lock, self.engine.begin() as db:
            db.execute(
                payments.insert().values(
                    payment_request_id=request_id,
                    order_id=order_id,
                    method=method,
                    terminal=terminal,
                    status="PENDING",
                    created_at=time.time(),
                )
            )
        env: dict[str, Any] = {"terminalType": terminal, "userAgent": plain_ascii(user_agent)[:256]}
        if os_type:
            env["osType"] = os_type
        if client_ip:
            env["clientIp"] = client_ip
        amount = {"currency": order["currency"], "value": str(order["amount"])}
        # The wallet sends the buyer back to where they paid from: the app, by its deep
        # link (APP), else the shop's own page.
        back_to = self.settings.app_return_url if terminal == "APP" else self.settings.public_url
        base = back_to.rstrip("/")
        body: dict[str, Any] = {
            "productCode": PRODUCT_CODE,
            "paymentRequestId": request_id,
            "order": {
                "referenceOrderId": order_id,
                "orderDescription": plain_ascii(order["description"]) or f"Order {order_id}",
                "orderAmount": amount,
            },
            "paymentAmount": amount,
            "paymentRedirectUrl": f"{base}/orders/{order_id}/result?p={request_id}",
            "paymentNotifyUrl": self.settings.notify_url,
            "env": env,
        }
        return request_id, body

    def fail_payment(self, request_id: str, code: str | None) -> None:
        """A payment the gateway refused outright (no payment exists there)."""
        self._set_status(request_id, "FAIL", code)

    def _set_status(self, request_id: str, status: str, code: str | None) -> None:
        with self._lock, self.engine.begin() as db:
            db.execute(
                payments.update()
                .where(payments.c.payment_request_id == request_id)
                .values(status=status, result_code=code)
            )

    # ------------------------------------------------------------ the result

    def record_result(
        self,
        request_id: str,
        status: str,
        code: str | None,
        *,
        source: str | None = None,
        paid_at: float | None = None,
    ) -> bool:
        """Apply a final result idempotently. Returns False for an unknown payment.

        ``source`` says how the result arrived (pay, notification, inquiry) and is kept
        with it; ``paid_at`` is the gateway's paymentTime (else now) for a SUCCESS.
        The first SUCCESS pays the order; any later SUCCESS of the same order is an extra
        one, marked CANCELLING here and cancelled at the gateway right after.
        """
        cancel_extra = False
        with self._lock, self.engine.begin() as db:
            row = db.execute(
                sa.select(payments).where(payments.c.payment_request_id == request_id)
            ).first()
            if row is None:
                return False
            # A SUCCESS for an attempt the shop closed itself (no payment existed when it
            # asked: ORDER_NOT_EXIST) is the gateway's word and still counts: nothing lost.
            late_success = status == "SUCCESS" and row.status == "FAIL"
            if row.status != "PENDING" and not late_success:
                return True  # already applied: a repeated notification or a late inquiry
            values: dict[str, Any] = {
                "status": status,
                "result_code": code,
                "result_source": source,
            }
            if status == "SUCCESS":
                values["paid_at"] = paid_at if paid_at is not None else time.time()
                order = db.execute(sa.select(orders).where(orders.c.order_id == row.order_id)).one()
                if order.status == "OPEN":
                    db.execute(
                        orders.update()
                        .where(orders.c.order_id == row.order_id)
                        .values(status="PAID", paid_by=request_id)
                    )
                elif order.paid_by != request_id:
                    values["status"] = "CANCELLING"
                    cancel_extra = True
            db.execute(
                payments.update().where(payments.c.payment_request_id == request_id).values(values)
            )
        if cancel_extra:
            self.cancel_extra(request_id)
        return True

    def cancel_extra(self, request_id: str) -> None:
        """Cancel a second successful payment of an already paid order (refunds the buyer)."""
        try:
            response = self.client.cancel({"paymentRequestId": request_id})
        except ApiError as error:
            if error.result_code == "ORDER_NOT_EXIST":  # never made: nothing to cancel
                self._set_final(request_id, "FAIL", "CANCELLING", code=error.result_code)
            elif error.result_code == "ORDER_STATUS_INVALID":  # it failed meanwhile
                self._set_final(request_id, "PENDING", "CANCELLING")
                self.refresh(request_id, force=True)
            return  # else stays CANCELLING; retried by the next poll
        except OpenAmsError:
            return  # stays CANCELLING; retried by the next poll
        if response.result.result_status == "S":
            self._set_final(request_id, "CANCELLED", "CANCELLING")

    def _set_final(
        self, request_id: str, status: str, expected: str, *, code: str | None = None
    ) -> None:
        values: dict[str, Any] = {"status": status}
        if code is not None:
            values["result_code"] = code
        with self._lock, self.engine.begin() as db:
            db.execute(
                payments.update()
                .where(payments.c.payment_request_id == request_id, payments.c.status == expected)
                .values(values)
            )

    def apply_answer(
        self,
        request_id: str,
        answer: PayResponse | InquiryPaymentResponse | PaymentNotification,
        *,
        source: str,
    ) -> None:
        """Apply a final answer about a payment, after checking that it is for this
        payment, the order's amount and its currency (else PaymentMismatch, logged)."""
        with self.engine.connect() as db:
            order = db.execute(
                sa.select(orders.c.currency, orders.c.amount)
                .join(payments, payments.c.order_id == orders.c.order_id)
                .where(payments.c.payment_request_id == request_id)
            ).first()
        if order is None:
            return
        problem = payment_mismatch(
            answer, payment_request_id=request_id, currency=order.currency, value=order.amount
        )
        if problem is not None:
            log.warning("refused a %s answer for %s: %s", source, request_id, problem)
            raise PaymentMismatch(problem)
        if isinstance(answer, PaymentNotification):
            status = "SUCCESS" if answer.result.result_status == "S" else "FAIL"
            code: str | None = answer.result.result_code
        else:
            result = classify_payment(answer)
            status = "SUCCESS" if result.outcome is PaymentOutcome.SUCCESS else "FAIL"
            code = result.result_code
        if status == "SUCCESS":
            self._update(request_id, **gross_settlement_values(answer.gross_settlement_amount))
        self.record_result(
            request_id, status, code, source=source, paid_at=epoch_of(answer.payment_time)
        )

    def apply_capture(self, notification: CaptureNotification) -> None:
        """Record a CAPTURE_RESULT (cards) after checking it is for one of the shop's
        payments and its order's whole amount and currency (else PaymentMismatch, logged)."""
        with self.engine.connect() as db:
            row = db.execute(
                sa.select(payments.c.payment_request_id, orders.c.currency, orders.c.amount)
                .join(orders, orders.c.order_id == payments.c.order_id)
                .where(payments.c.payment_id == notification.payment_id)
            ).first()
        if row is None or notification.payment_id is None:
            log.warning("a capture for an unknown payment %s", notification.payment_id)
            return
        amount = notification.capture_amount
        if amount is None or (amount.currency, amount.value) != (row.currency, str(row.amount)):
            problem = f"captureAmount {amount} is not {row.currency} {row.amount}"
            log.warning("refused a capture for %s: %s", row.payment_request_id, problem)
            raise PaymentMismatch(problem)
        status = "SUCCESS" if notification.result.result_status == "S" else "FAIL"
        self._update(row.payment_request_id, capture_status=status)

    def refresh(self, request_id: str, *, force: bool = False) -> None:
        """Ask inquiryPayment about an open payment, at most once per poll interval
        (unless ``force``). An attempt whose pay ended unclear is cancelled when it never
        reached the gateway (ORDER_NOT_EXIST) or is still not final after
        ``unclear_cancel_after_seconds``."""
        row = self.payment(request_id)
        if row is None:
            return
        if row["status"] == "CANCELLING":
            self.cancel_extra(request_id)
            return
        if row["status"] != "PENDING":
            return
        now = time.time()
        last = row["last_inquiry_at"]
        if not force and last is not None and now - last < self.settings.poll_interval_seconds:
            return
        self._update(request_id, last_inquiry_at=now)
        answer: InquiryPaymentResponse | OpenAmsError
        try:
            answer = self.client.inquiry_payment({"paymentRequestId": request_id})
        except OpenAmsError as error:
            answer = error
        result = classify_payment(answer)
        if result.is_final and isinstance(answer, InquiryPaymentResponse):
            with contextlib.suppress(PaymentMismatch):  # logged; never applied
                self.apply_answer(request_id, answer, source=SOURCE_INQUIRY)
            return
        unclear_since = row["unclear_since"]
        if unclear_since is not None and (
            result.is_final or now - unclear_since >= self.settings.unclear_cancel_after_seconds
        ):
            self.cancel_attempt(request_id)

    def poll_open_payments(self) -> None:
        """One polling round over every open payment (the background poller calls this)."""
        with self.engine.connect() as db:
            ids = (
                db.execute(
                    sa.select(payments.c.payment_request_id).where(
                        payments.c.status.in_(("PENDING", "CANCELLING"))
                    )
                )
                .scalars()
                .all()
            )
        for request_id in ids:
            self.refresh(request_id)

    def handle_notification(
        self, method: str, path: str, headers: Mapping[str, str], body: bytes
    ) -> bool:
        """Verify and apply a notification; raises the sdk's verification errors."""
        notification = verify_notification(
            method,
            path,
            headers,
            body,
            gateway_public_key=self.gateway_public_key,
            client_id=self.settings.client_id,
        )
        if isinstance(notification, RefundNotification):
            if notification.refund_request_id and notification.refund_status in ("SUCCESS", "FAIL"):
                self.record_refund_result(
                    notification.refund_request_id,
                    notification.refund_status,
                    notification.result.result_code,
                    refund_id=notification.refund_id,
                    refunded_at=epoch_of(notification.refund_time),
                )
            return True
        if isinstance(notification, CaptureNotification):
            self.apply_capture(notification)
            return True
        if not isinstance(notification, PaymentNotification):
            return True
        request_id = notification.payment_request_id
        if notification.notify_type != "PAYMENT_RESULT" or not request_id:
            return True
        self.apply_answer(request_id, notification, source=SOURCE_NOTIFICATION)
        return True


def _transaction(row: Any, request_id: str, kind: str, at: float | None) -> ShopTransaction:
    """A payment or refund row (with its order, amount and currency) as reconciliation
    compares it."""
    return ShopTransaction(
        request_id=request_id,
        transaction_type=kind,
        order_id=row.order_id,
        amount=row.amount,
        currency=row.currency,
        status=row.status,
        paid_at=datetime.fromtimestamp(at, UTC) if at else None,
    )
