"""Gateway settings: every field can be set through an ``OPENAMS_*`` environment variable."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DATABASE_URL = "sqlite:///./var/openams.db"
ONE_MIB = 1024 * 1024
#: An idle kept-alive connection stays open longer than HTTP clients keep one in their
#: pool (httpx 5 s, the same as uvicorn's default), so the client, not the server, ends
#: it. A server that closes first races with a client sending its next request on the
#: connection: the request meets a reset, and the client cannot tell whether it arrived.
#: 75 s is nginx's keepalive_timeout; idle connections cannot crowd out new ones
#: (``max_connections`` closes the oldest idle one to make room).
KEEP_ALIVE_SECONDS = 75


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="OPENAMS_", extra="ignore")

    database_url: str = DEFAULT_DATABASE_URL
    host: str = "127.0.0.1"
    port: int = 8080
    #: Base URL buyers and merchants reach the gateway at; default http://host:port.
    public_url: str | None = None
    #: A PEM private key file that overrides the key the gateway keeps in its database.
    gateway_private_key_file: Path | None = None
    max_body_bytes: int = ONE_MIB
    #: Refuse requests whose Request-Time is further than this from now (off when unset).
    request_time_tolerance_seconds: int | None = None
    #: Sandbox merchants get the signature debugger in INVALID_SIGNATURE messages.
    signature_debugger: bool = True
    #: Delay before a notification's first attempt; unset: 3 to 5 s at random, as Antom.
    notify_initial_delay_ms: int | None = None
    #: Run the notification dispatcher and expiry sweeper inside ``openams serve``.
    run_dispatcher: bool = True
    #: Let production (non-SANDBOX_) merchants target private or loopback notify URLs.
    allow_private_notify_urls: bool = False
    #: Seconds between dispatcher polls when nothing is due.
    dispatcher_poll_seconds: float = 0.5
    #: How long a dispatcher owns the notifications it claimed; after a crash they are
    #: claimed again (and delivered again) once this passes.
    notify_lease_seconds: float = 60.0
    #: Total deadline of one delivery attempt: connecting, sending and reading the whole
    #: answer. A merchant that answers slower (one byte at a time) is cut at this point.
    notify_timeout_seconds: float = Field(default=10.0, gt=0)
    #: Delivery attempts in flight at once, per dispatcher.
    notify_concurrency: int = Field(default=16, ge=1)
    #: Delivery attempts in flight at once to one merchant, so a slow merchant cannot
    #: hold every slot.
    notify_merchant_concurrency: int = Field(default=4, ge=1)
    #: Key for the hosted pages' CSRF tokens and tickets; unset: derived from the
    #: gateway's private key (stable across restarts and across workers).
    cashier_secret: SecretStr | None = None
    #: Authenticated AMS requests per second and client id, per process (off when unset).
    rate_limit_per_second: float | None = None
    #: Requests a client id may send at once before the rate applies; default: one
    #: second's worth (at least 1).
    rate_limit_burst: float | None = None
    #: Threads per process that run AMS requests; 0 runs them inline on the event loop
    #: (no thread hop; the loop waits on the database); unset: 2 on SQLite (one writer
    #: at a time: more threads only queue), 8 on PostgreSQL.
    api_threads: int | None = Field(default=None, ge=0)
    #: Answer each AMS request on the event loop until the database would make it wait
    #: (another thread or process holds SQLite's writer lock), and only then hop to the
    #: request threads; unset: on for SQLite, off for PostgreSQL (whose every round trip
    #: would wait on the loop).
    api_loop_first: bool | None = None
    #: Store every AMS call (headers and bodies, card data scrubbed) in the request log
    #: (docs/developers.md). The gateway's own log line per AMS call is written either way.
    request_log: bool = True
    #: Request log retention: each merchant's newest entries, none older than the age.
    request_log_max_per_merchant: int = Field(default=10_000, ge=1)
    request_log_max_age_days: float = Field(default=30.0, gt=0)
    #: Log one line per HTTP request (uvicorn's access log) in ``openams serve``.
    access_log: bool = False
    #: ``openams serve``'s limits on each connection (issue 18; see "Connection limits" in
    #: docs/decisions.md). Bytes of a request's line and headers: more is answered 431
    #: and the connection closed.
    max_header_bytes: int = Field(default=16 * 1024, ge=1024)
    #: Headers in one request: more is answered 431 and the connection closed.
    max_headers: int = Field(default=100, ge=8)
    #: Seconds from accepting a connection (or from a kept-alive connection's next
    #: request starting) to the end of the request's headers; slower ones are closed.
    header_timeout_seconds: float = Field(default=10.0, gt=0)
    #: Seconds an idle kept-alive connection stays open (uvicorn's timeout_keep_alive).
    keep_alive_seconds: int = Field(default=KEEP_ALIVE_SECONDS, ge=1)
    #: Open connections per process; beyond it the oldest connection with no request in
    #: progress is closed to make room, or the new one if every one has a request.
    #: Never more than the descriptor limit less 128 (kept for the database, log files
    #: and notification deliveries).
    max_connections: int = Field(default=4096, ge=1)
    #: Console sign-in throttling (docs/console.md): failed sign-ins allowed per window
    #: for one (username, client address) pair, and for one client address whatever the
    #: username; over either, that address gets 429 until its oldest failure is a window
    #: old. No limit per username alone, so nobody can lock the real user out.
    console_login_failures_per_user_and_address: int = Field(default=5, ge=1)
    console_login_failures_per_address: int = Field(default=20, ge=1)
    console_login_window_seconds: float = Field(default=60.0, gt=0)

    @field_validator("public_url")
    @classmethod
    def _strip_slash(cls, value: str | None) -> str | None:
        return value.rstrip("/") if value else value

    @property
    def base_url(self) -> str:
        return self.public_url or f"http://{self.host}:{self.port}"
