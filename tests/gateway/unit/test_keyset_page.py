"""Keyset pages (store/keyset.py) on a real SQLite file: every row once, newest first,
rows that share a creation time ordered by id, and ``after`` walks back."""

from __future__ import annotations

from itertools import pairwise
from pathlib import Path

from sqlalchemy import BigInteger, Column, MetaData, String, Table, create_engine, insert, select

from openams.gateway.store.keyset import newest_first_page

metadata = MetaData()
rows_table = Table(
    "rows", metadata, Column("created", BigInteger), Column("row_id", String(8), primary_key=True)
)
#: (created, id): ties on created, ids that sort against their insertion order.
ROWS = [(1, "e"), (2, "b"), (2, "d"), (2, "a"), (3, "c"), (3, "f"), (5, "g"), (6, "aa")]
NEWEST_FIRST = sorted(ROWS, reverse=True)


def test_pages_walk_every_row_once_and_back(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'keyset.db'}")
    metadata.create_all(engine)
    with engine.begin() as conn:
        conn.execute(insert(rows_table), [{"created": c, "row_id": i} for c, i in ROWS])

        def page(
            before: tuple[int, str] | None = None, after: tuple[int, str] | None = None
        ) -> list[tuple[int, str]]:
            stmt = newest_first_page(
                select(rows_table.c.created, rows_table.c.row_id),
                rows_table.c.created,
                rows_table.c.row_id,
                before=before,
                after=after,
                limit=3,
            )
            return [(created, row_id) for created, row_id in conn.execute(stmt)]

        pages = [page()]
        while len(pages[-1]) == 3 and len(pages) <= len(ROWS):
            pages.append(page(before=pages[-1][-1]))
        assert [row for p in pages for row in p] == NEWEST_FIRST
        # ``after`` the first row of a page: the page before it, oldest first
        for earlier, later in pairwise(pages):
            assert page(after=later[0]) == list(reversed(earlier))
    engine.dispose()
