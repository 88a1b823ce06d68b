"""Previous / Next links of the console's paged lists (payments, requests,
notifications, disputes): one pager, one pair of query parameters for all of them.

A list is newest first. ``before=<cursor>`` opens the page of rows older than the
cursor (Next); ``after=<cursor>`` the page of rows just newer than it (Previous). The
page's other query parameters (its filters) travel with both links.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TypeVar
from urllib.parse import urlencode

from openams.gateway.services.keyset import KeysetPage

Row = TypeVar("Row")
CURSORS = ("before", "after")


@dataclass(frozen=True)
class PagerLinks:
    previous: str | None
    next: str | None


def pager_links(
    page_url: str, params: Mapping[str, str], page: KeysetPage[Row], key: Callable[[Row], str]
) -> PagerLinks:
    """The Previous and Next links of ``page`` (``key``: a row's cursor text)."""
    keep = {name: value for name, value in params.items() if name not in CURSORS and value}

    def link(**cursor: str) -> str:
        query = urlencode({**keep, **cursor})
        return f"{page_url}?{query}" if query else page_url

    previous = next_ = None
    if page.newer:
        previous = link(after=key(page.rows[0])) if page.rows else link()
    if page.older and page.rows:
        next_ = link(before=key(page.rows[-1]))
    return PagerLinks(previous, next_)


def pair_cursor(text: str | None) -> tuple[int, str] | None:
    """A ``<createdAt>.<id>`` cursor (payments, disputes); ValueError says what is wrong."""
    if not text:
        return None
    created, _, row_id = text.partition(".")
    if not (created.isdigit() and len(created) <= 18 and row_id and len(row_id) <= 64):
        raise ValueError(f"{text[:40]!r} is not a page cursor (<createdAt>.<id>)")
    return int(created), row_id


def pair_key(created_at: int, row_id: str) -> str:
    return f"{created_at}.{row_id}"
