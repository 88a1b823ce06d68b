"""inquireNotificationList / inquireNotification: the outbox, a merchant's own, by time,
type and keyset cursor; bad input answered with what is wrong (issue 15)."""

from __future__ import annotations

from typing import Any

from openams.gateway.app import Gateway
from openams.gateway.services.notification_events import DAY_MS, DISPUTE_STEPS, zulu
from tests.ams_client import AmsClient
from tests.conftest import ShiftableClock
from tests.gateway.integration.payloads import pay_body

LIST = "notification/inquireNotificationList"
ONE = "notification/inquireNotification"


def _paid(ams: AmsClient) -> str:
    payment_id = ams.call("payments/pay", pay_body()).body["paymentId"]
    ams.call("testHelpers/completePayment", {"paymentId": payment_id, "outcome": "SUCCESS"})
    return str(payment_id)


def _ids(body: dict[str, Any]) -> list[str]:
    return [e["notificationData"]["paymentId"] for e in body["notifications"]]


def test_events_newest_first_by_page_and_one_by_one(ams: AmsClient, other_ams: AmsClient) -> None:
    paid = [_paid(ams) for _ in range(3)]
    _paid(other_ams)
    everything = ams.call(LIST, {})
    assert everything.result["resultStatus"] == "S"
    assert _ids(everything.body) == paid[::-1]
    assert everything.body["hasMore"] is False and "nextStartingAfter" not in everything.body
    event = everything.body["notifications"][0]
    assert set(event) == {
        "eventId",
        "notifyType",
        "eventCreateTime",
        "deliveryStatus",
        "notificationData",
    }
    assert event["notifyType"] == "PAYMENT_RESULT" and event["deliveryStatus"] == "PENDING"

    page = ams.call(LIST, {"limit": 2})
    assert _ids(page.body) == paid[:0:-1] and page.body["hasMore"] is True
    rest = ams.call(LIST, {"limit": 2, "startingAfter": page.body["nextStartingAfter"]})
    assert _ids(rest.body) == paid[:1] and rest.body["hasMore"] is False

    one = ams.call(ONE, {"eventId": event["eventId"]})
    assert one.body["notification"] == event
    theirs = other_ams.call(LIST, {}).body["notifications"][0]["eventId"]
    assert ams.call(ONE, {"eventId": theirs}).code == "ORDER_NOT_EXIST"
    assert ams.call(LIST, {"startingAfter": theirs}).code == "PARAM_ILLEGAL"
    assert ams.call(LIST, {"notifyType": ["REFUND_RESULT"]}).body["notifications"] == []


def test_the_time_window_defaults_to_seven_days_and_keeps_thirty(
    ams: AmsClient, gateway: Gateway, clock: ShiftableClock
) -> None:
    old = _paid(ams)
    clock.advance(8 * 24 * 3600)
    new = _paid(ams)
    assert _ids(ams.call(LIST, {}).body) == [new]
    since = zulu(clock() - 9 * DAY_MS)
    assert _ids(ams.call(LIST, {"eventCreateTimeFrom": since}).body) == [new, old]
    until = zulu(clock() - 2 * DAY_MS)  # from: seven days before that
    assert _ids(ams.call(LIST, {"eventCreateTimeTo": until}).body) == [old]
    clock.advance(23 * 24 * 3600)  # the old one is now 31 days old
    assert _ids(ams.call(LIST, {"eventCreateTimeFrom": since}).body) == [new]


def test_bad_queries_say_what_is_wrong(ams: AmsClient) -> None:
    for body, words in (
        ({"limit": 0}, "limit must be between 1 and 100"),
        ({"limit": 101}, "limit must be between 1 and 100"),
        ({"notifyType": ["PAYMENT_DONE"]}, "'PAYMENT_DONE' is not an event type"),
        ({"eventCreateTimeFrom": "yesterday"}, "is not an ISO 8601 time"),
        (
            {
                "eventCreateTimeFrom": "2026-02-02T00:00:00Z",
                "eventCreateTimeTo": "2026-01-01T00:00:00Z",
            },
            "eventCreateTimeFrom is later than eventCreateTimeTo",
        ),
        ({"startingAfter": "N_NOT_THERE"}, "is not an eventId of yours"),
    ):
        reply = ams.call(LIST, body)
        assert (reply.code, reply.result["resultStatus"]) == ("PARAM_ILLEGAL", "F"), body
        assert words in reply.result["resultMessage"], reply.result
    assert ams.call(ONE, {}).code == "PARAM_ILLEGAL"
    assert ams.call(ONE, {"eventId": " "}).code == "PARAM_ILLEGAL"


def test_a_dispute_step_is_an_event_type_of_its_own(ams: AmsClient) -> None:
    """notifyDispute is stored as one outbox type; asking for DISPUTE_CREATED finds its
    steps by their disputeNotificationType, page by page."""
    from tests.gateway.integration.test_disputes import card_sale, open_dispute

    disputed = []
    for _ in range(3):
        payment_id = card_sale(ams)["paymentId"]
        assert open_dispute(ams, payment_id).code == "SUCCESS"
        disputed.append(payment_id)
    accepted = open_dispute(ams, card_sale(ams)["paymentId"]).body["disputeId"]
    assert ams.call("payments/acceptDispute", {"disputeId": accepted}).code == "SUCCESS"

    created = ams.call(LIST, {"notifyType": ["DISPUTE_CREATED"]}).body["notifications"]
    assert len(created) == 4
    assert {e["notifyType"] for e in created} == {"DISPUTE_CREATED"}
    judged = ams.call(LIST, {"notifyType": ["DISPUTE_JUDGED"]}).body["notifications"]
    assert [e["notificationData"]["disputeId"] for e in judged] == [accepted]
    first = ams.call(LIST, {"notifyType": ["DISPUTE_CREATED"], "limit": 3}).body
    assert first["hasMore"] is True and len(first["notifications"]) == 3
    rest = ams.call(
        LIST,
        {
            "notifyType": ["DISPUTE_CREATED"],
            "limit": 3,
            "startingAfter": first["nextStartingAfter"],
        },
    ).body
    assert rest["hasMore"] is False
    pages = first["notifications"] + rest["notifications"]
    assert [e["eventId"] for e in pages] == [e["eventId"] for e in created]
    # DISPUTE, notifyDispute's own type, asks for every step of every dispute
    every = ams.call(LIST, {"notifyType": ["DISPUTE"]}).body["notifications"]
    steps = ams.call(LIST, {"notifyType": sorted(DISPUTE_STEPS)}).body["notifications"]
    assert [e["eventId"] for e in every] == [e["eventId"] for e in steps]
    assert {e["eventId"] for e in created + judged} <= {e["eventId"] for e in every}
    both = ams.call(LIST, {"notifyType": ["DISPUTE_JUDGED", "PAYMENT_RESULT"]}).body
    assert {e["notifyType"] for e in both["notifications"]} <= {"DISPUTE_JUDGED", "PAYMENT_RESULT"}
    assert "DISPUTE_JUDGED" in {e["notifyType"] for e in both["notifications"]}
