"""Page text from PDFium: lines as pypdf gives them, a line-ending hyphen as "-\\n" (so
the cleaner rejoins a broken word), and pypdf's extractor wherever PDFium fails."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from ingest.load import load
from ingest.pdfium_text import PdfiumText, lost_f_repaired


def test_lines_come_back_with_newlines(tmp_path: Path, lines_pdf: Callable[..., Path]) -> None:
    path = lines_pdf(tmp_path / "a.pdf", [(12, "First line of text"), (12, "Second line")])
    with PdfiumText(path.read_bytes()) as fast:
        assert fast.opened
        assert fast.page(0) == "First line of text\nSecond line"
        assert fast.page(1) is None  # no such page: the caller falls back


def test_pdfium_s_line_end_hyphen_becomes_a_hyphen_and_a_break(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, lines_pdf: Callable[..., Path]
) -> None:
    import pypdfium2 as pdfium

    monkeypatch.setattr(
        pdfium.PdfTextPage,
        "get_text_range",
        lambda self, *a, **k: "dan\ufffegerous\r\nnon\ufffeGAAP",
    )
    path = lines_pdf(tmp_path / "h.pdf", [(12, "placeholder")])
    with PdfiumText(path.read_bytes()) as fast:
        assert fast.page(0) == "dan-\ngerous\nnon-\nGAAP"
    # ... and the loader's cleaning rejoins the broken word, not the compound
    assert load(path).text == "dangerous\nnon-\nGAAP"


def test_what_pdfium_cannot_open_is_read_by_pypdf(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, lines_pdf: Callable[..., Path]
) -> None:
    assert not PdfiumText(b"not a pdf at all").opened
    path = lines_pdf(tmp_path / "b.pdf", [(12, "Read by the slower extractor")])
    monkeypatch.setattr(PdfiumText, "page", lambda self, index: None)
    assert load(path).text == "Read by the slower extractor"


def _everywhere(i: int) -> bool:
    return True


@pytest.mark.parametrize(
    ("pdfium_gave", "repaired"),
    [
        ("could adversely af ect our business", "could adversely affect our business"),
        ("the ef ectiveness of our of ices", "the effectiveness of our offices"),
        ("Dif erentiated products", "Differentiated products"),
        ("MATERIALLY AF ECT", "MATERIALLY AFFECT"),
        ("we may suf er losses", "we may suffer losses"),
        # two real words stay apart, and so does a join that is no word
        ("results of operations", "results of operations"),
        ("a sheet of ice", "a sheet of ice"),
        ("if we fail", "if we fail"),
        ("staf  meeting", "staf  meeting"),
        ("chief ex", "chief ex"),
    ],
)
def test_the_f_pdfium_loses_in_an_ff_ligature_is_put_back(pdfium_gave: str, repaired: str) -> None:
    assert lost_f_repaired(pdfium_gave, _everywhere) == repaired


def test_a_space_that_was_in_the_pdf_is_never_repaired() -> None:
    # Only a space PDFium generated inside the f's box is the lost letter.
    assert lost_f_repaired("could adversely af ect", lambda i: False) == "could adversely af ect"
    seen: list[int] = []
    lost_f_repaired("af ect and ef ect", lambda i: seen.append(i) or False)
    assert seen == [2, 13]  # asked about the space after each candidate "f", nothing else


def test_a_written_space_after_an_f_reaches_the_text_unchanged(
    tmp_path: Path, lines_pdf: Callable[..., Path]
) -> None:
    path = lines_pdf(tmp_path / "f.pdf", [(12, "Dif erent staf ect here")])
    with PdfiumText(path.read_bytes()) as fast:
        assert fast.page(0) == "Dif erent staf ect here"


FILINGS = Path(__file__).resolve().parents[3] / "shared" / "data" / "financebench" / "pdfs"


@pytest.mark.skipif(not FILINGS.is_dir(), reason=f"no FinanceBench filings at {FILINGS}")
def test_a_filing_with_ff_ligatures_reads_whole_words() -> None:
    with PdfiumText((FILINGS / "AMCOR_2023_10K.pdf").read_bytes()) as fast:
        page = fast.page(13) or ""
    assert "adversely affect our busin" in page and "af ect" not in page
    assert "of our" in page  # real spaces after an "f" are kept
