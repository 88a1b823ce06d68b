"""One gateway per test session, one merchant per test: a merchant's suite run by pytester.

The suite's tests write what they saw (gateway, merchant) to a file; its conftest checks,
after the session, that the gateway closed cleanly (threads, connections, servers).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.testing_plugin.test_merchant_suite import PLUGIN, run

#: What every test of the suite below writes down, one JSON line each.
SEEN_FILE = "seen.jsonl"

SUITE = """
import json
import os
import uuid

from openams.testing import complete_payment

CHAOS = "/ams/api/v1/testHelpers/notificationChaos"
#: What one test leaves behind for a later one to look at (module state, in one process).
LEFT = {}


def seen(request, gateway, merchant, **more):
    line = {
        "test": request.node.name,
        "worker": os.environ.get("PYTEST_XDIST_WORKER", "main"),
        "gateway_url": gateway.url,
        "gateway_services": id(gateway.gateway),
        "client_id": merchant.client_id,
        "public_key": merchant.public_key_pem,
        **more,
    }
    with open(os.environ["OPENAMS_SUITE_SEEN"], "a") as out:
        out.write(json.dumps(line) + "\\n")


def order():
    return {
        "productCode": "CASHIER_PAYMENT",
        "paymentRequestId": "PAY_" + uuid.uuid4().hex[:20],
        "order": {
            "referenceOrderId": "ORDER_1",
            "orderDescription": "Cappuccino",
            "orderAmount": {"currency": "HKD", "value": "450"},
        },
        "paymentAmount": {"currency": "HKD", "value": "450"},
        "paymentMethod": {"paymentMethodType": "ALIPAY_HK"},
        "paymentRedirectUrl": "https://shop.example/return",
        "env": {"terminalType": "WEB"},
    }


def status(client, request_id):
    return client.inquiry_payment({"paymentRequestId": request_id}).payment_status


def test_1_sets_chaos(request, openams_gateway, openams_merchant, openams_client):
    seen(request, openams_gateway, openams_merchant)
    answer = openams_client.request(CHAOS, {"dropFirst": 3, "duplicate": True})
    assert answer["result"]["resultStatus"] == "S"


def test_2_is_not_under_that_chaos(
    request, openams_gateway, openams_merchant, openams_client, openams_notifications
):
    seen(request, openams_gateway, openams_merchant, inbox=openams_notifications.url)
    body = order()
    openams_client.pay(body)
    complete_payment(openams_client, body["paymentRequestId"])
    [notification] = openams_notifications.wait_for(1)
    assert notification.payment_request_id == body["paymentRequestId"]
    attempts = [(d.attempt_number, d.kind) for d in openams_notifications.deliveries]
    assert attempts == [(1, "delivery")]
    assert [d.client_id for d in openams_gateway.deliveries] == [openams_merchant.client_id]


def test_3_leaves_a_payment_processing(request, openams_gateway, openams_merchant, openams_client):
    seen(request, openams_gateway, openams_merchant)
    body = order()
    openams_client.pay(body)
    LEFT["merchant"] = openams_merchant
    LEFT["request_id"] = body["paymentRequestId"]


def test_4_moves_its_own_clock_a_week(request, openams_gateway, openams_merchant, openams_client):
    seen(request, openams_gateway, openams_merchant)
    body = order()
    openams_client.pay(body)
    assert status(openams_client, body["paymentRequestId"]) == "PROCESSING"
    answer = openams_merchant.advance_clock(7 * 24 * 3600)
    assert answer["result"]["resultStatus"] == "S"
    assert status(openams_client, body["paymentRequestId"]) == "FAIL"


def test_5_another_merchants_clock_did_not_move(
    request, openams_gateway, openams_merchant, openams_client
):
    seen(request, openams_gateway, openams_merchant)
    with LEFT["merchant"].client() as earlier:
        assert status(earlier, LEFT["request_id"]) == "PROCESSING"
    body = order()
    openams_client.pay(body)
    assert status(openams_client, body["paymentRequestId"]) == "PROCESSING"


def test_6_a_dropped_first_attempt_arrives_after_advance_clock(
    request, openams_gateway, openams_merchant, openams_client, openams_notifications
):
    seen(request, openams_gateway, openams_merchant, inbox=openams_notifications.url)
    openams_client.request(CHAOS, {"dropFirst": 1})
    body = order()
    openams_client.pay(body)
    complete_payment(openams_client, body["paymentRequestId"])
    openams_merchant.advance_clock(120)
    assert len(openams_notifications) == 1  # delivered before advance_clock returned
    [notification] = openams_notifications.wait_for(1)
    assert notification.payment_request_id == body["paymentRequestId"]
    kinds = [d.kind for d in openams_notifications.deliveries]
    assert kinds == ["dropped", "delivery"]
"""

#: When the session finishes (its fixtures torn down): what the gateway left running.
CLOSE_CHECK = """
import json
import os
import threading

import httpx
import pytest

from openams.gateway.web.api.router import THREAD_NAME as AMS_REQUEST_THREADS

THREADS_BEFORE = set()
SESSION_GATEWAYS = []
RECEIVER_URLS = set()


def pytest_configure(config):
    THREADS_BEFORE.update(threading.enumerate())


@pytest.fixture(autouse=True)
def _remember_the_gateway(openams_session_gateway):
    if openams_session_gateway not in SESSION_GATEWAYS:
        SESSION_GATEWAYS.append(openams_session_gateway)
    RECEIVER_URLS.add(openams_session_gateway.notification_receiver.url)


def _answers(url):
    try:
        with httpx.Client(trust_env=False, timeout=2) as http:
            http.get(url)
    except httpx.TransportError:
        return False
    return True


def pytest_sessionfinish(session):
    # (before an xdist worker reports that it has finished: it may be stopped after that)
    if not SESSION_GATEWAYS:
        return  # an xdist controller: the workers ran the tests
    [gateway] = SESSION_GATEWAYS
    [receiver_url] = RECEIVER_URLS
    pool = gateway.gateway.engine.pool
    report = {
        "worker": os.environ.get("PYTEST_XDIST_WORKER", "main"),
        # (the AMS request threads are one idle pool per process, shared by every gateway
        # app the process builds: not the gateway's to end)
        "leftover_threads": sorted(
            t.name
            for t in threading.enumerate()
            if t not in THREADS_BEFORE
            and t.is_alive()
            and not t.name.startswith(AMS_REQUEST_THREADS)
        ),
        "connections_out": pool.checkedout(),
        "connections_idle": pool.checkedin(),
        "gateway_answers": _answers(gateway.url + "/healthz"),
        "receiver_answers": _answers(receiver_url),
    }
    with open(os.environ["OPENAMS_SUITE_CLOSED"], "a") as out:
        out.write(json.dumps(report) + "\\n")
"""

#: More tests, in a file of their own (under xdist --dist loadfile: on the other worker).
OTHER_TESTS = """
import pytest

from openams.testing import complete_payment
from test_suite import order, seen


@pytest.mark.parametrize("outcome", ["SUCCESS", "FAIL", "SUCCESS"])
def test_paid_and_notified(
    request, outcome, openams_gateway, openams_merchant, openams_client, openams_notifications
):
    seen(request, openams_gateway, openams_merchant, inbox=openams_notifications.url)
    body = order()
    openams_client.pay(body)
    complete_payment(openams_client, body["paymentRequestId"], outcome=outcome)
    [notification] = openams_notifications.wait_for(1)
    assert notification.result.result_status == outcome[0]
    assert len(openams_gateway.deliveries) == 1
"""


def _read(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


@pytest.fixture
def suite(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    monkeypatch.setenv("OPENAMS_SUITE_SEEN", str(pytester.path / SEEN_FILE))
    monkeypatch.setenv("OPENAMS_SUITE_CLOSED", str(pytester.path / "closed.jsonl"))
    pytester.makepyfile(test_suite=SUITE, test_other=OTHER_TESTS)
    pytester.makeconftest(CLOSE_CHECK)
    return pytester


def _assert_one_gateway_and_a_merchant_per_test(seen: list[dict[str, Any]]) -> None:
    assert len({line["gateway_url"] for line in seen}) == 1, seen
    assert len({line["gateway_services"] for line in seen}) == 1, seen
    assert len({line["client_id"] for line in seen}) == len(seen), seen
    assert len({line["public_key"] for line in seen}) == len(seen), seen
    inboxes = [line["inbox"] for line in seen if "inbox" in line]
    assert len(set(inboxes)) == len(inboxes)


def _assert_closed_cleanly(report: dict[str, Any]) -> None:
    assert report["leftover_threads"] == [], report
    assert report["connections_out"] == 0 and report["connections_idle"] == 0, report
    assert not report["gateway_answers"] and not report["receiver_answers"], report


def test_one_gateway_per_session_one_merchant_per_test(
    suite: pytest.Pytester, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On the suite's database (SQLite, or PostgreSQL when the suite runs on it)."""
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
    monkeypatch.setenv("OPENAMS_SUITE_DATABASE_URL", database_url)
    suite.makeconftest(
        CLOSE_CHECK
        + """

from openams.testing import sandbox_settings


@pytest.fixture(scope="session")
def openams_settings(tmp_path_factory, openams_keys):
    folder = tmp_path_factory.mktemp("gateway")
    database_url = os.environ["OPENAMS_SUITE_DATABASE_URL"]
    return sandbox_settings(folder / "unused.db", openams_keys, database_url=database_url)
"""
    )
    result = run(suite, "-p", PLUGIN)
    seen = _read(suite.path / SEEN_FILE)
    assert len(seen) == 9
    _assert_one_gateway_and_a_merchant_per_test(seen)
    [closed] = _read(suite.path / "closed.jsonl")
    _assert_closed_cleanly(closed)
    result.assert_outcomes(passed=9)


def test_under_xdist_each_worker_has_one_gateway(suite: pytest.Pytester) -> None:
    # test_suite's tests look at what the earlier ones left: one file per worker.
    result = suite.runpytest_subprocess(
        "-n", "2", "--dist", "loadfile", "-p", "no:cacheprovider", "-W", "error"
    )
    seen = _read(suite.path / SEEN_FILE)
    assert {line["worker"] for line in seen} == {"gw0", "gw1"}
    for worker in ("gw0", "gw1"):
        _assert_one_gateway_and_a_merchant_per_test([s for s in seen if s["worker"] == worker])
    assert len({line["gateway_url"] for line in seen}) == 2
    assert len({line["client_id"] for line in seen}) == 9
    closed = _read(suite.path / "closed.jsonl")
    assert sorted(report["worker"] for report in closed) == ["gw0", "gw1"]
    for report in closed:
        _assert_closed_cleanly(report)
    result.assert_outcomes(passed=9)
