"""A PDF's title, date and authors: from its information dictionary when that is plausible,
else from its first page (a filing's cover, the largest print, the layout of its lines).

Split from :mod:`ingest.pdf`, which reads the pages' text; these read only the
information dictionary and the first page.
"""

from __future__ import annotations

import math
import re
from datetime import datetime
from pathlib import Path

from pypdf import PdfReader

from ingest.layout import extract_text_meta, filing_title
from ingest.meta import with_sources
from ingest.names import split_names
from rag.records import DocMeta

__all__ = ["describe", "info_metadata", "largest_font_text"]


def describe(
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


def info_metadata(reader: PdfReader) -> tuple[str | None, str | None, tuple[str, ...]]:
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


def largest_font_text(reader: PdfReader) -> str | None:
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
