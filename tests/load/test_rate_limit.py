"""Per client-id rate limiting: REQUEST_TRAFFIC_EXCEED_LIMIT, signed, per merchant."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from openams.gateway.app import Gateway, build_gateway, create_app
from openams.gateway.settings import Settings
from openams.gateway.web.api.ratelimit import RateLimiter
from openams.protocol.keys import KeyPair, generate_key_pair
from tests.ams_client import AmsClient
from tests.conftest import ShiftableClock
from tests.gateway.integration.payloads import pay_body
from tests.live_server import live_server


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_bucket_allows_the_burst_then_the_rate() -> None:
    clock = FakeClock()
    limiter = RateLimiter(2, burst=3, clock=clock)
    assert [limiter.allow("A") for _ in range(4)] == [True, True, True, False]
    assert limiter.retry_after("A") == pytest.approx(0.5)
    assert limiter.allow("B")  # another client id has its own bucket
    clock.now += 0.5
    assert limiter.allow("A")
    assert not limiter.allow("A")
    clock.now += 60  # refills to the burst, no further
    assert [limiter.allow("A") for _ in range(4)] == [True, True, True, False]


def test_default_burst_is_one_second_of_requests() -> None:
    assert RateLimiter(50).burst == 50
    assert RateLimiter(0.5).burst == 1
    with pytest.raises(ValueError):
        RateLimiter(0)
    with pytest.raises(ValueError):
        RateLimiter(1, burst=0.5)


def test_clock_going_backwards_adds_no_tokens() -> None:
    clock = FakeClock()
    limiter = RateLimiter(1, burst=1, clock=clock)
    assert limiter.allow("A")
    clock.now -= 10
    assert not limiter.allow("A")


@pytest.fixture
def limited(
    settings: Settings, clock: ShiftableClock, merchant_keys: KeyPair
) -> Iterator[tuple[AmsClient, AmsClient, Gateway]]:
    # 0.01 tokens a second: after the burst of 3 nothing refills within the test
    gateway = build_gateway(
        settings.model_copy(update={"rate_limit_per_second": 0.01, "rate_limit_burst": 3}),
        clock=clock,
    )
    other_keys = generate_key_pair()
    gateway.merchants.add("SANDBOX_LIMITED", merchant_keys.public_pem)
    gateway.merchants.add("SANDBOX_NEIGHBOUR", other_keys.public_pem)
    with (
        live_server(create_app(gateway=gateway)) as url,
        httpx.Client(base_url=url) as http,
    ):
        key = gateway.key_pair.public_key
        yield (
            AmsClient(http, "SANDBOX_LIMITED", merchant_keys.private_key, key),
            AmsClient(http, "SANDBOX_NEIGHBOUR", other_keys.private_key, key),
            gateway,
        )
    gateway.close()


def test_requests_over_the_limit_get_traffic_exceed_limit(
    limited: tuple[AmsClient, AmsClient, Gateway],
) -> None:
    ams, neighbour, gateway = limited
    bodies = [pay_body() for _ in range(5)]
    replies = [ams.call("payments/pay", body) for body in bodies]  # every reply is signed
    assert [r.code for r in replies] == ["PAYMENT_IN_PROCESS"] * 3 + [
        "REQUEST_TRAFFIC_EXCEED_LIMIT"
    ] * 2
    refused = replies[3].result
    assert refused["resultStatus"] == "U"
    assert "SANDBOX_LIMITED" in refused["resultMessage"]
    assert "retry" in refused["resultMessage"]
    # a refused pay created nothing: the merchant may retry it unchanged later
    with gateway.store() as uow:
        for body in bodies[3:]:
            assert (
                uow.payments.get_by_request_id("SANDBOX_LIMITED", body["paymentRequestId"]) is None
            )
    # other merchants keep their own budget
    assert neighbour.call("payments/pay", pay_body()).code == "PAYMENT_IN_PROCESS"


def test_only_authenticated_requests_spend_the_budget(
    limited: tuple[AmsClient, AmsClient, Gateway],
) -> None:
    ams, neighbour, _gateway = limited
    # the neighbour's key cannot sign for SANDBOX_LIMITED: refused, and nothing spent
    forger = AmsClient(ams.http, ams.client_id, neighbour.private_key, ams.gateway_public_key)
    for _ in range(5):
        assert forger.call("payments/pay", pay_body()).code == "INVALID_SIGNATURE"
    codes = [ams.call("payments/inquiryPayment", {"paymentId": "x"}).code for _ in range(4)]
    assert codes == ["ORDER_NOT_EXIST"] * 3 + ["REQUEST_TRAFFIC_EXCEED_LIMIT"]


def test_off_by_default(ams: AmsClient) -> None:
    assert Settings.model_fields["rate_limit_per_second"].default is None
    codes = {ams.call("payments/inquiryPayment", {"paymentId": "x"}).code for _ in range(30)}
    assert codes == {"ORDER_NOT_EXIST"}
