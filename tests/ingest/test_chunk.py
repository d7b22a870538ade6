"""Sentence splitting and chunking: invariants over generated documents.

Two token counters are used. ``words`` counts whitespace-separated words that
hold a letter or digit; it is additive (the count of a chunk is the sum over its
sentences), so the size budget can be checked on the chunk's own text. The
product's ``approximate_counter`` rounds per text, so a chunk's recount can differ
from the sum the chunker budgeted by a token or two: with it the budget is
checked over the sentences (or long-sentence pieces) a chunk is made of.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ingest.chunk import (
    TokenCounter,
    approximate_counter,
    chunk_document,
    split_long,
    split_sentences,
)
from rag.records import Chunk, DocMeta, Document, PageSpan, page_at

WORD = re.compile(r"\S+")
ALNUM = re.compile(r"[A-Za-z0-9]")


def words(texts: Sequence[str]) -> list[int]:
    return [max(1, sum(1 for w in WORD.findall(t) if ALNUM.search(w))) for t in texts]


# -- generated documents -----------------------------------------------------------------

VOCAB = st.sampled_from(
    "the city growth of innovation policy fund local and firms skills in workers "
    "productivity investment housing transport 2011 £30m 45% Leeds Bristol UK".split()
)
PHRASES = st.sampled_from(["Dr. Neil Lee", "e.g. this", "Mr. Smith", "J. Smith", "etc. and"])


@st.composite
def sentence(draw: st.DrawFn) -> str:
    ws = draw(st.lists(VOCAB, min_size=1, max_size=14))
    if draw(st.booleans()):
        ws.insert(draw(st.integers(0, len(ws))), draw(PHRASES))
    text = " ".join(ws)
    text = text[0].upper() + text[1:]
    return text + draw(st.sampled_from([".", ".", "!", "?", "…", '."', ".)", ""]))


@st.composite
def long_run(draw: st.DrawFn) -> str:
    """A table row or heading dump: many words, no punctuation at all."""
    return " ".join(draw(st.lists(VOCAB, min_size=40, max_size=150)))


@st.composite
def document(draw: st.DrawFn) -> Document:
    parts = draw(
        st.lists(st.one_of(sentence(), sentence(), sentence(), long_run()), min_size=1, max_size=40)
    )
    seps = draw(
        st.lists(
            st.sampled_from(
                [" ", " ", "  ", "\n", "\n\n", "\n• ", "\n  • ", "\n- ", "\n1. ", " \n\n "]
            ),
            min_size=len(parts),
            max_size=len(parts),
        )
    )
    lead = draw(st.sampled_from(["", "  ", "\n", "• "]))
    text = lead + "".join(p + s for p, s in zip(parts, [*seps[1:], ""], strict=True))
    text += draw(st.sampled_from(["", "\n", "  "]))
    cuts = sorted(set(draw(st.lists(st.integers(1, max(1, len(text) - 1)), max_size=5))))
    bounds = [0, *cuts, len(text)]
    pages = tuple(
        PageSpan(i + 1, a, b)
        for i, (a, b) in enumerate(zip(bounds, bounds[1:], strict=False))
        if b > a
    )
    return Document("doc-1", "doc.txt", "hash", "text", text, DocMeta(title="T"), pages)


def units(text: str, max_tokens: int, count: TokenCounter) -> list[tuple[int, int, int]]:
    """Sentences, long ones cut into pieces, with their token counts (what chunks are made of)."""
    out: list[tuple[int, int, int]] = []
    for span in split_sentences(text):
        n = count([text[span[0] : span[1]]])[0]
        for a, b in split_long(text, span, n, max_tokens):
            out.append((a, b, count([text[a:b]])[0]))
    return out


def check_chunks(
    doc: Document, chunks: list[Chunk], max_tokens: int, overlap: int, count: TokenCounter
) -> None:
    text = doc.text
    us = units(text, max_tokens, count)
    starts = {a for a, _, _ in us}
    ends = {b for _, b, _ in us}
    assert bool(chunks) == bool(us)
    for i, c in enumerate(chunks):
        assert c.ordinal == i and c.doc_id == doc.doc_id and c.chunk_id == f"doc-1:{i}"
        assert text[c.char_start : c.char_end] == c.text
        assert c.char_start in starts and c.char_end in ends
        inside = [n for a, b, n in us if c.char_start <= a and b <= c.char_end]
        assert sum(inside) <= max_tokens or len(inside) == 1
        assert c.page_start == page_at(doc.pages, c.char_start)
        assert c.page_end == page_at(doc.pages, c.char_end - 1)
        if doc.pages:
            assert 1 <= c.page_start <= c.page_end <= len(doc.pages)
    # every sentence (or piece of a long one) is whole inside some chunk
    for a, b, _ in us:
        assert any(c.char_start <= a and b <= c.char_end for c in chunks), text[a:b]
    for prev, nxt in zip(chunks, chunks[1:], strict=False):
        assert nxt.char_start > prev.char_start and nxt.char_end > prev.char_end  # advances
        if nxt.char_start < prev.char_end:  # overlap: whole units within the budget
            shared = [n for a, b, n in us if nxt.char_start <= a and b <= prev.char_end]
            assert shared and sum(shared) <= overlap
        else:
            assert not any(prev.char_end < a < nxt.char_start for a in starts)  # no gap


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(doc=document(), max_tokens=st.integers(8, 80), overlap_share=st.floats(0, 0.6))
def test_chunks_with_an_additive_counter(
    doc: Document, max_tokens: int, overlap_share: float
) -> None:
    overlap = int(max_tokens * overlap_share)
    chunks = chunk_document(doc, max_tokens=max_tokens, overlap_tokens=overlap, count_tokens=words)
    check_chunks(doc, chunks, max_tokens, overlap, words)
    for c in chunks:  # additive: the chunk's own text is within budget
        assert words([c.text])[0] <= max_tokens


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(doc=document(), max_tokens=st.integers(8, 120), overlap=st.integers(0, 40))
def test_chunks_with_the_approximate_counter(doc: Document, max_tokens: int, overlap: int) -> None:
    chunks = chunk_document(
        doc, max_tokens=max_tokens, overlap_tokens=overlap, count_tokens=approximate_counter
    )
    check_chunks(doc, chunks, max_tokens, overlap, approximate_counter)


def test_neighbours_share_whole_sentences() -> None:
    sents = [
        f"Sentence number {w} has five words."
        for w in "one two three four five six seven eight".split()
    ]
    doc = Document("d", "d.txt", "h", "text", " ".join(sents), DocMeta("T"))
    chunks = chunk_document(doc, max_tokens=18, overlap_tokens=6, count_tokens=words)
    assert len(chunks) > 2
    for prev, nxt in zip(chunks, chunks[1:], strict=False):
        assert prev.text.endswith(
            nxt.text[: nxt.text.index(".") + 1]
        )  # one whole sentence repeated
    assert chunk_document(doc, max_tokens=18, overlap_tokens=0, count_tokens=words)[
        1
    ].text.startswith("Sentence number four")


def test_empty_document_has_no_chunks() -> None:
    doc = Document("d", "d.txt", "h", "text", " \n\n • \n", DocMeta("T"))
    assert chunk_document(doc, max_tokens=50, overlap_tokens=10, count_tokens=words) == []


# -- sentence splitting ------------------------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(doc=document())
def test_sentence_spans_are_trimmed_ordered_and_cover_every_word(doc: Document) -> None:
    text = doc.text
    spans = split_sentences(text)
    for s, e in spans:
        assert 0 <= s < e <= len(text)
        assert not text[s].isspace() and not text[e - 1].isspace()
        assert not (text[s] in "•-" and s + 1 < e and text[s + 1].isspace())  # no bullet glyph
    for (_, e1), (s2, _) in zip(spans, spans[1:], strict=False):
        assert e1 <= s2
    for m in WORD.finditer(text):
        glyph = m.group() in ("•", "-") and (
            m.start() == 0
            or text[: m.start()].rstrip(" \t").endswith("\n")
            or not text[: m.start()].strip()
        )
        if not glyph:
            assert any(s <= m.start() and m.end() <= e for s, e in spans), m.group()
    for phrase in ("Dr. Neil Lee", "e.g. this", "Mr. Smith", "J. Smith"):
        for m in re.finditer(re.escape(phrase), text):
            assert any(s <= m.start() and m.end() <= e for s, e in spans), phrase


@pytest.mark.parametrize(
    "text, expected",
    [
        (
            "The blog is by Dr. Neil Lee of the Foundation. It was published in 2012.",
            ["The blog is by Dr. Neil Lee of the Foundation.", "It was published in 2012."],
        ),
        (
            "Some places, e.g. this one, do well. Others do not.",
            ["Some places, e.g. this one, do well.", "Others do not."],
        ),
        (
            "Cities include:\n• Coventry and Derby\n• Bristol\n\nNext paragraph here.",
            ["Cities include:", "Coventry and Derby", "Bristol", "Next paragraph here."],
        ),
        ("A table row 2011 2012 2013 with no stop", ["A table row 2011 2012 2013 with no stop"]),
        ('He said "It works." Then left.', ['He said "It works."', "Then left."]),
    ],
)
def test_split_sentences_examples(text: str, expected: list[str]) -> None:
    assert [text[s:e] for s, e in split_sentences(text)] == expected


def test_split_sentences_respects_a_window() -> None:
    text = "First one here. Second one here. Third one here."
    start = text.index("Second")
    spans = split_sentences(text, start, len(text))
    assert [text[s:e] for s, e in spans] == ["Second one here.", "Third one here."]


@pytest.mark.parametrize("unit", [".", "a.", "!?", "…)"])
def test_split_sentences_is_linear_in_runs_of_punctuation(unit: str) -> None:
    import time

    from rag.text import split_sentences

    def seconds(n: int) -> float:
        text = "Start " + unit * n + " End. Then more."
        start = time.perf_counter()
        spans = split_sentences(text)
        assert spans and spans[-1][1] == len(text)
        return time.perf_counter() - start

    small, large = seconds(10_000), seconds(100_000)
    # 10x the text: linear is ~10x the time, quadratic ~100x; the margins absorb a busy CPU.
    assert large < 5.0 and large < 40 * small + 0.5
