"""The errors the merchant SDK raises. One tree, rooted at ``OpenAmsError``::

    OpenAmsError
    ├── TransportError              no usable HTTP answer (wraps the httpx error as __cause__)
    │   ├── TimeoutException        connect / read / write / pool timeout          (retried)
    │   ├── NetworkError            the connection dropped or broke mid-exchange   (retried)
    │   │   └── ConnectError        the connection could not be opened             (retried)
    │   └── HTTPStatusError         an HTTP status other than 200 (.status_code)
    │                               (502, 503 and 504 are retried)
    ├── SignatureVerificationError  a response or notification is unsigned, or its signature,
    │                               headers or client-id do not check out. Never retried, and
    │                               no data from that message is ever returned.
    ├── MessageFormatError          a correctly signed message that is not valid AMS JSON
    │                               (not an object, no result, unknown notifyType, ...)
    ├── ApiError                    the gateway answered with result F, or with a retryable U
    │                               (UNKNOWN_EXCEPTION, ...) after the retries ran out.
    │                               Carries result_code, result_status, result_message,
    │                               response (the parsed model) and path.
    └── WaitTimeoutError            wait_for_payment() saw no final paymentStatus in time
                                    (.response is the last inquiry answer)

"Retried" means the client resends the identical body (same ``paymentRequestId`` /
``refundRequestId``) before raising; see ``openams.sdk._retry``.

Configuration errors are not in this tree: an unreadable key raises
``openams.protocol.keys.KeyFormatError`` and an invalid request dict raises
``pydantic.ValidationError`` (both ``ValueError``) before anything is sent.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from openams.protocol.models import InquiryPaymentResponse, Response


class OpenAmsError(Exception):
    """Base class of every error the SDK raises while talking to the gateway."""


class TransportError(OpenAmsError):
    """No usable HTTP answer for ``path``; the httpx exception is the ``__cause__``."""

    def __init__(self, message: str, *, path: str, attempts: int = 1) -> None:
        super().__init__(message)
        self.path = path
        self.attempts = attempts


class TimeoutException(TransportError):
    """The request timed out (connect, read, write or pool)."""


class NetworkError(TransportError):
    """The connection failed or broke before a complete response arrived."""


class ConnectError(NetworkError):
    """The connection to the gateway could not be opened."""


class HTTPStatusError(TransportError):
    """The gateway (or something in front of it) answered with a status other than 200.

    AMS answers every business outcome, errors included, with HTTP 200; any other
    status comes from infrastructure and carries no signed AMS result.
    """

    def __init__(self, message: str, *, path: str, status_code: int, attempts: int = 1) -> None:
        super().__init__(message, path=path, attempts=attempts)
        self.status_code = status_code


class SignatureVerificationError(OpenAmsError):
    """A response or notification failed signature verification; its data is discarded."""

    def __init__(self, message: str, *, path: str) -> None:
        super().__init__(message)
        self.path = path


class MessageFormatError(OpenAmsError):
    """A correctly signed response or notification whose body is not valid AMS JSON."""

    def __init__(self, message: str, *, path: str) -> None:
        super().__init__(message)
        self.path = path


class ApiError(OpenAmsError):
    """The gateway answered ``F``, or a retryable ``U`` that stayed ``U`` after the retries.

    ``response`` is the parsed, signature-verified response model (``PayResponse`` ...),
    so every field the gateway sent is still available.
    """

    def __init__(self, response: Response, *, path: str) -> None:
        result = response.result
        self.result_code: str = result.result_code
        self.result_status: str = result.result_status
        self.result_message: str | None = result.result_message
        self.response = response
        self.path = path
        detail = f": {self.result_message}" if self.result_message else ""
        super().__init__(f"{path} -> {self.result_status}/{self.result_code}{detail}")


class WaitTimeoutError(OpenAmsError):
    """``wait_for_payment`` gave up before ``paymentStatus`` became final."""

    def __init__(self, message: str, *, response: InquiryPaymentResponse) -> None:
        super().__init__(message)
        self.response = response
