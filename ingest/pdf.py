"""PDF loading with pypdf, page by page, so every character of the text maps to a page.

The cleaned text is the pages' normalised text, less the running headers, footers and
page numbers they repeat and with table rows on one line (:mod:`ingest.structure`),
joined with a blank line; page ``n`` (1-based) is ``text[span.start:span.end]`` and the
next page starts two characters after it ends. pypdf's many warnings about damaged
files go to this module's log and into :attr:`LoadedDocument.warnings`, never to stderr.
"""

from __future__ import annotations

import io
import logging
import math
import re
import threading
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from pypdf import PageObject, PdfReader
from pypdf.errors import DependencyError
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject

from ingest.clean import break_long_lines, normalise
from ingest.layout import extract_text_meta, filing_title
from ingest.meta import with_sources
from ingest.names import split_names
from ingest.structure import join_table_cells, strip_running_lines
from rag.errors import CorruptFile, EmptyFile, EncryptedFile, NoText, RagError, UnsupportedFile
from rag.records import DocMeta, LoadedDocument, PageSpan

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
            _unlock(reader, path, password)
            count = len(reader.pages)
            failed: list[str] = []
            texts, parsed = _page_texts(
                reader, path, failed, limits, max_pages, max_chars, max_line_chars
            )
            if parsed and len(failed) == parsed:
                raise CorruptFile(path, failed[0].split("(", 1)[-1].rstrip(")"))
            noise.extend(failed)
            meta = _metadata(reader)
            cover = _largest_font_text(reader) if count and not meta[0] else None
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
        meta=_describe(path, texts[0] if texts else "", meta, cover),
        pages=tuple(pages),
        warnings=tuple(limits + kept[:_MAX_WARNINGS] + extra),
    )


def _describe(
    path: Path,
    first_page: str,
    info: tuple[str | None, str | None, tuple[str, ...]],
    cover: str | None,
) -> DocMeta:
    """Title, date and authors in order of trust: the information dictionary when it is
    plausible; else a securities filing's cover (registrant, form, period) or the
    largest-font line(s) of the first page for the title, and the first page's layout
    (heading, ``Authors:``/``By`` line, date line) for the rest."""
    title, when, authors = info
    page_title, page_date, page_authors = extract_text_meta(first_page, strict=True)
    sources = {"title": "pdf info", "date": "pdf info", "authors": "pdf info"}
    if not title:  # a securities filing's cover, else the largest print
        title, sources["title"] = filing_title(first_page) or cover, "first page"
    if not title:
        title = page_title or _first_line(first_page)
    if not title:
        title, sources["title"] = path.stem, "file name"
    if not when and page_date:
        when, sources["date"] = page_date, "first page"
    if not authors and page_authors:
        authors, sources["authors"] = tuple(page_authors), "first page"
    meta = DocMeta(title=title, date=when, authors=authors)
    return with_sources(
        meta,
        title=sources["title"],
        date=sources["date"] if when else None,
        authors=sources["authors"] if authors else None,
    )


def _page_texts(
    reader: PdfReader,
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
            text = _page_text(reader, i, path, failed, max_line_chars)
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


def _unlock(reader: PdfReader, path: Path, password: str | None) -> None:
    """Open an encrypted PDF with the empty user password (many published reports use one),
    then with ``password``; raise :class:`EncryptedFile` when neither opens it."""
    if not reader.is_encrypted:
        return
    for candidate in ("", password) if password else ("",):
        if reader.decrypt(candidate):
            return
    raise EncryptedFile(path)


def _page_text(
    reader: PdfReader, index: int, path: Path, failed: list[str], max_line_chars: int | None
) -> str:
    """One page's normalised text; a page pypdf cannot read becomes empty, noted in ``failed``."""
    try:
        raw = reader.pages[index].extract_text() or ""
    except Exception as err:  # one damaged page should not lose the whole document
        failed.append(f"page {index + 1}: text not extracted ({_detail(err)})")
        log.warning("%s: page %d skipped: %s", path, index + 1, _detail(err))
        return ""
    if max_line_chars is not None:
        raw = break_long_lines(raw, max_line_chars)
    return normalise(raw, dehyphenate=True)


_JUNK_TITLE = re.compile(
    r"(?i)^(?:microsoft (?:word|powerpoint|excel) - |untitled\b|title\b|document\d*$"
    r"|(?:powerpoint )?presentation\d*$|slide \d+$|binder\d*$|draft\d*$|[\w.-]*_[\w.-]*$)"
    r"|\.(?:pdf|docx?|pptx?|xlsx?|rtf|odt|indd|qxd|exe|tex|dvi|ps|html?)$"
)


def _sensible(value: object) -> str | None:
    """A metadata string worth showing: not a file name, tool default or accession number."""
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    if not isinstance(value, str):
        return None
    value = " ".join(value.replace("\x00", "").split())
    letters = sum(ch.isalpha() for ch in value)
    if letters < 4 or _JUNK_TITLE.search(value) or "\ufffd" in value:
        return None
    return value


def _metadata(reader: PdfReader) -> tuple[str | None, str | None, tuple[str, ...]]:
    info = reader.metadata
    if info is None:
        return None, None, ()
    title = _sensible(info.get("/Title"))
    author = _sensible(info.get("/Author"))
    authors = tuple(_info_authors(author)) if author else ()
    when: str | None = None
    try:
        created = info.creation_date
    except Exception:  # an unparsable /CreationDate is common and harmless
        created = None
    if isinstance(created, datetime) and 1990 <= created.year <= datetime.now().year + 1:
        when = created.date().isoformat()
    return title, when, authors


def _info_authors(value: str) -> list[str]:
    """People in ``/Author``: "Lee, Neil" is one person; "Administrator", "DSI" are none."""
    last, comma, first = value.partition(",")
    if comma and len(last.split()) == 1 and len(first.split()) == 1 and ";" not in value:
        value = f"{first.strip()} {last.strip()}"
    return split_names(value)


def _run_size(tm: list[float], cm: list[float], font_size: float) -> float:
    return round(font_size * math.hypot(tm[0], tm[1]) * math.hypot(cm[0], cm[1]), 1)


def _largest_font_text(reader: PdfReader) -> str | None:
    """The first page's text in its largest font, when that font stands out from the
    body (at least 15 % larger) and the text reads like a title (letters, not numbers)."""
    runs: list[tuple[float, str]] = []

    def visit(text: str, cm: list[float], tm: list[float], _font: object, size: float) -> None:
        if text.strip():
            runs.append((_run_size(tm, cm, size), " ".join(text.split())))

    try:
        reader.pages[0].extract_text(visitor_text=visit)
    except Exception:  # the text itself was read already; the cover is a nicety
        return None
    chars: dict[float, int] = {}
    for size, text in runs:
        chars[size] = chars.get(size, 0) + len(text)
    if len(chars) < 2:
        return None
    body = max(chars, key=lambda size: chars[size])
    for size in sorted(chars, reverse=True):
        if size < 1.15 * body:
            return None
        joined: list[str] = []
        for run_size, text in runs:
            if abs(run_size - size) < 0.5:
                joined.append(text)
            elif joined:
                break
        title = " ".join(joined).strip(" *†:")
        if sum(ch.isalpha() for ch in title) >= 4 and len(title) <= 250:
            return title if len(title) <= 150 else title[:150].rsplit(" ", 1)[0] + "…"
    return None


def _first_line(text: str) -> str | None:
    """The first line that reads like a heading: two or more words, some letters."""
    for line in text.split("\n")[:60]:
        words = line.split()
        if len(words) >= 2 and sum(ch.isalpha() for ch in line) >= 8:
            return line if len(line) <= 150 else line[:150].rsplit(" ", 1)[0] + "…"
    return None
