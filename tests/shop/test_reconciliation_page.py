"""The reconciliation page with a real transaction file from ``openams reports settlement``."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime
from pathlib import Path

import httpx
from click.testing import CliRunner

from openams.cli import main as openams_cli
from openams.shop.store import orders
from openams.testing import complete_payment
from tests.shop.conftest import RunningShop, ShopStarter
from tests.shop.helpers import csrf_of, place_order, start_payment

ADMIN_SECRET = "reconcile-me"


def request_id_of(browser: httpx.Client, order_id: str) -> str:
    payments = browser.get(f"/orders/{order_id}/status").json()["payments"]
    return str(payments[-1]["paymentRequestId"])


def sign_in(browser: httpx.Client) -> None:
    csrf = csrf_of(browser.get("/admin/login").text)
    answer = browser.post("/admin/login", data={"secret": ADMIN_SECRET, "csrf": csrf})
    assert answer.status_code == 303 and answer.headers["location"] == "/admin/reconciliation"


def upload(browser: httpx.Client, name: str, data: bytes, day: str = "") -> httpx.Response:
    csrf = csrf_of(browser.get("/admin/reconciliation").text)
    return browser.post(
        "/admin/reconciliation",
        data={"csrf": csrf, "day": day},
        files={"file": (name, data, "text/csv")},
    )


def counts_of(page: str) -> dict[str, int]:
    return {
        name: int(value) for name, value in re.findall(r'data-testid="count-(\w+)">(\d+)<', page)
    }


def mismatches_of(page: str) -> dict[str, str]:
    return dict(re.findall(r'data-testid="mismatch-([\w-]+)" data-outcome="(\w+)"', page))


def settlement_files(shop: RunningShop, day: str, out: Path) -> Path:
    """Run the gateway's report command on the gateway's own database."""
    result = CliRunner().invoke(
        openams_cli,
        [
            "reports",
            "settlement",
            "--date",
            day,
            "--client-id",
            shop.merchant.client_id,
            "--out",
            str(out),
            "--database-url",
            shop.gateway.settings.database_url,
        ],
    )
    assert result.exit_code == 0, result.output
    return out / f"transactions-{shop.merchant.client_id}-{day.replace('-', '')}.csv"


def test_the_gateway_file_is_compared_with_the_shop(
    start_shop: ShopStarter, tmp_path: Path
) -> None:
    shop = start_shop(admin_secret=ADMIN_SECRET)
    day = datetime.now(UTC).date().isoformat()
    with shop.browser() as buyer, shop.merchant.client() as client:
        # Paid, and the shop knows it (notification): matched.
        matched = place_order(buyer)
        start_payment(buyer, matched)
        complete_payment(client, request_id_of(buyer, matched))
        shop.gateway.deliver_notifications()
        assert buyer.get(f"/orders/{matched}/status").json()["status"] == "PAID"
        # Paid, but the shop's order says another amount: amount differs.
        altered = place_order(buyer, "mug")
        start_payment(buyer, altered)
        complete_payment(client, request_id_of(buyer, altered))
        shop.gateway.deliver_notifications()
        with shop.shop.engine.begin() as db:
            db.execute(orders.update().where(orders.c.order_id == altered).values(amount=11000))
        # Paid at the gateway, no notification delivered since: status differs.
        unheard = place_order(buyer)
        start_payment(buyer, unheard)
        complete_payment(client, request_id_of(buyer, unheard))
        # The shop believes it paid, the gateway still waits for the buyer: missing.
        believed = place_order(buyer, "kettle")
        start_payment(buyer, believed)
        believed_request = request_id_of(buyer, believed)
        shop.shop.record_result(believed_request, "SUCCESS", "SUCCESS", source="notification")
        # Paid by the merchant outside the shop: unknown to the shop.
        stranger = client.pay(
            {
                "productCode": "CASHIER_PAYMENT",
                "paymentRequestId": f"ELSEWHERE{datetime.now(UTC):%H%M%S%f}",
                "order": {
                    "referenceOrderId": "PHONE-ORDER-1",
                    "orderDescription": "phone order",
                    "orderAmount": {"currency": "HKD", "value": "5000"},
                },
                "paymentAmount": {"currency": "HKD", "value": "5000"},
                "paymentMethod": {"paymentMethodType": "ALIPAY_HK"},
                "paymentRedirectUrl": "http://merchant.test/done",
                "env": {"terminalType": "WEB"},
            }
        )
        complete_payment(client, stranger.payment_request_id)

    transactions = settlement_files(shop, day, tmp_path)
    with shop.browser() as admin:
        sign_in(admin)
        answer = upload(admin, transactions.name, transactions.read_bytes())
    assert answer.status_code == 200, answer.text
    page = html.unescape(answer.text)
    assert counts_of(page) == {
        "MATCHED": 1,
        "UNKNOWN_TO_SHOP": 1,
        "MISSING_FROM_FILE": 1,
        "AMOUNT_DIFFERS": 1,
        "STATUS_DIFFERS": 1,
    }
    found = mismatches_of(page)
    assert found[str(stranger.payment_request_id)] == "UNKNOWN_TO_SHOP"
    assert found[believed_request] == "MISSING_FROM_FILE"
    assert set(found.values()) == {
        "UNKNOWN_TO_SHOP",
        "MISSING_FROM_FILE",
        "AMOUNT_DIFFERS",
        "STATUS_DIFFERS",
    }
    assert "HKD 120.00" in page and "HKD 110.00" in page  # the altered order, both sides
    assert "PHONE-ORDER-1" in page


def test_the_page_needs_the_admin_secret_and_explains_bad_files(
    start_shop: ShopStarter,
) -> None:
    shop = start_shop(admin_secret=ADMIN_SECRET)
    with shop.browser() as visitor:
        assert visitor.get("/admin/reconciliation").headers["location"] == (
            "/admin/login?next=/admin/reconciliation"
        )
        csrf = csrf_of(visitor.get("/admin/login").text)
        wrong = visitor.post("/admin/login", data={"secret": "guess", "csrf": csrf})
        assert wrong.status_code == 403 and "Wrong admin secret." in wrong.text
        refused = visitor.post(
            "/admin/reconciliation",
            data={"csrf": csrf},
            files={"file": ("t.csv", b"x", "text/csv")},
        )
        assert refused.status_code == 303  # not signed in: back to the sign-in form
        sign_in(visitor)
        bad = upload(visitor, "transactions-X-20261121.csv", b"name,amount\r\ntea,1\r\n")
        assert bad.status_code == 400
        assert "the header lacks transactionId" in html.unescape(bad.text)
        binary = upload(visitor, "photo.png", b"\x89PNG\r\n\x1a\n\xff\xfe")
        assert binary.status_code == 400 and "not UTF-8" in binary.text
        bad_day = upload(visitor, "t.csv", b"transactionId\r\n", day="21/11/2026")
        assert bad_day.status_code == 400 and "is not YYYY-MM-DD" in bad_day.text
        forged = visitor.post(
            "/admin/reconciliation",
            data={"csrf": "0" * 64},
            files={"file": ("t.csv", b"x", "text/csv")},
        )
        assert forged.status_code == 403
    with shop.browser() as stranger:  # another session: the admin cookie does not carry over
        stranger.cookies.set("openams_shop_admin", "0" * 64)
        assert stranger.get("/admin/reconciliation").status_code == 303


def test_the_admin_pages_are_off_without_a_secret(running_shop: RunningShop) -> None:
    with running_shop.browser() as visitor:
        answer = visitor.get("/admin/reconciliation")
        assert answer.status_code == 404
        assert "OPENAMS_SHOP_ADMIN_SECRET" in answer.text
        assert visitor.get("/admin/login").status_code == 404
