"""Keyset pages of a merchant's rows, newest first, by (created_at, id)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Select, or_


def newest_first_page(
    stmt: Select[Any],
    created: ColumnElement[Any],
    key: ColumnElement[Any],
    *,
    before: tuple[int, str] | None,
    after: tuple[int, str] | None,
    limit: int,
) -> Select[Any]:
    """``stmt``'s rows older than the keyset ``before`` (created, key), newest first;
    or with ``after``, the ones just newer than it, oldest first. Each bound is also a
    plain range on ``created``, so the database walks a (client, created) index instead
    of sorting the merchant's rows."""
    if before is not None:
        stmt = stmt.where(created <= before[0], or_(created < before[0], key < before[1]))
    if after is not None:
        stmt = stmt.where(created >= after[0], or_(created > after[0], key > after[1]))
        return stmt.order_by(created, key).limit(limit)
    return stmt.order_by(created.desc(), key.desc()).limit(limit)
