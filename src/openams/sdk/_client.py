"""``Client`` and ``AsyncClient``: thin shells over ``ClientCore``.

The typed endpoint methods are declared once, on ``_BaseClient``, as :class:`ApiMethod`
descriptors: ``client.pay(body)`` is ``run(core.call(PAY, body))``, blocking or awaited
depending on the shell. The shells differ only in which httpx client sends and which
function sleeps.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import time
from collections.abc import Awaitable, Callable, Mapping
from types import TracebackType
from typing import Any, Generic, Protocol, Self, TypeVar, overload

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
from openams.sdk._core import ClientCore, Flow, RequestBody, Send, T, run_async, run_sync
from openams.sdk._endpoints import (
    CANCEL,
    CAPTURE,
    CONSULT,
    CREATE_PAYMENT_SESSION,
    INQUIRY_PAYMENT,
    INQUIRY_REFUND,
    PAY,
    REFUND,
    Endpoint,
    ReqT,
    RespT,
)
from openams.sdk._retry import Backoff
from openams.sdk._verify import HeadersLike, Notification, notification_ack

_REQUEST_HEADERS = {"Content-Type": CONTENT_TYPE, "Accept": "application/json"}

ReqT_contra = TypeVar("ReqT_contra", bound=models.WireModel, contravariant=True)
RespT_co = TypeVar("RespT_co", bound=models.Response, covariant=True)


class ApiCall(Protocol[ReqT_contra, RespT_co]):
    """What ``Client().pay`` and its siblings are, to a type checker."""

    def __call__(self, request: ReqT_contra | Mapping[str, Any]) -> RespT_co: ...


class AsyncApiCall(Protocol[ReqT_contra, RespT_co]):
    """What ``AsyncClient().pay`` and its siblings are, to a type checker."""

    async def __call__(self, request: ReqT_contra | Mapping[str, Any]) -> RespT_co: ...


class ApiMethod(Generic[ReqT, RespT]):
    """A typed endpoint method, declared once for both shells.

    On a :class:`Client` it is a blocking call, on an :class:`AsyncClient` a coroutine
    function; both run ``core.call(endpoint, request)``. The ``__get__`` overloads give
    type checkers and IDEs the exact request and response models for each shell.
    """

    def __init__(self, endpoint: Endpoint[ReqT, RespT]) -> None:
        self.endpoint = endpoint
        self.__doc__ = (
            f"``POST {endpoint.path}``: a ``{endpoint.request_model.__name__}`` (or a dict in "
            f"wire form) in, a ``{endpoint.response_model.__name__}`` out."
        )
        # What inspect.signature() and help() show for the bound method, as for a def.
        self.signature = inspect.Signature(
            [
                inspect.Parameter(
                    "request",
                    inspect.Parameter.POSITIONAL_OR_KEYWORD,
                    annotation=endpoint.request_model | Mapping[str, Any],
                )
            ],
            return_annotation=endpoint.response_model,
        )

    def __set_name__(self, owner: type[Any], name: str) -> None:
        if name != self.endpoint.name:
            raise TypeError(f"{owner.__name__}.{name} is declared for {self.endpoint.name}")

    @overload
    def __get__(self, instance: None, owner: type[Any]) -> Self: ...
    @overload
    def __get__(self, instance: Client, owner: type[Any]) -> ApiCall[ReqT, RespT]: ...
    @overload
    def __get__(self, instance: AsyncClient, owner: type[Any]) -> AsyncApiCall[ReqT, RespT]: ...
    def __get__(self, instance: Client | AsyncClient | None, owner: type[Any]) -> object:
        if instance is None:
            return self
        bound = functools.partial(instance._call, self.endpoint)
        bound.__doc__ = self.__doc__
        setattr(bound, "__signature__", self.signature)  # noqa: B010 - unknown to typeshed
        return bound


def _http_options(
    core: ClientCore, base_url: str | httpx.URL, timeout: float | httpx.Timeout
) -> dict[str, Any]:
    """What both shells pass to their httpx client: the signing auth, no redirects."""
    return {
        "base_url": base_url,
        "timeout": timeout,
        "auth": core.auth,
        "headers": {"User-Agent": USER_AGENT},
        "follow_redirects": False,
    }


class _BaseClient:
    """The I/O-free parts shared by both shells, and the typed endpoint methods."""

    _core: ClientCore

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

    # ---------------------------------------------------------------- the API

    pay = ApiMethod(PAY)
    inquiry_payment = ApiMethod(INQUIRY_PAYMENT)
    cancel = ApiMethod(CANCEL)
    refund = ApiMethod(REFUND)
    inquiry_refund = ApiMethod(INQUIRY_REFUND)
    capture = ApiMethod(CAPTURE)
    consult = ApiMethod(CONSULT)
    create_payment_session = ApiMethod(CREATE_PAYMENT_SESSION)


class Client(_BaseClient):
    """Blocking AMS client.

    ::

        with Client(client_id=..., private_key=..., gateway_public_key=...,
                    base_url="https://open-na-global.alipay.com") as ams:
            response = ams.pay(PayRequest(...))

    Typed methods return the response model for ``S`` and for the normal ``U`` answers
    (``PAYMENT_IN_PROCESS``, ``REFUND_IN_PROCESS``, ``CAPTURE_IN_PROCESS``) and raise
    ``ApiError`` for ``F`` (and for ``UNKNOWN_EXCEPTION``-like ``U`` once the retries are
    used up).
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
        self._core = ClientCore(
            client_id=client_id,
            private_key=private_key,
            gateway_public_key=gateway_public_key,
            key_version=key_version,
            sandbox=sandbox,
            max_retries=max_retries,
            backoff=backoff,
            clock=clock,
        )
        self._http = httpx.Client(
            transport=transport, **_http_options(self._core, base_url, timeout)
        )
        self._sleep = sleep

    def _send(self, action: Send) -> httpx.Response:
        request = self._http.build_request(
            "POST", action.path, content=action.content, headers=_REQUEST_HEADERS
        )
        return self._http.send(request)

    def _run(self, flow: Flow[T]) -> T:
        return run_sync(flow, self._send, self._sleep)

    def _call(self, endpoint: Endpoint[ReqT, RespT], request: RequestBody) -> RespT:
        return self._run(self._core.call(endpoint, request))

    # ---------------------------------------------------------------- the API

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
        self._core = ClientCore(
            client_id=client_id,
            private_key=private_key,
            gateway_public_key=gateway_public_key,
            key_version=key_version,
            sandbox=sandbox,
            max_retries=max_retries,
            backoff=backoff,
            clock=clock,
        )
        self._http = httpx.AsyncClient(
            transport=transport, **_http_options(self._core, base_url, timeout)
        )
        self._sleep = sleep

    async def _send(self, action: Send) -> httpx.Response:
        request = self._http.build_request(
            "POST", action.path, content=action.content, headers=_REQUEST_HEADERS
        )
        return await self._http.send(request)

    async def _run(self, flow: Flow[T]) -> T:
        return await run_async(flow, self._send, self._sleep)

    async def _call(self, endpoint: Endpoint[ReqT, RespT], request: RequestBody) -> RespT:
        return await self._run(self._core.call(endpoint, request))

    # ---------------------------------------------------------------- the API

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
