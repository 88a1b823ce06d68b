"""Entry-code payments (IN_STORE_PAYMENT, EntryCode, CONNECT_WALLET): the counter's use cases.

A store shows one static QR code (its entry code) that encodes the shop's amount page
for that store. The buyer scans it with the wallet, enters the amount there, and the
shop calls ``pay`` and sends the buyer on to the wallet's continuation URL. The
notification (or inquiry) pays the order; a payment that fails, is abandoned or times
out closes the order, cancelling at the gateway whatever may still be open (spec §9).

Orders and payments live in the shop's own tables (``store.py``); which orders were
taken at a store is kept in ``shop_entry_orders``, created here.
"""

from __future__ import annotations

import io
import re
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import segno
import sqlalchemy as sa

from openams.protocol.models import PayResponse
from openams.protocol.money import AmountError, Money, exponent, to_minor
from openams.sdk import ApiError, BuyerRedirect, OpenAmsError, buyer_redirect
from openams.shop.service import Shop, new_id, terminal_for
from openams.shop.store import orders, payments

PRODUCT_CODE = "IN_STORE_PAYMENT"
SCENARIO = "EntryCode"
METHOD = "CONNECT_WALLET"
#: The gateway closes an entry-code payment after 3 minutes; the shop gives up then too.
PAY_TIMEOUT_SECONDS = 180.0
#: The largest amount the counter takes, in major units.
MAX_AMOUNT = 1_000_000
#: What a buyer may type: digits, optionally a decimal point and more digits.
_AMOUNT_TEXT = re.compile(r"[0-9]{1,12}(?:[.,][0-9]{1,6})?")

#: The merchant as the pay request names it (order.merchant).
MERCHANT = {
    "referenceMerchantId": "M_OPENAMS_DEMO",
    "merchantMCC": "5812",
    "merchantName": "openams demo shop",
}


@dataclass(frozen=True)
class StoreInfo:
    """One physical store: order.merchant.store of its pay requests."""

    store_id: str
    name: str
    mcc: str


STORES = {
    "S0001": StoreInfo("S0001", "openams tea corner", "5812"),
    "S0002": StoreInfo("S0002", "openams mug stand", "5719"),
}
DEFAULT_STORE = "S0001"

_entry_metadata = sa.MetaData()
entry_orders = sa.Table(
    "shop_entry_orders",
    _entry_metadata,
    sa.Column("order_id", sa.String(64), primary_key=True),
    sa.Column("store_id", sa.String(16), nullable=False),
    sa.Column("created_at", sa.Float, nullable=False),
)


@dataclass(frozen=True)
class InStorePay:
    """How an in-store order is paid: the scenario and what it brings along."""

    scenario: str
    #: the wallet web view's User-Agent (an entry code), empty at a till
    user_agent: str = ""
    client_ip: str | None = None
    #: the buyer's payment code, scanned at the till (PaymentCode)
    payment_code: str | None = None
    #: the till that sends an OrderCode or PaymentCode pay (order.env.storeTerminalId)
    terminal_id: str = "TILL-01"


class AmountInputError(ValueError):
    """What the buyer typed is not an amount the counter takes; the message says why."""


def parse_amount(text: str, currency: str) -> int:
    """Minor units of what the buyer typed (``"12.50"`` HKD -> 1250), or AmountInputError."""
    value = text.strip()
    if not value:
        raise AmountInputError("Enter the amount to pay.")
    if not _AMOUNT_TEXT.fullmatch(value):
        raise AmountInputError("Enter the amount as a number, for example 12.50.")
    places = exponent(currency)
    try:
        minor = to_minor(value.replace(",", "."), currency)
    except AmountError:
        if places == 0:
            raise AmountInputError(f"{currency} has no minor unit: enter a whole amount.") from None
        raise AmountInputError(
            f"{currency} amounts have at most {places} decimal places."
        ) from None
    if minor <= 0:
        raise AmountInputError("The amount must be greater than zero.")
    if minor > MAX_AMOUNT * 10**places:
        raise AmountInputError(f"The amount must be at most {currency} {MAX_AMOUNT:,}.")
    try:
        Money.parse(currency, str(minor))  # currency-specific wire rules (IDR whole units)
    except AmountError as exc:
        raise AmountInputError(str(exc)) from None
    return minor


def continuation_of(response: PayResponse) -> BuyerRedirect | None:
    """Where the wallet goes on: ``normalUrl`` (an H5 page the wallet's web view opens),
    else ``redirectActionForm``: the sdk's WEB choice. ``schemeUrl`` needs the wallet app
    itself, and the page already runs inside the wallet: not used."""
    return buyer_redirect(response, "WEB")


def qr_png(value: str) -> bytes:
    buffer = io.BytesIO()
    segno.make(value, error="m", micro=False).save(buffer, kind="png", scale=6, border=4)
    return buffer.getvalue()


class EntryCodeDesk:
    """The counter of every store: entry codes, amount -> order -> pay, and closing orders
    whose payment failed, was abandoned or timed out."""

    def __init__(self, shop: Shop, *, timeout_seconds: float = PAY_TIMEOUT_SECONDS) -> None:
        self.shop = shop
        self.timeout_seconds = timeout_seconds
        self._lock = threading.Lock()
        _entry_metadata.create_all(shop.engine)

    @property
    def currency(self) -> str:
        return self.shop.settings.currency

    def entry_url(self, store: StoreInfo) -> str:
        """What the store's QR code encodes: the amount page, opened in the wallet."""
        return f"{self.shop.settings.public_url.rstrip('/')}/stores/{store.store_id}/pay"

    def entry_code_png(self, store: StoreInfo) -> bytes:
        return qr_png(self.entry_url(store))

    def is_entry_order(self, order_id: str) -> bool:
        return self.store_of(order_id) is not None

    def store_of(self, order_id: str) -> StoreInfo | None:
        with self.shop.engine.connect() as db:
            store_id = db.execute(
                sa.select(entry_orders.c.store_id).where(entry_orders.c.order_id == order_id)
            ).scalar()
        return STORES.get(store_id) if store_id else None

    # ------------------------------------------------------------------ paying

    def start(
        self,
        session_id: str,
        store: StoreInfo,
        amount: int,
        user_agent: str,
        client_ip: str | None = None,
    ) -> tuple[str, BuyerRedirect | None]:
        """Open an order for ``amount`` at ``store`` and pay it; (order id, where to go).

        Raises ApiError when the gateway refuses the pay (the order is closed then) and
        OpenAmsError when its answer never came (the payment is cancelled, order closed).
        """
        order_id, response = self.open_and_pay(
            session_id, store, amount, InStorePay(SCENARIO, user_agent, client_ip)
        )
        return order_id, continuation_of(response)

    def open_and_pay(
        self, session_id: str, store: StoreInfo, amount: int, how: InStorePay
    ) -> tuple[str, PayResponse]:
        """Open an order for ``amount`` at ``store`` and send its pay (any in-store
        scenario); (order id, the gateway's answer). Errors as :meth:`start`."""
        now = time.time()
        order_id = new_id("STORE")
        request_id = new_id("PAY")
        terminal, _ = terminal_for(how.user_agent)
        description = f"In-store payment at {store.name}"
        with self._lock, self.shop.engine.begin() as db:
            db.execute(
                orders.insert().values(
                    order_id=order_id,
                    session_id=session_id,
                    description=description,
                    currency=self.currency,
                    amount=amount,
                    status="OPEN",
                    created_at=now,
                )
            )
            db.execute(
                entry_orders.insert().values(
                    order_id=order_id, store_id=store.store_id, created_at=now
                )
            )
            db.execute(
                payments.insert().values(
                    payment_request_id=request_id,
                    order_id=order_id,
                    method=METHOD,
                    terminal=terminal,
                    status="PENDING",
                    created_at=now,
                )
            )
        body = self.pay_body(
            order_id, request_id, store, amount, description, how.user_agent, how=how
        )
        if how.client_ip:
            body["order"].setdefault("env", {})["clientIp"] = how.client_ip
        try:
            response = self.shop.client.pay(body)
        except ApiError as exc:
            if exc.result_status == "F":
                self._finish(request_id, "FAIL", exc.result_code)
            else:  # U after the sdk's retries: the payment may exist, so cancel it
                self.abandon(order_id)
            raise
        except OpenAmsError:
            self.abandon(order_id)
            raise
        with self._lock, self.shop.engine.begin() as db:
            db.execute(
                payments.update()
                .where(payments.c.payment_request_id == request_id)
                .values(payment_id=response.payment_id)
            )
        if response.result.result_status == "S":
            self.shop.record_result(request_id, "SUCCESS", response.result.result_code)
        return order_id, response

    def pay_body(
        self,
        order_id: str,
        request_id: str,
        store: StoreInfo,
        amount: int,
        description: str,
        user_agent: str,
        *,
        how: InStorePay | None = None,
    ) -> dict[str, Any]:
        """The pay request with every field the official SDK's builder for the scenario
        requires, plus paymentNotifyUrl and settlementStrategy (the docs require both):
        the wallet's User-Agent and a return page for an entry code, the till for a
        payment code (which goes in paymentMethodId)."""
        how = how or InStorePay(SCENARIO, user_agent)
        money = {"currency": self.currency, "value": str(amount)}
        base = self.shop.settings.public_url.rstrip("/")
        method: dict[str, Any] = {"paymentMethodType": METHOD}
        if how.payment_code is not None:
            method["paymentMethodId"] = how.payment_code
        env: dict[str, Any] = {}
        if how.scenario == SCENARIO:
            # The wallet's web view identifies the wallet by its User-Agent.
            env["userAgent"] = how.user_agent[:256]
        else:
            env["storeTerminalId"] = how.terminal_id
            env["storeTerminalRequestTime"] = datetime.now(UTC).isoformat(timespec="seconds")
        body: dict[str, Any] = {
            "productCode": PRODUCT_CODE,
            "paymentRequestId": request_id,
            "paymentFactor": {"inStorePaymentScenario": how.scenario},
            "order": {
                "referenceOrderId": order_id,
                "orderDescription": description,
                "orderAmount": money,
                "merchant": {
                    **MERCHANT,
                    "store": {
                        "referenceStoreId": store.store_id,
                        "storeName": store.name,
                        "storeMCC": store.mcc,
                    },
                },
                "env": env,
            },
            "paymentAmount": money,
            "paymentMethod": method,
            "paymentNotifyUrl": self.shop.settings.notify_url,
            "settlementStrategy": {"settlementCurrency": self.currency},
        }
        if how.scenario == SCENARIO:
            body["paymentRedirectUrl"] = f"{base}/store-orders/{order_id}"
        return body

    # ----------------------------------------------------------------- closing

    def abandon(self, order_id: str) -> None:
        """The buyer gave up (or the time ran out): cancel what may still be open.

        The payment is marked CANCELLING before ``cancel`` is sent; if the answer does not
        come, the next :meth:`settle` sends it again.
        """
        with self._lock, self.shop.engine.begin() as db:
            db.execute(
                payments.update()
                .where(payments.c.order_id == order_id, payments.c.status == "PENDING")
                .values(status="CANCELLING")
            )
        for payment in self.shop.payments_of(order_id):
            if payment["status"] == "CANCELLING":
                self._cancel(payment["payment_request_id"])
        self._close_if_settled(order_id)

    def _cancel(self, request_id: str) -> None:
        try:
            self.shop.client.cancel({"paymentRequestId": request_id})
        except ApiError as exc:
            if exc.result_code == "ORDER_NOT_EXIST":
                self._finish(request_id, "CANCELLED", exc.result_code, expected="CANCELLING")
            else:  # e.g. ORDER_STATUS_INVALID: it failed (or closed) meanwhile; ask how
                self._settle_by_inquiry(request_id)
            return
        except OpenAmsError:
            return  # stays CANCELLING; settle() retries
        self._finish(request_id, "CANCELLED", None, expected="CANCELLING")

    def _settle_by_inquiry(self, request_id: str) -> None:
        try:
            answer = self.shop.client.inquiry_payment({"paymentRequestId": request_id})
        except OpenAmsError:
            return
        if answer.payment_status in ("FAIL", "CANCELLED"):
            self._finish(
                request_id, answer.payment_status, answer.payment_result_code, "CANCELLING"
            )

    def _finish(
        self, request_id: str, status: str, code: str | None, expected: str = "PENDING"
    ) -> None:
        with self._lock, self.shop.engine.begin() as db:
            db.execute(
                payments.update()
                .where(
                    payments.c.payment_request_id == request_id,
                    payments.c.status == expected,
                )
                .values(status=status, result_code=code)
            )
            order_id = db.execute(
                sa.select(payments.c.order_id).where(payments.c.payment_request_id == request_id)
            ).scalar()
        if order_id is not None:
            self._close_if_settled(order_id)

    def _close_if_settled(self, order_id: str) -> None:
        """An open order whose payments all ended without success is CANCELLED."""
        with self._lock, self.shop.engine.begin() as db:
            states = (
                db.execute(sa.select(payments.c.status).where(payments.c.order_id == order_id))
                .scalars()
                .all()
            )
            if states and all(s in ("FAIL", "CANCELLED") for s in states):
                db.execute(
                    orders.update()
                    .where(orders.c.order_id == order_id, orders.c.status == "OPEN")
                    .values(status="CANCELLED")
                )

    def settle(self, order_id: str, now: float | None = None) -> None:
        """Bring one entry-code order up to date: inquire about an open payment, cancel it
        once the time is over, retry a cancel, close the order when its payment failed."""
        now = time.time() if now is None else now
        for payment in self.shop.payments_of(order_id):
            request_id = payment["payment_request_id"]
            if payment["status"] == "PENDING":
                self.shop.refresh(request_id)
            elif payment["status"] == "CANCELLING":
                self._cancel(request_id)
        order = self.shop.order(order_id)
        if order is None or order["status"] != "OPEN":
            return
        pending = [p for p in self.shop.payments_of(order_id) if p["status"] == "PENDING"]
        if pending and now - min(p["created_at"] for p in pending) >= self.timeout_seconds:
            self.abandon(order_id)
            return
        self._close_if_settled(order_id)

    def sweep(self) -> None:
        """settle() every open entry-code order (the background sweeper calls this)."""
        with self.shop.engine.connect() as db:
            open_ids = (
                db.execute(
                    sa.select(entry_orders.c.order_id)
                    .join(orders, orders.c.order_id == entry_orders.c.order_id)
                    .where(orders.c.status == "OPEN")
                )
                .scalars()
                .all()
            )
        for order_id in open_ids:
            self.settle(order_id)
