"""Each page and each action of the console, over HTTP against the live gateway."""

from __future__ import annotations

from typing import Any

import httpx

from openams.gateway.app import Gateway
from openams.protocol.keys import generate_key_pair
from tests.ams_client import AmsClient
from tests.console.conftest import csrf_of
from tests.gateway.integration.payloads import pay_body
from tests.notify.receiver import receiver

BASE = "/console/m/SANDBOX_TEST_MERCHANT"


def pay(ams: AmsClient, **extra: Any) -> str:
    reply = ams.call("payments/pay", pay_body(**extra))
    assert reply.code == "PAYMENT_IN_PROCESS", reply.body
    return str(reply.body["paymentId"])


def post(console: httpx.Client, page: str, action: str, **data: str) -> httpx.Response:
    token = csrf_of(console.get(page).text)
    return console.post(action, data={"csrf_token": token, **data})


def notice(console: httpx.Client, reply: httpx.Response) -> str:
    assert reply.status_code == 303, reply.text
    return console.get(reply.headers["location"]).text


def test_merchants_page_lists_and_escapes(
    console: httpx.Client, gateway: Gateway, merchant_keys: object
) -> None:
    keys = generate_key_pair()
    gateway.merchants.add("SANDBOX_EVIL", keys.public_pem, name="<script>alert(1)</script>")
    page = console.get("/console")
    assert page.status_code == 200
    assert "SANDBOX_EVIL" in page.text
    assert "<script>alert(1)</script>" not in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text
    assert "default-src 'self'" in page.headers["content-security-policy"]


def test_payments_list_filters_and_escapes(console: httpx.Client, ams: AmsClient) -> None:
    evil = pay(
        ams,
        order={
            "orderDescription": "<img src=x onerror=alert(1)>",
            "orderAmount": {"currency": "HKD", "value": "100"},
            "referenceOrderId": "ORDER_EVIL",
        },
    )
    other = pay(ams, method="GCASH", currency="PHP")
    page = console.get(f"{BASE}/payments")
    assert page.status_code == 200
    assert evil in page.text and other in page.text
    assert "<img src=x" not in page.text and "&lt;img src=x" in page.text
    only_gcash = console.get(f"{BASE}/payments", params={"method": "GCASH"}).text
    assert other in only_gcash and evil not in only_gcash
    by_id = console.get(f"{BASE}/payments", params={"q": "ORDER_EVIL"}).text
    assert evil in by_id and other not in by_id
    by_status = console.get(f"{BASE}/payments", params={"status": "SUCCESS"}).text
    assert evil not in by_status and "No payment matches" in by_status
    future = console.get(f"{BASE}/payments", params={"from": "2999-01-01"}).text
    assert "No payment matches" in future
    today = console.get(f"{BASE}/payments", params={"to": "2999-01-01"}).text
    assert evil in today


def test_payments_list_keyset_pagination(console: httpx.Client, ams: AmsClient) -> None:
    ids = {pay(ams) for _ in range(55)}
    first = console.get(f"{BASE}/payments")
    seen = {i for i in ids if i in first.text}
    assert len(seen) == 50
    start = first.text.index('rel="next" href="') + len('rel="next" href="')
    next_url = first.text[start : first.text.index('"', start)].replace("&amp;", "&")
    second = console.get(next_url).text
    rest = {i for i in ids if i in second}
    assert len(rest) == 5 and not rest & seen
    assert 'rel="next"' not in second


def test_unknown_merchant_and_payment_are_404(console: httpx.Client, merchant: str) -> None:
    assert console.get("/console/m/NOPE/payments").status_code == 404
    assert console.get(f"{BASE}/payments/NOPE").status_code == 404
    assert console.get("/console/m/NOPE/keys").status_code == 404


def test_detail_timeline_simulate_resend_and_attempts(
    console: httpx.Client, ams: AmsClient, gateway: Gateway
) -> None:
    with receiver() as shop:
        payment_id = pay(ams, paymentNotifyUrl=shop.url)
        page = f"{BASE}/payments/{payment_id}"
        detail = console.get(page)
        assert detail.status_code == 200
        assert "created for HKD 1.00" in detail.text
        assert "Simulate success" in detail.text
        # resend before any notification: a clear refusal
        text = notice(console, post(console, page, f"{page}/resend"))
        assert "has no notification yet" in text
        text = notice(console, post(console, page, f"{page}/simulate", outcome="SUCCESS"))
        assert "payment completed: SUCCESS" in text
        worker = gateway.dispatcher()
        try:
            assert worker.drain() == 1
            text = notice(console, post(console, page, f"{page}/resend"))
            assert "notification queued again" in text
            assert worker.drain() == 1
        finally:
            worker.close()
    final = console.get(page).text
    assert "paid: SUCCESS" in final
    assert "PAYMENT_RESULT attempt 1: 200, acknowledged" in final
    assert final.count("PAYMENT_RESULT · DELIVERED") == 2
    assert len(shop.received) == 2


def test_simulate_failure(console: httpx.Client, ams: AmsClient) -> None:
    payment_id = pay(ams)
    page = f"{BASE}/payments/{payment_id}"
    text = notice(console, post(console, page, f"{page}/simulate", outcome="FAIL"))
    assert "payment completed: FAIL" in text
    assert "PROCESS_FAIL" in text


def test_refund_and_its_errors(console: httpx.Client, ams: AmsClient) -> None:
    payment_id = pay(ams)
    page = f"{BASE}/payments/{payment_id}"
    text = notice(console, post(console, page, f"{page}/refund", amount="0.40"))
    assert 'class="error"' in text
    notice(console, post(console, page, f"{page}/simulate", outcome="SUCCESS"))
    text = notice(console, post(console, page, f"{page}/refund", amount="0.40"))
    assert "refund" in text and "of HKD 0.40 accepted" in text
    assert ": HKD 0.40 SUCCESS" in text  # on the timeline
    text = notice(console, post(console, page, f"{page}/refund", amount="1.00"))
    assert 'class="error"' in text


def test_cancel(console: httpx.Client, ams: AmsClient) -> None:
    payment_id = pay(ams)
    page = f"{BASE}/payments/{payment_id}"
    text = notice(console, post(console, page, f"{page}/cancel"))
    assert "payment cancelled" in text
    assert "CANCELLED" in text


def test_actions_refuse_a_missing_or_foreign_csrf_token(
    console: httpx.Client, ams: AmsClient
) -> None:
    payment_id = pay(ams)
    page = f"{BASE}/payments/{payment_id}"
    actions = ("cancel", "refund", "resend", "simulate")
    for action in actions:
        assert console.post(f"{page}/{action}", data={"outcome": "SUCCESS"}).status_code == 403
        reply = console.post(f"{page}/{action}", data={"csrf_token": "forged", "amount": "1"})
        assert reply.status_code == 403
    for path in ("advance-clock", "keys", "settings"):
        assert console.post(f"{BASE}/{path}", data={"seconds": "60"}).status_code == 403
    assert "PROCESSING" in console.get(page).text


def test_actions_need_a_session(http: httpx.Client, ams: AmsClient) -> None:
    payment_id = pay(ams)
    reply = http.post(f"{BASE}/payments/{payment_id}/cancel", data={"csrf_token": "x"})
    assert reply.status_code == 303
    assert reply.headers["location"] == "/console/login"


def test_advance_clock_expires_payments(console: httpx.Client, ams: AmsClient) -> None:
    payment_id = pay(ams)
    listing = f"{BASE}/payments"
    text = notice(console, post(console, listing, f"{BASE}/advance-clock", seconds="900"))
    assert "advanced 900 s" in text and "1 payments expired" in text
    bad = notice(console, post(console, listing, f"{BASE}/advance-clock", seconds="abc"))
    assert "seconds must be a whole number" in bad
    assert payment_id in text


def test_keys_page_shows_gateway_key_and_adds_a_version(
    console: httpx.Client, gateway: Gateway, merchant: str
) -> None:
    page = console.get(f"{BASE}/keys")
    assert page.status_code == 200
    pem_line = gateway.key_pair.public_pem.splitlines()[1]
    assert pem_line in page.text
    new = generate_key_pair()
    text = notice(
        console,
        post(console, f"{BASE}/keys", f"{BASE}/keys", key_version="2", public_key=new.public_pem),
    )
    assert "key version 2 added" in text
    assert gateway.merchants.authenticate(merchant, "2")
    bad = notice(
        console, post(console, f"{BASE}/keys", f"{BASE}/keys", key_version="3", public_key="junk")
    )
    assert "PARAM_ILLEGAL" in bad


def test_settings_page_sets_notify_url(
    console: httpx.Client, gateway: Gateway, merchant: str
) -> None:
    assert console.get(f"{BASE}/settings").status_code == 200
    url = "https://shop.example/notify?a=1&b=<2>"
    text = notice(console, post(console, f"{BASE}/settings", f"{BASE}/settings", notify_url=url))
    assert "settings saved" in text
    stored = gateway.merchants.get(merchant)
    assert stored is not None and stored.notify_url == url
    assert "b=&lt;2&gt;" in text
    bad = notice(console, post(console, f"{BASE}/settings", f"{BASE}/settings", notify_url="nope"))
    assert "is not an absolute URL" in bad


def test_production_merchant_cannot_simulate(console: httpx.Client, gateway: Gateway) -> None:
    keys = generate_key_pair()
    gateway.merchants.add("LIVE_MERCHANT", keys.public_pem)
    reply = console.get("/console/m/LIVE_MERCHANT/payments")
    assert "Advance clock" not in reply.text
    text = notice(
        console,
        post(
            console,
            "/console/m/LIVE_MERCHANT/payments",
            "/console/m/LIVE_MERCHANT/advance-clock",
            seconds="60",
        ),
    )
    assert "sandbox merchants only" in text


def test_action_outcomes_are_signed_flash_messages_shown_once(
    console: httpx.Client, ams: AmsClient
) -> None:
    payment_id = pay(ams)
    page = f"{BASE}/payments/{payment_id}"
    reply = post(console, page, f"{page}/cancel")
    assert reply.headers["location"] == page  # the message is not in the URL
    cookie = next(v for k, v in reply.headers.multi_items() if k == "set-cookie")
    assert "openams_console_flash=" in cookie and "httponly" in cookie.lower()
    assert 'role="status">payment cancelled<' in console.get(page).text
    assert "payment cancelled" not in console.get(page).text  # once

    # a crafted link or cookie cannot put words on the page
    spoofed = console.get(page, params={"notice": "call +1 555 0100", "error": "pay here"})
    assert "555 0100" not in spoofed.text and "pay here" not in spoofed.text
    console.cookies.set("openams_console_flash", "eyJrIjoibm90aWNlIn0.forged", path="/console")
    assert 'role="status"' not in console.get(page).text
