"""Keyset pages of a newest-first list, in both directions.

The console's paged lists (payments, requests, notifications, disputes) each read a page
through two queries of their store: the rows older than a cursor, newest first (Next),
and the rows just newer than a cursor, oldest first (Previous). :func:`keyset_page`
turns either into one page, newest first, and says whether there are older and newer
rows, so the same Previous / Next links serve every list.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

Row = TypeVar("Row")
Key = TypeVar("Key")


@dataclass(frozen=True)
class KeysetPage(Generic[Row]):
    """One page, newest first."""

    rows: list[Row]
    #: there are older rows (a Next page)
    older: bool
    #: there are newer rows (a Previous page)
    newer: bool


def keyset_page(
    older_than: Callable[[Key | None, int], list[Row]],
    newer_than: Callable[[Key, int], list[Row]],
    *,
    before: Key | None = None,
    after: Key | None = None,
    limit: int,
) -> KeysetPage[Row]:
    """The page of ``limit`` rows older than ``before`` (None: the newest), or, when
    ``after`` is given, the ``limit`` rows just newer than ``after``.

    ``older_than(cursor, n)``: up to n rows older than the cursor, newest first;
    ``newer_than(cursor, n)``: up to n rows newer than it, oldest first. A Previous
    page that reaches the newest rows is the first page, full.
    """
    if after is not None:
        newer = newer_than(after, limit + 1)
        if len(newer) > limit:
            return KeysetPage(list(reversed(newer[:limit])), older=True, newer=True)
        before = None  # back at the newest rows: the first page
    rows = older_than(before, limit + 1)
    return KeysetPage(rows[:limit], older=len(rows) > limit, newer=before is not None)


def keyset_page_of(
    read: Callable[[Key | None, Key | None, int], list[Row]],
    *,
    before: Key | None = None,
    after: Key | None = None,
    limit: int,
) -> KeysetPage[Row]:
    """:func:`keyset_page` over one store query ``read(before, after, n)`` that reads the
    rows older than ``before`` newest first, or those newer than ``after`` oldest first."""
    return keyset_page(
        lambda cursor, n: read(cursor, None, n),
        lambda cursor, n: read(None, cursor, n),
        before=before,
        after=after,
        limit=limit,
    )
