"""Pure formatting used by the chat page."""

from __future__ import annotations

from datetime import date

from rag.schemas import AnswerSpan, Citation, DocumentInfo, Filters, SearchResult
from ui import forms, render


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
    assert forms.to_filters((), "  ", []) is None
    f = forms.to_filters((date(2010, 1, 1), date(2012, 12, 31)), " Crowley ", ["d"])
    assert f is not None
    assert (f.date_from, f.date_to, f.author, f.doc_ids) == (
        "2010-01-01", "2012-12-31", "Crowley", ["d"],
    )  # fmt: skip
    half = forms.to_filters((date(2010, 1, 1),), "", [])
    assert half is not None and half.date_to is None


def test_history_messages_alternate_roles() -> None:
    messages = forms.history_messages([("q1", "a1 [1]"), ("q2", "a2")])
    assert [(m.role, m.content) for m in messages] == [
        ("user", "q1"), ("assistant", "a1 [1]"), ("user", "q2"), ("assistant", "a2"),
    ]  # fmt: skip


def _cite(
    marker: int,
    start: int,
    end: int,
    text: str,
    answer: tuple[int, int] | None = None,
    chunk_id: str = "c1",
) -> Citation:
    span = None
    if answer is not None:
        a0, a1 = answer
        span = AnswerSpan(char_start=a0, char_end=a1, text=text[a0:a1])
    return Citation(
        marker=marker, doc_id="d", title="T", source="s", page=2, char_start=start,
        char_end=end, quote=text[start:end], chunk_id=chunk_id, answer_span=span,
    )  # fmt: skip


DOC_TEXT = "Intro. Coventry and Derby innovate. Preston too. Others lag."


def test_one_group_per_passage_with_every_cited_sentence_marked() -> None:
    passage = SearchResult(
        rank=1, score=1.0, chunk_id="c1", doc_id="d", title="T", source="s", page=2,
        char_start=0, char_end=len(DOC_TEXT), text=DOC_TEXT,
    )  # fmt: skip
    s1, e1 = DOC_TEXT.index("Coventry"), DOC_TEXT.index(" Preston")
    s2, e2 = DOC_TEXT.index("Preston"), DOC_TEXT.index(" Others")
    citations = [
        _cite(2, s2, e2, DOC_TEXT),
        _cite(1, s1, e1, DOC_TEXT, answer=(s1, s1 + len("Coventry"))),
        _cite(3, s1, e1, DOC_TEXT),  # the same sentence cited again
    ]
    (group,) = render.group_citations(citations, [passage])
    assert group.markers == [1, 2, 3] and group.passage is passage
    assert render.highlight_spans(passage.text, 0, group.spans()) == (
        '<div class="passage">Intro. <mark><strong>Coventry</strong> and Derby innovate.'
        "</mark><sup>[1][3]</sup> <mark>Preston too.</mark><sup>[2]</sup> Others lag.</div>"
    )
    links = render.marker_links(4, [group])
    assert {m: a for m, (a, _) in links.items()} == {1: "source-4-1", 2: "source-4-1",
                                                     3: "source-4-1"}  # fmt: skip
    assert links[2][1] == "T, p. 2: “Preston too.”"


def test_citations_outside_the_passages_get_their_own_group() -> None:
    groups = render.group_citations(
        [_cite(1, 0, 6, DOC_TEXT, chunk_id="a"), _cite(2, 7, 20, DOC_TEXT, chunk_id="b")], []
    )
    assert [g.markers for g in groups] == [[1], [2]] and groups[0].passage is None


def test_answer_html_links_markers_and_escapes_the_rest() -> None:
    links = {1: ("source-0-1", 'T: "q" <x>')}
    out = render.answer_html("A <b>&</b> costs $5 [1] and [9].", links)
    assert out == (
        'A &lt;b&gt;&amp;&lt;/b&gt; costs \\$5 <a href="#source-0-1" class="citation" '
        'title="T: &quot;q&quot; &lt;x&gt;">[1]</a> and [9].'
    )


def test_highlight_spans_clips_overlaps_and_spans_outside() -> None:
    spans = [render.Span(2, 6, (1,)), render.Span(4, 8, (2,)), render.Span(50, 60, (3,))]
    assert render.highlight_spans("abcdefghij", 0, spans) == (
        '<div class="passage">ab<mark>cdef</mark><sup>[1]</sup><mark>gh</mark><sup>[2]</sup>'
        "ij</div>"
    )


def test_check_question() -> None:
    assert forms.check_question("  \n ", 10) == forms.BLANK_QUESTION
    assert "12 characters; the limit is 10" in (forms.check_question("x" * 12, 10) or "")
    assert forms.check_question("cities?", 10) is None


def _doc(doc_id: str, date_: str | None, authors: list[str]) -> DocumentInfo:
    return DocumentInfo(
        doc_id=doc_id, title=doc_id, source="s", date=date_, authors=authors,
        publisher=None, kind="text", pages=None, chunks=1,
    )  # fmt: skip


def test_excluding_filters_names_the_filter_that_leaves_nothing() -> None:
    docs = [_doc("a", "2011-12-07", ["Lizzie Crowley"]), _doc("b", "2014-01-01", ["Neil Lee"])]
    assert forms.excluding_filters(Filters(author="crowley"), docs) is None
    assert forms.excluding_filters(Filters(author="Smith"), docs) == ["the author"]
    assert forms.excluding_filters(Filters(date_from="2020-01-01"), docs) == ["the start date"]
    # Each passes something alone, together nothing: both are named.
    both = Filters(author="Lee", date_to="2012-01-01")
    assert forms.excluding_filters(both, docs) == ["the end date", "the author"]
    assert forms.excluding_filters(None, docs) is None


def test_page_of_and_viewer_link() -> None:
    assert render.page_of([(1, 0, 10), (2, 10, 30)], 12) == (2, 10, 30)
    assert render.page_of([(1, 0, 10)], 40) is None
    assert render.viewer_link("a b", 3, 9) == "Source?doc=a+b&start=3&end=9"


def test_best_sentence_is_the_one_sharing_most_question_words() -> None:
    text = "Cities grow. Skills gaps hold back northern cities. Others lag."
    lo, hi = render.best_sentence(text, "What skills gaps do cities face?")
    assert text[lo:hi] == "Skills gaps hold back northern cities."
    assert render.best_sentence(text, "Paris? What would they have?") == (0, 0)


def test_history_fits_the_apis_message_cap() -> None:
    from rag.schemas import MAX_MESSAGE_CHARS

    long_answer = "word " * MAX_MESSAGE_CHARS
    messages = forms.history_messages([("which cities?", long_answer)])
    assert [m.role for m in messages] == ["user", "assistant"]
    assert len(messages[1].content) == MAX_MESSAGE_CHARS
