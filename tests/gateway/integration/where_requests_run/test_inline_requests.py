"""``api_threads=0``: AMS requests answered inline on the event loop, no request threads."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from pydantic import ValidationError

from openams.gateway.app import Gateway
from openams.gateway.settings import Settings
from openams.gateway.web.api.router import THREAD_NAME as API_THREAD
from tests.ams_client import AmsClient
from tests.gateway.integration.payloads import pay_body


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"api_threads": 0})


def test_negative_api_threads_is_rejected() -> None:
    with pytest.raises(ValidationError):
        Settings(api_threads=-1)


def test_inline_pay_is_answered_on_the_event_loop_thread(
    ams: AmsClient, handler_threads: list[str]
) -> None:
    body = pay_body()
    reply = ams.call("payments/pay", body)
    assert reply.code == "PAYMENT_IN_PROCESS", reply.body
    inquiry = ams.call("payments/inquiryPayment", {"paymentRequestId": body["paymentRequestId"]})
    assert inquiry.body["paymentId"] == reply.body["paymentId"]
    assert len(handler_threads) == 1
    # live_server runs uvicorn's loop on its own thread: no request thread took the call
    assert not handler_threads[0].startswith(API_THREAD), handler_threads


def test_inline_concurrent_identical_pays_create_one_payment(ams: AmsClient) -> None:
    body = pay_body()
    with ThreadPoolExecutor(max_workers=40) as pool:
        replies = list(pool.map(lambda _: ams.call("payments/pay", body), range(40)))
    assert {reply.code for reply in replies} == {"PAYMENT_IN_PROCESS"}
    assert len({reply.body["paymentId"] for reply in replies}) == 1


def test_notification_chaos_delay_does_not_hold_up_the_answer(
    ams: AmsClient, gateway: Gateway
) -> None:
    """The chaos delay postpones the notification: it goes into the notification's
    schedule, not into the request (an hour's sleep would outlast the test's timeout)."""
    reply = ams.call("testHelpers/notificationChaos", {"delaySeconds": 3600})
    assert reply.code == "SUCCESS", reply.body
    paid = ams.call("payments/pay", pay_body())
    assert paid.code == "PAYMENT_IN_PROCESS"
    payment_id = paid.body["paymentId"]
    done = ams.call("testHelpers/completePayment", {"paymentId": payment_id, "outcome": "SUCCESS"})
    assert done.body["paymentStatus"] == "SUCCESS", done.body
    with gateway.store() as uow:
        [note] = uow.outbox.for_payment(ams.client_id, payment_id)
    assert note.next_attempt_at - gateway.clock() >= 3600 * 1000 - 60_000
