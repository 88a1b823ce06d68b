"""The public surface: a pinned, sorted __all__ and the documented error tree."""

from __future__ import annotations

import openams.sdk
from openams.sdk import (
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
from openams.sdk import _exceptions as exceptions_module

PUBLIC_API = [
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


def test_public_api_is_pinned_and_sorted() -> None:
    assert openams.sdk.__all__ == PUBLIC_API
    assert openams.sdk.__all__ == sorted(openams.sdk.__all__, key=lambda n: (not n.isupper(), n))
    for name in PUBLIC_API:
        assert getattr(openams.sdk, name) is not None


def test_error_tree() -> None:
    parents = {
        TransportError: OpenAmsError,
        TimeoutException: TransportError,
        NetworkError: TransportError,
        ConnectError: NetworkError,
        HTTPStatusError: TransportError,
        SignatureVerificationError: OpenAmsError,
        MessageFormatError: OpenAmsError,
        ApiError: OpenAmsError,
        WaitTimeoutError: OpenAmsError,
    }
    for cls, parent in parents.items():
        assert cls.__mro__[1] is parent, cls
    assert OpenAmsError.__mro__[1] is Exception


def test_every_error_is_written_out_in_the_module_docstring() -> None:
    doc = exceptions_module.__doc__ or ""
    for cls in (OpenAmsError, *OpenAmsError.__subclasses__(), TimeoutException, ConnectError):
        assert cls.__name__ in doc


def test_the_sdk_imports_no_server_frameworks() -> None:
    import ast
    from pathlib import Path

    forbidden = ("fastapi", "sqlalchemy", "starlette", "openams.gateway", "openams.shop")
    for path in Path(openams.sdk.__file__).parent.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            for name in names:
                assert not name.startswith(forbidden), f"{path.name} imports {name}"
