"""``page_at``: which page a character offset of the cleaned text came from."""

from __future__ import annotations

import pytest

from rag.records import PageSpan, page_at

# Page 1 is chars [0, 10), page 2 is empty (a blank page), page 3 [12, 20), a gap of
# separators "\n\n" between pages, page 4 [22, 30).
PAGES = (PageSpan(1, 0, 10), PageSpan(2, 10, 10), PageSpan(3, 12, 20), PageSpan(4, 22, 30))


@pytest.mark.parametrize(
    ("offset", "page"),
    [(0, 1), (9, 1), (10, 2), (11, 2), (12, 3), (19, 3), (21, 3), (22, 4), (29, 4), (500, 4)],
)
def test_an_offset_is_on_the_last_page_starting_at_or_before_it(offset: int, page: int) -> None:
    assert page_at(PAGES, offset) == page
    assert page_at(list(PAGES), offset) == page


def test_no_pages_or_an_offset_before_the_first_gives_none() -> None:
    assert page_at((), 5) is None
    assert page_at((PageSpan(1, 3, 9),), 2) is None


def test_a_600_page_report_finds_its_pages() -> None:
    pages = tuple(PageSpan(i + 1, i * 1000, i * 1000 + 998) for i in range(600))
    assert [page_at(pages, o) for o in (0, 999, 1000, 599_500, 10**9)] == [1, 1, 2, 600, 600]
