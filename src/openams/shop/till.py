"""The store's till: the cashier charges an amount by order code or by the buyer's payment code.

Order code (merchant-presented, ``OrderCode``): the till shows the QR code of the pay's
``orderCodeForm``; the buyer scans it with the wallet and pays there. Payment code
(user-presented, ``PaymentCode``): the cashier scans (or types) the code the buyer's
wallet shows; the pay answers at once (S), after the buyer confirms on the phone (U), or
refuses (F). Either way the order is an entry-code desk order: the desk inquires while
it is open and cancels it once the till's time is over (Antom's polling rule), and the
notification pays it.
"""

from __future__ import annotations

import re
import threading

import sqlalchemy as sa

from openams.shop.entry_code import EntryCodeDesk, InStorePay, StoreInfo, qr_png

ORDER_CODE = "OrderCode"
PAYMENT_CODE = "PaymentCode"
#: What the cashier may type or scan as a payment code: digits (spaces are dropped).
_PAYMENT_CODE = re.compile(r"[0-9]{10,32}")

_till_metadata = sa.MetaData()
till_codes = sa.Table(
    "shop_till_codes",
    _till_metadata,
    sa.Column("order_id", sa.String(64), primary_key=True),
    sa.Column("code_value", sa.String(2048), nullable=False),
    sa.Column("expire_time", sa.String(64)),
)


class PaymentCodeInputError(ValueError):
    """What the cashier entered is no payment code; the message says why."""


def payment_code_of(text: str) -> str:
    code = re.sub(r"\s+", "", text)
    if not code:
        raise PaymentCodeInputError("Scan the buyer's payment code, or type its digits.")
    if not _PAYMENT_CODE.fullmatch(code):
        raise PaymentCodeInputError("A payment code is 10 to 32 digits.")
    return code


class Till:
    """Charges at a store's till, on the entry-code desk's orders and rules."""

    def __init__(self, desk: EntryCodeDesk) -> None:
        self.desk = desk
        self._lock = threading.Lock()
        _till_metadata.create_all(desk.shop.engine)

    def show_order_code(self, session_id: str, store: StoreInfo, amount: int) -> str:
        """Pay by order code; the order id. Raises as ``EntryCodeDesk.start``."""
        order_id, response = self.desk.open_and_pay(
            session_id, store, amount, InStorePay(ORDER_CODE)
        )
        form = response.order_code_form
        value = next(
            (d.code_value for d in (form.code_details if form else []) if d.display_type == "TEXT"),
            None,
        )
        if form is not None and value is not None:
            with self._lock, self.desk.shop.engine.begin() as db:
                db.execute(
                    till_codes.insert().values(
                        order_id=order_id, code_value=value, expire_time=form.expire_time
                    )
                )
        return order_id

    def charge_payment_code(self, session_id: str, store: StoreInfo, amount: int, code: str) -> str:
        """Pay with the buyer's payment code; the order id. Raises as ``start``."""
        how = InStorePay(PAYMENT_CODE, payment_code=payment_code_of(code))
        order_id, _ = self.desk.open_and_pay(session_id, store, amount, how)
        return order_id

    def order_code(self, order_id: str) -> tuple[str, str | None] | None:
        """(code value, expiry) of an order-code order, or None."""
        with self.desk.shop.engine.connect() as db:
            row = db.execute(
                sa.select(till_codes.c.code_value, till_codes.c.expire_time).where(
                    till_codes.c.order_id == order_id
                )
            ).first()
        return None if row is None else (row.code_value, row.expire_time)

    def order_code_png(self, order_id: str) -> bytes | None:
        found = self.order_code(order_id)
        return None if found is None else qr_png(found[0])
