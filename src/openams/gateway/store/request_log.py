"""The request log in SQL: written in batches, read newest first by keyset."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import orjson
from sqlalchemy import Connection, Row, delete, func, or_, select

from openams.gateway.domain.request_log import REQUEST_ID_FIELDS, LogEntry, LogQuery
from openams.gateway.store.tables import request_log

_ID_COLUMNS = tuple(request_log.c[name] for name in REQUEST_ID_FIELDS.values())


#: The stored columns (every one but the id), named as LogEntry's attributes.
_COLUMNS = tuple(column.name for column in request_log.columns if not column.primary_key)
_JSON_COLUMNS = frozenset({"request_headers", "response_headers"})
#: The insert of a row of _COLUMNS with positional parameters, per database.
_INSERT_SQL = {
    database: f"INSERT INTO request_log ({', '.join(_COLUMNS)})"
    f" VALUES ({', '.join([marker] * len(_COLUMNS))})"
    for database, marker in (("sqlite", "?"), ("postgresql", "%s"))
}


def _row(entry: LogEntry) -> tuple[Any, ...]:
    row = []
    for name in _COLUMNS:
        value = getattr(entry, name)
        if name in _JSON_COLUMNS:
            value = orjson.dumps(value).decode()
        # PostgreSQL's text holds no NUL character; a request may carry one (in its path
        # or body): it is stored as U+FFFD, as undecodable bytes are.
        row.append(value.replace("\x00", "\ufffd") if isinstance(value, str) else value)
    return tuple(row)


def _entry(row: Row[Any]) -> LogEntry:
    return LogEntry(
        log_id=row.log_id,
        created_at=row.created_at,
        client_id=row.client_id,
        path=row.path,
        payment_request_id=row.payment_request_id,
        payment_id=row.payment_id,
        refund_request_id=row.refund_request_id,
        capture_request_id=row.capture_request_id,
        result_status=row.result_status,
        result_code=row.result_code,
        result_message=row.result_message,
        http_status=row.http_status,
        latency_us=row.latency_us,
        signature_check=row.signature_check,
        request_headers=json.loads(row.request_headers),
        request_body=row.request_body,
        response_headers=json.loads(row.response_headers),
        response_body=row.response_body,
    )


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


class SqlRequestLogRepository:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def add_all(self, entries: Sequence[LogEntry]) -> None:
        # The driver's executemany with rows as tuples: SQLAlchemy's compiled insert
        # processed every row's parameters again, about a third of the writer's time.
        sql = _INSERT_SQL[self._conn.dialect.name]
        self._conn.exec_driver_sql(sql, [_row(entry) for entry in entries])

    def get(self, log_id: int) -> LogEntry | None:
        row = self._conn.execute(select(request_log).where(request_log.c.log_id == log_id)).first()
        return None if row is None else _entry(row)

    def search(self, query: LogQuery, limit: int) -> list[LogEntry]:
        statement = select(request_log)
        if query.client_id is not None:
            statement = statement.where(request_log.c.client_id == query.client_id)
        if query.path:
            pattern = f"%{_escape_like(query.path)}%"
            statement = statement.where(request_log.c.path.ilike(pattern, escape="\\"))
        if query.result_code:
            statement = statement.where(request_log.c.result_code == query.result_code.upper())
        if query.result_status:
            statement = statement.where(request_log.c.result_status == query.result_status.upper())
        if query.request_id:
            statement = statement.where(
                or_(*(column == query.request_id for column in _ID_COLUMNS))
            )
        if query.before is not None:
            statement = statement.where(request_log.c.log_id < query.before)
        if query.after is not None:
            statement = statement.where(request_log.c.log_id > query.after)
        order = request_log.c.log_id.asc() if query.oldest_first else request_log.c.log_id.desc()
        statement = statement.order_by(order).limit(limit)
        return [_entry(row) for row in self._conn.execute(statement)]

    def for_payment(
        self, client_id: str, payment_id: str, payment_request_id: str
    ) -> list[LogEntry]:
        """The calls that name a payment, by either of its ids, oldest first."""
        rows = self._conn.execute(
            select(request_log)
            .where(
                request_log.c.client_id == client_id,
                or_(
                    request_log.c.payment_id == payment_id,
                    request_log.c.payment_request_id == payment_request_id,
                ),
            )
            .order_by(request_log.c.log_id)
        )
        return [_entry(row) for row in rows]

    def prune(self, older_than: int, keep_per_client: int) -> int:
        dropped = (
            self._conn.execute(
                delete(request_log).where(request_log.c.created_at < older_than)
            ).rowcount
            or 0
        )
        crowded = self._conn.execute(
            select(request_log.c.client_id)
            .group_by(request_log.c.client_id)
            .having(func.count() > keep_per_client)
        ).scalars()
        for client_id in list(crowded):
            oldest_kept = self._conn.execute(
                select(request_log.c.log_id)
                .where(request_log.c.client_id == client_id)
                .order_by(request_log.c.log_id.desc())
                .offset(keep_per_client - 1)
                .limit(1)
            ).scalar_one()
            dropped += (
                self._conn.execute(
                    delete(request_log).where(
                        request_log.c.client_id == client_id, request_log.c.log_id < oldest_kept
                    )
                ).rowcount
                or 0
            )
        return int(dropped)
