"""The one writer of line-by-line test PDFs (Helvetica, one text line per string).

A plain module, not a test or a conftest, so that any test can load it by path
(the suite runs with ``--import-mode=importlib``, where test modules cannot import
each other): ``tests/ingest/conftest.py`` and ``tests/ingest/test_page_image.py``
do, and the page-image route and browser tests reach it through the latter.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from pypdf import PdfWriter
from pypdf.generic import DecodedStreamObject, DictionaryObject, NameObject

Line = tuple[float, str]  # (font size in points, text)


def write_pages(
    path: Path,
    pages: Sequence[Sequence[Line]],
    info: dict[str, str] | None = None,
    *,
    page: tuple[float, float] = (595, 842),
    top: float = 780.0,
    x: float = 56,
    leading: float = 1.6,
) -> Path:
    """A PDF at ``path``, one page per entry of ``pages``: its ``(size, text)`` lines from
    ``top`` down, each ``leading`` times its size below the last; ``info`` its
    information dictionary (None: none at all)."""
    writer = PdfWriter()
    font = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Font"),
            NameObject("/Subtype"): NameObject("/Type1"),
            NameObject("/BaseFont"): NameObject("/Helvetica"),
        }
    )
    font_ref = writer._add_object(font)
    for lines in pages:
        pdf_page = writer.add_blank_page(*page)
        fonts = DictionaryObject({NameObject("/F1"): font_ref})
        pdf_page[NameObject("/Resources")] = DictionaryObject({NameObject("/Font"): fonts})
        ops, y = [], top
        for size, text in lines:
            safe = text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
            ops.append(f"BT /F1 {size} Tf {x} {y} Td ({safe}) Tj ET")
            y -= size * leading
        stream = DecodedStreamObject()
        stream.set_data("\n".join(ops).encode("latin-1"))
        pdf_page[NameObject("/Contents")] = writer._add_object(stream)
    if info is not None:
        writer.add_metadata(info)
    with path.open("wb") as out:
        writer.write(out)
    return path
