"""Retries: identical body resent on transport errors and unknown U; never on F or normal U."""

from __future__ import annotations

import httpx
import pytest

from openams.sdk import (
    DEFAULT_MAX_RETRIES,
    RETRYABLE_RESULT_CODES,
    ApiError,
    Backoff,
    Client,
    ConnectError,
    HTTPStatusError,
    NetworkError,
    SignatureVerificationError,
    TimeoutException,
    TransportError,
    backoff_delay,
    equal_jitter,
    should_retry,
)
from openams.sdk import _retry as retry_module
from tests.sdk.fake_gateway import (
    ClientFactory,
    FakeGateway,
    Reply,
    Sleeps,
    ams_result,
    pay_body,
)

IN_PROCESS = ams_result("PAYMENT_IN_PROCESS", paymentId="P1")


def test_timeout_then_answer_resends_the_identical_body(
    client: Client, fake: FakeGateway, sleeps: Sleeps
) -> None:
    fake.enqueue("pay", Reply(error=httpx.ReadTimeout), IN_PROCESS)
    response = client.pay(pay_body("PAY_RETRY"))
    assert response.payment_id == "P1"
    first, second = fake.requests
    assert first.content == second.content
    assert second.json["paymentRequestId"] == "PAY_RETRY"
    assert first.signature_ok and second.signature_ok
    assert sleeps.calls == [0.5]


@pytest.mark.parametrize(
    "error", [httpx.ConnectError, httpx.ConnectTimeout, httpx.ReadError, httpx.RemoteProtocolError]
)
def test_network_failures_are_retried(
    error: type[httpx.TransportError], client: Client, fake: FakeGateway
) -> None:
    fake.enqueue("refund", Reply(error=error), ams_result("SUCCESS", refundId="R1"))
    body = {
        "refundRequestId": "R1",
        "paymentId": "P",
        "refundAmount": {"currency": "USD", "value": 1},
    }
    assert client.refund(body).refund_id == "R1"
    assert len(fake.requests) == 2
    assert fake.requests[0].content == fake.requests[1].content


@pytest.mark.parametrize("code", sorted(RETRYABLE_RESULT_CODES))
def test_unknown_u_is_retried(code: str, client: Client, fake: FakeGateway, sleeps: Sleeps) -> None:
    fake.enqueue("pay", ams_result(code), ams_result(code), IN_PROCESS)
    assert client.pay(pay_body()).payment_id == "P1"
    assert len(fake.requests) == 3
    assert len({r.content for r in fake.requests}) == 1
    assert sleeps.calls == [0.5, 1.0]


def test_unknown_u_after_the_last_retry_raises_api_error(client: Client, fake: FakeGateway) -> None:
    fake.enqueue("pay", *[ams_result("UNKNOWN_EXCEPTION")] * 5)
    with pytest.raises(ApiError) as caught:
        client.pay(pay_body())
    assert caught.value.result_status == "U"
    assert caught.value.result_code == "UNKNOWN_EXCEPTION"
    assert len(fake.requests) == 1 + DEFAULT_MAX_RETRIES


def test_payment_in_process_is_never_retried(
    client: Client, fake: FakeGateway, sleeps: Sleeps
) -> None:
    fake.enqueue("pay", IN_PROCESS, IN_PROCESS)
    client.pay(pay_body())
    assert len(fake.requests) == 1
    assert sleeps.calls == []


def test_refund_in_process_is_never_retried(client: Client, fake: FakeGateway) -> None:
    fake.enqueue("refund", ams_result("REFUND_IN_PROCESS"), ams_result("SUCCESS"))
    body = {
        "refundRequestId": "R1",
        "paymentId": "P",
        "refundAmount": {"currency": "USD", "value": 1},
    }
    assert client.refund(body).result.result_code == "REFUND_IN_PROCESS"
    assert len(fake.requests) == 1


@pytest.mark.parametrize("code", ["PARAM_ILLEGAL", "REPEAT_REQ_INCONSISTENT", "PROCESS_FAIL"])
def test_failure_is_never_retried(code: str, client: Client, fake: FakeGateway) -> None:
    fake.enqueue("pay", ams_result(code), IN_PROCESS)
    with pytest.raises(ApiError):
        client.pay(pay_body())
    assert len(fake.requests) == 1


def test_retryable_code_with_status_f_is_not_retried(client: Client, fake: FakeGateway) -> None:
    body = {"result": {"resultCode": "UNKNOWN_EXCEPTION", "resultStatus": "F"}}
    fake.enqueue("pay", body, IN_PROCESS)
    with pytest.raises(ApiError):
        client.pay(pay_body())
    assert len(fake.requests) == 1


def test_bad_signature_is_never_retried(client: Client, fake: FakeGateway) -> None:
    fake.enqueue("pay", Reply(body=IN_PROCESS, sign=False), IN_PROCESS)
    with pytest.raises(SignatureVerificationError):
        client.pay(pay_body())
    assert len(fake.requests) == 1


def test_timeouts_exhaust_the_retries(client: Client, fake: FakeGateway, sleeps: Sleeps) -> None:
    fake.enqueue("pay", *[Reply(error=httpx.ReadTimeout)] * 3, IN_PROCESS)
    with pytest.raises(TimeoutException) as caught:
        client.pay(pay_body())
    assert isinstance(caught.value, TransportError)
    assert isinstance(caught.value.__cause__, httpx.ReadTimeout)
    assert caught.value.attempts == 3
    assert caught.value.path == "/ams/api/v1/payments/pay"
    assert len(fake.requests) == 3
    assert sleeps.calls == [0.5, 1.0]


def test_connect_error_maps_to_connect_error(make_client: ClientFactory, fake: FakeGateway) -> None:
    fake.enqueue("pay", Reply(error=httpx.ConnectError))
    with pytest.raises(ConnectError) as caught:
        make_client(max_retries=0).pay(pay_body())
    assert isinstance(caught.value, NetworkError)
    assert caught.value.attempts == 1


def test_max_retries_zero_sends_once(make_client: ClientFactory, fake: FakeGateway) -> None:
    fake.enqueue("pay", ams_result("UNKNOWN_EXCEPTION"), IN_PROCESS)
    with pytest.raises(ApiError):
        make_client(max_retries=0).pay(pay_body())
    assert len(fake.requests) == 1


@pytest.mark.parametrize(
    ("status", "retried"), [(502, True), (503, True), (504, True), (500, False), (404, False)]
)
def test_http_status_retries(status: int, retried: bool, client: Client, fake: FakeGateway) -> None:
    fake.enqueue("pay", Reply(body=b"busy", status_code=status, sign=False), IN_PROCESS)
    if retried:
        assert client.pay(pay_body()).payment_id == "P1"
        assert len(fake.requests) == 2
    else:
        with pytest.raises(HTTPStatusError):
            client.pay(pay_body())
        assert len(fake.requests) == 1


def test_backoff_is_capped_and_jittered(
    make_client: ClientFactory, fake: FakeGateway, sleeps: Sleeps
) -> None:
    jittered: list[float] = []

    def half(delay: float) -> float:
        jittered.append(delay)
        return delay / 2

    client = make_client(max_retries=5, backoff=Backoff(base=1.0, cap=3.0, jitter=half))
    fake.enqueue("pay", *[Reply(error=httpx.ConnectTimeout)] * 5, IN_PROCESS)
    client.pay(pay_body())
    assert jittered == [1.0, 2.0, 3.0, 3.0, 3.0]
    assert sleeps.calls == [0.5, 1.0, 1.5, 1.5, 1.5]


def test_default_jitter_is_used_and_stubbable(
    monkeypatch: pytest.MonkeyPatch, make_client: ClientFactory, fake: FakeGateway, sleeps: Sleeps
) -> None:
    monkeypatch.setattr(retry_module.random, "random", lambda: 0.0)
    client = make_client(backoff=Backoff())
    fake.enqueue("pay", Reply(error=httpx.ReadTimeout), IN_PROCESS)
    client.pay(pay_body())
    assert sleeps.calls == [0.25]  # 0.5 s with the lowest jitter


# ------------------------------------------------------ the pure functions


def test_backoff_delay() -> None:
    assert [backoff_delay(n, 0.5, 8.0) for n in range(0, 8)] == [
        0.0, 0.5, 1.0, 2.0, 4.0, 8.0, 8.0, 8.0,
    ]  # fmt: skip
    assert backoff_delay(10_000, 0.5, 8.0) == 8.0


def test_equal_jitter_stays_between_half_and_full() -> None:
    for _ in range(200):
        assert 2.0 <= equal_jitter(4.0) <= 4.0


def test_should_retry_table() -> None:
    timeout = TimeoutException("t", path="/p")
    assert should_retry(0, 2, error=timeout)
    assert should_retry(1, 2, error=timeout)
    assert not should_retry(2, 2, error=timeout)
    assert should_retry(0, 2, error=NetworkError("n", path="/p"))
    assert not should_retry(0, 2, error=TransportError("x", path="/p"))
    assert should_retry(0, 2, error=HTTPStatusError("h", path="/p", status_code=503))
    assert not should_retry(0, 2, error=HTTPStatusError("h", path="/p", status_code=400))
    assert not should_retry(0, 2, error=SignatureVerificationError("s", path="/p"))
    assert should_retry(0, 2, result_status="U", result_code="UNKNOWN_EXCEPTION")
    assert should_retry(0, 2, result_status="U", result_code="REQUEST_TRAFFIC_EXCEED_LIMIT")
    assert not should_retry(0, 2, result_status="U", result_code="PAYMENT_IN_PROCESS")
    assert not should_retry(0, 2, result_status="U", result_code="REFUND_IN_PROCESS")
    assert not should_retry(0, 2, result_status="F", result_code="UNKNOWN_EXCEPTION")
    assert not should_retry(0, 2, result_status="S", result_code="SUCCESS")
    assert not should_retry(0, 2)


def test_negative_max_retries_is_refused(make_client: ClientFactory) -> None:
    with pytest.raises(ValueError, match="max_retries"):
        make_client(max_retries=-1)
