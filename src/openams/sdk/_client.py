"""``Client`` and ``AsyncClient``: thin shells over ``ClientCore``.

Each typed method is one line: ``run(core.call(ENDPOINT, body))``. The shells differ only
in which httpx client sends and which function sleeps.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping
from types import TracebackType
from typing import Any

import httpx
from cryptography.hazmat.primitives.asymmetric import rsa

from openams.protocol import models
from openams.protocol.signing import DEFAULT_KEY_VERSION
from openams.sdk._config import (
    CONTENT_TYPE,
    DEFAULT_MAX_RETRIES,
    DEFAULT_POLL_INTERVAL,
    DEFAULT_TIMEOUT,
    DEFAULT_WAIT_TIMEOUT,
    USER_AGENT,
)
from openams.sdk._core import ClientCore, Flow, Send, T, run_async, run_sync
from openams.sdk._endpoints import (
    CANCEL,
    CAPTURE,
    CONSULT,
    CREATE_PAYMENT_SESSION,
    INQUIRY_PAYMENT,
    INQUIRY_REFUND,
    PAY,
    REFUND,
)
from openams.sdk._retry import Backoff
from openams.sdk._verify import HeadersLike, Notification, notification_ack

_REQUEST_HEADERS = {"Content-Type": CONTENT_TYPE, "Accept": "application/json"}


class _BaseClient:
    """Construction and the I/O-free parts shared by both shells."""

    def __init__(
        self,
        *,
        client_id: str,
        private_key: rsa.RSAPrivateKey | str | bytes,
        gateway_public_key: rsa.RSAPublicKey | str | bytes,
        base_url: str | httpx.URL,
        key_version: str = DEFAULT_KEY_VERSION,
        sandbox: bool | None = None,
        timeout: float | httpx.Timeout = DEFAULT_TIMEOUT,
        max_retries: int = DEFAULT_MAX_RETRIES,
        backoff: Backoff | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._core = ClientCore(
            client_id=client_id,
            private_key=private_key,
            gateway_public_key=gateway_public_key,
            key_version=key_version,
            sandbox=sandbox,
            max_retries=max_retries,
            backoff=backoff if backoff is not None else Backoff(),
            clock=clock,
        )
        self._http_options: dict[str, Any] = {
            "base_url": base_url,
            "timeout": timeout,
            "auth": self._core.auth,
            "headers": {"User-Agent": USER_AGENT},
            "follow_redirects": False,
        }

    @property
    def client_id(self) -> str:
        return self._core.client_id

    @property
    def sandbox(self) -> bool:
        """True when paths are rewritten to ``/ams/sandbox/api/...``."""
        return self._core.sandbox

    def verify_notification(
        self,
        method: str,
        path: str,
        headers: HeadersLike | httpx.Headers,
        body: bytes | str,
    ) -> Notification:
        """Verify a notification with this client's gateway key and client-id; see
        :func:`openams.sdk.verify_notification`."""
        return self._core.verify_notification(method, path, headers, body)

    @staticmethod
    def notification_ack() -> bytes:
        """The acknowledgement body to answer a verified notification with."""
        return notification_ack()


class Client(_BaseClient):
    """Blocking AMS client.

    ::

        with Client(client_id=..., private_key=..., gateway_public_key=...,
                    base_url="https://open-na-global.alipay.com") as ams:
            response = ams.pay(PayRequest(...))

    Typed methods return the response model for ``S`` and for the normal ``U`` answers
    (``PAYMENT_IN_PROCESS``, ``REFUND_IN_PROCESS``) and raise ``ApiError`` for ``F`` (and for
    ``UNKNOWN_EXCEPTION``-like ``U`` once the retries are used up).
    """

    def __init__(
        self,
        *,
        client_id: str,
        private_key: rsa.RSAPrivateKey | str | bytes,
        gateway_public_key: rsa.RSAPublicKey | str | bytes,
        base_url: str | httpx.URL,
        key_version: str = DEFAULT_KEY_VERSION,
        sandbox: bool | None = None,
        timeout: float | httpx.Timeout = DEFAULT_TIMEOUT,
        max_retries: int = DEFAULT_MAX_RETRIES,
        backoff: Backoff | None = None,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(
            client_id=client_id,
            private_key=private_key,
            gateway_public_key=gateway_public_key,
            base_url=base_url,
            key_version=key_version,
            sandbox=sandbox,
            timeout=timeout,
            max_retries=max_retries,
            backoff=backoff,
            clock=clock,
        )
        self._http = httpx.Client(transport=transport, **self._http_options)
        self._sleep = sleep

    def _send(self, action: Send) -> httpx.Response:
        request = self._http.build_request(
            "POST", action.path, content=action.content, headers=_REQUEST_HEADERS
        )
        return self._http.send(request)

    def _run(self, flow: Flow[T]) -> T:
        return run_sync(flow, self._send, self._sleep)

    # ---------------------------------------------------------------- the API

    def pay(self, request: models.PayRequest | Mapping[str, Any]) -> models.PayResponse:
        """``POST /ams/api/v1/payments/pay``."""
        return self._run(self._core.call(PAY, request))

    def inquiry_payment(
        self, request: models.InquiryPaymentRequest | Mapping[str, Any]
    ) -> models.InquiryPaymentResponse:
        """``POST /ams/api/v1/payments/inquiryPayment``."""
        return self._run(self._core.call(INQUIRY_PAYMENT, request))

    def cancel(self, request: models.CancelRequest | Mapping[str, Any]) -> models.CancelResponse:
        """``POST /ams/api/v1/payments/cancel``."""
        return self._run(self._core.call(CANCEL, request))

    def refund(self, request: models.RefundRequest | Mapping[str, Any]) -> models.RefundResponse:
        """``POST /ams/api/v1/payments/refund``."""
        return self._run(self._core.call(REFUND, request))

    def inquiry_refund(
        self, request: models.InquiryRefundRequest | Mapping[str, Any]
    ) -> models.InquiryRefundResponse:
        """``POST /ams/api/v1/payments/inquiryRefund``."""
        return self._run(self._core.call(INQUIRY_REFUND, request))

    def capture(self, request: models.CaptureRequest | Mapping[str, Any]) -> models.CaptureResponse:
        """``POST /ams/api/v1/payments/capture``."""
        return self._run(self._core.call(CAPTURE, request))

    def consult(self, request: models.ConsultRequest | Mapping[str, Any]) -> models.ConsultResponse:
        """``POST /ams/api/v1/payments/consult``."""
        return self._run(self._core.call(CONSULT, request))

    def create_payment_session(
        self, request: models.CreatePaymentSessionRequest | Mapping[str, Any]
    ) -> models.CreatePaymentSessionResponse:
        """``POST /ams/api/v1/payments/createPaymentSession``."""
        return self._run(self._core.call(CREATE_PAYMENT_SESSION, request))

    def request(self, path: str, body: Mapping[str, Any] | bytes | str) -> dict[str, Any]:
        """Low level: POST ``body`` to ``path`` (sandbox rewrite applies), with signing,
        verification and retries; returns the verified JSON object and never raises
        ``ApiError`` (inspect ``result`` yourself). ``bytes``/``str`` bodies are sent as is."""
        return self._run(self._core.raw(path, body))

    def wait_for_payment(
        self,
        payment_request_id: str | None = None,
        *,
        payment_id: str | None = None,
        interval: float = DEFAULT_POLL_INTERVAL,
        timeout: float = DEFAULT_WAIT_TIMEOUT,
    ) -> models.InquiryPaymentResponse:
        """Poll inquiryPayment until ``paymentStatus`` is SUCCESS, FAIL or CANCELLED.

        Raises ``WaitTimeoutError`` (with the last answer) after ``timeout`` seconds.
        """
        return self._run(
            self._core.wait_for_payment(payment_request_id, payment_id, interval, timeout)
        )

    # -------------------------------------------------------------- lifecycle

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class AsyncClient(_BaseClient):
    """The asyncio twin of :class:`Client`: same constructor, same methods, awaited."""

    def __init__(
        self,
        *,
        client_id: str,
        private_key: rsa.RSAPrivateKey | str | bytes,
        gateway_public_key: rsa.RSAPublicKey | str | bytes,
        base_url: str | httpx.URL,
        key_version: str = DEFAULT_KEY_VERSION,
        sandbox: bool | None = None,
        timeout: float | httpx.Timeout = DEFAULT_TIMEOUT,
        max_retries: int = DEFAULT_MAX_RETRIES,
        backoff: Backoff | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(
            client_id=client_id,
            private_key=private_key,
            gateway_public_key=gateway_public_key,
            base_url=base_url,
            key_version=key_version,
            sandbox=sandbox,
            timeout=timeout,
            max_retries=max_retries,
            backoff=backoff,
            clock=clock,
        )
        self._http = httpx.AsyncClient(transport=transport, **self._http_options)
        self._sleep = sleep

    async def _send(self, action: Send) -> httpx.Response:
        request = self._http.build_request(
            "POST", action.path, content=action.content, headers=_REQUEST_HEADERS
        )
        return await self._http.send(request)

    async def _run(self, flow: Flow[T]) -> T:
        return await run_async(flow, self._send, self._sleep)

    # ---------------------------------------------------------------- the API

    async def pay(self, request: models.PayRequest | Mapping[str, Any]) -> models.PayResponse:
        """``POST /ams/api/v1/payments/pay``."""
        return await self._run(self._core.call(PAY, request))

    async def inquiry_payment(
        self, request: models.InquiryPaymentRequest | Mapping[str, Any]
    ) -> models.InquiryPaymentResponse:
        """``POST /ams/api/v1/payments/inquiryPayment``."""
        return await self._run(self._core.call(INQUIRY_PAYMENT, request))

    async def cancel(
        self, request: models.CancelRequest | Mapping[str, Any]
    ) -> models.CancelResponse:
        """``POST /ams/api/v1/payments/cancel``."""
        return await self._run(self._core.call(CANCEL, request))

    async def refund(
        self, request: models.RefundRequest | Mapping[str, Any]
    ) -> models.RefundResponse:
        """``POST /ams/api/v1/payments/refund``."""
        return await self._run(self._core.call(REFUND, request))

    async def inquiry_refund(
        self, request: models.InquiryRefundRequest | Mapping[str, Any]
    ) -> models.InquiryRefundResponse:
        """``POST /ams/api/v1/payments/inquiryRefund``."""
        return await self._run(self._core.call(INQUIRY_REFUND, request))

    async def capture(
        self, request: models.CaptureRequest | Mapping[str, Any]
    ) -> models.CaptureResponse:
        """``POST /ams/api/v1/payments/capture``."""
        return await self._run(self._core.call(CAPTURE, request))

    async def consult(
        self, request: models.ConsultRequest | Mapping[str, Any]
    ) -> models.ConsultResponse:
        """``POST /ams/api/v1/payments/consult``."""
        return await self._run(self._core.call(CONSULT, request))

    async def create_payment_session(
        self, request: models.CreatePaymentSessionRequest | Mapping[str, Any]
    ) -> models.CreatePaymentSessionResponse:
        """``POST /ams/api/v1/payments/createPaymentSession``."""
        return await self._run(self._core.call(CREATE_PAYMENT_SESSION, request))

    async def request(self, path: str, body: Mapping[str, Any] | bytes | str) -> dict[str, Any]:
        """Low level; see :meth:`Client.request`."""
        return await self._run(self._core.raw(path, body))

    async def wait_for_payment(
        self,
        payment_request_id: str | None = None,
        *,
        payment_id: str | None = None,
        interval: float = DEFAULT_POLL_INTERVAL,
        timeout: float = DEFAULT_WAIT_TIMEOUT,
    ) -> models.InquiryPaymentResponse:
        """See :meth:`Client.wait_for_payment`."""
        return await self._run(
            self._core.wait_for_payment(payment_request_id, payment_id, interval, timeout)
        )

    # -------------------------------------------------------------- lifecycle

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()
