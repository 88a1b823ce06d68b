"""The one client core, shared by ``Client`` and ``AsyncClient``.

Everything that is not I/O lives here: encoding request bodies, the sandbox path rewrite,
response verification, the retry loop, raise-or-return, and polling. It is written as
*flows*: generators that ``yield`` an action (:class:`Send` a request, :class:`Sleep`) and
receive its outcome. :func:`run_sync` and :func:`run_async` are the only places that
perform those actions, with ``httpx.Client`` / ``time.sleep`` or ``httpx.AsyncClient`` /
``asyncio.sleep``. The two client classes are thin shells that pick a runner.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Generator, Mapping
from contextlib import closing
from dataclasses import dataclass
from typing import Any, Generic, TypeAlias, TypeVar

import httpx
from cryptography.hazmat.primitives.asymmetric import rsa

from openams.protocol import models
from openams.protocol.keys import load_private_key
from openams.sdk._auth import SignatureAuth
from openams.sdk._config import FINAL_PAYMENT_STATUSES, RETRYABLE_RESULT_CODES
from openams.sdk._endpoints import (
    INQUIRY_PAYMENT,
    Endpoint,
    ReqT,
    RespT,
    is_sandbox_client_id,
    resolve_path,
)
from openams.sdk._exceptions import (
    ApiError,
    ConnectError,
    HTTPStatusError,
    MessageFormatError,
    NetworkError,
    OpenAmsError,
    TimeoutException,
    TransportError,
    WaitTimeoutError,
)
from openams.sdk._retry import Backoff, should_retry
from openams.sdk._verify import (
    HeadersLike,
    Notification,
    as_public_key,
    verify_notification,
    verify_response,
)

T = TypeVar("T")

#: A request body: the protocol request model, or a dict that validates into it.
RequestBody: TypeAlias = models.WireModel | Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class Send:
    """Action: POST ``content`` to ``path`` (relative to the base URL); reply with the response."""

    path: str
    content: bytes


@dataclass(frozen=True, slots=True)
class Sleep:
    """Action: wait ``seconds`` before the flow continues."""

    seconds: float


Action: TypeAlias = Send | Sleep
#: A flow yields actions, is sent each ``Send``'s response (or has its httpx error thrown
#: in), and finally returns ``T``.
Flow: TypeAlias = Generator[Action, "httpx.Response | None", T]


def dump_json(data: Mapping[str, Any]) -> bytes:
    """Compact, ASCII-only JSON: the bytes that are signed are the bytes that are sent."""
    return json.dumps(data, separators=(",", ":"), ensure_ascii=True).encode("ascii")


def encode_request(endpoint: Endpoint[ReqT, RespT], body: RequestBody) -> bytes:
    """Validate ``body`` against the endpoint's request model and serialise it once."""
    model: models.WireModel
    if isinstance(body, endpoint.request_model):
        model = body
    elif isinstance(body, Mapping):
        model = endpoint.request_model.model_validate(dict(body))
    else:
        raise TypeError(
            f"{endpoint.name}() takes a {endpoint.request_model.__name__} or a dict, "
            f"not a {type(body).__name__}"
        )
    return dump_json(model.wire())


def map_transport_error(exc: httpx.RequestError, path: str, attempts: int) -> TransportError:
    cls: type[TransportError]
    if isinstance(exc, httpx.TimeoutException):
        cls = TimeoutException
    elif isinstance(exc, httpx.ConnectError):
        cls = ConnectError
    elif isinstance(exc, httpx.NetworkError | httpx.RemoteProtocolError):
        cls = NetworkError
    else:
        cls = TransportError
    noun = "attempt" if attempts == 1 else "attempts"
    return cls(
        f"POST {path}: {type(exc).__name__}: {exc} ({attempts} {noun})",
        path=path,
        attempts=attempts,
    )


def _result_fields(data: Mapping[str, Any]) -> tuple[str | None, str | None]:
    result = data.get("result")
    if not isinstance(result, Mapping):
        return None, None
    status, code = result.get("resultStatus"), result.get("resultCode")
    return (
        status if isinstance(status, str) else None,
        code if isinstance(code, str) else None,
    )


def raises_api_error(result: models.Result) -> bool:
    """``F`` always raises; ``U`` raises only for the retryable codes (retries exhausted)."""
    status = result.result_status
    return status == "F" or (status == "U" and result.result_code in RETRYABLE_RESULT_CODES)


class ClientCore:
    """Configuration plus the flows. Keys are parsed here, once."""

    def __init__(
        self,
        *,
        client_id: str,
        private_key: rsa.RSAPrivateKey | str | bytes,
        gateway_public_key: rsa.RSAPublicKey | str | bytes,
        key_version: str,
        sandbox: bool | None,
        max_retries: int,
        backoff: Backoff | None,
        clock: Callable[[], float],
    ) -> None:
        if not client_id:
            raise ValueError("client_id is required")
        if max_retries < 0:
            raise ValueError("max_retries must be 0 or more")
        self.client_id = client_id
        self.private_key = (
            private_key
            if isinstance(private_key, rsa.RSAPrivateKey)
            else load_private_key(private_key)
        )
        self.gateway_public_key = as_public_key(gateway_public_key)
        self.key_version = key_version
        self.sandbox = is_sandbox_client_id(client_id) if sandbox is None else sandbox
        self.max_retries = max_retries
        self.backoff = backoff if backoff is not None else Backoff()
        self.clock = clock
        self.auth = SignatureAuth(client_id, self.private_key, key_version=key_version)

    # ------------------------------------------------------------------ flows

    def exchange(self, path: str, content: bytes) -> Flow[dict[str, Any]]:
        """POST ``content`` to ``path`` with retries; the verified JSON object of the answer."""
        retries = 0
        while True:
            attempt = retries + 1
            error: OpenAmsError | None = None
            try:
                response = yield Send(path, content)
            except httpx.RequestError as exc:
                error = map_transport_error(exc, path, attempt)
                if should_retry(retries, self.max_retries, error=error):
                    retries += 1
                    yield Sleep(self.backoff.delay(retries))
                    continue
                raise error from exc
            if response is None:  # pragma: no cover - a runner bug, not a network outcome
                raise RuntimeError("the flow runner sent no response")
            if response.status_code != 200:
                error = HTTPStatusError(
                    f"POST {path}: HTTP {response.status_code} (AMS answers 200 for every "
                    f"result) ({attempt} attempt{'s' if attempt > 1 else ''})",
                    path=path,
                    status_code=response.status_code,
                    attempts=attempt,
                )
                if should_retry(retries, self.max_retries, error=error):
                    retries += 1
                    yield Sleep(self.backoff.delay(retries))
                    continue
                raise error
            data = verify_response(
                response.request.url.path,
                response,
                self.gateway_public_key,
                expected_client_id=self.client_id,
            )
            status, code = _result_fields(data)
            if should_retry(retries, self.max_retries, result_status=status, result_code=code):
                retries += 1
                yield Sleep(self.backoff.delay(retries))
                continue
            return data

    def call(self, endpoint: Endpoint[ReqT, RespT], body: RequestBody) -> Flow[RespT]:
        """A typed API call: returns the response model or raises ``ApiError``."""
        content = encode_request(endpoint, body)
        path = resolve_path(endpoint.path, sandbox=self.sandbox)
        data = yield from self.exchange(path, content)
        try:
            response = endpoint.response_model.model_validate(data)
        except ValueError as exc:  # pydantic.ValidationError
            raise MessageFormatError(
                f"{endpoint.name} response does not match {endpoint.response_model.__name__}: "
                f"{exc}",
                path=path,
            ) from None
        if raises_api_error(response.result):
            raise ApiError(response, path=path)
        return response

    def raw(self, path: str, body: Mapping[str, Any] | bytes | str) -> Flow[dict[str, Any]]:
        """Low level: any path, any JSON body; the verified JSON object, whatever the result."""
        if isinstance(body, bytes):
            content = body
        elif isinstance(body, str):
            content = body.encode("utf-8")
        else:
            content = dump_json(body)
        data = yield from self.exchange(resolve_path(path, sandbox=self.sandbox), content)
        return data

    def wait_for_payment(
        self,
        payment_request_id: str | None,
        payment_id: str | None,
        interval: float,
        timeout: float,
    ) -> Flow[models.InquiryPaymentResponse]:
        """Inquire until ``paymentStatus`` is final, sleeping ``interval`` between inquiries."""
        if not payment_request_id and not payment_id:
            raise ValueError("wait_for_payment needs payment_request_id or payment_id")
        if interval <= 0 or timeout < 0:
            raise ValueError("interval must be positive and timeout not negative")
        body: dict[str, str] = {}
        if payment_request_id:
            body["paymentRequestId"] = payment_request_id
        if payment_id:
            body["paymentId"] = payment_id
        deadline = self.clock() + timeout
        while True:
            response = yield from self.call(INQUIRY_PAYMENT, body)
            if response.payment_status in FINAL_PAYMENT_STATUSES:
                return response
            remaining = deadline - self.clock()
            if remaining <= 0:
                raise WaitTimeoutError(
                    f"payment {payment_request_id or payment_id} still "
                    f"{response.payment_status or 'without paymentStatus'} after {timeout:g} s",
                    response=response,
                )
            yield Sleep(min(interval, remaining))

    # ----------------------------------------------------------- no I/O at all

    def verify_notification(
        self, method: str, path: str, headers: HeadersLike | httpx.Headers, body: bytes | str
    ) -> Notification:
        return verify_notification(
            method,
            path,
            headers,
            body,
            gateway_public_key=self.gateway_public_key,
            client_id=self.client_id,
        )


# ------------------------------------------------------------------ runners


class FlowDriver(Generic[T]):
    """Steps a flow: hands it the outcome of its last action and takes the next one.

    The runners below only perform the actions; what the flow is sent or has thrown
    in, and how it finishes, is decided here for both.
    """

    def __init__(self, flow: Flow[T]) -> None:
        self._flow = flow
        self.reply: httpx.Response | None = None
        self.failure: httpx.RequestError | None = None

    def next_action(self) -> Action | StopIteration:
        """The next action, or the ``StopIteration`` carrying the flow's return value."""
        reply, failure = self.reply, self.failure
        self.reply, self.failure = None, None
        try:
            return self._flow.send(reply) if failure is None else self._flow.throw(failure)
        except StopIteration as stop:
            return stop


def run_sync(
    flow: Flow[T],
    send: Callable[[Send], httpx.Response],
    sleep: Callable[[float], None],
) -> T:
    """Drive a flow with blocking I/O."""
    driver = FlowDriver(flow)
    with closing(flow):
        while not isinstance(action := driver.next_action(), StopIteration):
            if isinstance(action, Sleep):
                sleep(action.seconds)
                continue
            try:
                driver.reply = send(action)
            except httpx.RequestError as exc:
                driver.failure = exc
    result: T = action.value
    return result


async def run_async(
    flow: Flow[T],
    send: Callable[[Send], Awaitable[httpx.Response]],
    sleep: Callable[[float], Awaitable[None]],
) -> T:
    """Drive a flow with asyncio I/O."""
    driver = FlowDriver(flow)
    with closing(flow):
        while not isinstance(action := driver.next_action(), StopIteration):
            if isinstance(action, Sleep):
                await sleep(action.seconds)
                continue
            try:
                driver.reply = await send(action)
            except httpx.RequestError as exc:
                driver.failure = exc
    result: T = action.value
    return result
