"""Refunds and cancels from the shop, in headless Chromium, then reconciled.

The buyer pays over HTTP (the purchase itself is covered by test_browser.py); the
merchant signs in to the admin pages in Chromium, refunds part of one order and then the
rest, cancels another, and uploads the gateway's transaction file: every row matches.
A buyer who gives up on a processing payment cancels it from the result page.
"""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
from playwright.sync_api import Browser, BrowserContext, Page, expect

from openams.sdk import Client
from openams.shop.store import refunds
from openams.testing import complete_payment
from tests.shop.browser import PHONE, chromium, contexts
from tests.shop.conftest import RunningShop, ShopStarter
from tests.shop.helpers import csrf_of, place_order, start_payment
from tests.shop.test_reconciliation_page import request_id_of, settlement_files

__all__ = ["chromium", "contexts"]  # fixtures, used below

ADMIN_SECRET = "refund-me"
PHONE_UA = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Chrome/124.0 Mobile Safari/537.36"
)


def paid_order(shop: RunningShop, buyer: httpx.Client, client: Client, product: str) -> str:
    order_id = place_order(buyer, product)
    start_payment(buyer, order_id)
    complete_payment(client, request_id_of(buyer, order_id))
    shop.gateway.deliver_notifications()
    assert buyer.get(f"/orders/{order_id}/status").json()["status"] == "PAID"
    return order_id


def admin_page(contexts: list[BrowserContext], chromium: Browser) -> Page:
    context = chromium.new_context(viewport={"width": 1280, "height": 800})
    context.set_default_timeout(10_000)
    contexts.append(context)
    return context.new_page()


def sign_in(page: Page, url: str) -> None:
    """Open an admin page: the sign-in form first, then back to that page."""
    page.goto(url)
    page.get_by_label("Admin secret").fill(ADMIN_SECRET)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(url)


def test_refunds_and_a_cancel_from_the_order_page_are_matched_in_reconciliation(
    start_shop: ShopStarter,
    chromium: Browser,
    contexts: list[BrowserContext],
    tmp_path: Path,
) -> None:
    shop = start_shop(admin_secret=ADMIN_SECRET)
    with shop.browser() as buyer, shop.merchant.client() as client:
        refunded = paid_order(shop, buyer, client, "tea")  # HKD 88.00
        cancelled = paid_order(shop, buyer, client, "mug")  # HKD 120.00
        kept = paid_order(shop, buyer, client, "kettle")  # HKD 450.00

    page = admin_page(contexts, chromium)
    sign_in(page, f"{shop.url}/admin/orders/{refunded}")
    expect(page.get_by_test_id("order-state")).to_have_text("Paid")
    # Too many decimals for HKD, then more than was paid: refused, nothing sent.
    page.get_by_test_id("refund-amount").fill("1.234")
    page.get_by_test_id("refund").click()
    expect(page.get_by_test_id("error")).to_contain_text("at most 2 decimal places")
    page.get_by_test_id("refund-amount").fill("88.01")
    page.get_by_test_id("refund").click()
    expect(page.get_by_test_id("error")).to_have_text("At most HKD 88.00 can still be refunded.")
    # A partial refund, in major units.
    page.get_by_test_id("refund-amount").fill("30.5")
    page.get_by_test_id("refund").click()
    expect(page.get_by_test_id("done")).to_have_text("Refunded.")
    expect(page.get_by_test_id("order-state")).to_have_text("Partly refunded")
    expect(page.get_by_test_id("order-refunded")).to_have_text("HKD 30.50")
    expect(page.get_by_test_id("order-refundable")).to_have_text("HKD 57.50")
    # Partly refunded: the gateway would refuse a cancel, so the page offers none.
    expect(page.get_by_test_id("cancel")).to_have_count(0)
    # The rest.
    page.get_by_test_id("refund-all").click()
    expect(page.get_by_test_id("order-state")).to_have_text("Refunded")
    expect(page.get_by_test_id("order-refundable")).to_have_text("HKD 0.00")
    expect(page.get_by_test_id("refund-form")).to_have_count(0)
    rows = page.locator("[data-testid^=refund-REFUND]")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text("HKD 30.50")
    expect(rows.nth(1)).to_contain_text("HKD 57.50")

    page.goto(f"{shop.url}/admin/orders/{cancelled}")
    page.get_by_test_id("cancel").click()
    expect(page.get_by_test_id("done")).to_have_text("Cancelled.")
    expect(page.get_by_test_id("order-state")).to_have_text("Cancelled")
    with shop.merchant.client() as client:
        for order_id, expected in ((cancelled, "CANCELLED"), (kept, "SUCCESS")):
            [payment] = shop.shop.payments_of(order_id)
            answer = client.inquiry_payment({"paymentRequestId": payment["payment_request_id"]})
            assert answer.payment_status == expected
            assert payment["status"] == expected
        [paid] = shop.shop.payments_of(refunded)
        answer = client.inquiry_payment({"paymentRequestId": paid["payment_request_id"]})
        assert sorted(t.transaction_amount.value for t in answer.transactions or []) == [
            "3050",
            "5750",
        ]

    page.goto(f"{shop.url}/admin/orders")
    expect(page.get_by_test_id("orders")).to_contain_text(refunded)

    day = datetime.now(UTC).date().isoformat()
    transactions = settlement_files(shop, day, tmp_path)
    text = transactions.read_text()
    assert text.count(",REFUND,") == 2 and cancelled not in text  # cancelled: not settled
    page.goto(f"{shop.url}/admin/reconciliation")
    page.get_by_test_id("file").set_input_files(str(transactions))
    page.get_by_role("button", name="Reconcile").click()
    expect(page.get_by_test_id("all-matched")).to_be_visible()
    # The two payments still standing and the two refunds, each known to the shop.
    expect(page.get_by_test_id("count-MATCHED")).to_have_text("4")
    expect(page.get_by_test_id("count-UNKNOWN_TO_SHOP")).to_have_text("0")
    expect(page.get_by_test_id("count-MISSING_FROM_FILE")).to_have_text("0")


def test_a_buyer_cancels_a_payment_that_is_still_processing(
    start_shop: ShopStarter, chromium: Browser, contexts: list[BrowserContext]
) -> None:
    shop = start_shop(processing_after_seconds=0.0)
    context = chromium.new_context(user_agent=PHONE_UA, **PHONE)
    context.set_default_timeout(10_000)
    contexts.append(context)
    page = context.new_page()
    page.goto(shop.url + "/")
    page.get_by_test_id("product-tea").get_by_role("button", name="Add to cart").click()
    page.get_by_role("button", name="Checkout").click()
    page.wait_for_url(re.compile(r".*/orders/\w+/checkout$"))
    order_id = page.url.rsplit("/", 2)[-2]
    page.get_by_test_id("method-ALIPAY_HK").click()
    page.get_by_role("button", name="Pay").click()
    page.wait_for_url(re.compile(re.escape(shop.gateway.url) + r"/.*"))
    # The buyer comes back without paying: processing, with a way out.
    page.goto(f"{shop.url}/orders/{order_id}/result")
    expect(page.get_by_test_id("status")).to_contain_text("processing")
    page.get_by_test_id("cancel-payment").click()
    expect(page.get_by_test_id("status")).to_have_text(
        "You cancelled the payment. Your order is still open."
    )
    expect(page.get_by_role("link", name="Pay again")).to_be_visible()
    expect(page.get_by_test_id("cancel-payment")).to_be_hidden()
    [payment] = shop.shop.payments_of(order_id)
    assert payment["status"] == "CANCELLED"
    with shop.merchant.client() as client:
        answer = client.inquiry_payment({"paymentRequestId": payment["payment_request_id"]})
    assert answer.payment_status == "CANCELLED"
    order = shop.shop.order(order_id)
    assert order is not None and order["status"] == "OPEN"


def test_refund_and_cancel_need_the_admin_and_the_csrf_token(start_shop: ShopStarter) -> None:
    shop = start_shop(admin_secret=ADMIN_SECRET)
    with shop.browser() as buyer, shop.merchant.client() as client:
        order_id = paid_order(shop, buyer, client, "tea")
        csrf = csrf_of(buyer.get("/").text)
        # The buyer's own session, not signed in: sent to the sign-in form, nothing done.
        for action in ("refund", "cancel"):
            answer = buyer.post(
                f"/admin/orders/{order_id}/{action}", data={"csrf": csrf, "amount": "1"}
            )
            assert answer.status_code == 303
            assert answer.headers["location"].startswith("/admin/login?next=")
        login = buyer.get(f"/admin/login?next=/admin/orders/{order_id}")
        signed = buyer.post(
            "/admin/login",
            data={
                "secret": ADMIN_SECRET,
                "csrf": csrf_of(login.text),
                "next": f"/admin/orders/{order_id}",
            },
        )
        assert signed.headers["location"] == f"/admin/orders/{order_id}"
        forged = buyer.post(
            f"/admin/orders/{order_id}/refund", data={"csrf": "0" * 64, "amount": "1"}
        )
        assert forged.status_code == 403
        # Sign-in never sends anyone off the admin pages.
        elsewhere = buyer.post(
            "/admin/login",
            data={"secret": ADMIN_SECRET, "csrf": csrf, "next": "//evil.example/admin/"},
        )
        assert elsewhere.headers["location"] == "/admin/reconciliation"
    assert shop.shop.refund_transactions() == []
    order = shop.shop.order(order_id)
    assert order is not None and order["status"] == "PAID"


def test_without_a_secret_the_admin_pages_explain_how_to_turn_them_on(
    running_shop: RunningShop,
) -> None:
    with running_shop.browser() as visitor:
        for path in ("/admin/reconciliation", "/admin/orders", "/admin/login", "/admin"):
            answer = visitor.get(path, headers={"Accept": "text/html"})
            assert answer.status_code == 404, path
            assert answer.headers["content-type"].startswith("text/html")
            assert "OPENAMS_SHOP_ADMIN_SECRET" in answer.text and "openams dev" in answer.text


def test_a_refund_whose_call_never_got_out_is_sent_when_the_page_opens(
    start_shop: ShopStarter,
) -> None:
    """The row is written before the call; a refund the gateway never heard of (the
    process stopped in between) is sent, with its own refundRequestId, by the next look."""
    shop = start_shop(admin_secret=ADMIN_SECRET)
    with shop.browser() as buyer, shop.merchant.client() as client:
        order_id = paid_order(shop, buyer, client, "tea")
        [payment] = shop.shop.payments_of(order_id)
        with shop.shop.engine.begin() as db:
            db.execute(
                refunds.insert().values(
                    refund_request_id="REFUND-LOST-1",
                    order_id=order_id,
                    payment_request_id=payment["payment_request_id"],
                    currency="HKD",
                    amount=1000,
                    status="PENDING",
                    created_at=time.time(),
                )
            )
        login = buyer.get(f"/admin/login?next=/admin/orders/{order_id}")
        buyer.post(
            "/admin/login",
            data={"secret": ADMIN_SECRET, "csrf": csrf_of(login.text), "next": "/"},
        )
        page = buyer.get(f"/admin/orders/{order_id}")
        assert page.status_code == 200
        assert 'data-testid="order-refunded">HKD 10.00<' in page.text
        answer = client.inquiry_refund({"refundRequestId": "REFUND-LOST-1"})
    assert answer.refund_status == "SUCCESS"
    assert answer.refund_amount is not None and answer.refund_amount.value == "1000"
    [refund] = shop.shop.refund_transactions()
    assert (refund.status, refund.amount) == ("SUCCESS", 1000)
