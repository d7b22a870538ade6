"""Hostile inputs (issue 11, items 7-9): each is ingested or refused within seconds, its
cost grows linearly with its size, and no document yields a chunk too long to re-read on
every question. Inputs are generated here; the machine running the tests may be busy,
so the bounds are generous: quadratic work still misses them by far."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from ingest.pipeline import Ingestor, to_document
from rag.errors import FileRejected
from rag.records import Chunk
from rag.schemas import FileOutcome
from rag.settings import Settings

LIMIT_S = 5.0  # the issue's bound for each input at full size, in CPU seconds (conftest)


def settings_for(tmp_path: Path, **overrides: object) -> Settings:
    overrides.setdefault("answer", {"reader": "lexical"})
    return Settings(
        embedding={"backend": "hash"},
        data_dir=tmp_path / "data",
        corpus_dir=tmp_path / "corpus",
        **overrides,
    )


def load_and_chunk(ing: Ingestor, path: Path) -> list[Chunk]:
    """What ingestion does with one file while it holds the index lock, short of
    embedding: load (read, clean, describe) and chunk. A refusal yields no chunks."""
    try:
        loaded = ing.loader(path)
    except FileRejected:
        return []
    return ing.chunk(to_document(loaded, str(path), "hash"))


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    folder = tmp_path / "corpus"
    folder.mkdir(exist_ok=True)
    path = folder / name
    path.write_bytes(data)
    return path


def nested(tags: int) -> bytes:
    return (
        "<html><body>" + "<span>" * tags + "deep" + "</span>" * tags + "</body></html>"
    ).encode()


def authors_line(words: int) -> bytes:
    letters = "abcdefghijklmnopqrstuvwxyz"
    names = [
        ("Dr " if i % 3 == 0 else "") + "W" + "".join(letters[(i // 26**k) % 26] for k in range(3))
        for i in range(words)
    ]
    page = (
        f"A report on work\nAuthors: {' '.join(names)}\n\n7 December 2011\n\nThe text. More text."
    )
    return page.encode()


HOSTILE: dict[str, tuple[str, Callable[[int], bytes], int]] = {
    # name: (file name, input of a given size, full size)
    "1 MB of dots": ("dots.txt", lambda n: b"." * n, 1_000_000),
    "1 MB of a.a.a.": ("aaa.txt", lambda n: b"a." * (n // 2), 1_000_000),
    "1 MB of dots and spaces": ("dotsp.txt", lambda n: b". " * (n // 2), 1_000_000),
    "20,000 nested tags": ("nested.html", nested, 20_000),
    "a 10,000-word Authors: line": ("authors.txt", authors_line, 10_000),
}


@pytest.mark.slow
@pytest.mark.parametrize("case", list(HOSTILE))
def test_hostile_input_is_handled_fast_and_in_linear_time(
    case: str, tmp_path: Path, timer: Callable[..., float]
) -> None:
    name, make, size = HOSTILE[case]
    ing = Ingestor(settings_for(tmp_path))
    quarter = write(tmp_path, "q-" + name, make(size // 4))
    full = write(tmp_path, name, make(size))
    small_s = timer(lambda: load_and_chunk(ing, quarter), runs=2)
    chunks: list[Chunk] = []
    # best of two at full size too: a single run can catch a garbage-collector pass or a
    # neighbour's cache pressure that says nothing about the algorithm
    full_s = timer(lambda: chunks.__setitem__(slice(None), load_and_chunk(ing, full)), runs=2)
    assert full_s < LIMIT_S, f"{case}: {full_s:.1f} s"
    # four times the input: linear work takes about four times as long, quadratic sixteen
    assert full_s < 8 * small_s + 0.3, f"{case}: {small_s:.2f} s, then {full_s:.2f} s at 4x"
    max_chars = ing.settings.chunking.max_chars
    assert all(len(c.text) <= max_chars for c in chunks), max(len(c.text) for c in chunks)


def test_a_run_without_spaces_is_cut_into_chunks_of_bounded_length(tmp_path: Path) -> None:
    ing = Ingestor(settings_for(tmp_path, chunking={"max_chars": 500}))
    text = "x" * 5_000 + " and then some words. " + "y" * 1_234
    path = write(tmp_path, "poison.txt", text.encode())
    loaded = ing.loader(path)
    doc = to_document(loaded, str(path), "hash")
    chunks = ing.chunk(doc)
    assert chunks and all(len(c.text) <= 500 for c in chunks)
    assert all(doc.text[c.char_start : c.char_end] == c.text for c in chunks)
    covered = "".join(doc.text[c.char_start : c.char_end] for c in chunks)
    assert covered.count("x") == 5_000 and covered.count("y") == 1_234


def test_the_nested_page_keeps_its_text(tmp_path: Path) -> None:
    ing = Ingestor(settings_for(tmp_path))
    path = write(tmp_path, "nested.html", nested(20_000))
    assert ing.loader(path).text == "deep"


def test_authors_of_a_huge_line_are_each_read_once(tmp_path: Path) -> None:
    ing = Ingestor(settings_for(tmp_path))
    path = write(tmp_path, "authors.txt", authors_line(1_500))  # one line under the cap
    authors = ing.loader(path).meta.authors
    assert len(authors) == len(set(authors)) == 500
    assert authors[0] == "Dr Waaa Wbaa Wcaa"


def outcome_of(tmp_path: Path, name: str, data: bytes, **overrides: object) -> FileOutcome:
    ing = Ingestor(settings_for(tmp_path, **overrides))
    path = write(tmp_path, name, data)
    summary = ing.ingest_paths([path], progress=False)
    found = summary.outcome(path)
    assert found is not None
    return found


def test_a_document_over_the_character_cap_is_indexed_up_to_it_with_a_warning(
    tmp_path: Path,
) -> None:
    text = " ".join(f"Sentence number {i} says something." for i in range(2_000))
    outcome = outcome_of(tmp_path, "long.txt", text.encode(), ingest={"max_document_chars": 10_000})
    assert outcome.status == "added"
    assert any("ingest.max_document_chars" in w for w in outcome.warnings), outcome.warnings


def test_chunks_past_the_cap_are_dropped_with_a_warning(tmp_path: Path) -> None:
    text = "\n\n".join(f"Paragraph {i} has a few words in it." for i in range(400))
    ing = Ingestor(settings_for(tmp_path, ingest={"max_chunks": 10}, chunking={"max_tokens": 32}))
    path = write(tmp_path, "many.txt", text.encode())
    summary = ing.ingest_paths([path], progress=False)
    outcome = summary.outcome(path)
    assert outcome is not None and outcome.status == "added"
    assert any("ingest.max_chunks" in w for w in outcome.warnings), outcome.warnings
    assert ing.store.open(ing.fingerprint).n_chunks == 10


def test_pdf_pages_past_the_cap_are_skipped_with_a_warning(
    tmp_path: Path, pdf_builder: Callable[..., bytes], words: Callable[..., list[str]]
) -> None:
    pages = [[" ".join(words(8, start=100 * p))] for p in range(30)]
    outcome = outcome_of(tmp_path, "pages.pdf", pdf_builder(pages), ingest={"max_pdf_pages": 10})
    assert outcome.status == "added"
    assert any("10 of 30 pages" in w and "ingest.max_pdf_pages" in w for w in outcome.warnings)


def test_pdf_text_past_the_character_cap_is_not_extracted(
    tmp_path: Path, pdf_builder: Callable[..., bytes], words: Callable[..., list[str]]
) -> None:
    pages = [[" ".join(words(40, start=100 * p))] for p in range(60)]  # ~200 characters each
    ing = Ingestor(settings_for(tmp_path, ingest={"max_document_chars": 2_000}))
    loaded = ing.loader(write(tmp_path, "chars.pdf", pdf_builder(pages)))
    assert len(loaded.text) <= 2_000 + 2 * len(loaded.pages)
    assert len(loaded.pages) < 60
    assert "text extraction stopped at page" in loaded.warnings[0]


@pytest.mark.slow
def test_a_thousand_pages_sharing_one_content_stream_are_handled_fast(
    tmp_path: Path, pdf_builder: Callable[..., bytes], timer: Callable[..., float]
) -> None:
    ing = Ingestor(settings_for(tmp_path))
    data = pdf_builder(shared=1_000, lines=60)
    assert len(data) < 200_000  # a small upload ...
    quarter = write(tmp_path, "quarter.pdf", pdf_builder(shared=250, lines=60))
    path = write(tmp_path, "shared.pdf", data)
    chunks: list[Chunk] = []
    small_s = timer(lambda: load_and_chunk(ing, quarter), runs=2)
    full_s = timer(lambda: chunks.extend(load_and_chunk(ing, path)))
    assert full_s < LIMIT_S, f"{full_s:.1f} s"
    assert full_s < 8 * small_s + 0.3, f"{small_s:.2f} s, then {full_s:.2f} s at 4x"
    # ... whose text, over 3 million characters, is cut at the caps, or refused
    assert len(chunks) <= ing.settings.ingest.max_chunks
    assert sum(len(c.text) for c in chunks) <= 2 * ing.settings.ingest.max_document_chars


def test_pages_sharing_a_content_stream_are_parsed_once(
    tmp_path: Path, pdf_builder: Callable[..., bytes], monkeypatch: pytest.MonkeyPatch
) -> None:
    from pypdf import PageObject

    from ingest.pdfium_text import PdfiumText

    calls = 0
    extract = PageObject.extract_text
    read_page = PdfiumText.page

    def counting(self: PageObject, *args: object, **kwargs: object) -> str:
        nonlocal calls
        calls += 1
        return extract(self, *args, **kwargs)  # type: ignore[arg-type]

    def counting_fast(self: PdfiumText, index: int) -> str | None:
        nonlocal calls
        calls += 1
        return read_page(self, index)

    monkeypatch.setattr(PageObject, "extract_text", counting)
    monkeypatch.setattr(PdfiumText, "page", counting_fast)
    ing = Ingestor(settings_for(tmp_path))
    try:
        ing.loader(write(tmp_path, "shared.pdf", pdf_builder(shared=200, lines=5)))
    except FileRejected:
        pass  # text that repeats on every page may all be running headers: refused
    assert 1 <= calls <= 3  # the shared stream once, and the cover's fonts once
