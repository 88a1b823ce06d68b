"""Notification chaos (sandbox) and the SSRF guard."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from openams.gateway.app import Gateway
from openams.gateway.notify.dispatcher import Dispatcher
from openams.gateway.notify.ssrf import BlockedTarget, check_target
from openams.protocol.keys import generate_key_pair
from tests.ams_client import AmsClient
from tests.gateway.integration.payloads import pay_body
from tests.notify.receiver import fail_then_ack, receiver


@pytest.fixture
def dispatcher(gateway: Gateway) -> Iterator[Dispatcher]:
    worker = gateway.dispatcher()
    yield worker
    worker.close()


def pay_and_complete(ams: AmsClient, url: str) -> str:
    body = pay_body(paymentNotifyUrl=url)
    ams.call("payments/pay", body)
    ams.call(
        "testHelpers/completePayment",
        {"paymentRequestId": body["paymentRequestId"], "outcome": "SUCCESS"},
    )
    return str(body["paymentRequestId"])


def kinds(gateway: Gateway, client_id: str) -> list[list[str]]:
    with gateway.store() as uow:
        rows = sorted(uow.outbox.for_client(client_id, 100), key=lambda n: n.created_at)
        return [[a.kind for a in uow.outbox.attempts(n.notification_id)] for n in rows]


def test_chaos_duplicate_delivers_twice_and_logs_it(
    ams: AmsClient, gateway: Gateway, dispatcher: Dispatcher
) -> None:
    reply = ams.call("testHelpers/notificationChaos", {"duplicate": True})
    assert reply.code == "SUCCESS" and reply.body["duplicate"] is True
    with receiver() as merchant:
        pay_and_complete(ams, merchant.url)
        dispatcher.drain()
    assert len(merchant.received) == 2
    assert merchant.received[0].body == merchant.received[1].body
    assert kinds(gateway, ams.client_id) == [["delivery", "duplicate"]]


def test_chaos_drop_first_n_attempts(
    ams: AmsClient, gateway: Gateway, dispatcher: Dispatcher
) -> None:
    ams.call("testHelpers/notificationChaos", {"dropFirst": 2})
    with receiver() as merchant:
        pay_and_complete(ams, merchant.url)
        for _ in range(3):
            dispatcher.drain()
            ams.call("testHelpers/advanceClock", {"seconds": 600})
    assert len(merchant.received) == 1
    assert kinds(gateway, ams.client_id) == [["dropped", "dropped", "delivery"]]


def test_chaos_delay(ams: AmsClient, gateway: Gateway, dispatcher: Dispatcher) -> None:
    ams.call("testHelpers/notificationChaos", {"delaySeconds": 30})
    with receiver() as merchant:
        pay_and_complete(ams, merchant.url)
        assert dispatcher.drain() == 0
        ams.call("testHelpers/advanceClock", {"seconds": 30})
        assert dispatcher.drain() == 1
    assert kinds(gateway, ams.client_id) == [["delayed", "delivery"]]


def test_chaos_out_of_order(ams: AmsClient, gateway: Gateway, dispatcher: Dispatcher) -> None:
    ams.call("testHelpers/notificationChaos", {"outOfOrder": True})
    with receiver() as merchant:
        order = [pay_and_complete(ams, merchant.url) for _ in range(4)]
        dispatcher.drain()
    assert [m.json["paymentRequestId"] for m in merchant.received] == order[::-1]


def test_chaos_is_validated_and_can_be_cleared(ams: AmsClient) -> None:
    assert ams.call("testHelpers/notificationChaos", {"dropFirst": 8}).code == "PARAM_ILLEGAL"
    assert ams.call("testHelpers/notificationChaos", {"delaySeconds": -1}).code == "PARAM_ILLEGAL"
    ams.call("testHelpers/notificationChaos", {"duplicate": True})
    cleared = ams.call("testHelpers/notificationChaos", {})
    assert cleared.body["duplicate"] is False


def test_sandbox_may_target_loopback_production_may_not(
    ams: AmsClient, gateway: Gateway, dispatcher: Dispatcher
) -> None:
    keys = generate_key_pair()
    gateway.merchants.add("LIVE_SHOP", keys.public_pem)
    live = AmsClient(ams.http, "LIVE_SHOP", keys.private_key, ams.gateway_public_key, sandbox=False)
    with receiver(fail_then_ack(0)) as merchant:
        body = pay_body(paymentNotifyUrl=merchant.url)
        live.call("payments/pay", body)
        # The buyer pays on the hosted page (production merchants have no test helpers).
        gateway.payments.complete(
            None,
            token=_token(gateway, "LIVE_SHOP", str(body["paymentRequestId"])),
            outcome="SUCCESS",
        )
        dispatcher.drain()
    assert merchant.received == []
    [[kind]] = kinds(gateway, "LIVE_SHOP")
    assert kind == "blocked"


def _token(gateway: Gateway, client_id: str, request_id: str) -> str:
    with gateway.store() as uow:
        payment = uow.payments.get_by_request_id(client_id, request_id)
        assert payment is not None
        return payment.token


@pytest.mark.parametrize(
    ("url", "sandbox", "allowed"),
    [
        ("http://127.0.0.1:8000/n", True, True),
        ("http://localhost/n", True, True),
        ("http://127.0.0.1:8000/n", False, False),
        ("http://10.1.2.3/n", True, False),
        ("http://192.168.1.1/n", False, False),
        ("http://169.254.169.254/latest", False, False),
        ("http://[::1]/n", False, False),
        ("ftp://example.com/n", True, False),
        ("http://93.184.215.14/n", False, True),
    ],
)
def test_ssrf_guard(url: str, sandbox: bool, allowed: bool) -> None:
    if allowed:
        check_target(url, sandbox=sandbox, allow_private=False)
    else:
        with pytest.raises(BlockedTarget):
            check_target(url, sandbox=sandbox, allow_private=False)


def test_settings_can_allow_private_targets() -> None:
    check_target("http://10.0.0.5/n", sandbox=False, allow_private=True)


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("ftp://merchant.example/notify", "is not an http or https URL"),
        ("http:///notify", "has no host"),
        ("http://merchant.example:99999/notify", "is not a valid URL"),
    ],
)
def test_a_test_notification_goes_only_to_a_deliverable_url(
    ams: AmsClient, gateway: Gateway, url: str, problem: str
) -> None:
    """The rule of pay's paymentNotifyUrl (pay_rules.notify_url_problem): a test
    notification to a URL without a host was queued, and then failed undeliverable."""
    refused = ams.call(
        "testHelpers/sendTestNotification", {"notifyType": "PAYMENT_RESULT", "url": url}
    )
    assert refused.body["result"]["resultCode"] == "PARAM_ILLEGAL"
    assert problem in refused.body["result"]["resultMessage"]
    with gateway.store() as uow:
        assert uow.outbox.search(ams.client_id, limit=5) == []
