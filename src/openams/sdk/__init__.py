"""openams.sdk: the merchant side of Antom AMS.

A typed client (``Client`` / ``AsyncClient``) that signs every request, verifies every
response, retries safely with the identical body, and verifies notifications;
``buyer_redirect`` says where to send the buyer after ``pay``. Depends on
``openams.protocol``, httpx and the standard library only. See docs/sdk.md.
"""

from openams.protocol.keys import KeyFormatError
from openams.sdk._auth import SignatureAuth, format_request_time
from openams.sdk._client import AsyncClient, Client
from openams.sdk._config import (
    DEFAULT_BACKOFF_BASE,
    DEFAULT_BACKOFF_CAP,
    DEFAULT_MAX_RETRIES,
    DEFAULT_POLL_INTERVAL,
    DEFAULT_TIMEOUT,
    DEFAULT_WAIT_TIMEOUT,
    FINAL_PAYMENT_STATUSES,
    IN_PROCESS_RESULT_CODES,
    RETRYABLE_HTTP_STATUSES,
    RETRYABLE_RESULT_CODES,
)
from openams.sdk._endpoints import ENDPOINTS, Endpoint
from openams.sdk._exceptions import (
    ApiError,
    ConnectError,
    HTTPStatusError,
    MessageFormatError,
    NetworkError,
    OpenAmsError,
    SignatureVerificationError,
    TimeoutException,
    TransportError,
    WaitTimeoutError,
)
from openams.sdk._outcome import (
    PaymentOutcome,
    PaymentResult,
    classify_payment,
    payment_mismatch,
)
from openams.sdk._redirect import BuyerRedirect, RedirectSource, TerminalType, buyer_redirect
from openams.sdk._retry import Backoff, backoff_delay, equal_jitter, should_retry
from openams.sdk._verify import (
    NOTIFICATION_MODELS,
    Notification,
    notification_ack,
    verify_notification,
)

__all__ = [
    "DEFAULT_BACKOFF_BASE",
    "DEFAULT_BACKOFF_CAP",
    "DEFAULT_MAX_RETRIES",
    "DEFAULT_POLL_INTERVAL",
    "DEFAULT_TIMEOUT",
    "DEFAULT_WAIT_TIMEOUT",
    "ENDPOINTS",
    "FINAL_PAYMENT_STATUSES",
    "IN_PROCESS_RESULT_CODES",
    "NOTIFICATION_MODELS",
    "RETRYABLE_HTTP_STATUSES",
    "RETRYABLE_RESULT_CODES",
    "ApiError",
    "AsyncClient",
    "Backoff",
    "BuyerRedirect",
    "Client",
    "ConnectError",
    "Endpoint",
    "HTTPStatusError",
    "KeyFormatError",
    "MessageFormatError",
    "NetworkError",
    "Notification",
    "OpenAmsError",
    "PaymentOutcome",
    "PaymentResult",
    "RedirectSource",
    "SignatureAuth",
    "SignatureVerificationError",
    "TerminalType",
    "TimeoutException",
    "TransportError",
    "WaitTimeoutError",
    "backoff_delay",
    "buyer_redirect",
    "classify_payment",
    "equal_jitter",
    "format_request_time",
    "notification_ack",
    "payment_mismatch",
    "should_retry",
    "verify_notification",
]
