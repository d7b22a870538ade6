"""Pure formatting used by the chat page."""

from __future__ import annotations

from datetime import date

from rag.schemas import Citation, SearchResult
from ui import render


def _passage(chunk_id: str, start: int, end: int, doc_id: str = "d") -> SearchResult:
    return SearchResult(
        rank=1, score=1.0, chunk_id=chunk_id, doc_id=doc_id, title="T", source="s",
        page=1, char_start=start, char_end=end, text="x" * (end - start),
    )  # fmt: skip


def _citation(start: int, end: int, chunk_id: str | None = None) -> Citation:
    return Citation(
        marker=1, doc_id="d", title="T", source="s", page=1, char_start=start, char_end=end,
        quote="x" * (end - start), chunk_id=chunk_id,
    )  # fmt: skip


def test_highlight_marks_the_span_given_in_document_offsets() -> None:
    passage = "Cities grow. Coventry and Derby innovate. Others lag."
    start = 100  # where the passage sits in the document
    q0 = start + passage.index("Coventry")
    q1 = start + passage.index(" Others")
    assert render.highlight(passage, start, q0, q1) == (
        '<div class="passage">Cities grow. <mark>Coventry and Derby innovate.</mark>'
        " Others lag.</div>"
    )


def test_highlight_emphasises_the_answer_inside_the_quote() -> None:
    passage = "Cities grow. High-tech: Coventry & Derby. Others lag."
    start = 40
    q0, q1 = start + passage.index("High"), start + passage.index(" Others")
    a0 = start + passage.index("Coventry")
    a1 = a0 + len("Coventry & Derby")
    assert render.highlight(passage, start, q0, q1, (a0, a1)) == (
        '<div class="passage">Cities grow. <mark>High-tech: '
        "<strong>Coventry &amp; Derby</strong>.</mark> Others lag.</div>"
    )
    # an answer span reaching outside the quote is clipped to it
    clipped = render.highlight(passage, start, q0, q1, (start, a1))
    assert "<mark><strong>High-tech: Coventry &amp; Derby</strong>.</mark>" in clipped
    assert "<strong>" not in render.highlight(passage, start, q0, q1, (start, start + 3))


def test_highlight_escapes_markup_and_keeps_one_html_block() -> None:
    html = render.highlight("<script>alert(1)</script>\n\nCost: $5 & $6", 0, 0, 8)
    assert "<script>" not in html
    assert "<mark>&lt;script&gt;</mark>" in html
    assert "\n" not in html  # a blank line would end the HTML block in markdown
    assert "$" not in html and "&amp;" in html


def test_highlight_clips_a_span_outside_the_passage() -> None:
    assert render.highlight("abcdef", 10, 8, 12) == '<div class="passage"><mark>ab</mark>cdef</div>'
    assert "<mark>" not in render.highlight("abcdef", 10, 0, 5)
    assert "<mark>" not in render.highlight("abcdef", 10, 0, 0)


def test_window_keeps_whole_words_around_the_quote() -> None:
    text = "alpha beta gamma delta epsilon zeta eta theta"
    q0 = text.index("delta")
    offset, snippet = render.window(text, q0, q0 + 5, radius=8)
    assert text[offset : offset + len(snippet)] == snippet
    assert snippet == "gamma delta epsilon"


def test_find_passage_prefers_the_cited_chunk() -> None:
    a, b = _passage("a", 0, 100), _passage("b", 50, 150)
    assert render.find_passage(_citation(60, 70, "b"), [a, b]) is b
    assert render.find_passage(_citation(60, 70), [a, b]) is a
    assert render.find_passage(_citation(140, 160, "b"), [a, b]) is None
    assert render.find_passage(_citation(60, 70), [_passage("c", 0, 100, doc_id="e")]) is None


def test_labels() -> None:
    assert render.page_label(3) == "p. 3"
    assert render.page_label(3, 4) == "pp. 3–4"
    assert render.page_label(None) == "web page"
    assert render.format_authors(["A", "B", "C"]) == "A, B and C"
    assert render.format_authors(["A", "B", "C", "D"]) == "A, B et al."
    assert render.source_line(None, [], "web page") == "web page"
    assert render.file_link("u", 3) == "u#page=3"
    assert render.file_link("u", None) == "u"
    assert render.answer_markdown("$5m [1]") == "\\$5m [1]"


def test_to_filters() -> None:
    assert render.to_filters((), "  ", []) is None
    f = render.to_filters((date(2010, 1, 1), date(2012, 12, 31)), " Crowley ", ["d"])
    assert f is not None
    assert (f.date_from, f.date_to, f.author, f.doc_ids) == (
        "2010-01-01", "2012-12-31", "Crowley", ["d"],
    )  # fmt: skip
    half = render.to_filters((date(2010, 1, 1),), "", [])
    assert half is not None and half.date_to is None


def test_history_messages_alternate_roles() -> None:
    messages = render.history_messages([("q1", "a1 [1]"), ("q2", "a2")])
    assert [(m.role, m.content) for m in messages] == [
        ("user", "q1"), ("assistant", "a1 [1]"), ("user", "q2"), ("assistant", "a2"),
    ]  # fmt: skip
