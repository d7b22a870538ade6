"""Builders of hostile inputs shared by the ingestion tests: generated here, never committed."""

from __future__ import annotations

import importlib.util
import io
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfWriter
from pypdf.generic import DecodedStreamObject, DictionaryObject, NameObject

_spec = importlib.util.spec_from_file_location(
    "pdf_lines", Path(__file__).resolve().parents[1] / "pdf_lines.py"
)
assert _spec is not None and _spec.loader is not None
pdf_lines = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(pdf_lines)

PdfBuilder = Callable[..., bytes]
LinesPdf = Callable[..., Path]


def _font(writer: PdfWriter) -> DictionaryObject:
    font = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Font"),
            NameObject("/Subtype"): NameObject("/Type1"),
            NameObject("/BaseFont"): NameObject("/Helvetica"),
        }
    )
    return DictionaryObject(
        {NameObject("/Font"): DictionaryObject({NameObject("/F1"): writer._add_object(font)})}
    )


def _stream(writer: PdfWriter, lines: list[str]) -> Any:
    ops = " ".join(f"({line}) Tj 0 -14 Td" for line in lines)
    stream = DecodedStreamObject()
    stream.set_data(f"BT /F1 10 Tf 20 800 Td {ops} ET".encode("latin-1"))
    return writer._add_object(stream)


def build_pdf(pages: list[list[str]] | None = None, *, shared: int = 0, lines: int = 40) -> bytes:
    """A PDF with one content stream per entry of ``pages`` (its lines of text), or, with
    ``shared``, that many pages all pointing at one stream of ``lines`` lines: the
    amplification a 1,000-page upload of a few kilobytes can carry."""
    writer = PdfWriter()
    resources = _font(writer)
    if shared:
        text = [
            f"Line {i} of a page that says the same thing again and again." for i in range(lines)
        ]
        ref = _stream(writer, text)
        streams = [ref] * shared
    else:
        streams = [_stream(writer, page) for page in pages or []]
    for ref in streams:
        page = writer.add_blank_page(612, 842)
        page[NameObject("/Contents")] = ref
        page[NameObject("/Resources")] = resources
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def distinct_words(n: int, start: int = 0) -> list[str]:
    """``n`` different lower-case words (no digits: page numbers are text of their own)."""
    letters = "abcdefghijklmnopqrstuvwxyz"
    return ["".join(letters[(i // 26**k) % 26] for k in range(4)) for i in range(start, start + n)]


def seconds(work: Callable[[], object], runs: int = 1) -> float:
    """CPU seconds of ``work()``, the best of ``runs``. CPU time, not wall time: the tests
    share two cores with other work, and time spent waiting for a core says nothing
    about the algorithm (wall time is this plus the wait)."""
    best = float("inf")
    for _ in range(runs):
        began = time.process_time()
        work()
        best = min(best, time.process_time() - began)
    return best


def write_lines_pdf(
    path: Path,
    lines: Sequence[tuple[float, str]],
    info: dict[str, str] | None = None,
    **layout: Any,
) -> Path:
    """A one-page PDF at ``path`` with ``(font size, text)`` lines, ``info`` its
    information dictionary (None: none at all); ``layout`` (page, top, x, leading) as
    in ``tests/pdf_lines.write_pages``."""
    return pdf_lines.write_pages(path, [lines], info, **layout)


def write_text_pages(path: Path, pages: Sequence[Sequence[str]], size: float = 10) -> Path:
    """A PDF with one page per entry of ``pages``, one ``size``-point line per string."""
    return pdf_lines.write_pages(path, [[(size, t) for t in p] for p in pages], top=800.0)


@pytest.fixture
def lines_pdf() -> LinesPdf:
    """``lines_pdf(path, [(size, text), ...], info, page=..., top=..., x=..., leading=...)``:
    see :func:`write_lines_pdf`."""
    return write_lines_pdf


@pytest.fixture
def text_pages_pdf() -> Callable[..., Path]:
    """``text_pages_pdf(path, [[line, ...], ...], size=10)``: see :func:`write_text_pages`."""
    return write_text_pages


@pytest.fixture
def pdf_builder() -> PdfBuilder:
    """``pdf_builder(pages)`` or ``pdf_builder(shared=1000)``: see :func:`build_pdf`."""
    return build_pdf


@pytest.fixture
def words() -> Callable[..., list[str]]:
    """``words(n, start=0)``: see :func:`distinct_words`."""
    return distinct_words


@pytest.fixture
def timer() -> Callable[..., float]:
    """``timer(work, runs=1)``: see :func:`seconds`."""
    return seconds
