"""Driving the shop's pages over HTTP as a browser would (cookies, CSRF tokens)."""

from __future__ import annotations

import json
import re
from typing import Any

import httpx
import sqlalchemy as sa

from openams.gateway.store.tables import payments as gateway_payments
from openams.testing import SandboxGateway


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf" value="([0-9a-f]+)"', html)
    assert match, html
    return match.group(1)


def place_order(browser: httpx.Client, product: str = "tea") -> str:
    """Add a product, check out; returns the order id (the referenceOrderId)."""
    csrf = csrf_of(browser.get("/").text)
    added = browser.post("/cart/add", data={"product_id": product, "csrf": csrf})
    assert added.status_code == 303
    placed = browser.post("/checkout", data={"csrf": csrf})
    assert placed.status_code == 303, placed.text
    match = re.fullmatch(r"/orders/([A-Za-z0-9]+)/checkout", placed.headers["location"])
    assert match
    return match.group(1)


def pay_form_fields(browser: httpx.Client, order_id: str, method: str) -> dict[str, str]:
    """The checkout page's pay form as the browser would send it (csrf, attempt, method)."""
    page = browser.get(f"/orders/{order_id}/checkout").text
    fields = {"method": method, "csrf": csrf_of(page)}
    match = re.search(r'name="attempt" value="([A-Za-z0-9]*)"', page)
    if match:
        fields["attempt"] = match.group(1)
    return fields


def start_payment(browser: httpx.Client, order_id: str, method: str = "ALIPAY_HK") -> str:
    """POST the pay form; returns the Location the shop redirects the buyer to."""
    fields = pay_form_fields(browser, order_id, method)
    paid = browser.post(f"/orders/{order_id}/pay", data=fields)
    assert paid.status_code == 303, paid.text
    return str(paid.headers["location"])


def add_to_cart(browser: httpx.Client, product: str, quantity: int = 1) -> None:
    csrf = csrf_of(browser.get("/").text)
    added = browser.post(
        "/cart/add", data={"product_id": product, "csrf": csrf, "quantity": quantity}
    )
    assert added.status_code == 303, added.text


def pay_form(browser: httpx.Client, order_id: str, method: str) -> httpx.Response:
    """POST the pay form as is (no assumption about the answer)."""
    csrf = csrf_of(browser.get(f"/orders/{order_id}/checkout").text)
    return browser.post(f"/orders/{order_id}/pay", data={"method": method, "csrf": csrf})


def stored_pay_request(gateway: SandboxGateway, payment_request_id: str) -> dict[str, Any]:
    """The pay request body the gateway stored for this paymentRequestId."""
    with gateway.gateway.engine.connect() as db:
        stored = db.execute(
            sa.select(gateway_payments.c.request_json).where(
                gateway_payments.c.payment_request_id == payment_request_id
            )
        ).scalar_one()
    body: dict[str, Any] = json.loads(stored)
    return body
