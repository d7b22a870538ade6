"""Page text from PDFium (pypdfium2), the engine the source viewer already renders with.

On the FinanceBench filings PDFium reads a page's text about 20 times faster than
pypdf's extractor (0.15 s against 3.5 s for 40 pages of a 10-K, one core) and
keeps words whole where pypdf splits them ("T\\nable of \\nContents"), so it is the
text extractor; pypdf still opens the file (encryption, the information
dictionary, the cover's font sizes) and reads a page PDFium cannot.

PDFium is not thread-safe: every use of it in the process holds :data:`LOCK`
(the page renderer in ``ingest.page_image`` takes the same lock).
"""

from __future__ import annotations

import functools
import logging
import re
import threading
from collections.abc import Callable
from types import TracebackType

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

log = logging.getLogger(__name__)

LOCK = threading.Lock()
"""Held around every PDFium call in this process."""

# PDFium writes U+FFFE for a hyphen that ends a line, and then no line break ("dan\ufffe
# gerous", "non\ufffeGAAP"); pypdf gives "dan-\ngerous", which the cleaner joins into
# "dangerous" when it is a broken word. Other line breaks are "\r\n".
_FIXES = str.maketrans({"\ufffe": "-\n"})

# PDFium reads an "ff" ligature glyph as one "f" and then writes a space of its own inside
# that glyph's box: "affect" comes out "af ect", "offices" "of ices" (4 of the 10
# FinanceBench filings; pypdf reads them whole). A word ending in "f", a space PDFium
# generated that starts inside the f's box, and a letter after it are the candidates.
_LOST_F = re.compile(r"(?<![^\W\d_])([^\W\d_]*[fF]) (?=([^\W\d_]+))")


@functools.cache
def english_words() -> frozenset[str]:
    """Lower-case whole words of the bundled all-MiniLM-L6-v2 vocabulary (about 22k):
    what tells "af ect" (affect) from "of operations". Empty, and so no repair, where the
    model package is missing."""
    try:
        from rag.embed import default_model_path

        lines = (default_model_path() / "vocab.txt").read_text(encoding="utf-8").split()
    except (ImportError, OSError) as err:
        log.debug("no vocabulary to restore lost ligature letters with (%s)", err)
        return frozenset()
    return frozenset(w for w in lines if w.isalpha() and w.islower())


def lost_f_repaired(text: str, generated_inside_f: Callable[[int], bool]) -> str:
    """``text`` with the "f" of an "ff" ligature that PDFium lost put back.

    ``generated_inside_f(i)`` says whether the space at ``text[i]`` is one PDFium generated
    inside the box of the "f" before it. The joined word must be an English word, and the
    two halves must not both be words (so "of ice" and "if we" stay as they are)."""
    words = english_words()
    if not words or "f " not in text and "F " not in text:
        return text
    out: list[str] = []
    last = 0
    for m in _LOST_F.finditer(text):
        head, tail = m.group(1), m.group(2)
        joined = f"{head}f{tail}".lower()
        if joined not in words or (head.lower() in words and tail.lower() in words):
            continue
        space = m.end(1)
        if not generated_inside_f(space):
            continue
        out += [text[last:space], "F" if head.isupper() and tail.isupper() else "f"]
        last = space + 1
    return "".join(out) + text[last:] if out else text


def _generated_inside_f(textpage: pdfium.PdfTextPage) -> Callable[[int], bool]:
    """The PDFium side of :func:`lost_f_repaired` for one page: its characters' flags and
    boxes. PDFium's own characters at ``i - 1`` and ``i`` must be the "f" and the space, so
    an index that no longer matches the text never repairs a wrong place."""

    def check(i: int) -> bool:
        raw = textpage.raw
        if not 1 <= i < textpage.count_chars():
            return False
        if chr(pdfium_c.FPDFText_GetUnicode(raw, i)) != " " or not pdfium_c.FPDFText_IsGenerated(
            raw, i
        ):
            return False
        if chr(pdfium_c.FPDFText_GetUnicode(raw, i - 1)).lower() != "f":
            return False
        f_box, space_box = textpage.get_charbox(i - 1), textpage.get_charbox(i)
        return bool(space_box[0] < f_box[2])

    return check


class PdfiumText:
    """One PDF opened in PDFium, read page by page; ``None`` where PDFium cannot read it.

    Use as a context manager, so that the document is closed."""

    def __init__(self, data: bytes, password: str | None = None) -> None:
        self._doc: pdfium.PdfDocument | None = None
        try:
            with LOCK:
                self._doc = pdfium.PdfDocument(data, password=password or None)
        except pdfium.PdfiumError as err:  # pypdf reads it instead
            log.debug("PDFium cannot open this PDF (%s); pypdf reads its text", err)

    @property
    def opened(self) -> bool:
        return self._doc is not None

    def page(self, index: int) -> str | None:
        """Page ``index``'s raw text (``\\n`` line breaks), or None when PDFium fails."""
        if self._doc is None or not 0 <= index < len(self._doc):
            return None
        try:
            with LOCK:
                page = self._doc[index]
                try:
                    textpage = page.get_textpage()
                    try:
                        text = textpage.get_text_range()
                        text = lost_f_repaired(text, _generated_inside_f(textpage))
                    finally:
                        textpage.close()
                finally:
                    page.close()
        except pdfium.PdfiumError as err:
            log.debug("PDFium cannot read page %d (%s); pypdf reads it", index + 1, err)
            return None
        return text.replace("\r\n", "\n").translate(_FIXES)

    def close(self) -> None:
        if self._doc is not None:
            with LOCK:
                self._doc.close()
            self._doc = None

    def __enter__(self) -> PdfiumText:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
