"""SQL implementations of the domain's repository ports, on one connection each."""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Row,
    Table,
    and_,
    bindparam,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite

from openams.gateway import compact_json
from openams.gateway.domain.cards import CardResult
from openams.gateway.domain.chaos import ChaosSettings
from openams.gateway.domain.frame_origins import origins_from_json, origins_to_json
from openams.gateway.domain.merchant import ClockShift, Merchant, MerchantKey
from openams.gateway.domain.payment import Payment
from openams.gateway.domain.session import PaymentSession
from openams.gateway.domain.transitions import PaymentStatus
from openams.gateway.store.merchant_time import due_on_merchant_clock, with_merchant_offset
from openams.gateway.store.tables import (
    clock_shifts,
    merchant_keys,
    merchants,
    payment_sessions,
    payments,
)
from openams.protocol.money import Money


@lru_cache(maxsize=64)
def _insert_if_absent_stmt(dialect: str, table: Table) -> Any:
    """Built once: the values go in as parameters, so SQLAlchemy neither rebuilds the
    statement nor walks every value to make its cache key on each insert."""
    if dialect == "postgresql":
        stmt: Any = postgresql.insert(table).on_conflict_do_nothing()
    elif dialect == "sqlite":
        stmt = sqlite.insert(table).on_conflict_do_nothing()
    else:  # pragma: no cover - only the two supported databases
        raise RuntimeError(f"unsupported database {dialect}")
    return stmt.returning(next(iter(table.primary_key.columns)))


def insert_if_absent(conn: Connection, table: Table, values: dict[str, Any]) -> bool:
    """INSERT ... ON CONFLICT DO NOTHING; True when the row was inserted.

    RETURNING tells inserted from skipped on both databases (rowcount does not).
    """
    stmt = _insert_if_absent_stmt(conn.dialect.name, table)
    return conn.execute(stmt, values).first() is not None


@lru_cache(maxsize=64)
def _payment_select(columns: tuple[str, ...], for_update: bool) -> Any:
    """``SELECT payments WHERE column = :column AND ...``, built once per shape."""
    stmt = select(payments).where(*(payments.c[name] == bindparam(name) for name in columns))
    return stmt.with_for_update() if for_update else stmt


_PROCESSING, _PENDING = PaymentStatus.PROCESSING.value, PaymentStatus.PENDING.value


def _due(now: int) -> ColumnElement[bool]:
    """A PROCESSING payment past its expiry, or a PENDING one whose result is due, on
    its merchant's clock (``now`` is real time; the query joins ``merchants``). The
    bound on the largest offset keeps the ``(status, expires_at)`` and ``(status,
    settle_at)`` indexes useful."""
    return or_(
        and_(
            payments.c.status == _PROCESSING,
            due_on_merchant_clock(payments.c.expires_at, now),
        ),
        and_(payments.c.status == _PENDING, due_on_merchant_clock(payments.c.settle_at, now)),
    )


_MERCHANT = select(merchants).where(merchants.c.client_id == bindparam("client_id"))
_SETTINGS = select(merchants.c.chaos_json, merchants.c.clock_offset_ms).where(
    merchants.c.client_id == bindparam("client_id")
)
_FRAME_ORIGINS = select(merchants.c.frame_origins_json).where(
    merchants.c.client_id == bindparam("client_id")
)


class SqlMerchantRepository:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        # Read once per unit of work (a sweep writes one notification per payment).
        self._settings: dict[str, tuple[ChaosSettings, int]] = {}
        self._found: dict[str, Merchant] = {}

    def get(self, client_id: str) -> Merchant | None:
        found = self._found.get(client_id)
        if found is not None:
            return found
        row = self._conn.execute(_MERCHANT, {"client_id": client_id}).first()
        if row is None:
            return None
        found = self._found[client_id] = Merchant(
            row.client_id, row.name, row.notify_url, row.created_at, row.clock_offset_ms
        )
        return found

    def add(self, merchant: Merchant) -> None:
        self._found.pop(merchant.client_id, None)
        self._conn.execute(
            insert(merchants).values(
                client_id=merchant.client_id,
                name=merchant.name,
                notify_url=merchant.notify_url,
                created_at=merchant.created_at,
            )
        )

    def update_notify_url(self, client_id: str, notify_url: str | None) -> None:
        self._found.pop(client_id, None)
        self._conn.execute(
            update(merchants)
            .where(merchants.c.client_id == client_id)
            .values(notify_url=notify_url)
        )

    def get_key(self, client_id: str, key_version: str) -> MerchantKey | None:
        row = self._conn.execute(
            select(merchant_keys).where(
                merchant_keys.c.client_id == client_id, merchant_keys.c.key_version == key_version
            )
        ).first()
        return None if row is None else _key(row)

    def add_key(self, key: MerchantKey) -> None:
        self._conn.execute(
            insert(merchant_keys).values(
                client_id=key.client_id,
                key_version=key.key_version,
                public_pem=key.public_pem,
                created_at=key.created_at,
                activated_at=key.activated_at,
                retired_at=key.retired_at,
            )
        )

    def update_key(self, key: MerchantKey) -> None:
        """Store a key version's rotation times (its PEM never changes)."""
        self._conn.execute(
            update(merchant_keys)
            .where(
                merchant_keys.c.client_id == key.client_id,
                merchant_keys.c.key_version == key.key_version,
            )
            .values(activated_at=key.activated_at, retired_at=key.retired_at)
        )

    def _merchant_settings(self, client_id: str) -> tuple[ChaosSettings, int]:
        """The merchant's chaos and clock offset: one query, read once per unit of work."""
        cached = self._settings.get(client_id)
        if cached is None:
            row = self._conn.execute(_SETTINGS, {"client_id": client_id}).first()
            chaos = ChaosSettings.from_json(None if row is None else row.chaos_json)
            offset = 0 if row is None else int(row.clock_offset_ms)
            cached = self._settings[client_id] = (chaos, offset)
        return cached

    def get_chaos(self, client_id: str) -> ChaosSettings:
        return self._merchant_settings(client_id)[0]

    def clock_offset(self, client_id: str) -> int:
        """How far the merchant's clock runs ahead of real time, in ms (0: unknown)."""
        return self._merchant_settings(client_id)[1]

    def advance_clock(self, client_id: str, ms: int, real_now: int) -> ClockShift:
        """Move the merchant's clock ``ms`` ahead and record the shift (under the
        merchant row's lock: concurrent advances add up)."""
        self._settings.pop(client_id, None)
        self._found.pop(client_id, None)
        self._conn.execute(
            update(merchants)
            .where(merchants.c.client_id == client_id)
            .values(clock_offset_ms=merchants.c.clock_offset_ms + ms)
        )
        offset = self.clock_offset(client_id)
        shift = ClockShift(client_id, real_now, real_now + offset - ms, real_now + offset)
        self._conn.execute(
            insert(clock_shifts).values(
                client_id=client_id, real_at=real_now, from_ms=shift.from_ms, to_ms=shift.to_ms
            )
        )
        return shift

    def clock_shifts(self, client_id: str, since: int, limit: int = 100) -> list[ClockShift]:
        """The merchant's clock shifts that ended after ``since`` (merchant time), oldest
        first."""
        rows = self._conn.execute(
            select(clock_shifts)
            .where(clock_shifts.c.client_id == client_id, clock_shifts.c.to_ms > since)
            .order_by(clock_shifts.c.to_ms)
            .limit(limit)
        )
        return [ClockShift(r.client_id, r.real_at, r.from_ms, r.to_ms) for r in rows]

    def set_chaos(self, client_id: str, chaos: ChaosSettings) -> None:
        self._settings.pop(client_id, None)
        self._conn.execute(
            update(merchants)
            .where(merchants.c.client_id == client_id)
            .values(chaos_json=chaos.to_json() if chaos.active else None)
        )

    def get_frame_origins(self, client_id: str) -> tuple[str, ...]:
        text = self._conn.execute(_FRAME_ORIGINS, {"client_id": client_id}).scalar()
        return origins_from_json(text)

    def set_frame_origins(self, client_id: str, origins: tuple[str, ...]) -> None:
        self._conn.execute(
            update(merchants)
            .where(merchants.c.client_id == client_id)
            .values(frame_origins_json=origins_to_json(origins))
        )

    def keys(self, client_id: str) -> list[MerchantKey]:
        rows = self._conn.execute(
            select(merchant_keys)
            .where(merchant_keys.c.client_id == client_id)
            .order_by(merchant_keys.c.created_at)
        )
        return [_key(row) for row in rows]


def _key(row: Row[Any]) -> MerchantKey:
    return MerchantKey(
        row.client_id,
        row.key_version,
        row.public_pem,
        row.created_at,
        row.activated_at,
        row.retired_at,
    )


_PAYMENT_COLUMNS = [
    "payment_id",
    "client_id",
    "payment_request_id",
    "product_code",
    "method_type",
    "method_id",
    "fingerprint",
    "terminal_type",
    "os_type",
    "reference_order_id",
    "order_description",
    "redirect_url",
    "notify_url",
    "settlement_currency",
    "token",
    "result_code",
    "result_message",
    "created_at",
    "expires_at",
    "paid_at",
    "cancelled_at",
    "closed_at",
    "capture_mode",
    "auth_expires_at",
    "captured_at",
    "settle_at",
]


def payment_row(payment: Payment) -> dict[str, Any]:
    """The payments row of a payment: column name -> value."""
    values = {name: getattr(payment, name) for name in _PAYMENT_COLUMNS}
    values["status"] = payment.status.value
    values["currency"] = payment.amount.currency
    values["amount_value"] = payment.amount.value
    values["request_json"] = compact_json.dumps(payment.request)
    values["is_authorization"] = int(payment.is_authorization)
    values["card_json"] = (
        None if payment.card is None else compact_json.dumps(payment.card.to_dict())
    )
    if payment.result_message:
        values["result_message"] = payment.result_message[:256]
    return values


def _card(text: str | None) -> CardResult | None:
    return CardResult.from_dict(json.loads(text)) if text else None


def _payment(row: Row[Any]) -> Payment:
    mapping = row._mapping
    fields = {name: mapping[name] for name in _PAYMENT_COLUMNS}
    return Payment(
        status=PaymentStatus(mapping["status"]),
        amount=Money(mapping["currency"], mapping["amount_value"]),
        request=json.loads(mapping["request_json"]),
        is_authorization=bool(mapping["is_authorization"]),
        card=_card(mapping["card_json"]),
        **fields,
    )


#: Built once: the new values go in as parameters (SET covers every key passed).
_SAVE_PAYMENT = (
    update(payments)
    .where(payments.c.payment_id == bindparam("where_payment_id"))
    .values(version=payments.c.version + 1)
)


class SqlPaymentRepository:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def _one(self, for_update: bool, **equal: Any) -> Payment | None:
        lock = for_update and self._conn.dialect.name == "postgresql"
        row = self._conn.execute(_payment_select(tuple(equal), lock), equal).first()
        return None if row is None else _payment(row)

    def get(self, client_id: str, payment_id: str, *, for_update: bool = False) -> Payment | None:
        return self._one(for_update, payment_id=payment_id, client_id=client_id)

    def get_by_request_id(
        self, client_id: str, payment_request_id: str, *, for_update: bool = False
    ) -> Payment | None:
        return self._one(for_update, client_id=client_id, payment_request_id=payment_request_id)

    def get_by_id(self, payment_id: str, *, for_update: bool = False) -> Payment | None:
        return self._one(for_update, payment_id=payment_id)

    def get_by_token(self, token: str, *, for_update: bool = False) -> Payment | None:
        return self._one(for_update, token=token)

    def add_if_absent(self, payment: Payment) -> bool:
        return insert_if_absent(self._conn, payments, payment_row(payment))

    def due_payments(
        self, now: int, limit: int, client_id: str | None = None
    ) -> list[tuple[Payment, int]]:
        """Processing payments past their expiry and PENDING ones whose result is due on
        their merchant's clock, each with that merchant's now; locked (PostgreSQL: rows
        another transaction holds are passed over): one query for a sweep's batch.
        ``now`` is real time; ``client_id`` keeps to one merchant."""
        stmt = with_merchant_offset(select(payments), payments).where(_due(now)).limit(limit)
        if client_id is not None:
            stmt = stmt.where(payments.c.client_id == client_id)
        if self._conn.dialect.name == "postgresql":
            stmt = stmt.with_for_update(skip_locked=True, of=payments)
        return [(_payment(row), now + row.clock_offset_ms) for row in self._conn.execute(stmt)]

    def due_for_expiry(self, now: int, limit: int, client_id: str | None = None) -> list[str]:
        stmt = with_merchant_offset(select(payments.c.payment_id), payments).where(_due(now))
        if client_id is not None:
            stmt = stmt.where(payments.c.client_id == client_id)
        rows = self._conn.execute(stmt.limit(limit))
        return [row.payment_id for row in rows]

    def count_open(self, client_id: str) -> int:
        """The merchant's payments with a deadline ahead: PROCESSING (expiry) and
        PENDING (settle time)."""
        return int(
            self._conn.execute(
                select(func.count()).where(
                    payments.c.client_id == client_id,
                    payments.c.status.in_([_PROCESSING, _PENDING]),
                )
            ).scalar_one()
        )

    def save(self, payment: Payment) -> None:
        values = payment_row(payment)
        values["where_payment_id"] = values.pop("payment_id")
        self._conn.execute(_SAVE_PAYMENT, values)


def _session(row: Row[Any]) -> PaymentSession:
    return PaymentSession(
        session_id=row.session_id,
        client_id=row.client_id,
        payment_request_id=row.payment_request_id,
        fingerprint=row.fingerprint,
        session_data=row.session_data,
        created_at=row.created_at,
        expires_at=row.expires_at,
        request=json.loads(row.request_json),
    )


class SqlSessionRepository:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def get_by_request_id(self, client_id: str, payment_request_id: str) -> PaymentSession | None:
        row = self._conn.execute(
            select(payment_sessions).where(
                payment_sessions.c.client_id == client_id,
                payment_sessions.c.payment_request_id == payment_request_id,
            )
        ).first()
        return None if row is None else _session(row)

    def get(self, session_id: str) -> PaymentSession | None:
        """Any merchant's session by its unguessable id (the hosted checkout link)."""
        row = self._conn.execute(
            select(payment_sessions).where(payment_sessions.c.session_id == session_id)
        ).first()
        return None if row is None else _session(row)

    def add_if_absent(self, session: PaymentSession) -> bool:
        return insert_if_absent(
            self._conn,
            payment_sessions,
            {
                "session_id": session.session_id,
                "client_id": session.client_id,
                "payment_request_id": session.payment_request_id,
                "fingerprint": session.fingerprint,
                "session_data": session.session_data,
                "created_at": session.created_at,
                "expires_at": session.expires_at,
                "request_json": compact_json.dumps(session.request),
            },
        )
