"""Page text from PDFium: lines as pypdf gives them, a line-ending hyphen as "-\\n" (so
the cleaner rejoins a broken word), and pypdf's extractor wherever PDFium fails."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from ingest.load import load
from ingest.pdfium_text import PdfiumText


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
