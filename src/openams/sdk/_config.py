"""Named defaults. Every safe default of the client lives here, nowhere else."""

from __future__ import annotations

from typing import Final

#: Seconds for connect, read, write and pool acquisition (Antom recommends 10 s for pay).
DEFAULT_TIMEOUT: Final = 10.0

#: Resends after the first attempt, so at most ``1 + DEFAULT_MAX_RETRIES`` requests per call.
DEFAULT_MAX_RETRIES: Final = 2

#: First backoff delay in seconds; doubles per retry.
DEFAULT_BACKOFF_BASE: Final = 0.5

#: Upper bound for one backoff delay, before jitter.
DEFAULT_BACKOFF_CAP: Final = 8.0

#: ``wait_for_payment``: seconds between two inquiries (Antom suggests about 2 s).
DEFAULT_POLL_INTERVAL: Final = 2.0

#: ``wait_for_payment``: overall limit. Payments close after 14 minutes by default,
#: at which point inquiryPayment reports a final status.
DEFAULT_WAIT_TIMEOUT: Final = 15 * 60.0

#: ``U`` result codes that mean "the gateway does not know yet": resend the identical request.
RETRYABLE_RESULT_CODES: Final = frozenset({"UNKNOWN_EXCEPTION", "REQUEST_TRAFFIC_EXCEED_LIMIT"})

#: ``U`` result codes that are the normal answer (the buyer, the refund or the capture is
#: still in progress): returned to the caller, never retried; the outcome comes by
#: notification (or inquiry).
IN_PROCESS_RESULT_CODES: Final = frozenset(
    {"PAYMENT_IN_PROCESS", "REFUND_IN_PROCESS", "CAPTURE_IN_PROCESS"}
)

#: HTTP statuses from infrastructure in front of the gateway that are worth a resend.
RETRYABLE_HTTP_STATUSES: Final = frozenset({502, 503, 504})

#: ``paymentStatus`` values after which a payment never changes again.
FINAL_PAYMENT_STATUSES: Final = frozenset({"SUCCESS", "FAIL", "CANCELLED"})

#: Client ids with this prefix talk to the sandbox (``/ams/sandbox/api/...``).
SANDBOX_CLIENT_ID_PREFIX: Final = "SANDBOX_"

PRODUCTION_PATH_PREFIX: Final = "/ams/api/"
SANDBOX_PATH_PREFIX: Final = "/ams/sandbox/api/"

CONTENT_TYPE: Final = "application/json; charset=UTF-8"
USER_AGENT: Final = "openams-sdk-python/0.1.0"
