"""The AMS endpoint: one route for every API under ``/ams``, signed answers for everything.

Production prefix ``/ams/api/v1/...`` and sandbox prefix ``/ams/sandbox/api/v1/...``
reach the same handlers; ``testHelpers`` exist only under the sandbox prefix.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from pydantic import BaseModel
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from openams.gateway.domain.errors import DomainError
from openams.gateway.domain.merchant import Merchant
from openams.gateway.domain.request_log import Exchange, answer_fields
from openams.gateway.waiting import FreedLater, WouldWait, no_waiting, take_batch_commit
from openams.gateway.web.api.auth import Authenticator, authenticate
from openams.gateway.web.api.envelope import ResponseSigner, SignedAnswer
from openams.gateway.web.api.headers import (
    duplicate_auth_header,
    first_header,
    header_dict,
    request_path,
)
from openams.gateway.web.api.parsing import check_content_type, parse_json_object, parse_model
from openams.gateway.web.api.ratelimit import RateLimiter
from openams.gateway.web.api.recorder import RequestRecorder
from openams.gateway.web.api.threads import RequestThreads
from openams.protocol.results import result

log = logging.getLogger("openams.gateway.api")
T = TypeVar("T")

PRODUCTION_PREFIX = "/ams/api/v1/"
SANDBOX_PREFIX = "/ams/sandbox/api/v1/"
ALL_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
#: Threads that run AMS requests (each holds at most one database connection); 0 runs
#: them inline on the event loop. With ``loop_first`` a request runs on the loop until
#: the database would make it wait (gateway/waiting.py), and only then on the threads.
API_THREADS = 8
#: How many times a request waits on the loop for the store's writer lock (then tries
#: again there) before it goes to a request thread.
LOOP_TRIES = 4
#: The request threads' names start with this.
THREAD_NAME = "openams-api"


_POOLS: dict[int, RequestThreads] = {}
_POOLS_LOCK = threading.Lock()


def shared_pool(threads: int) -> RequestThreads:
    """One pool per size for the whole process, made on first use: apps built one after
    another (tests) share their threads instead of each leaving idle ones behind."""
    with _POOLS_LOCK:
        pool = _POOLS.get(threads)
        if pool is None:
            pool = _POOLS[threads] = RequestThreads(threads, f"{THREAD_NAME}-{threads}")
        return pool


class BodyTooLarge(Exception):
    pass


@dataclass(frozen=True, slots=True)
class Operation:
    model: type[BaseModel]
    handler: Callable[[Merchant, Any], dict[str, Any]]
    sandbox_only: bool = False


@dataclass(frozen=True, slots=True)
class Call:
    """An authenticated, parsed request, ready for its handler."""

    operation: Operation
    merchant: Merchant
    model: BaseModel


@dataclass(frozen=True, slots=True)
class Unfinished:
    """A request the event loop could not answer without waiting for the database."""

    #: None: not prepared yet (authentication's read would have waited).
    call: Call | None
    #: All it met was this lock of the process's own (WouldWait.lock): the loop may wait
    #: for it and try again; None: another process's write, so it goes to a thread.
    lock: FreedLater | None


@dataclass(slots=True)
class Seen:
    """What the request log needs to know of a request beyond its answer."""

    body: bytes = b""
    #: The key version whose signature verified (None: not authenticated).
    key_version: str | None = None


@dataclass(frozen=True, slots=True)
class ApiConfig:
    max_body_bytes: int
    request_time_tolerance_seconds: int | None
    signature_debugger: bool


class AmsApi:
    def __init__(
        self,
        operations: dict[str, Operation],
        authenticator: Authenticator,
        signer: ResponseSigner,
        config: ApiConfig,
        limiter: RateLimiter | None = None,
        threads: int = API_THREADS,
        *,
        loop_first: bool = False,
        recorder: RequestRecorder | None = None,
        writer: FreedLater | None = None,
    ) -> None:
        self.operations = operations
        self.authenticator = authenticator
        self.signer = signer
        self.config = config
        self.limiter = limiter
        self.threads = threads
        self.loop_first = loop_first
        self.recorder = recorder
        #: The store's writer lock, on SQLite: a loop attempt waits while another thread
        #: holds it (WouldWait.lock).
        self.writer = writer
        self._executor: RequestThreads | None = None

    def routes(self) -> list[Route]:
        return [Route("/ams/{rest:path}", self.endpoint, methods=ALL_METHODS)]

    async def endpoint(self, request: Request) -> Response:
        answer = await self._serve(request.scope, request.receive)
        return Response() if answer is None else answer.response()

    async def asgi(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve one AMS request straight on ASGI, without the framework's request and
        response objects (their header and URL handling costs more than the rest)."""
        answer = await self._serve(scope, receive)
        if answer is not None:
            await answer.send(send)

    async def _serve(self, scope: Scope, receive: Receive) -> SignedAnswer | None:
        """The signed answer, recorded; None when the client went away before its body
        arrived."""
        if self.recorder is None:
            return await self._respond(scope, receive, request_path(scope), None)
        received_at = self.recorder.clock()
        started = time.perf_counter_ns()
        seen = Seen()
        path = request_path(scope)
        answer = await self._respond(scope, receive, path, seen)
        if answer is not None:
            self.recorder.record(
                Exchange(
                    received_at=received_at,
                    path=path,
                    headers=scope["headers"],
                    request_body=seen.body,
                    http_status=200,
                    response_headers=answer.headers,
                    response_body=answer.raw,
                    response=answer_fields(answer.body),
                    latency_us=(time.perf_counter_ns() - started) // 1000,
                    verified_key_version=seen.key_version,
                )
            )
        return answer

    async def _respond(
        self, scope: Scope, receive: Receive, path: str, seen: Seen | None
    ) -> SignedAnswer | None:
        headers = header_dict(scope)
        if len(headers) != len(scope["headers"]):
            # A name repeats (the dict kept only its last value): refused when it is an
            # authentication header, answered for no client id, since the request names
            # two (see "Duplicate authentication headers" in docs/decisions.md).
            duplicate = duplicate_auth_header(scope)
            if duplicate is not None:
                message = f"the {duplicate} header is sent more than once; send it once"
                return self.signer.answer(path, "", {"result": result("PARAM_ILLEGAL", message)})
        client_id = first_header(scope, b"client-id").strip()
        method = scope["method"]
        if method != "POST":
            body = {
                "result": result(
                    "METHOD_NOT_SUPPORTED", f"{method} is not supported; every AMS API is POST"
                )
            }
            return self.signer.answer(path, client_id, body)
        try:
            raw = await self._read_body(headers, receive)
        except BodyTooLarge:
            body = {
                "result": result(
                    "PARAM_ILLEGAL", f"the body exceeds {self.config.max_body_bytes} bytes"
                )
            }
            return self.signer.answer(path, client_id, body)
        except ClientDisconnect:
            return None
        if seen is not None:
            seen.body = raw
        if self.threads == 0:
            # Inline: no thread hop, and the loop waits while the database call blocks
            # (see "Request threads" in docs/decisions.md for when that pays).
            return self._answer(path, client_id, headers, raw, seen)
        if self.loop_first:
            outcome = self._attempt(path, client_id, headers, raw, seen)
            tries = 1
            while isinstance(outcome, Unfinished) and outcome.lock and tries < LOOP_TRIES:
                await outcome.lock.when_free()
                outcome = self._attempt(path, client_id, headers, raw, seen, outcome.call)
                tries += 1
            if isinstance(outcome, SignedAnswer):
                # taken before any await: the next attempt on this thread would replace it
                commit = take_batch_commit()
                if commit is None:
                    return outcome
                return await self._after(commit, outcome, path, client_id)
            if outcome.call is None:
                return await self._pool().run(self._answer, path, client_id, headers, raw, seen)
            return await self._pool().run(self._finish, path, client_id, outcome.call)
        # Verify, handle and sign in one hop to the request threads (the database calls
        # block).
        return await self._pool().run(self._answer, path, client_id, headers, raw, seen)

    async def _after(
        self, commit: Awaitable[None], answer: SignedAnswer, path: str, client_id: str
    ) -> SignedAnswer:
        """The answer once the batch commit its write joined is done; if that commit
        failed, nothing was stored: U, and the resend stores it."""
        try:
            await commit
        except Exception:
            return self.signer.answer(path, client_id, {"result": result("UNKNOWN_EXCEPTION")})
        return answer

    def _answer(
        self,
        path: str,
        client_id: str,
        headers: dict[str, str],
        raw: bytes,
        seen: Seen | None = None,
    ) -> SignedAnswer:
        return self.signer.answer(path, client_id, self.process(path, headers, raw, seen))

    def _attempt(
        self,
        path: str,
        client_id: str,
        headers: dict[str, str],
        raw: bytes,
        seen: Seen | None = None,
        call: Call | None = None,
    ) -> SignedAnswer | Unfinished:
        """The answer, made here on the event loop; or, when the database would make the
        loop wait, what is left to do (``call``: the request as an earlier attempt
        prepared it, authenticated and counted against the rate limit)."""
        with no_waiting(batch=True):
            try:
                if call is None:
                    prepared = self.prepare(path, headers, raw, seen)
                    if isinstance(prepared, dict):
                        return self.signer.answer(path, client_id, prepared)
                    call = prepared
                if self.writer is not None and self.writer.taken():
                    # Wait for it before the handler runs, not after it did its work
                    # up to the write and had to give up.
                    return Unfinished(call, self.writer)
                body = self.handle(path, call)
            except WouldWait as exc:
                return Unfinished(call, exc.lock)
        return self.signer.answer(path, client_id, body)

    def _finish(self, path: str, client_id: str, call: Call) -> SignedAnswer:
        return self.signer.answer(path, client_id, self.handle(path, call))

    def _pool(self) -> RequestThreads:
        if self._executor is None:
            self._executor = shared_pool(self.threads)
        return self._executor

    async def _read_body(self, headers: dict[str, str], receive: Receive) -> bytes:
        limit = self.config.max_body_bytes
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            raise BodyTooLarge
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                raise ClientDisconnect
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                raise BodyTooLarge
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks)

    def resolve(self, path: str) -> tuple[Operation, bool]:
        if path.startswith(SANDBOX_PREFIX):
            name, sandbox = path[len(SANDBOX_PREFIX) :], True
        elif path.startswith(PRODUCTION_PREFIX):
            name, sandbox = path[len(PRODUCTION_PREFIX) :], False
        else:
            raise DomainError("NO_INTERFACE_DEF", f"no AMS API at {path}")
        operation = self.operations.get(name)
        if operation is None or (operation.sandbox_only and not sandbox):
            raise DomainError("NO_INTERFACE_DEF", f"no AMS API at {path}")
        return operation, sandbox

    def _check_rate(self, client_id: str) -> None:
        if self.limiter is not None and not self.limiter.allow(client_id):
            wait = self.limiter.retry_after(client_id)
            raise DomainError(
                "REQUEST_TRAFFIC_EXCEED_LIMIT",
                f"more than {self.limiter.rate:g} requests per second from {client_id}; "
                f"retry the same request in {max(wait, 0.001):.3f} s",
            )

    def process(
        self, path: str, headers: dict[str, str], raw: bytes, seen: Seen | None = None
    ) -> dict[str, Any]:
        call = self.prepare(path, headers, raw, seen)
        return call if isinstance(call, dict) else self.handle(path, call)

    def prepare(
        self, path: str, headers: dict[str, str], raw: bytes, seen: Seen | None = None
    ) -> Call | dict[str, Any]:
        """Route, authenticate, count against the rate limit and parse: the call to make,
        or the body of the answer that refuses it. The rate limit is counted last of the
        steps that may touch the database, so a WouldWait has not counted it yet."""
        return self._guarded(path, lambda: self._prepare(path, headers, raw, seen))

    def handle(self, path: str, call: Call) -> dict[str, Any]:
        return self._guarded(path, lambda: call.operation.handler(call.merchant, call.model))

    def _prepare(self, path: str, headers: dict[str, str], raw: bytes, seen: Seen | None) -> Call:
        operation, _sandbox = self.resolve(path)
        caller = authenticate(
            headers,
            path,
            raw,
            self.authenticator,
            tolerance_seconds=self.config.request_time_tolerance_seconds,
            debugger=self.config.signature_debugger,
        )
        if seen is not None:
            seen.key_version = caller.key_version
        self._check_rate(caller.merchant.client_id)
        if operation.sandbox_only and not caller.merchant.is_sandbox:
            raise DomainError(
                "ACCESS_DENIED", "test helpers are for sandbox (SANDBOX_) client ids only"
            )
        check_content_type(headers.get("content-type", ""))
        model = parse_model(operation.model, parse_json_object(raw))
        return Call(operation, caller.merchant, model)

    @staticmethod
    def _guarded(path: str, work: Callable[[], T]) -> T | dict[str, Any]:
        """``work()``, or the body of the AMS result for what it raised (WouldWait passes
        through: the request is not over)."""
        try:
            return work()
        except DomainError as exc:
            return {"result": result(exc.code, exc.message)}
        except WouldWait:
            raise
        except Exception:
            log.exception("unexpected error on %s", path)
            return {"result": result("UNKNOWN_EXCEPTION")}
