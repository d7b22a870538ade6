"""Report structure kept in the index: running headers, footers and page numbers left out
of a PDF's text with every offset still exact, table rows on one line, and the section
heading path embedded with each chunk but never quoted."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from ingest.chunk import approximate_counter, chunk_document
from ingest.load import load
from ingest.pipeline import Ingestor
from ingest.structure import (
    heading_path,
    join_table_cells,
    section_headings,
    strip_running_lines,
    with_context,
)
from rag.embed import make_embedder
from rag.records import DocMeta, Document
from rag.settings import Settings

HEADER = "Streets Ahead: what makes a city innovative?"
BODIES = [
    "Cities outside London are at risk of being left behind by the recovery.",
    "High-tech manufacturing is concentrated in a small number of cities.",
    "Knowledge workers cluster where universities and firms are close together.",
    "Transport links between neighbouring cities widen their labour markets.",
    "Local leaders know their economies better than central government does.",
]


WORDS = ["pay", "jobs", "skills", "rail", "councils"]


def _report(tmp_path: Path, text_pages_pdf: Callable[..., Path]) -> Path:
    pages = [
        [f"{HEADER} {n + 1}", body, f"Figure {n + 1} shows {word}.", str(n + 1)]
        for n, (body, word) in enumerate(zip(BODIES, WORDS, strict=True))
    ]
    return text_pages_pdf(tmp_path / "streets-ahead.pdf", pages)


def test_running_headers_and_page_numbers_leave_the_pdf_text(
    tmp_path: Path, text_pages_pdf: Callable[..., Path]
) -> None:
    doc = load(_report(tmp_path, text_pages_pdf))
    assert HEADER not in doc.text
    for span, body in zip(doc.pages, BODIES, strict=True):
        page = doc.text[span.start : span.end]
        assert page.split("\n") == [body, f"Figure {span.page} shows {WORDS[span.page - 1]}."]


def test_every_chunk_still_slices_from_the_text_on_its_page(
    tmp_path: Path, text_pages_pdf: Callable[..., Path]
) -> None:
    loaded = load(_report(tmp_path, text_pages_pdf))
    doc = Document("d", loaded.source, "h", loaded.kind, loaded.text, loaded.meta, loaded.pages)
    chunks = chunk_document(doc, max_tokens=20, overlap_tokens=5, count_tokens=approximate_counter)
    assert len(chunks) >= len(BODIES)
    for chunk in chunks:
        assert doc.text[chunk.char_start : chunk.char_end] == chunk.text
        assert HEADER not in chunk.text
        assert chunk.page_start is not None
        span = doc.pages[chunk.page_start - 1]
        assert span.start <= chunk.char_start < span.end


_BODY = [[f"{w} line {n}" for n in range(8)] for w in WORDS]
TEXT_PAGES = [["Same text", *_BODY[0]], *([*body, "Same text"] for body in _BODY[1:3]), *_BODY[3:]]


@pytest.mark.parametrize(
    ("pages", "kept"),
    [
        pytest.param(
            [["Annual review", "Employment rose."], ["Annual review", "Pay fell."]],
            [["Annual review", "Employment rose."], ["Annual review", "Pay fell."]],
            id="two pages: too few to tell a running line",
        ),
        pytest.param(
            [
                ["Table of", "Contents", f"{w} grew", f"Total {w}", "271", str(n + 1)]
                for n, w in enumerate(WORDS)
            ],
            [[f"{w} grew", f"Total {w}", "271"] for w in WORDS],
            id="one page number per edge: the number ending a table stays",
        ),
        pytest.param(
            [
                [f"{w} grew", "Same line", f"{w} fell", f"{w} held", "The report", f"- {n + 1} -"]
                for n, w in enumerate(WORDS)
            ],
            [[f"{w} grew", "Same line", f"{w} fell", f"{w} held"] for w in WORDS],
            id="footer and dashed page number go, a repeated line inside the page stays",
        ),
        pytest.param(
            TEXT_PAGES,
            TEXT_PAGES,
            id="a line that starts one page and ends two others is no header or footer",
        ),
    ],
)
def test_running_lines(pages: list[list[str]], kept: list[list[str]]) -> None:
    out, _ = strip_running_lines(["\n".join(lines) for lines in pages])
    assert [page.split("\n") for page in out] == kept


def test_a_table_row_given_one_cell_per_line_is_one_line() -> None:
    page = (
        "Consolidated Statement of Cash Flows\n(Millions)\n2022\n2021\n2020\n"
        "Net income\n$\n5,791\n\n$\n5,929\n\n$\n5,453\n\n"
        "Gain on business divestitures\n(\n2,724\n)\n—\n\n(\n389\n)\n"
        "The accompanying notes are part of this statement.\n21"
    )
    assert join_table_cells(page).split("\n") == [
        "Consolidated Statement of Cash Flows",
        "(Millions) 2022 2021 2020",
        "Net income $ 5,791 $ 5,929 $ 5,453",
        "Gain on business divestitures (2,724) — (389)",
        "The accompanying notes are part of this statement.",
        "21",
    ]


FILING = """FORM 10-K

PART II
Item 7. Management's Discussion and Analysis
Overview of the year
Sales grew in every region.
LIQUIDITY AND CAPITAL RESOURCES
Cash flow from operations was strong.
Item 8. Financial Statements
The statements follow.
"""


def test_the_heading_path_at_each_point_of_a_filing() -> None:
    headings = section_headings(FILING)

    def at(phrase: str) -> str:
        return heading_path(headings, FILING.index(phrase), title="Form 10-K")

    assert at("Sales grew") == "PART II > Item 7. Management's Discussion and Analysis"
    assert at("Cash flow") == (
        "PART II > Item 7. Management's Discussion and Analysis > LIQUIDITY AND CAPITAL RESOURCES"
    )
    assert at("The statements") == "PART II > Item 8. Financial Statements"
    assert at("FORM 10-K") == ""  # the title is not its own context


def test_numbered_and_markdown_headings_nest() -> None:
    text = "# Working lives\n\n## 2 Method\n\n2.1 The survey\nWe asked 500 firms.\n"
    assert heading_path(section_headings(text), text.index("We asked")) == (
        "Working lives > 2 Method > 2.1 The survey"
    )


def test_the_heading_path_is_embedded_but_not_quoted(tmp_path: Path) -> None:
    settings = Settings(embedding={"backend": "hash"}, data_dir=tmp_path / "data")
    ingestor = Ingestor(settings, embedder=make_embedder(settings.embedding))
    text = FILING.replace("FORM 10-K\n\n", "")
    doc = Document("d", "f.txt", "h", "text", text, DocMeta(title="Annual report"))
    chunks = chunk_document(doc, max_tokens=8, overlap_tokens=0, count_tokens=approximate_counter)
    cash = next(c for c in with_context(doc, chunks) if c.text.startswith("Cash flow"))
    embedded = ingestor.embed_text(doc, cash)
    assert embedded == (
        "Annual report\nPART II > Item 7. Management's Discussion and Analysis > "
        f"LIQUIDITY AND CAPITAL RESOURCES\n{cash.text}"
    )
    assert "LIQUIDITY" not in cash.text and doc.text[cash.char_start : cash.char_end] == cash.text


def test_bm25_finds_a_chunk_by_its_section_heading_which_is_not_quoted(tmp_path: Path) -> None:
    """A passage deep in a section matches the section's subject (the heading path is
    indexed with it), but its text, and so every quote from it, stays the page's own."""
    from rag.retrieve import Retriever

    body = " ".join(f"Operations in region {n} generated steady cash this year." for n in range(40))
    text = (
        "PART II\nItem 7. Management's Discussion and Analysis\n"
        f"LIQUIDITY AND CAPITAL RESOURCES\n{body}\n"
    )
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "filing.txt").write_text(text)
    settings = Settings(
        embedding={"backend": "hash"},
        chunking={"max_tokens": 40, "overlap_tokens": 0},
        retrieval={"fusion": "bm25"},
        data_dir=tmp_path / "data",
        corpus_dir=corpus,
    )
    ingestor = Ingestor(settings, embedder=make_embedder(settings.embedding))
    ingestor.ingest_paths([corpus], progress=False)
    snap = ingestor.store.open(ingestor.fingerprint)
    hits = Retriever(snap, ingestor.embedder, settings.retrieval).search("liquidity", 50)
    deep = [h for h in hits if "LIQUIDITY" not in h.chunk.text]
    assert len(hits) >= 3 and deep  # found by the heading alone
    doc_text = snap.document_text(deep[0].chunk.doc_id)
    c = deep[0].chunk
    assert doc_text[c.char_start : c.char_end] == c.text and "iquidity" not in c.text
