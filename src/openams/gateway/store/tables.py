"""SQLAlchemy table definitions. Times are epoch milliseconds (BIGINT): portable and exact."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)

metadata = MetaData()

gateway_keys = Table(
    "gateway_keys",
    metadata,
    Column("key_version", String(16), primary_key=True),
    Column("private_pem", Text, nullable=False),
    Column("public_pem", Text, nullable=False),
    Column("created_at", BigInteger, nullable=False),
)

merchants = Table(
    "merchants",
    metadata,
    Column("client_id", String(64), primary_key=True),
    Column("name", String(256), nullable=False),
    Column("notify_url", String(2048)),
    Column("created_at", BigInteger, nullable=False),
    # Sandbox notification chaos settings (JSON); NULL when off.
    Column("chaos_json", Text),
    # Origins that may frame the merchant's session pages (JSON list); NULL: none.
    Column("frame_origins_json", Text),
    # How far the merchant's (sandbox) clock runs ahead of real time (migration 0016).
    Column("clock_offset_ms", BigInteger, nullable=False, server_default="0"),
    Index("ix_merchants_clock_offset", "clock_offset_ms"),
)

# Each advance of a merchant's clock, in the merchant's time before and after (0016).
clock_shifts = Table(
    "clock_shifts",
    metadata,
    Column("shift_id", Integer, primary_key=True, autoincrement=True),
    Column("client_id", String(64), nullable=False),
    Column("real_at", BigInteger, nullable=False),
    Column("from_ms", BigInteger, nullable=False),
    Column("to_ms", BigInteger, nullable=False),
    Index("ix_clock_shifts_client", "client_id", "to_ms"),
)

merchant_keys = Table(
    "merchant_keys",
    metadata,
    Column("client_id", String(64), primary_key=True),
    Column("key_version", String(16), primary_key=True),
    Column("public_pem", Text, nullable=False),
    Column("created_at", BigInteger, nullable=False),
    # rotation (migration 0007): the active version is the non-retired one activated last
    Column("activated_at", BigInteger),
    Column("retired_at", BigInteger),
)

_HAS_SETTLE_AT = text("settle_at IS NOT NULL")

payments = Table(
    "payments",
    metadata,
    Column("payment_id", String(64), primary_key=True),
    Column("client_id", String(64), nullable=False),
    Column("payment_request_id", String(64), nullable=False),
    Column("status", String(16), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("amount_value", BigInteger, nullable=False),
    Column("product_code", String(64), nullable=False),
    Column("method_type", String(64), nullable=False),
    Column("method_id", String(128)),
    Column("fingerprint", String(512), nullable=False),
    Column("terminal_type", String(16)),
    Column("os_type", String(16)),
    Column("reference_order_id", String(64)),
    Column("order_description", String(256)),
    Column("redirect_url", String(2048)),
    Column("notify_url", String(2048)),
    Column("settlement_currency", String(3)),
    Column("token", String(64), nullable=False, unique=True),
    Column("result_code", String(64)),
    Column("result_message", String(256)),
    Column("created_at", BigInteger, nullable=False),
    Column("expires_at", BigInteger, nullable=False),
    Column("paid_at", BigInteger),
    Column("cancelled_at", BigInteger),
    Column("closed_at", BigInteger),
    Column("request_json", Text, nullable=False),
    Column("version", Integer, nullable=False, server_default="1"),
    # hosted card page: brand, BIN, last four, expiry, card token; never the number or CVV
    Column("card_json", Text),
    # paymentFactor.isAuthorization / captureMode; authorization and capture times
    Column("is_authorization", Integer, nullable=False, server_default="0"),
    Column("capture_mode", String(16)),
    Column("auth_expires_at", BigInteger),
    Column("captured_at", BigInteger),
    # when a PENDING payment succeeds by itself
    Column("settle_at", BigInteger),
    UniqueConstraint("client_id", "payment_request_id", name="uq_payments_client_request"),
    Index("ix_payments_client_created", "client_id", "created_at"),
    Index("ix_payments_status_expires", "status", "expires_at"),
    # only PENDING payments get a settle_at: the others stay out of it (migration 0017)
    Index(
        "ix_payments_status_settle",
        "status",
        "settle_at",
        sqlite_where=_HAS_SETTLE_AT,
        postgresql_where=_HAS_SETTLE_AT,
    ),
)

payment_sessions = Table(
    "payment_sessions",
    metadata,
    Column("session_id", String(64), primary_key=True),
    Column("client_id", String(64), nullable=False),
    Column("payment_request_id", String(64), nullable=False),
    Column("fingerprint", String(512), nullable=False),
    Column("session_data", Text, nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("expires_at", BigInteger, nullable=False),
    Column("request_json", Text, nullable=False),
    UniqueConstraint("client_id", "payment_request_id", name="uq_sessions_client_request"),
)

notifications = Table(
    "notifications",
    metadata,
    Column("notification_id", String(32), primary_key=True),
    Column("client_id", String(64), nullable=False),
    Column("notify_type", String(32), nullable=False),
    Column("subject_id", String(64), nullable=False),
    Column("payment_id", String(64), nullable=False),
    Column("url", String(2048)),
    Column("body_json", Text, nullable=False),
    Column("status", String(16), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("next_attempt_at", BigInteger, nullable=False),
    Column("delivered_at", BigInteger),
    Column("last_error", String(512)),
    Column("lease_owner", String(64)),
    Column("lease_until", BigInteger),
    Index("ix_notifications_due", "status", "next_attempt_at"),
    Index("ix_notifications_payment", "client_id", "payment_id"),
    Index("ix_notifications_client_id", "client_id", "notification_id"),  # migration 0011
)

notification_attempts = Table(
    "notification_attempts",
    metadata,
    Column("attempt_id", Integer, primary_key=True, autoincrement=True),
    Column("notification_id", String(32), nullable=False, index=True),
    Column("attempt_number", Integer, nullable=False),
    Column("attempted_at", BigInteger, nullable=False),
    Column("kind", String(16), nullable=False),
    Column("http_status", Integer),
    Column("latency_ms", Integer),
    Column("response_excerpt", Text),
    Column("error", String(512)),
    Column("acknowledged", Integer, nullable=False),
    # what the attempt sent (migration 0011): the URL and the signed headers, as JSON
    Column("url", String(2048)),
    Column("request_headers", Text),
)

# Every AMS call, as received and as answered (migration 0011); card data scrubbed.
request_log = Table(
    "request_log",
    metadata,
    Column("log_id", Integer, primary_key=True, autoincrement=True),
    Column("created_at", BigInteger, nullable=False),
    Column("client_id", String(64), nullable=False),
    Column("path", String(256), nullable=False),
    Column("payment_request_id", String(64)),
    Column("payment_id", String(64)),
    Column("refund_request_id", String(64)),
    Column("capture_request_id", String(64)),
    Column("result_status", String(1)),
    Column("result_code", String(64)),
    Column("result_message", String(512)),
    Column("http_status", Integer, nullable=False),
    Column("latency_us", Integer, nullable=False),
    Column("signature_check", Text),
    Column("request_headers", Text, nullable=False),
    Column("request_body", Text, nullable=False),
    Column("response_headers", Text, nullable=False),
    Column("response_body", Text, nullable=False),
    Index("ix_request_log_client", "client_id", "log_id"),
    Index("ix_request_log_created", "created_at"),
    Index("ix_request_log_payment", "client_id", "payment_id"),
    Index("ix_request_log_payment_request", "client_id", "payment_request_id"),
)

captures = Table(
    "captures",
    metadata,
    Column("capture_id", String(64), primary_key=True),
    Column("client_id", String(64), nullable=False),
    Column("payment_id", String(64), nullable=False),
    Column("capture_request_id", String(64), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("amount_value", BigInteger, nullable=False),
    Column("status", String(16), nullable=False),
    Column("automatic", Integer, nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("captured_at", BigInteger),
    # asynchronous captures (migration 0008): when a PROCESSING one settles by itself,
    # and why a FAIL one failed
    Column("settle_at", BigInteger),
    Column("result_code", String(64)),
    Column("result_message", String(256)),
    UniqueConstraint("client_id", "capture_request_id", name="uq_captures_client_request"),
    Index("ix_captures_payment", "client_id", "payment_id"),
    Index("ix_captures_status_settle", "status", "settle_at"),
)

refunds = Table(
    "refunds",
    metadata,
    Column("refund_id", String(64), primary_key=True),
    Column("client_id", String(64), nullable=False),
    Column("payment_id", String(64), nullable=False),
    Column("refund_request_id", String(64), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("amount_value", BigInteger, nullable=False),
    Column("status", String(16), nullable=False),
    Column("reference_refund_id", String(64)),
    Column("reason", String(256)),
    Column("notify_url", String(2048)),
    Column("created_at", BigInteger, nullable=False),
    Column("refunded_at", BigInteger),
    # asynchronous refunds (migration 0008): when a PROCESSING one settles by itself,
    # and why a FAIL one failed
    Column("settle_at", BigInteger),
    Column("result_code", String(64)),
    Column("result_message", String(256)),
    UniqueConstraint("client_id", "refund_request_id", name="uq_refunds_client_request"),
    Index("ix_refunds_payment", "client_id", "payment_id"),
    Index("ix_refunds_status_settle", "status", "settle_at"),
)

# Saved cards: what a cardToken stands for. Never the card number, never the CVV.
card_tokens = Table(
    "card_tokens",
    metadata,
    Column("card_token", String(64), primary_key=True),
    Column("client_id", String(64), nullable=False),
    Column("card_json", Text, nullable=False),
    Column("three_ds", Integer, nullable=False),
    Column("decline_code", String(64)),
    Column("decline_message", String(256)),
    Column("created_at", BigInteger, nullable=False),
)

console_users = Table(
    "console_users",
    metadata,
    Column("username", String(64), primary_key=True),
    # "scrypt$n$r$p$<salt hex>$<hash hex>"
    Column("password_hash", String(512), nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("updated_at", BigInteger, nullable=False),
    # Carried in every session cookie; +1 on sign-out and on a new password (0010).
    Column("session_epoch", Integer, nullable=False, server_default="0"),
)

#: Sandbox buyers' payment codes (user-presented mode, migration 0013): only the hash of
#: a code is kept; ``code_id`` is the wallet page's private handle it is derived from.
payment_codes = Table(
    "payment_codes",
    metadata,
    Column("code_hash", String(64), primary_key=True),
    Column("code_id", String(64), nullable=False, unique=True),
    Column("buyer", String(64), nullable=False),
    Column("issued_at", BigInteger, nullable=False),
    Column("expires_at", BigInteger, nullable=False),
    Column("used_at", BigInteger),
    Column("client_id", String(64)),
    Column("payment_id", String(64)),
)

# Disputes (migration 0015): chargebacks and retrieval requests on paid card payments.
disputes = Table(
    "disputes",
    metadata,
    Column("dispute_id", String(64), primary_key=True),
    Column("client_id", String(64), nullable=False),
    Column("payment_id", String(64), nullable=False),
    Column("payment_request_id", String(64), nullable=False),
    Column("dispute_type", String(32), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("amount_value", BigInteger, nullable=False),
    Column("reason_code", String(64), nullable=False),
    Column("status", String(16), nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("defense_due_at", BigInteger, nullable=False),
    Column("alerted", Integer, nullable=False, server_default="0"),
    Column("defended_at", BigInteger),
    Column("judged_at", BigInteger),
    Column("accept_reason", String(32)),
    # the last defense document (PDF or JPEG, bounded by the API) and its format
    Column("evidence", LargeBinary),
    Column("evidence_format", String(8)),
    Index("ix_disputes_payment", "client_id", "payment_id"),
    Index("ix_disputes_client_created", "client_id", "created_at"),
    Index("ix_disputes_status_due", "status", "defense_due_at"),
)
