"""One entry point for every publication file: :func:`load` picks the reader by suffix,
checks the content matches, cleans the text and lays any sidecar metadata over what the
file itself says. Every refusal is a :class:`~rag.errors.FileRejected` naming the file.
"""

from __future__ import annotations

import logging
from pathlib import Path

from ingest.clean import break_long_lines, cap_chars, normalise, strip_boilerplate
from ingest.html import html_to_text
from ingest.layout import extract_text_meta
from ingest.meta import apply_sidecar, is_sidecar, with_sources
from ingest.pdf import load_pdf
from rag.errors import EmptyFile, FileRejected, NoText, UndecodableText, UnsupportedFile
from rag.records import DocMeta, Kind, LoadedDocument
from rag.settings import IngestSettings

__all__ = ["SUPPORTED_SUFFIXES", "decode_text", "load"]

log = logging.getLogger(__name__)

SUPPORTED_SUFFIXES: dict[str, Kind] = {
    ".pdf": "pdf",
    ".html": "html",
    ".htm": "html",
    ".txt": "text",
    ".md": "text",
    ".markdown": "text",
}
_ALLOWED_CONTROLS = set("\t\n\r\x0c")


def load(
    path: Path, *, password: str | None = None, limits: IngestSettings | None = None
) -> LoadedDocument:
    """Read, clean and describe one publication; ``password`` opens a protected PDF.

    ``limits`` (default: the settings' defaults) caps what is read: characters per
    document and per line, PDF pages. A capped document keeps what was read before the
    cap, and its warnings say where it stopped and which setting to raise.
    """
    limits = limits or IngestSettings()
    path = Path(path).resolve()
    kind = SUPPORTED_SUFFIXES.get(path.suffix.lower())
    if is_sidecar(path):
        raise UnsupportedFile(path, "this is a metadata sidecar, not a document")
    if kind is None:
        raise UnsupportedFile(
            path,
            f"unsupported file type '{path.suffix or '(none)'}'; supported: "
            f"{', '.join(SUPPORTED_SUFFIXES)}",
        )
    try:
        data = path.read_bytes()
    except FileNotFoundError as err:
        raise FileRejected(path, "no such file; check the path") from err
    except OSError as err:
        raise FileRejected(path, f"the file cannot be read ({err.strerror})") from err
    if not data:
        raise EmptyFile(path)
    _check_content(path, kind, data)

    if kind == "pdf":
        doc = load_pdf(
            path,
            data,
            password=password,
            max_pages=limits.max_pdf_pages,
            max_chars=limits.max_document_chars,
            max_line_chars=limits.max_line_chars,
        )
    elif kind == "html":
        doc = _load_html(path, data, limits)
    else:
        doc = _load_text(path, data, limits)
    meta = apply_sidecar(doc.meta, path)
    log.debug("loaded %s: %s, %d characters, %d pages", path, kind, len(doc.text), len(doc.pages))
    return LoadedDocument(doc.source, doc.kind, doc.text, meta, doc.pages, doc.warnings)


def _check_content(path: Path, kind: Kind, data: bytes) -> None:
    """Refuse a file whose bytes are not what its name says."""
    is_pdf = b"%PDF-" in data[:1024]
    if kind == "pdf" and not is_pdf:
        raise UnsupportedFile(
            path,
            f"not a PDF (content starts with {data[:16]!r}); rename it to its real type",
        )
    if kind != "pdf" and data.startswith(b"%PDF-"):
        raise UnsupportedFile(path, "the content is a PDF; rename it to .pdf")
    if kind != "pdf" and data.startswith(b"PK\x03\x04"):
        raise UnsupportedFile(
            path, "the content is a ZIP archive (a .docx?); save it as PDF or text"
        )


def decode_text(path: Path, data: bytes) -> str:
    """UTF-8 (with or without BOM), UTF-16 with a BOM, else Windows-1252 if that yields no
    control characters; anything else is :class:`UndecodableText`."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        candidates = ["utf-16"]
    else:
        candidates = ["utf-8-sig", "cp1252"]
    for encoding in candidates:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if not any(ch < " " and ch not in _ALLOWED_CONTROLS or ch == "\x7f" for ch in text):
            if encoding == "cp1252":
                log.info("%s: not UTF-8; read as Windows-1252", path)
            return text
    raise UndecodableText(path)


def _load_text(path: Path, data: bytes, limits: IngestSettings) -> LoadedDocument:
    decoded, warnings = cap_chars(decode_text(path, data), limits.max_document_chars)
    raw = normalise(break_long_lines(decoded, limits.max_line_chars))
    if not raw:
        raise NoText(path, "the file holds only whitespace")
    title, when, authors = extract_text_meta(raw)
    text = strip_boilerplate(raw)
    if not text.strip():
        raise NoText(path, "the file holds only site boilerplate (cookie notices, contacts)")
    meta = DocMeta(title=title or path.stem, date=when, authors=tuple(authors))
    layout = "page layout"
    meta = with_sources(
        meta,
        title=layout if title else "file name",
        date=layout if when else None,
        authors=layout if authors else None,
    )
    return LoadedDocument(str(path), "text", text, meta, warnings=tuple(warnings))


def _load_html(path: Path, data: bytes, limits: IngestSettings) -> LoadedDocument:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):  # UTF-16 with a BOM, as browsers save
        decoded = data.decode("utf-16", "replace")
    else:
        decoded = decode_text(path, data)
    markup, warnings = cap_chars(decoded, limits.max_document_chars, "characters of markup")
    page = html_to_text(markup, max_line_chars=limits.max_line_chars)
    if not page.text.strip():
        raise NoText(path, "the page has no text outside navigation, scripts and banners")
    title, when, authors = extract_text_meta(page.text)
    sources = {"title": "html meta", "date": "html meta", "authors": "html meta"}
    if not page.title:
        sources["title"] = "page layout" if title else "file name"
    if not page.date:
        sources["date"] = "page layout"
    if not page.authors:
        sources["authors"] = "page layout"
    meta = DocMeta(
        title=page.title or title or path.stem,
        date=page.date or when,
        authors=page.authors or tuple(authors),
    )
    meta = with_sources(
        meta,
        title=sources["title"],
        date=sources["date"] if meta.date else None,
        authors=sources["authors"] if meta.authors else None,
    )
    return LoadedDocument(str(path), "html", page.text, meta, warnings=tuple(warnings))
