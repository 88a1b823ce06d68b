"""The developer's view from the command line (issue 15): ``openams logs``, ``openams
notifications list|show|resend`` and ``openams sandbox ...``, run as real processes
against the database of a gateway serving for real."""

from __future__ import annotations

import json
import os
import queue
import re
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

from openams.gateway.app import Gateway
from openams.protocol.signing import parse_signature_header, verify
from tests.ams_client import AmsClient
from tests.gateway.integration.card_payloads import VISA, card_meta, card_pay_body
from tests.gateway.integration.payloads import new_id, pay_body
from tests.notify.receiver import Receiver, receiver

OPENAMS = str(Path(sys.executable).with_name("openams"))
CVV = "918"


def openams(*args: str, expect: int = 0) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [OPENAMS, *args],
        capture_output=True,
        text=True,
        timeout=120,
        # as the test gateway: a queued notification is due at once, not in 3 to 5 s
        env={**os.environ, "OPENAMS_NOTIFY_INITIAL_DELAY_MS": "0"},
    )
    assert done.returncode == expect, (done.returncode, done.stdout, done.stderr)
    return done


def json_lines(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def _deliver(gateway: Gateway) -> None:
    worker = gateway.dispatcher()
    try:
        worker.drain()
    finally:
        worker.close()


def _signed_by_gateway(gateway: Gateway, received: Any, client_id: str) -> bool:
    header = parse_signature_header(received.headers["signature"])
    return verify(
        "POST",
        received.path,
        client_id,
        received.headers["request-time"],
        received.body,
        header.signature,
        gateway.key_pair.public_key,
    )


def test_logs_lists_calls_with_card_data_masked_and_filters(
    ams: AmsClient, gateway: Gateway
) -> None:
    url = gateway.settings.database_url
    ams.call("payments/pay", card_pay_body(card_meta(VISA, cvv=CVV)))
    ams.call("payments/inquiryPayment", {"paymentId": "NOPE"})
    ams.call("payments/pay", pay_body(), headers={"Signature": "algorithm=RSA256,signature=AA"})
    gateway.recorder.flush()

    text = openams("logs", "--database-url", url, "--client-id", ams.client_id).stdout
    lines = text.splitlines()
    assert len(lines) == 3
    assert "payments/pay" in lines[0] and "F INVALID_SIGNATURE" in lines[0]
    assert "payments/inquiryPayment" in lines[1] and "ORDER_NOT_EXIST" in lines[1]
    assert "paymentRequestId=" in lines[2] and " S SUCCESS " in lines[2]

    as_json = json_lines(openams("logs", "--database-url", url, "--json").stdout)
    assert [entry["path"].rsplit("/", 1)[-1] for entry in as_json] == [
        "pay",
        "inquiryPayment",
        "pay",
    ]
    card = as_json[2]
    assert isinstance(card["requestBody"], dict) and isinstance(card["responseBody"], dict)
    meta = card["requestBody"]["paymentMethod"]["paymentMethodMetaData"]
    assert meta["cardNo"] == "411111******1111" and "cvv" not in meta
    assert card["requestHeaders"]["client-id"] == ams.client_id
    assert card["signatureCheck"] == "verified with key version 1"
    for output in (text, json.dumps(as_json)):
        assert VISA not in output
        # a "cvv" member, not the letters (base64 signatures contain them by chance)
        assert '"cvv"' not in output.lower() and "'cvv'" not in output.lower()
        assert not re.search(rf"(?<![0-9A-Za-z.]){CVV}(?![0-9A-Za-z])", output)

    only = json_lines(
        openams("logs", "--database-url", url, "--json", "--result-code", "ORDER_NOT_EXIST").stdout
    )
    assert [entry["resultCode"] for entry in only] == ["ORDER_NOT_EXIST"]
    inquiries = openams("logs", "--database-url", url, "--path", "inquiry", "--limit", "5")
    assert len(inquiries.stdout.splitlines()) == 1


def test_logs_follow_prints_a_call_made_after_it_started(ams: AmsClient, gateway: Gateway) -> None:
    ams.call("payments/inquiryPayment", {"paymentId": "BEFORE"})
    gateway.recorder.flush()
    with subprocess.Popen(
        [OPENAMS, "logs", "--follow", "--json", "--database-url", gateway.settings.database_url],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as follower:
        try:
            assert follower.stderr is not None and follower.stdout is not None
            assert follower.stderr.readline().startswith("following the request log")
            lines: queue.Queue[str] = queue.Queue()
            output = follower.stdout
            threading.Thread(target=lambda: [lines.put(x) for x in output], daemon=True).start()
            ams.call("payments/inquiryPayment", {"paymentId": "AFTER"})
            printed = json.loads(lines.get(timeout=60))  # a deadline: a bug cannot hang CI
            assert printed["requestBody"] == {"paymentId": "AFTER"}
            assert printed["resultCode"] == "ORDER_NOT_EXIST"
            assert lines.empty()  # the call made before it started is not repeated
        finally:
            follower.terminate()
            follower.wait(timeout=30)


def _paid_and_refunded(ams: AmsClient, gateway: Gateway, merchant: Receiver) -> str:
    paid = ams.call("payments/pay", pay_body(paymentNotifyUrl=merchant.url))
    payment_id = paid.body["paymentId"]
    ams.call("testHelpers/completePayment", {"paymentId": payment_id, "outcome": "SUCCESS"})
    refund = ams.call(
        "payments/refund",
        {
            "refundRequestId": new_id("RF"),
            "paymentId": payment_id,
            "refundAmount": {"currency": "HKD", "value": "10"},
            "refundNotifyUrl": merchant.url,
        },
    )
    assert refund.code == "SUCCESS"
    _deliver(gateway)
    return str(payment_id)


def test_an_older_notification_is_resent_signed_and_its_attempt_shown(
    ams: AmsClient, gateway: Gateway
) -> None:
    url = gateway.settings.database_url
    with receiver() as merchant:
        payment_id = _paid_and_refunded(ams, gateway, merchant)
        listed = json_lines(
            openams("notifications", "list", "--database-url", url, "--json").stdout
        )
        assert [n["notifyType"] for n in listed] == ["REFUND_RESULT", "PAYMENT_RESULT"]
        assert all(n["status"] == "DELIVERED" and n["paymentId"] == payment_id for n in listed)
        assert listed[0]["refundId"]
        payment_result = listed[1]
        assert len(merchant.received) == 2

        out = openams(
            "notifications", "resend", payment_result["notificationId"], "--database-url", url
        ).stdout
        assert out.startswith("queued ") and "(PAYMENT_RESULT)" in out
        copy_id = out.split()[1]
        _deliver(gateway)

    assert len(merchant.received) == 3
    resent = merchant.received[-1]
    assert resent.json["notifyType"] == "PAYMENT_RESULT"  # the older one, not the latest
    # the two first deliveries may arrive in either order (drained at once)
    (original,) = [r for r in merchant.received[:2] if r.json["notifyType"] == "PAYMENT_RESULT"]
    assert resent.json == original.json
    assert _signed_by_gateway(gateway, resent, ams.client_id)

    shown = json.loads(
        openams("notifications", "show", copy_id, "--database-url", url, "--json").stdout
    )
    assert shown["notifyType"] == "PAYMENT_RESULT" and shown["status"] == "DELIVERED"
    assert shown["body"] == resent.json
    (attempt,) = shown["attemptLog"]
    assert attempt["url"] == merchant.url and attempt["httpStatus"] == 200
    assert attempt["acknowledged"] is True
    assert attempt["requestHeaders"]["signature"] == resent.headers["signature"]
    assert attempt["requestHeaders"]["request-time"] == resent.headers["request-time"]
    assert json.loads(attempt["responseExcerpt"])["result"]["resultStatus"] == "S"
    text = openams("notifications", "show", copy_id, "--database-url", url).stdout
    assert f"body sent       {resent.body.decode()}" in text
    assert f"signature: {resent.headers['signature']}" in text


def test_sandbox_commands_run_the_helpers(ams: AmsClient, gateway: Gateway) -> None:
    url = gateway.settings.database_url
    client = ("--database-url", url, "--client-id", ams.client_id)
    pending = ams.call("payments/pay", pay_body())
    done = openams(
        "sandbox",
        "complete-payment",
        *client,
        "--payment-id",
        pending.body["paymentId"],
        "--outcome",
        "SUCCESS",
        "--json",
    )
    assert json.loads(done.stdout)["result"]["resultStatus"] == "S"
    inquiry = ams.call("payments/inquiryPayment", {"paymentId": pending.body["paymentId"]})
    assert inquiry.body["paymentStatus"] == "SUCCESS"

    again = openams(
        "sandbox",
        "complete-payment",
        *client,
        "--payment-id",
        pending.body["paymentId"],
        "--outcome",
        "FAIL",
        "--json",
        expect=1,
    )
    assert json.loads(again.stdout)["result"]["resultStatus"] == "F"

    clock = json.loads(
        openams("sandbox", "advance-clock", *client, "--seconds", "60", "--json").stdout
    )
    assert clock["advancedSeconds"] == 60
    chaos = json.loads(openams("sandbox", "chaos", *client, "--duplicate", "--json").stdout)
    assert chaos["duplicate"] is True
    openams("sandbox", "chaos", *client)  # no flags: cleared

    with receiver() as merchant:
        body = {"paymentId": "MY_TEST", "paymentRequestId": "R1", "result": {"resultStatus": "S"}}
        sent = json.loads(
            openams(
                "sandbox",
                "send-test-notification",
                *client,
                "--notify-type",
                "PAYMENT_RESULT",
                "--body",
                json.dumps(body),
                "--url",
                merchant.url,
                "--json",
            ).stdout
        )
        assert sent["url"] == merchant.url
        _deliver(gateway)
    (received,) = merchant.received
    assert received.json == {**body, "notifyType": "PAYMENT_RESULT"}
    assert _signed_by_gateway(gateway, received, ams.client_id)
    bad = openams(
        "sandbox",
        "send-test-notification",
        *client,
        "--notify-type",
        "REFUND_RESULT",
        "--body",
        "{not json",
        expect=2,
    )
    assert "--body" in bad.stderr


def test_read_only_commands_never_create_a_database(tmp_path: Path, gateway: Gateway) -> None:
    missing = tmp_path / "nowhere" / "openams.db"
    for command in (
        ["logs"],
        ["notifications", "list"],
        ["notifications", "show", "N1"],
        ["vaultings", "list", "--client-id", "SANDBOX_ANY"],
    ):
        refused = openams(*command, "--database-url", f"sqlite:///{missing}", expect=2)
        assert f"no database at {missing}" in refused.stderr
    assert not missing.exists() and not missing.parent.exists()
    nobody = openams(
        "notifications",
        "list",
        "--database-url",
        gateway.settings.database_url,
        "--client-id",
        "SANDBOX_NOBODY",
        expect=2,
    )
    assert f"no merchant SANDBOX_NOBODY in {gateway.settings.database_url}" in nobody.stderr
    sandbox = openams(
        "sandbox",
        "advance-clock",
        "--database-url",
        gateway.settings.database_url,
        "--client-id",
        "SANDBOX_NOBODY",
        "--seconds",
        "1",
        expect=2,
    )
    assert "no merchant SANDBOX_NOBODY in" in sandbox.stderr
