"""Console, Developers pages over HTTP against the live gateway: the request log (filters,
keyset pages, a call's detail), notifications (attempts, resend), test notifications,
the links between them and payments, one merchant never seeing another's."""

from __future__ import annotations

import html
import json
import re
from typing import Any

import httpx
import pytest

from openams.gateway.app import Gateway
from openams.gateway.settings import Settings
from openams.protocol.signing import parse_signature_header, verify
from tests.ams_client import AmsClient
from tests.console.conftest import csrf_of
from tests.gateway.integration.card_payloads import AMEX, VISA_DECLINED, card_meta, card_pay_body
from tests.gateway.integration.payloads import new_id, pay_body
from tests.notify.receiver import ACK, receiver

MERCHANT = "SANDBOX_TEST_MERCHANT"
BASE = f"/console/m/{MERCHANT}"
_REQUEST_LINK = re.compile(r'href="/console/m/[^/]+/requests/(\d+)"')
_NOTIFICATION_LINK = re.compile(r'href="/console/m/[^/]+/notifications/(N[0-9a-f]+)"')


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """No background dispatcher: the tests deliver with ``drain()``, one step at a time."""
    return settings.model_copy(update={"run_dispatcher": False})


def drain(gateway: Gateway) -> int:
    worker = gateway.dispatcher()
    try:
        return worker.drain()
    finally:
        worker.close()


def log_ids(page: str) -> list[int]:
    return [int(found) for found in _REQUEST_LINK.findall(page)]


def link_after(page: str, rel_text: str) -> str:
    """The href of the link whose text is ``rel_text``."""
    found = re.search(r'href="([^"]+)"[^>]*>' + re.escape(rel_text) + "<", page)
    assert found, f"no link {rel_text!r}"
    return html.unescape(found.group(1))


def inquiry(ams: AmsClient, payment_request_id: str) -> str:
    reply = ams.call("payments/inquiryPayment", {"paymentRequestId": payment_request_id})
    return reply.code


def test_requests_page_filters(console: httpx.Client, ams: AmsClient) -> None:
    paid = ams.call("payments/pay", pay_body())
    payment_id = str(paid.body["paymentId"])
    assert inquiry(ams, "NO_SUCH_REQUEST") == "ORDER_NOT_EXIST"
    assert ams.call("payments/inquiryPayment", {"paymentId": payment_id}).code == "SUCCESS"

    everything = console.get(f"{BASE}/requests")
    assert everything.status_code == 200
    assert len(log_ids(everything.text)) == 3
    first, failed, pay_call = log_ids(everything.text)  # newest first
    assert first > failed > pay_call

    by_path = console.get(f"{BASE}/requests", params={"path": "inquiryPayment"}).text
    assert log_ids(by_path) == [first, failed]
    by_code = console.get(f"{BASE}/requests", params={"code": "order_not_exist"}).text
    assert log_ids(by_code) == [failed]
    by_status = console.get(f"{BASE}/requests", params={"status": "U"}).text
    assert log_ids(by_status) == [pay_call]
    by_id = console.get(f"{BASE}/requests", params={"id": payment_id}).text
    assert log_ids(by_id) == [first, pay_call]
    both = console.get(f"{BASE}/requests", params={"path": "pay", "status": "S"}).text
    assert log_ids(both) == [first]
    nothing = console.get(f"{BASE}/requests", params={"code": "REPEAT_REQ_INCONSISTENT"}).text
    assert log_ids(nothing) == [] and "No call matches" in nothing


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"status": "X"}, "result status &#39;X&#39; is not one of S, F or U"),
        ({"before": "abc"}, "before=&#39;abc&#39; is not a log id"),
        ({"before": "-5"}, "is not a log id"),
        ({"code": "NOT A CODE"}, "is not a result code"),
        ({"id": "x" * 65}, "a request id has at most 64 characters"),
        ({"path": "p" * 300}, "longer than 256 characters"),
    ],
)
def test_requests_page_refuses_bad_filters(
    console: httpx.Client, ams: AmsClient, query: dict[str, str], message: str
) -> None:
    ams.call("payments/pay", pay_body())
    refused = console.get(f"{BASE}/requests", params=query)
    assert refused.status_code == 400
    assert message in refused.text
    assert log_ids(refused.text) == []  # no table that would look unfiltered


def test_requests_keyset_pages(console: httpx.Client, ams: AmsClient) -> None:
    for _ in range(53):
        assert inquiry(ams, "NO_SUCH_REQUEST") == "ORDER_NOT_EXIST"
    ams.call("payments/pay", pay_body())  # not an ORDER_NOT_EXIST: filtered out below
    first = console.get(f"{BASE}/requests", params={"code": "ORDER_NOT_EXIST"}).text
    page_one = log_ids(first)
    assert len(page_one) == 50
    assert "Previous<" not in first
    older = link_after(first, "Next")
    assert f"before={page_one[-1]}" in older and "code=ORDER_NOT_EXIST" in older
    second = console.get(older).text
    page_two = log_ids(second)
    assert len(page_two) == 3 and max(page_two) < min(page_one)
    assert "Next<" not in second
    newest = link_after(second, "Previous")
    assert log_ids(console.get(newest).text) == page_one


def test_request_detail(console: httpx.Client, ams: AmsClient, gateway: Gateway) -> None:
    body = pay_body()
    paid = ams.call("payments/pay", body)
    payment_id = str(paid.body["paymentId"])
    [log_id] = log_ids(console.get(f"{BASE}/requests").text)
    detail = console.get(f"{BASE}/requests/{log_id}")
    assert detail.status_code == 200
    text = html.unescape(detail.text)
    assert "/ams/sandbox/api/v1/payments/pay" in text
    assert "verified with key version 1" in text
    assert "U PAYMENT_IN_PROCESS" in text
    # bodies pretty-printed: one member per line, indented
    assert f'\n  "paymentRequestId": "{body["paymentRequestId"]}",\n' in text
    assert f'\n  "paymentId": "{payment_id}",\n' in text
    assert '"signature": "algorithm=RSA256,keyVersion=1,signature=' in text  # both directions
    assert '"response-time": ' in text
    # copy as curl: the signed request, to the gateway's public URL
    curl = re.search(r'<pre id="curl"[^>]*>(.*?)</pre>', detail.text, re.S)
    assert curl is not None
    command = html.unescape(curl.group(1))
    assert command.startswith("curl -X POST http://gateway.test/ams/sandbox/api/v1/payments/pay")
    assert f"-H 'client-id: {MERCHANT}'" in command
    assert "-H 'signature: algorithm=RSA256,keyVersion=1,signature=" in command
    assert str(body["paymentRequestId"]) in command
    assert 'src="/static/console/copy.js"' in detail.text
    assert console.get("/static/console/copy.js").status_code == 200
    # the link to the payment
    assert f'href="{BASE}/payments/{payment_id}"' in detail.text


def test_request_detail_of_a_refused_signature_shows_what_was_checked(
    console: httpx.Client, ams: AmsClient
) -> None:
    refused = ams.call("payments/pay", pay_body(), sign_path="/ams/api/v1/payments/other")
    assert refused.code == "INVALID_SIGNATURE"
    [log_id] = log_ids(console.get(f"{BASE}/requests").text)
    text = html.unescape(console.get(f"{BASE}/requests/{log_id}").text)
    assert "refused: the signature does not match the request" in text
    assert "POST /ams/sandbox/api/v1/payments/pay" in text  # the canonical string checked


def test_unknown_or_malformed_log_ids_are_not_found(console: httpx.Client, merchant: str) -> None:
    for log_id in ("999999", "abc", "1.5", "9" * 40):
        reply = console.get(f"{BASE}/requests/{log_id}")
        assert reply.status_code == 404, log_id
        assert "No such request" in reply.text
    assert console.get("/console/m/NOBODY/requests").status_code == 404


def test_a_merchant_sees_only_its_own_requests_and_notifications(
    console: httpx.Client, ams: AmsClient, other_ams: AmsClient, gateway: Gateway
) -> None:
    ams.call("payments/pay", pay_body())
    theirs = other_ams.call("payments/pay", pay_body())
    other = f"/console/m/{other_ams.client_id}"
    [their_log] = log_ids(console.get(f"{other}/requests").text)
    [my_log] = log_ids(console.get(f"{BASE}/requests").text)
    assert their_log != my_log
    assert console.get(f"{other}/requests/{their_log}").status_code == 200
    mine = console.get(f"{BASE}/requests/{their_log}")
    assert mine.status_code == 404
    assert str(theirs.body["paymentId"]) not in mine.text

    merchant = gateway.merchants.get(other_ams.client_id)
    assert merchant is not None
    sent = gateway.sandbox.send_test_notification(merchant, "PAYMENT_RESULT", None, None)
    their_notification = str(sent["notificationId"])
    assert their_notification not in console.get(f"{BASE}/notifications").text
    assert console.get(f"{other}/notifications/{their_notification}").status_code == 200
    assert console.get(f"{BASE}/notifications/{their_notification}").status_code == 404
    # nor resend it through its own pages
    page = console.get(f"{BASE}/notifications")
    resend = console.post(
        f"{BASE}/notifications/{their_notification}/resend",
        data={"csrf_token": csrf_of(page.text)},
    )
    assert resend.status_code == 303
    assert "ORDER_NOT_EXIST" in console.get(resend.headers["location"]).text
    with gateway.store() as uow:
        assert len(uow.outbox.search(other_ams.client_id, limit=10)) == 1


def test_payment_page_lists_its_requests_and_links_notifications(
    console: httpx.Client, ams: AmsClient, gateway: Gateway
) -> None:
    with receiver() as shop:
        body = pay_body(paymentNotifyUrl=shop.url)
        paid = ams.call("payments/pay", body)
        payment_id = str(paid.body["paymentId"])
        ams.call("payments/pay", pay_body())  # another payment's call
        done = ams.call(
            "testHelpers/completePayment", {"paymentId": payment_id, "outcome": "SUCCESS"}
        )
        assert done.code == "SUCCESS"
        assert drain(gateway) == 1
    payment_page = console.get(f"{BASE}/payments/{payment_id}").text
    section = payment_page[payment_page.index('data-testid="payment-requests"') :]
    calls = log_ids(section)
    assert len(calls) == 2  # pay and completePayment, oldest first
    assert calls == sorted(calls)
    paths = section.replace("<wbr>", "")
    assert "/payments/pay<" in paths and "/testHelpers/completePayment<" in paths
    [notification_id] = set(_NOTIFICATION_LINK.findall(payment_page))

    # payment -> request -> payment and notification
    request_page = console.get(f"{BASE}/requests/{calls[0]}").text
    assert f'href="{BASE}/payments/{payment_id}"' in request_page
    assert f'href="{BASE}/notifications/{notification_id}"' in request_page
    # notification -> payment and its requests
    notification_page = console.get(f"{BASE}/notifications/{notification_id}").text
    assert f'href="{BASE}/payments/{payment_id}"' in notification_page
    its_requests = link_after(notification_page, "its requests")
    assert log_ids(console.get(its_requests).text) == calls[::-1]


def test_notification_detail_shows_every_attempt_with_what_was_sent(
    console: httpx.Client, ams: AmsClient, gateway: Gateway, clock: Any
) -> None:
    answers = iter([(500, b"merchant down"), (200, ACK)])
    with receiver(lambda _n: next(answers)) as shop:
        paid = ams.call("payments/pay", pay_body(paymentNotifyUrl=shop.url))
        payment_id = str(paid.body["paymentId"])
        ams.call("testHelpers/completePayment", {"paymentId": payment_id, "outcome": "SUCCESS"})
        assert drain(gateway) == 1
        clock.advance(121)
        assert drain(gateway) == 1
    [notification_id] = set(_NOTIFICATION_LINK.findall(console.get(f"{BASE}/notifications").text))
    page = console.get(f"{BASE}/notifications/{notification_id}")
    assert page.status_code == 200
    text = html.unescape(page.text)
    assert "DELIVERED" in text
    assert "#1" in text and "HTTP 500" in text and "merchant down" in text
    assert "#2" in text and "HTTP 200" in text and "acknowledged" in text
    assert text.count(shop.url) >= 3  # the notification's URL and each attempt's
    sent = [r.body.decode() for r in shop.received]
    assert len(sent) == 2 and sent[0] == sent[1]
    assert text.count(sent[0]) == 2  # the exact body of each attempt
    for received in shop.received:  # and the signed headers each one carried
        assert f'"signature": "{received.headers["signature"]}"' in text
        assert f'"request-time": "{received.headers["request-time"]}"' in text


def test_resend_queues_that_very_notification_again(
    console: httpx.Client, ams: AmsClient, gateway: Gateway
) -> None:
    with receiver() as shop:
        paid = ams.call("payments/pay", pay_body(paymentNotifyUrl=shop.url))
        payment_id = str(paid.body["paymentId"])
        ams.call("testHelpers/completePayment", {"paymentId": payment_id, "outcome": "SUCCESS"})
        refund = ams.call(
            "payments/refund",
            {
                "refundRequestId": new_id("RF"),
                "paymentId": payment_id,
                "refundAmount": {"currency": "HKD", "value": "10"},
                "refundNotifyUrl": shop.url,
            },
        )
        assert refund.code == "SUCCESS"
        assert drain(gateway) == 2
        with gateway.store() as uow:
            first, latest = uow.outbox.for_payment(MERCHANT, payment_id)
        assert first.notify_type.value == "PAYMENT_RESULT"  # not the latest one
        page = console.get(f"{BASE}/notifications/{first.notification_id}")
        token = csrf_of(page.text)

        refused = console.post(f"{BASE}/notifications/{first.notification_id}/resend")
        assert refused.status_code == 403
        resent = console.post(
            f"{BASE}/notifications/{first.notification_id}/resend", data={"csrf_token": token}
        )
        assert resent.status_code == 303
        new_page = console.get(resent.headers["location"])
        [new_id_shown] = re.findall(r"queued again as (N[0-9a-f]+)", new_page.text)
        assert resent.headers["location"] == f"{BASE}/notifications/{new_id_shown}"
        assert drain(gateway) == 1
    assert new_id_shown not in (first.notification_id, latest.notification_id)
    # the two were delivered at once, in either order; then the PAYMENT_RESULT again
    [payment_result] = [r.body for r in shop.received[:2] if b"PAYMENT_RESULT" in r.body]
    assert len(shop.received) == 3 and shop.received[2].body == payment_result
    assert "HTTP 200" in console.get(resent.headers["location"]).text


def test_test_notification_form_and_delivery(
    console: httpx.Client, ams: AmsClient, gateway: Gateway
) -> None:
    form = console.get(f"{BASE}/test-notification", params={"type": "CAPTURE_RESULT"})
    assert form.status_code == 200
    sample = re.search(r'<textarea name="body"[^>]*>(.*?)</textarea>', form.text, re.S)
    assert sample is not None
    body = json.loads(html.unescape(sample.group(1)))
    assert body["notifyType"] == "CAPTURE_RESULT" and body["captureId"] == "TEST_CAPTURE_ID"
    assert console.get(f"{BASE}/test-notification", params={"type": "X"}).status_code == 400
    token = csrf_of(form.text)

    with receiver() as shop:
        gateway.merchants.set_notify_url(MERCHANT, shop.url)
        bad = console.post(
            f"{BASE}/test-notification",
            data={
                "csrf_token": token,
                "notify_type": "CAPTURE_RESULT",
                "body": '{"captureId": "C1",',
                "url": "",
            },
        )
        assert bad.status_code == 400
        assert "the body is not JSON" in bad.text
        assert "{&#34;captureId&#34;: &#34;C1&#34;," in bad.text  # kept for fixing
        for levels in (65, 5000):  # past the limit, and past what json can parse
            deep = console.post(
                f"{BASE}/test-notification",
                data={
                    "csrf_token": token,
                    "notify_type": "CAPTURE_RESULT",
                    "body": '{"a":' * (levels - 1) + "{}" + "}" * (levels - 1),
                    "url": "",
                },
            )
            assert deep.status_code == 400, levels
            assert "the body nests more than 64 levels deep" in deep.text

        body["captureId"] = "CAPTURE_FROM_THE_CONSOLE"
        sent = console.post(
            f"{BASE}/test-notification",
            data={
                "csrf_token": token,
                "notify_type": "CAPTURE_RESULT",
                "body": json.dumps(body, indent=2),
                "url": "",
            },
        )
        assert sent.status_code == 303
        detail_url = sent.headers["location"]
        notification_id = detail_url.rsplit("/", 1)[1]
        shown = console.get(detail_url).text
        assert f"test notification {notification_id} queued to {shop.url}" in shown
        assert drain(gateway) == 1
    [arrived] = shop.received
    assert arrived.json["captureId"] == "CAPTURE_FROM_THE_CONSOLE"
    assert arrived.json["notifyType"] == "CAPTURE_RESULT"
    header = parse_signature_header(arrived.headers["signature"])
    assert verify(
        "POST",
        arrived.path,
        MERCHANT,
        arrived.headers["request-time"],
        arrived.body,
        header.signature,
        gateway.key_pair.public_key,
    )
    detail = html.unescape(console.get(detail_url).text)
    assert "DELIVERED" in detail and "HTTP 200" in detail
    assert arrived.body.decode() in detail
    assert arrived.headers["signature"] in detail


def test_test_notification_to_another_url_and_refusals(
    console: httpx.Client, ams: AmsClient, gateway: Gateway
) -> None:
    form = console.get(f"{BASE}/test-notification")
    token = csrf_of(form.text)

    def send(**data: str) -> httpx.Response:
        fields = {"csrf_token": token, "notify_type": "REFUND_RESULT", "body": "{}", "url": ""}
        return console.post(f"{BASE}/test-notification", data={**fields, **data})

    no_url = send()  # the merchant has no notify URL, and none was given
    assert no_url.status_code == 400 and "the merchant has no notify URL" in no_url.text
    assert send(body="[1, 2]").status_code == 400
    assert "is not an http or https URL" in send(url="ftp://x.example/n").text
    assert "has no host" in send(url="http:///n").text
    assert "more than 2048 characters" in send(url="http://x.example/" + "n" * 2048).text
    assert send(notify_type="PAYMENT_PENDING").status_code == 400
    assert send(body=" " * 70_000 + "{}").status_code == 400
    assert console.post(f"{BASE}/test-notification", data={"body": "{}"}).status_code == 403
    with gateway.store() as uow:
        assert uow.outbox.search(MERCHANT, limit=5) == []

    with receiver() as elsewhere:
        sent = send(body='{"refundId": "R1"}', url=elsewhere.url)
        assert sent.status_code == 303
        assert drain(gateway) == 1
    [arrived] = elsewhere.received
    assert arrived.json == {"refundId": "R1", "notifyType": "REFUND_RESULT"}


def test_notifications_list_pages_and_filters(
    console: httpx.Client, ams: AmsClient, gateway: Gateway
) -> None:
    merchant = gateway.merchants.get(MERCHANT)
    assert merchant is not None
    made = [
        str(
            gateway.sandbox.send_test_notification(
                merchant, "REFUND_RESULT" if n % 2 else "PAYMENT_RESULT", None, "https://x.test/n"
            )["notificationId"]
        )
        for n in range(53)
    ]
    first = console.get(f"{BASE}/notifications").text
    page_one = _NOTIFICATION_LINK.findall(first)
    assert page_one == made[::-1][:50]
    second = console.get(link_after(first, "Next")).text
    assert _NOTIFICATION_LINK.findall(second) == made[::-1][50:]
    back = console.get(link_after(second, "Previous")).text
    assert _NOTIFICATION_LINK.findall(back) == page_one
    refunds = console.get(f"{BASE}/notifications", params={"type": "REFUND_RESULT"}).text
    assert _NOTIFICATION_LINK.findall(refunds) == made[1::2][::-1]
    for query, message in (
        ({"type": "NOPE"}, "is not a notification type"),
        ({"before": "x y"}, "is not a notification id"),
    ):
        refused = console.get(f"{BASE}/notifications", params=query)
        assert refused.status_code == 400 and message in html.unescape(refused.text)
    assert console.get(f"{BASE}/notifications/NO_SUCH").status_code == 404


def test_developer_pages_need_a_session(http: httpx.Client, merchant: str) -> None:
    for path in (
        f"{BASE}/requests",
        f"{BASE}/requests/1",
        f"{BASE}/notifications",
        f"{BASE}/notifications/N0",
        f"{BASE}/test-notification",
    ):
        reply = http.get(path)
        assert reply.status_code == 303, path
        assert reply.headers["location"] == "/console/login"
    for path in (f"{BASE}/notifications/N0/resend", f"{BASE}/test-notification"):
        assert http.post(path, data={"body": "{}"}).headers["location"] == "/console/login"


# ------------------------------------------------------------------ card data


def _token(secret: str, text: str) -> bool:
    """``secret`` as a token of its own (not inside a longer number, id or a time's ms)."""
    pattern = r"(?<![0-9A-Za-z.])" + re.escape(secret) + r"(?![0-9A-Za-z])"
    return re.search(pattern, text) is not None


def _spaced(number: str) -> str:
    return " ".join(number[i : i + 4] for i in range(0, len(number), 4))


def test_card_number_masked_and_cvv_absent_on_the_console_pages(
    console: httpx.Client, ams: AmsClient, gateway: Gateway
) -> None:
    cvv = "7319"
    sale = ams.call("payments/pay", card_pay_body(card_meta(_spaced(AMEX), cvv=cvv)))
    assert sale.code == "SUCCESS", sale.result
    declined = ams.call("payments/pay", card_pay_body(card_meta(VISA_DECLINED, cvv="731")))
    assert declined.code == "PROCESS_FAIL"
    refused = ams.call("payments/pay", card_pay_body(card_meta(AMEX, cvv="1")))
    assert refused.code == "INVALID_PAYMENT_METHOD_META_DATA"
    listing = console.get(f"{BASE}/requests").text
    pages = [listing]
    for log_id in log_ids(listing):
        pages.append(console.get(f"{BASE}/requests/{log_id}").text)
    for paid in (sale, declined):
        pages.append(console.get(f"{BASE}/payments/{paid.body['paymentId']}").text)
    assert len(pages) == 6
    shown = "\n".join(html.unescape(page) for page in pages)
    assert '"cardNo": "378282******0005"' in shown  # the numbers as the log keeps them
    assert '"cardNo": "400000******0002"' in shown
    for number in (AMEX, VISA_DECLINED):
        assert number not in shown and _spaced(number) not in shown
    for secret in (cvv, "731"):
        assert not _token(secret, shown), f"CVV {secret} on a console page"
    for field in ('"cvv"', "'cvv'", "cvv="):  # a cvv field, in JSON, a repr or a query
        assert field not in shown.lower()
    assert "paymentmethodmetadata.cvv: security code" in shown.lower()  # the refusal says why
