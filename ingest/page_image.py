"""A PDF page rendered to a PNG, with the region of a quoted passage highlighted.

The source viewer shows a cited PDF page as the page itself: PDFium (pypdfium2)
renders it, finds the quote among the page's characters and paints a translucent
box over each line of it. The quote comes from the cleaned document text, which
differs from the page's raw characters in spacing, hyphenation, ligatures and case,
so both are compared as their letters and digits only (NFKC, casefolded). When the
whole quote is not found, the longest stretch of it on the page is highlighted if it
covers at least half of the quote; otherwise the page is shown without a box.

PDFium is not thread-safe: every use of it here holds the process's one PDFium lock
(``ingest.pdfium_text.LOCK``, which text extraction takes too).
"""

from __future__ import annotations

import ctypes
import difflib
import io
import logging
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
from PIL import Image, ImageDraw

from ingest.pdfium_text import LOCK
from rag.errors import CorruptFile, EncryptedFile, NotFound

log = logging.getLogger(__name__)

MAX_SIDE_PX = 4000
"""Longest side of a rendered page, whatever its shape or the width asked for."""
MIN_MATCH_CHARS = 8
"""Shortest partial match (letters and digits) that is still highlighted."""
FILL = (255, 221, 0, 90)
OUTLINE = (230, 140, 0, 255)



@dataclass(frozen=True)
class PageImage:
    """A rendered page: the PNG, its size, and the highlight boxes in pixels."""

    png: bytes
    width: int
    height: int
    boxes: list[tuple[int, int, int, int]]
    """(left, top, right, bottom) of each highlighted line."""


def _folded(chars: str) -> tuple[str, list[int]]:
    """The letters and digits of ``chars``, NFKC-folded, and each one's index in it."""
    out: list[str] = []
    where: list[int] = []
    for i, ch in enumerate(chars):
        for c in unicodedata.normalize("NFKC", ch).casefold():
            if c.isalnum():
                out.append(c)
                where.append(i)
    return "".join(out), where


def locate(page_chars: str, quote: str) -> tuple[int, int] | None:
    """[start, end) of ``quote`` among ``page_chars`` (character indices), or None.

    Spacing, punctuation, hyphens and case are ignored; a partial match counts when it
    covers at least half of the quote's letters and digits."""
    hay, where = _folded(page_chars)
    needle, _ = _folded(quote)
    if not needle or not hay:
        return None
    at = hay.find(needle)
    size = len(needle)
    if at < 0:
        match = difflib.SequenceMatcher(None, hay, needle, autojunk=False).find_longest_match(
            0, len(hay), 0, len(needle)
        )
        if match.size < max(MIN_MATCH_CHARS, (len(needle) + 1) // 2):
            return None
        at, size = match.a, match.size
    return where[at], where[at + size - 1] + 1


def _page_chars(textpage: pdfium.PdfTextPage) -> str:
    """The page's characters, one per PDFium character index."""
    raw = textpage.raw
    return "".join(
        chr(code) if 0 < (code := pdfium_c.FPDFText_GetUnicode(raw, i)) < 0x110000 else " "
        for i in range(textpage.count_chars())
    )


def _to_pixels(
    page: pdfium.PdfPage, size: tuple[int, int], rect: tuple[float, float, float, float]
) -> tuple[int, int, int, int]:
    """A rectangle in page space as (left, top, right, bottom) pixels of the rendering
    (PDFium's own mapping, so crop boxes and page rotation are honoured)."""
    width, height = size
    xs, ys = [], []
    left, bottom, right, top = rect
    for x, y in ((left, bottom), (right, top)):
        dx, dy = ctypes.c_int(), ctypes.c_int()
        pdfium_c.FPDF_PageToDevice(
            page.raw, 0, 0, width, height, 0, x, y, ctypes.byref(dx), ctypes.byref(dy)
        )
        xs.append(dx.value)
        ys.append(dy.value)
    return min(xs), min(ys), max(xs), max(ys)


def _open(path: Path) -> pdfium.PdfDocument:
    try:
        return pdfium.PdfDocument(str(path))
    except pdfium.PdfiumError as exc:
        if "password" in str(exc).lower():
            raise EncryptedFile(path.name) from exc
        raise CorruptFile(path.name, str(exc)) from exc


def render_page(path: Path, page_no: int, quote: str | None, width: int = 1000) -> PageImage:
    """Page ``page_no`` (from 1) of the PDF at ``path``, ``width`` pixels wide (less
    for a page so tall that its height would pass MAX_SIDE_PX), with ``quote``
    highlighted where it is found on that page."""
    with LOCK:  # the one PDFium lock of the process (text extraction takes it too)
        pdf = _open(path)
        try:
            if not 1 <= page_no <= len(pdf):
                raise NotFound(f"{path.name} has {len(pdf)} page(s); there is no page {page_no}.")
            page = pdf[page_no - 1]
            try:
                return _render(page, quote, width)
            finally:
                page.close()
        finally:
            pdf.close()


def _render(page: pdfium.PdfPage, quote: str | None, width: int) -> PageImage:
    w_pt, h_pt = page.get_size()
    scale = min(width / max(w_pt, 1.0), MAX_SIDE_PX / max(w_pt, h_pt, 1.0))
    image = page.render(scale=scale, rotation=0).to_pil().convert("RGBA")
    boxes: list[tuple[int, int, int, int]] = []
    if quote:
        textpage = page.get_textpage()
        try:
            found = locate(_page_chars(textpage), quote)
            if found is not None:
                start, end = found
                for i in range(textpage.count_rects(start, end - start)):
                    box = _to_pixels(page, image.size, textpage.get_rect(i))
                    if box[2] > box[0] and box[3] > box[1]:
                        boxes.append(box)
        finally:
            textpage.close()
        if not boxes:
            log.info("quote not found on the page: %.60r", quote)
    if boxes:
        overlay = Image.new("RGBA", image.size, (0, 0, 0, 0))
        draw = ImageDraw.Draw(overlay)
        for left, top, right, bottom in boxes:
            pad = max(2, round(scale))
            draw.rectangle(
                (left - pad, top - pad, right + pad, bottom + pad),
                fill=FILL,
                outline=OUTLINE,
                width=pad,
            )
        image = Image.alpha_composite(image, overlay)
    out = io.BytesIO()
    image.convert("RGB").save(out, format="PNG")
    return PageImage(out.getvalue(), image.width, image.height, boxes)


__all__ = ["MAX_SIDE_PX", "PageImage", "locate", "render_page"]
