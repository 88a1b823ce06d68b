"""Sandbox triggers for payments, refunds and captures that are not final at once
(docs/sandbox.md).

A PENDING payment (the buyer paid, the final result follows) succeeds by itself
:data:`SETTLE_DELAY` after it went PENDING unless ``testHelpers/completePayment`` ends it
first.

A refund is asynchronous when the request says ``isAsyncRefund: true`` or its
``refundAmount.value`` is :data:`IN_PROCESS_VALUE`; a capture is asynchronous when its
``captureAmount.value`` (the authorized amount: only full captures exist) is
:data:`IN_PROCESS_VALUE`. Such a refund or capture answers ``U`` (REFUND_IN_PROCESS /
CAPTURE_IN_PROCESS), shows PROCESSING, and ends by ``testHelpers/completeRefund`` /
``completeCapture`` or, by itself, :data:`SETTLE_DELAY` after it was accepted (the
sandbox virtual clock, ``testHelpers/advanceClock``, brings that closer).

:data:`BALANCE_SHORT_VALUE` plays a merchant whose balance cannot fund the refund:
a synchronous refund of that value is refused with ``MERCHANT_BALANCE_NOT_ENOUGH``; an
asynchronous one is accepted and ends FAIL with that code when it settles by itself.
"""

from __future__ import annotations

from datetime import timedelta

#: ``refundAmount.value`` / ``captureAmount.value`` (minor units, any currency) that is
#: answered ``U`` and settled later.
IN_PROCESS_VALUE = 1313

#: ``refundAmount.value`` (minor units, any currency) the merchant's balance cannot fund.
BALANCE_SHORT_VALUE = 1212

#: How long a PENDING payment, or an asynchronous refund or capture PROCESSING, waits
#: for its final result unless completed sooner.
SETTLE_DELAY = timedelta(seconds=60)

BALANCE_SHORT_RESULT = (
    "MERCHANT_BALANCE_NOT_ENOUGH",
    "the merchant balance is not enough to fund this refund (sandbox: refundAmount.value "
    f"{BALANCE_SHORT_VALUE})",
)


def settle_delay_ms() -> int:
    return int(SETTLE_DELAY.total_seconds() * 1000)


def refund_is_async(value: int, requested_async: bool) -> bool:
    return requested_async or value == IN_PROCESS_VALUE


def capture_is_async(value: int) -> bool:
    return value == IN_PROCESS_VALUE


def refund_balance_short(value: int) -> bool:
    return value == BALANCE_SHORT_VALUE


def refund_settles_by_itself(value: int) -> tuple[str, str] | None:
    """How an asynchronous refund of ``value`` ends when its delay is over: None for
    SUCCESS, else the (code, message) of its failure."""
    return BALANCE_SHORT_RESULT if refund_balance_short(value) else None
