"""Random sequences of pay, complete, capture, refund, cancel and expire against the
service layer (a real database), checked against an independent model.

After every step, for every payment of the run, the database must show:

- the status the model predicts, reached only through the transition table, and a
  terminal state (FAIL, CANCELLED) never left;
- refunded <= captured <= authorized (and never more than one capture), where refunds in
  process count as refunded and failed ones do not;
- exactly the notifications the transitions cause, counted per kind: one
  PAYMENT_PENDING when a payment goes PENDING, one PAYMENT_RESULT when the buyer's part
  ends (paid, authorized, declined, failed, expired, a PENDING payment settled), one
  CAPTURE_RESULT per capture, one REFUND_RESULT per refund when it ends (at once, or
  when an asynchronous one is completed or settles by itself), and none for cancel,
  void or a lapsed authorization;
- each refund in the state the model expects (SUCCESS, PROCESSING, FAIL).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from openams.gateway.app import Gateway
from openams.gateway.domain.async_outcomes import settle_delay_ms
from openams.gateway.domain.errors import DomainError
from openams.gateway.domain.merchant import Merchant
from openams.gateway.domain.transitions import TERMINAL_STATES, TRANSITIONS, PaymentStatus
from openams.protocol.keys import KeyPair
from openams.protocol.models import (
    CancelRequest,
    CaptureRequest,
    InquiryPaymentRequest,
    PayRequest,
    RefundRequest,
)
from tests.conftest import ShiftableClock
from tests.gateway.integration.card_payloads import (
    VISA,
    VISA_3DS,
    VISA_DECLINED,
    card_meta,
    card_pay_body,
)
from tests.gateway.integration.payloads import new_id, pay_body

DAY = 24 * 3600
AMOUNT = 1000
P, W, A, S, F, C = (
    PaymentStatus.PROCESSING,
    PaymentStatus.PENDING,
    PaymentStatus.AUTHORIZED,
    PaymentStatus.SUCCESS,
    PaymentStatus.FAIL,
    PaymentStatus.CANCELLED,
)


@dataclass(frozen=True)
class Kind:
    name: str
    body: Any  # () -> dict
    authorization: bool = False
    manual: bool = False
    card: bool = True


KINDS = {
    k.name: k
    for k in (
        Kind("wallet", lambda: pay_body(value=str(AMOUNT)), card=False),
        Kind("card_sale", lambda: card_pay_body(card_meta(VISA))),
        Kind(
            "card_auto",
            lambda: card_pay_body(card_meta(VISA), authorization=True),
            authorization=True,
        ),
        Kind(
            "card_manual",
            lambda: card_pay_body(card_meta(VISA), authorization=True, capture_mode="MANUAL"),
            authorization=True,
            manual=True,
        ),
        Kind(
            "card_3ds_manual",
            lambda: card_pay_body(card_meta(VISA_3DS), authorization=True, capture_mode="MANUAL"),
            authorization=True,
            manual=True,
        ),
        Kind("card_3ds_sale", lambda: card_pay_body(card_meta(VISA_3DS))),
        Kind("card_declined", lambda: card_pay_body(card_meta(VISA_DECLINED))),
        Kind(
            "hosted_auto",
            lambda: card_pay_body(authorization=True, capture_mode="AUTOMATIC"),
            authorization=True,
        ),
    )
}


@dataclass
class Model:
    """What the model expects of one payment."""

    payment_id: str
    kind: Kind
    currency: str
    status: PaymentStatus
    expires_at: int
    paid_at: int | None = None
    #: when a PENDING payment succeeds by itself
    settle_at: int | None = None
    auth_expires_at: int | None = None
    auth_lapsed: bool = False
    fail_code: str | None = None
    refunded: int = 0
    #: refundId -> SUCCESS, PROCESSING (an asynchronous refund) or FAIL
    refund_states: dict[str, str] = field(default_factory=dict)
    #: refundId of a refund in process -> (value, when it settles by itself)
    in_process: dict[str, tuple[int, int]] = field(default_factory=dict)
    captures: int = 0
    refunds: dict[str, tuple[int, str]] = field(default_factory=dict)  # request id -> (value, id)
    capture_ids: dict[str, str] = field(default_factory=dict)  # request id -> captureId
    notes: Counter[str] = field(default_factory=Counter)
    history: list[PaymentStatus] = field(default_factory=list)


def _code(call: Any) -> tuple[str, dict[str, Any]]:
    try:
        body = call()
    except DomainError as exc:
        return exc.code, {}
    return body["result"]["resultCode"], body


def _reachable(source: PaymentStatus, target: PaymentStatus) -> bool:
    """In one or two steps of the table (an automatic capture follows its authorization
    inside one transaction, so AUTHORIZED is never seen in between)."""
    step = {dst for (src, _event), dst in TRANSITIONS.items() if src is source}
    two = {dst for (src, _event), dst in TRANSITIONS.items() if src in step}
    return target in step or target in two


class PaymentMachine(RuleBasedStateMachine):
    gateway: Gateway
    merchant: Merchant
    clock: ShiftableClock

    payments = Bundle("payments")

    def __init__(self) -> None:
        super().__init__()
        self.models: dict[str, Model] = {}
        self.advanced = 0

    @initialize()
    def start(self) -> None:
        self.clock.offset_ms = 0  # each run starts now: the test cards have not expired

    def now(self) -> int:
        return self.clock()

    # ------------------------------------------------------------ transitions

    def _moved(self, model: Model, status: PaymentStatus, now: int) -> None:
        """The model's own bookkeeping of a transition and the notifications it causes."""
        before = model.status
        if status is W:
            model.notes["PAYMENT_PENDING"] += 1
            model.settle_at = now + settle_delay_ms()  # it succeeds by itself then
        if before in (P, W) and status in (S, A, F):
            model.notes["PAYMENT_RESULT"] += 1
            if status in (S, A):
                model.paid_at = now
            if model.kind.authorization and status in (S, A):
                model.auth_expires_at = now + 7 * DAY * 1000
            if model.kind.authorization and status is S:  # AUTOMATIC capture
                model.notes["CAPTURE_RESULT"] += 1
                model.captures += 1
        if before is A and status is S:
            model.notes["CAPTURE_RESULT"] += 1
            model.captures += 1
        model.status = status

    def _paid_status(self, model: Model) -> PaymentStatus:
        return A if model.kind.manual else S

    # ------------------------------------------------------------------ rules

    @rule(target=payments, kind=st.sampled_from(sorted(KINDS)))
    def pay(self, kind: str) -> str:
        spec = KINDS[kind]
        body = spec.body()
        now = self.now()
        code, reply = _code(
            lambda: self.gateway.payments.pay(self.merchant, PayRequest.model_validate(body))
        )
        payment_id = reply.get("paymentId")
        assert payment_id, (kind, code)
        with self.gateway.store() as uow:
            stored = uow.payments.get(self.merchant.client_id, payment_id)
        assert stored is not None
        model = Model(payment_id, spec, body["paymentAmount"]["currency"], P, stored.expires_at)
        self.models[payment_id] = model
        expected = {
            "wallet": (P, "PAYMENT_IN_PROCESS"),
            "card_sale": (S, "SUCCESS"),
            "card_auto": (S, "SUCCESS"),
            "card_manual": (A, "SUCCESS"),
            "card_3ds_manual": (P, "PAYMENT_IN_PROCESS"),
            "card_3ds_sale": (P, "PAYMENT_IN_PROCESS"),
            "card_declined": (F, "PROCESS_FAIL"),
            "hosted_auto": (P, "PAYMENT_IN_PROCESS"),
        }[kind]
        assert code == expected[1], (kind, code, reply)
        if expected[0] is F:
            model.fail_code = code
        self._moved(model, expected[0], now)
        return payment_id

    @rule(payment_id=payments, outcome=st.sampled_from(["SUCCESS", "FAIL", "PENDING"]))
    def complete(self, payment_id: str, outcome: str) -> None:
        model = self.models[payment_id]
        now = self.now()
        code, _reply = _code(
            lambda: self.gateway.payments.complete(
                self.merchant, payment_id=payment_id, outcome=outcome
            )
        )
        if model.status is W and now >= (model.settle_at or 0):  # due: it succeeds first
            self._moved(model, self._paid_status(model), now)
        if model.status is P and now >= model.expires_at:
            assert code == "ORDER_IS_CLOSED"
            model.fail_code = "ORDER_IS_CLOSED"
            self._moved(model, F, now)
        elif model.status is P and outcome == "PENDING":
            assert code == "SUCCESS", code
            self._moved(model, W, now)
        elif model.status is W and outcome == "PENDING":
            assert code == "SUCCESS", code  # already pending: nothing changes
        elif model.status in (P, W):
            assert code == "SUCCESS"
            if outcome == "FAIL":
                model.fail_code = "PROCESS_FAIL"
            self._moved(model, self._paid_status(model) if outcome == "SUCCESS" else F, now)
        elif model.status.wire == outcome:
            assert code == "SUCCESS", code  # a repeat of the outcome it already has
        else:
            assert code == "ORDER_STATUS_INVALID", (model.status, outcome, code)

    @rule(payment_id=payments, repeat=st.booleans())
    def capture(self, payment_id: str, repeat: bool) -> None:
        model = self.models[payment_id]
        now = self.now()
        request_id = next(iter(model.capture_ids), None) if repeat else None
        request_id = request_id or new_id("CAP")
        request = CaptureRequest.model_validate(
            {
                "captureRequestId": request_id,
                "paymentId": payment_id,
                "captureAmount": {"currency": model.currency, "value": str(AMOUNT)},
            }
        )
        code, reply = _code(lambda: self.gateway.captures.capture(self.merchant, request))
        if request_id in model.capture_ids:
            assert code == "SUCCESS" and reply["captureId"] == model.capture_ids[request_id]
            return
        if model.status is A and now >= (model.auth_expires_at or 0):
            assert code == "AUTH_EXPIRED", code
            model.status, model.auth_lapsed = C, True
        elif model.status is A:
            assert code == "SUCCESS", code
            model.capture_ids[request_id] = reply["captureId"]
            self._moved(model, S, now)
        elif model.status is C and model.auth_lapsed:
            assert code == "AUTH_EXPIRED", code
        elif model.status is C and model.kind.authorization and model.paid_at is not None:
            assert code == "AUTH_CANCELLED", code
        else:
            assert code == "ORDER_STATUS_INVALID", (model.status, code)

    @rule(
        payment_id=payments,
        value=st.sampled_from([1, 400, 600, 999, 1000, 1001]),
        repeat=st.sampled_from(["new", "same", "changed"]),
        asynchronous=st.booleans(),
    )
    def refund(self, payment_id: str, value: int, repeat: str, asynchronous: bool) -> None:
        model = self.models[payment_id]
        now = self.now()
        previous = next(iter(model.refunds.items()), None)
        if repeat != "new" and previous is not None:
            request_id, (first_value, refund_id) = previous
            value = first_value if repeat == "same" else first_value + 1
        else:
            request_id, refund_id = new_id("RF"), ""
        request = RefundRequest.model_validate(
            {
                "refundRequestId": request_id,
                "paymentId": payment_id,
                "refundAmount": {"currency": model.currency, "value": str(value)},
                "isAsyncRefund": asynchronous,
            }
        )
        code, reply = _code(lambda: self.gateway.refunds.refund(self.merchant, request))
        if refund_id:
            if repeat == "same":  # the stored answer, whatever the refund's state
                expected = {
                    "SUCCESS": "SUCCESS",
                    "PROCESSING": "REFUND_IN_PROCESS",
                    "FAIL": "PROCESS_FAIL",
                }[model.refund_states[refund_id]]
                assert code == expected, (code, expected)
                if expected != "PROCESS_FAIL":
                    assert reply["refundId"] == refund_id
            else:
                assert code == "REPEAT_REQ_INCONSISTENT", code
            return
        if model.status is C:
            assert code == "ORDER_IS_CANCELED", (model.status, code)
        elif model.status is not S:
            assert code == "ORDER_STATUS_INVALID", (model.status, code)
        elif now > (model.paid_at or 0) + 365 * DAY * 1000:
            assert code == "REFUND_WINDOW_EXCEED", code
        elif model.refunded + value > AMOUNT:
            assert code == "REFUND_AMOUNT_EXCEED", code
        elif asynchronous:
            assert code == "REFUND_IN_PROCESS", (code, model.refunded, value)
            model.refunded += value  # counts against the refundable amount at once
            model.refunds[request_id] = (value, reply["refundId"])
            model.refund_states[reply["refundId"]] = "PROCESSING"
            model.in_process[reply["refundId"]] = (value, now + settle_delay_ms())
        else:
            assert code == "SUCCESS", (code, model.refunded, value)
            model.refunded += value
            model.refunds[request_id] = (value, reply["refundId"])
            model.refund_states[reply["refundId"]] = "SUCCESS"
            model.notes["REFUND_RESULT"] += 1

    def _refund_ended(self, model: Model, refund_id: str, outcome: str) -> None:
        value, _settles_at = model.in_process.pop(refund_id)
        model.refund_states[refund_id] = outcome
        model.notes["REFUND_RESULT"] += 1
        if outcome == "FAIL":
            model.refunded -= value  # a failed refund gives its amount back

    @precondition(lambda self: any(model.in_process for model in self.models.values()))
    @rule(outcome=st.sampled_from(["SUCCESS", "FAIL"]), newest=st.booleans())
    def complete_refund(self, outcome: str, newest: bool) -> None:
        """End a refund in process (of any payment of the run) by the sandbox helper."""
        waiting = [(m, r) for m in self.models.values() for r in m.in_process]
        model, refund_id = waiting[-1] if newest else waiting[0]
        code, _reply = _code(
            lambda: self.gateway.refunds.complete(
                self.merchant, refund_id=refund_id, refund_request_id=None, outcome=outcome
            )
        )
        assert code == "SUCCESS", code
        self._refund_ended(model, refund_id, outcome)

    @rule(payment_id=payments)
    def cancel(self, payment_id: str) -> None:
        model = self.models[payment_id]
        now = self.now()
        request = CancelRequest(payment_id=payment_id)
        code, _reply = _code(lambda: self.gateway.payments.cancel(self.merchant, request))
        if model.status is A and now >= (model.auth_expires_at or 0):
            assert code == "AUTH_EXPIRED", code
            model.status, model.auth_lapsed = C, True
        elif model.status is C:
            assert code == ("AUTH_EXPIRED" if model.auth_lapsed else "SUCCESS"), code
        elif model.status is F:
            assert code == "ORDER_STATUS_INVALID", code
        elif model.status is A:
            assert code == "SUCCESS", code  # a void, within the 7-day window
            model.status = C
        elif model.status is S and model.kind.card:
            assert code == "ORDER_STATUS_INVALID", code  # captured: refund instead
        elif model.status is S and model.refunded:
            assert code in ("ORDER_STATUS_INVALID", "CANCEL_WINDOW_EXCEED"), code
        elif model.status in (P, W):
            assert code == "SUCCESS", code
            model.status = C
        else:  # a paid wallet payment, inside or outside its window
            assert code in ("SUCCESS", "CANCEL_WINDOW_EXCEED"), code
            if code == "SUCCESS":
                model.status = C

    @rule(seconds=st.sampled_from([60, 15 * 60, DAY, 8 * DAY, 366 * DAY]))
    def expire(self, seconds: int) -> None:
        """Time passes; the expiry sweeper runs and inquiries see lapsed authorizations."""
        if self.advanced + seconds > 400 * DAY:
            return
        self.advanced += seconds
        self.clock.advance(seconds)
        now = self.now()
        self.gateway.payments.expire_due(10_000)
        self.gateway.refunds.settle_due(10_000)
        for model in self.models.values():
            for refund_id, (_value, settles_at) in list(model.in_process.items()):
                if now >= settles_at:
                    self._refund_ended(model, refund_id, "SUCCESS")
            if model.status is W and now >= (model.settle_at or 0):
                self._moved(model, self._paid_status(model), now)
            if model.status is P and now >= model.expires_at:
                model.fail_code = "ORDER_IS_CLOSED"
                self._moved(model, F, now)
            if model.status is A and now >= (model.auth_expires_at or 0):
                model.status, model.auth_lapsed = C, True
            if model.status is P and now >= model.expires_at:
                model.fail_code = "ORDER_IS_CLOSED"
            inquiry = InquiryPaymentRequest(payment_id=model.payment_id)
            self.gateway.payments.inquiry(self.merchant, inquiry)

    # ------------------------------------------------------------- invariants

    @invariant()
    def database_matches_the_model(self) -> None:
        client_id = self.merchant.client_id
        with self.gateway.store() as uow:
            for payment_id, model in self.models.items():
                payment = uow.payments.get(client_id, payment_id)
                assert payment is not None
                history = model.history
                if history and history[-1] is not payment.status:
                    previous = history[-1]
                    assert previous not in TERMINAL_STATES, (previous, payment.status)
                    assert _reachable(previous, payment.status), (previous, payment.status)
                if not history or history[-1] is not payment.status:
                    history.append(payment.status)
                assert payment.status is model.status, (model.kind.name, payment.status, model)
                if payment.status is F:  # failed with the code that failed it, kept since
                    assert payment.result_code == model.fail_code, (payment.result_code, model)

                captures = uow.captures.for_payment(client_id, payment_id)
                refunds = uow.refunds.for_payment(client_id, payment_id)
                authorized = AMOUNT if payment.paid_at is not None else 0
                if payment.is_authorization:
                    captured = sum(c.amount.value for c in captures)
                else:
                    captured = authorized
                refunded = sum(r.amount.value for r in refunds if r.status.value != "FAIL")
                states = {r.refund_id: r.status.value for r in refunds}
                assert states == model.refund_states, (states, model.refund_states)
                assert refunded <= captured <= authorized, (refunded, captured, authorized)
                assert len(captures) == model.captures <= 1
                assert refunded == model.refunded
                # what the gateway itself counts before the next refund
                assert uow.refunds.total_refunded(client_id, payment_id) == model.refunded

                notes = Counter(
                    n.notify_type.value for n in uow.outbox.for_payment(client_id, payment_id)
                )
                assert notes == model.notes, (model.kind.name, notes, model.notes)


@pytest.fixture
def machine_merchant(gateway: Gateway, merchant_keys: KeyPair) -> Merchant:
    client_id = "SANDBOX_STATE_MACHINE"
    gateway.merchants.add(client_id, merchant_keys.public_pem)
    found = gateway.merchants.get(client_id)
    assert found is not None
    return found


#: 120 runs of up to 30 steps in all, in parts that pytest-xdist spreads over its workers
#: (each part explores at random on its own).
PARTS, EXAMPLES = 4, 120


@pytest.mark.parametrize("part", range(PARTS))
def test_payment_lifecycle_state_machine(
    gateway: Gateway, machine_merchant: Merchant, clock: ShiftableClock, part: int
) -> None:
    PaymentMachine.gateway = gateway
    PaymentMachine.merchant = machine_merchant
    PaymentMachine.clock = clock
    run_state_machine_as_test(
        PaymentMachine,
        settings=settings(
            max_examples=EXAMPLES // PARTS,
            stateful_step_count=30,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
            database=None,
        ),
    )
