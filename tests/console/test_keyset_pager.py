"""The one keyset pager of the console's lists, over a plain list: walking Next from the
newest page and then Previous back visits the same pages, and the links keep the
filters but never a stale cursor."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from openams.gateway.services.keyset import KeysetPage, keyset_page
from openams.gateway.web.console.pager import pager_links


def _pages(rows: list[int], limit: int) -> tuple[list[KeysetPage[int]], list[KeysetPage[int]]]:
    """Rows are keys, newest = largest. Walk Next to the end, then Previous back."""
    newest_first = sorted(rows, reverse=True)

    def older(cursor: int | None, n: int) -> list[int]:
        return [r for r in newest_first if cursor is None or r < cursor][:n]

    def newer(cursor: int, n: int) -> list[int]:
        return [r for r in sorted(rows) if r > cursor][:n]

    forward: list[KeysetPage[int]] = [keyset_page(older, newer, limit=limit)]
    while forward[-1].older:
        forward.append(keyset_page(older, newer, before=forward[-1].rows[-1], limit=limit))
    backward = [forward[-1]]
    while backward[-1].newer:
        backward.append(keyset_page(older, newer, after=backward[-1].rows[0], limit=limit))
    return forward, list(reversed(backward))


@given(st.sets(st.integers(0, 10_000), max_size=60), st.integers(1, 12))
def test_next_then_previous_visit_the_same_pages(keys: set[int], limit: int) -> None:
    forward, backward = _pages(list(keys), limit)
    assert [r for page in forward for r in page.rows] == sorted(keys, reverse=True)
    assert backward == forward  # the same rows, and the same Previous / Next
    assert all(len(page.rows) == limit for page in forward[:-1])
    assert not forward[0].newer and not forward[-1].older


def test_links_keep_filters_and_drop_the_old_cursor() -> None:
    page = KeysetPage(rows=[9, 8, 7], older=True, newer=True)
    links = pager_links(
        "/console/m/X/payments", {"method": "alipay_hk", "before": "10", "q": ""}, page, str
    )
    assert links.previous == "/console/m/X/payments?method=alipay_hk&after=9"
    assert links.next == "/console/m/X/payments?method=alipay_hk&before=7"
    first = pager_links("/p", {}, KeysetPage(rows=[3], older=False, newer=False), str)
    assert first.previous is None and first.next is None
    emptied = pager_links("/p", {"after": "5"}, KeysetPage(rows=[], older=False, newer=True), str)
    assert emptied.previous == "/p" and emptied.next is None
