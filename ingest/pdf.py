"""PDF loading, page by page, so every character of the text maps to a page.

pypdf opens the file (encryption, the information dictionary, the cover's font sizes);
PDFium (:mod:`ingest.pdfium_text`) reads each page's text, about 20x faster, with
pypdf's extractor for a page PDFium cannot read.

The cleaned text is the pages' normalised text, less the running headers, footers and
page numbers they repeat and with table rows on one line (:mod:`ingest.structure`),
joined with a blank line; page ``n`` (1-based) is ``text[span.start:span.end]`` and the
next page starts two characters after it ends. pypdf's many warnings about damaged
files go to this module's log and into :attr:`LoadedDocument.warnings`, never to stderr.
"""

from __future__ import annotations

import io
import logging
import threading
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from pypdf import PageObject, PdfReader
from pypdf.errors import DependencyError
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject

from ingest.clean import break_long_lines, normalise
from ingest.pdf_meta import describe, info_metadata, largest_font_text
from ingest.pdfium_text import PdfiumText
from ingest.structure import join_table_cells, strip_running_lines
from rag.errors import CorruptFile, EmptyFile, EncryptedFile, NoText, RagError, UnsupportedFile
from rag.records import LoadedDocument, PageSpan

__all__ = ["PAGE_SEPARATOR", "load_pdf"]

log = logging.getLogger(__name__)

PAGE_SEPARATOR = "\n\n"
_MAX_WARNINGS = 20  # kept per document; the rest are counted


class _PypdfToLog(logging.Handler):
    """Receives pypdf's log records: collects them for the current load, else logs them."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.local = threading.local()

    def emit(self, record: logging.LogRecord) -> None:
        collected: list[str] | None = getattr(self.local, "collected", None)
        if collected is not None:
            collected.append(record.getMessage())
        else:
            log.debug("pypdf: %s", record.getMessage())


# pypdf logs through "pypdf.*" loggers; without a handler of our own its warnings would
# reach logging's last-resort handler and print on stderr. Route them here once.
_PYPDF_HANDLER = _PypdfToLog()
_pypdf_log = logging.getLogger("pypdf")
_pypdf_log.addHandler(_PYPDF_HANDLER)
_pypdf_log.propagate = False


@contextmanager
def _captured(collected: list[str]) -> Iterator[None]:
    """Collect pypdf's log records and Python warnings raised inside the block."""
    previous = getattr(_PYPDF_HANDLER.local, "collected", None)
    _PYPDF_HANDLER.local.collected = collected
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            yield
        collected.extend(str(w.message) for w in caught)
    finally:
        _PYPDF_HANDLER.local.collected = previous


def _detail(err: BaseException) -> str:
    text = " ".join(str(err).split()) or "no detail"
    return f"{type(err).__name__}: {text[:160]}"


def load_pdf(
    path: Path,
    data: bytes,
    *,
    password: str | None = None,
    max_pages: int | None = None,
    max_chars: int | None = None,
    max_line_chars: int | None = None,
) -> LoadedDocument:
    """Load a PDF's ``data`` (read from ``path``, which names it in errors).

    Reading stops after ``max_pages`` pages or ``max_chars`` characters of text, with a
    warning saying where; pages that share an earlier page's content are read once.
    """
    if not data:
        raise EmptyFile(path)
    noise: list[str] = []
    limits: list[str] = []  # why reading stopped early: first among the warnings
    try:
        with _captured(noise):
            reader = PdfReader(io.BytesIO(data))
            used = _unlock(reader, path, password)
            count = len(reader.pages)
            failed: list[str] = []
            with PdfiumText(data, used) as fast:
                texts, parsed = _page_texts(
                    reader, fast, path, failed, limits, max_pages, max_chars, max_line_chars
                )
            if parsed and len(failed) == parsed:
                raise CorruptFile(path, failed[0].split("(", 1)[-1].rstrip(")"))
            noise.extend(failed)
            meta = info_metadata(reader)
            cover = largest_font_text(reader) if count and not meta[0] else None
    except RagError:
        raise
    except DependencyError as err:
        raise UnsupportedFile(
            path, f"reading this PDF needs an optional package ({err}); pip install cryptography"
        ) from err
    except Exception as err:  # pypdf raises many types on damaged files
        raise CorruptFile(path, _detail(err)) from err
    finally:
        if noise:
            log.info("%s: pypdf reported %d problem(s), first: %s", path, len(noise), noise[0])

    texts, running = strip_running_lines(texts)  # before the offsets are laid down
    texts = [join_table_cells(page_text) for page_text in texts]
    if running:
        log.debug("%s: %d running header/footer line(s) left out", path, running)
    pages: list[PageSpan] = []
    offset = 0
    for number, page_text in enumerate(texts, start=1):
        pages.append(PageSpan(number, offset, offset + len(page_text)))
        offset += len(page_text) + len(PAGE_SEPARATOR)
    text = PAGE_SEPARATOR.join(texts)
    if not text.strip():
        raise NoText(path, "it may be a scanned image; run OCR first")
    title, date, authors = meta
    kept = list(dict.fromkeys(msg if len(msg) <= 200 else msg[:199] + "…" for msg in noise))
    extra = [f"... and {len(kept) - _MAX_WARNINGS} more"] if len(kept) > _MAX_WARNINGS else []
    if limits:
        log.warning("%s: %s", path, "; ".join(limits))
    return LoadedDocument(
        source=str(path),
        kind="pdf",
        text=text,
        meta=describe(path, texts[0] if texts else "", meta, cover),
        pages=tuple(pages),
        warnings=tuple(limits + kept[:_MAX_WARNINGS] + extra),
    )


def _page_texts(
    reader: PdfReader,
    fast: PdfiumText,
    path: Path,
    failed: list[str],
    limits: list[str],
    max_pages: int | None,
    max_chars: int | None,
    max_line_chars: int | None,
) -> tuple[list[str], int]:
    """The pages' normalised texts, up to the page and character caps (noted in ``limits``),
    and how many pages were parsed.

    A page whose content streams and resources are those of an earlier page (a file can
    point a thousand pages at one stream) reuses that page's text instead of parsing the
    stream again; the character cap still counts every copy.
    """
    count = len(reader.pages)
    to_read = count if max_pages is None else min(count, max_pages)
    texts: list[str] = []
    seen: dict[tuple[object, ...], str] = {}
    total = 0
    parsed = 0
    for i in range(to_read):
        page = reader.pages[i]
        key = _content_key(page)
        if key is not None and key in seen:
            text = seen[key]
        else:
            text = _page_text(reader, fast, i, path, failed, max_line_chars)
            parsed += 1
            if key is not None:
                seen[key] = text
        if max_chars is not None and total + len(text) > max_chars:
            texts.append(text[: max(0, max_chars - total)])
            limits.append(
                f"text extraction stopped at page {i + 1} of {count}: only the first "
                f"{max_chars:,} characters were read (ingest.max_document_chars); split the "
                "PDF to index the rest"
            )
            break
        texts.append(text)
        total += len(text) + len(PAGE_SEPARATOR)
    else:
        if to_read < count:
            limits.append(
                f"only the first {to_read:,} of {count:,} pages were read "
                "(ingest.max_pdf_pages); split the PDF to index the rest"
            )
    if repeated := len(texts) - parsed:
        log.debug("%s: %d page(s) repeat an earlier page's content; read once", path, repeated)
    return texts, parsed


def _content_key(page: PageObject) -> tuple[object, ...] | None:
    """What a page's text depends on: its content streams' object numbers and its
    resources (object numbers for indirect ones); None when that cannot be told."""
    contents = page.raw_get("/Contents") if "/Contents" in page else None
    items = contents if isinstance(contents, ArrayObject) else [contents]
    refs = [ref for ref in items if isinstance(ref, IndirectObject)]
    if not refs or len(refs) != len(items):
        return None
    resources = _frozen(page.raw_get("/Resources") if "/Resources" in page else None, 200)
    if resources is None:
        return None
    return (*((ref.idnum, ref.generation) for ref in refs), resources)


def _frozen(value: object, budget: int) -> object | None:
    """A hashable copy of a small PDF value, indirect objects as their numbers; None when
    it holds more than ``budget`` items (not worth comparing)."""
    items: list[object] = []
    stack = [value]
    while stack:
        item = stack.pop()
        if len(items) >= budget:
            return None
        if isinstance(item, IndirectObject):
            items.append(("ref", item.idnum, item.generation))
        elif isinstance(item, dict):
            items.append(("dict", len(item)))
            for key in sorted(item, key=str):
                items.append(str(key))
                stack.append(item.raw_get(key) if isinstance(item, DictionaryObject) else item[key])
        elif isinstance(item, list):
            items.append(("list", len(item)))
            stack.extend(reversed(item))
        else:
            items.append(repr(item))
    return tuple(items)


def _unlock(reader: PdfReader, path: Path, password: str | None) -> str | None:
    """Open an encrypted PDF with the empty user password (many published reports use one),
    then with ``password``; raise :class:`EncryptedFile` when neither opens it. Returns
    the password that opened it (None: not encrypted)."""
    if not reader.is_encrypted:
        return None
    for candidate in ("", password) if password else ("",):
        if reader.decrypt(candidate):
            return candidate
    raise EncryptedFile(path)


def _page_text(
    reader: PdfReader,
    fast: PdfiumText,
    index: int,
    path: Path,
    failed: list[str],
    max_line_chars: int | None,
) -> str:
    """One page's normalised text, read by PDFium, else by pypdf; a page neither can read
    becomes empty, noted in ``failed``."""
    try:
        raw = fast.page(index)
        if raw is None:
            raw = reader.pages[index].extract_text() or ""
    except Exception as err:  # one damaged page should not lose the whole document
        failed.append(f"page {index + 1}: text not extracted ({_detail(err)})")
        log.warning("%s: page %d skipped: %s", path, index + 1, _detail(err))
        return ""
    if max_line_chars is not None:
        raw = break_long_lines(raw, max_line_chars)
    return normalise(raw, dehyphenate=True)
