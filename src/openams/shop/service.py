"""The shop's use cases: orders, paying through the sdk, inquiry polling, notifications.

Persist first, then call out: a payment row is written before ``pay`` is sent, and an
extra successful payment is marked CANCELLING before ``cancel`` is sent.
"""

from __future__ import annotations

import re
import secrets
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from openams.protocol.models import PaymentNotification, PayResponse
from openams.sdk import (
    ApiError,
    Client,
    OpenAmsError,
    verify_notification,
)
from openams.shop import alipaycn
from openams.shop.catalogue import PRODUCTS
from openams.shop.reconcile import ShopTransaction
from openams.shop.settings import ShopSettings
from openams.shop.store import carts, order_lines, orders, payments

PRODUCT_CODE = "CASHIER_PAYMENT"
FINAL = frozenset({"SUCCESS", "FAIL", "CANCELLED"})
#: How a final result reached the shop (``shop_payments.result_source``).
SOURCE_PAY = "pay"
SOURCE_NOTIFICATION = "notification"
SOURCE_INQUIRY = "inquiry"

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


@dataclass(frozen=True)
class Redirect:
    """Where to send the buyer: a URL (GET) or a form to auto-submit (POST)."""

    url: str
    method: str = "GET"
    parameters: str | None = None


def redirect_for(terminal: str, response: PayResponse) -> Redirect | None:
    """WEB opens normalUrl; WAP prefers applinkUrl, then normalUrl, then redirectActionForm;
    APP uses deep links (schemeUrl, then applinkUrl), then normalUrl."""
    form = response.redirect_action_form
    form_redirect = (
        Redirect(form.redirect_url, (form.method or "GET").upper(), form.parameters)
        if form is not None and form.redirect_url
        else None
    )
    if terminal == "WEB":
        candidates = [response.normal_url]
    elif terminal == "WAP":
        candidates = [response.applink_url, response.normal_url]
    else:
        candidates = [response.scheme_url, response.applink_url, response.normal_url]
    for url in candidates:
        if url:
            return Redirect(url)
    return form_redirect


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
            ShopTransaction(
                request_id=row.payment_request_id,
                transaction_type="PAYMENT",
                order_id=row.order_id,
                amount=row.amount,
                currency=row.currency,
                status=row.status,
                paid_at=datetime.fromtimestamp(row.paid_at, UTC) if row.paid_at else None,
            )
            for row in rows
        ]

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
        self, order_id: str, method: str, user_agent: str, client_ip: str | None = None
    ) -> tuple[str, Redirect | None]:
        """Start a payment of an OPEN order with a NEW paymentRequestId (re-paying included)."""
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
        env: dict[str, Any] = {"terminalType": terminal, "userAgent": user_agent[:256]}
        if os_type:
            env["osType"] = os_type
        if client_ip:
            env["clientIp"] = client_ip
        amount = {"currency": order["currency"], "value": str(order["amount"])}
        base = self.settings.public_url.rstrip("/")
        body: dict[str, Any] = {
            "productCode": PRODUCT_CODE,
            "paymentRequestId": request_id,
            "order": {
                "referenceOrderId": order_id,
                "orderDescription": order["description"],
                "orderAmount": amount,
            },
            "paymentAmount": amount,
            "paymentMethod": {"paymentMethodType": method},
            "paymentRedirectUrl": f"{base}/orders/{order_id}/result?p={request_id}",
            "paymentNotifyUrl": self.settings.notify_url,
            "env": env,
        }
        if method == alipaycn.METHOD:
            body["order"]["extendInfo"] = alipaycn.order_extend_info(self.order_items(order_id))
            body["settlementStrategy"] = {
                "settlementCurrency": alipaycn.settlement_currency(
                    order["currency"], self.settings.cny_settlement_currency
                )
            }
        try:
            response = self.client.pay(body)
        except ApiError as exc:
            self._set_status(request_id, "FAIL", exc.result_code)
            raise
        with self._lock, self.engine.begin() as db:
            db.execute(
                payments.update()
                .where(payments.c.payment_request_id == request_id)
                .values(payment_id=response.payment_id)
            )
        if response.result.result_status == "S":
            self.record_result(
                request_id,
                "SUCCESS",
                response.result.result_code,
                source=SOURCE_PAY,
                paid_at=epoch_of(response.payment_time),
            )
        return request_id, redirect_for(terminal, response)

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
            if row.status != "PENDING":
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
        except OpenAmsError:
            return  # stays CANCELLING; retried by the next poll
        if response.result.result_status == "S":
            self._set_final(request_id, "CANCELLED", "CANCELLING")

    def _set_final(self, request_id: str, status: str, expected: str) -> None:
        with self._lock, self.engine.begin() as db:
            db.execute(
                payments.update()
                .where(payments.c.payment_request_id == request_id, payments.c.status == expected)
                .values(status=status)
            )

    def refresh(self, request_id: str) -> None:
        """Ask inquiryPayment about an open payment, at most once per poll interval."""
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
        if last is not None and now - last < self.settings.poll_interval_seconds:
            return
        with self._lock, self.engine.begin() as db:
            db.execute(
                payments.update()
                .where(payments.c.payment_request_id == request_id)
                .values(last_inquiry_at=now)
            )
        try:
            response = self.client.inquiry_payment({"paymentRequestId": request_id})
        except OpenAmsError:
            return
        if response.payment_status in ("SUCCESS", "FAIL", "CANCELLED"):
            status = "FAIL" if response.payment_status == "CANCELLED" else response.payment_status
            self.record_result(
                request_id,
                status,
                response.payment_result_code,
                source=SOURCE_INQUIRY,
                paid_at=epoch_of(response.payment_time),
            )

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
        if not isinstance(notification, PaymentNotification):
            return True  # capture / refund notifications: nothing to do for this shop
        request_id = notification.payment_request_id
        if notification.notify_type != "PAYMENT_RESULT" or not request_id:
            return True
        status = "SUCCESS" if notification.result.result_status == "S" else "FAIL"
        self.record_result(
            request_id,
            status,
            notification.result.result_code,
            source=SOURCE_NOTIFICATION,
            paid_at=epoch_of(notification.payment_time),
        )
        return True
