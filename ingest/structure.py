"""A report's structure from its text: pure functions, no I/O.

* :func:`strip_running_lines` drops the lines a PDF repeats at the top or bottom of
  many pages (running headers and footers, "Table of Contents" links, page numbers),
  before the pages are joined, so every offset into the joined text stays exact.
* :func:`join_table_cells` puts a table row that a PDF gives one cell per line
  ("Depreciation\\n1,831\\n\\n1,915") back on one line ("Depreciation 1,831 1,915").
* :func:`section_headings` and :func:`heading_path` give the section heading path in
  force at an offset ("Item 7. Management's Discussion > Liquidity"): context for the
  embedding of a chunk, never part of its quoted text.

Written here rather than taken from a library: the PDF layout tools that find headers
and headings (pdfplumber, PyMuPDF, unstructured) would mean a second PDF parser and its
dependencies for what a few rules over pypdf's text already give.
"""

from __future__ import annotations

import dataclasses
import math
import re
from bisect import bisect_right
from collections import Counter
from collections.abc import Sequence
from typing import NamedTuple

from rag.records import Chunk, Document

__all__ = [
    "Heading",
    "RunningLines",
    "heading_path",
    "join_table_cells",
    "running_line_keys",
    "section_headings",
    "strip_running_lines",
    "with_context",
]

_EDGE_LINES = 4  # lines looked at on top and bottom of each page
_MIN_PAGES = 3  # a line must repeat on at least this many pages ...
_MIN_SHARE = 0.2  # ... and on this share of them
_MAX_RUNNING_CHARS = 150
_DIGITS = re.compile(r"\d+")
_ROMAN = re.compile(r"(?i)^(?:page\s+)?[ivxlc]+$")
_PAGE_NUMBER = "#"
_PUNCTUATION = re.compile(r"[^\w#]+")


def _key(line: str) -> str:
    """What copies of a running line share: case, spacing and numbers ignored
    ("Streets Ahead 3" and "Streets Ahead 4" are one line; so are all page numbers)."""
    key = " ".join(_DIGITS.sub("#", line.lower()).split())
    bare = _PUNCTUATION.sub("", key)
    return _PAGE_NUMBER if bare in ("#", "page#") or _ROMAN.match(key) else key


class RunningLines(NamedTuple):
    """Keys (see :func:`_key`) of the lines a document repeats at the top of its pages
    (headers) and at the bottom (footers, page numbers)."""

    top: frozenset[str]
    bottom: frozenset[str]


def running_line_keys(pages: list[str]) -> RunningLines:
    """The lines among the first (last) four of a page on at least 20 % of the pages, and
    at least three, at that same edge; a document of fewer than three pages has none. A
    sentence of the text that happens to end one page and begin another is no header."""
    if len(pages) < _MIN_PAGES:
        return RunningLines(frozenset(), frozenset())
    least = max(_MIN_PAGES, math.ceil(_MIN_SHARE * len(pages)))
    sides = []
    for side in (0, 1):
        counts: Counter[str] = Counter()
        for page in pages:
            filled = [line for line in page.split("\n") if line.strip()]
            edge = filled[:_EDGE_LINES] if side == 0 else filled[-_EDGE_LINES:]
            counts.update({_key(line) for line in edge if len(line) <= _MAX_RUNNING_CHARS})
        # a line without letters is a page number ("#") or a table cell ("$", "#,#")
        sides.append(
            frozenset(
                key
                for key, n in counts.items()
                if n >= least and (key == _PAGE_NUMBER or any(ch.isalpha() for ch in key))
            )
        )
    return RunningLines(*sides)


def strip_running_lines(pages: list[str]) -> tuple[list[str], int]:
    """``pages`` without the running lines at their edges, and how many lines went.

    Lines are peeled from the top of each page while they are headers and from the
    bottom while they are footers; a repeated line inside a page's text stays.
    """
    keys = running_line_keys(pages)
    if not keys.top and not keys.bottom:
        return list(pages), 0
    out: list[str] = []
    dropped = 0
    for page in pages:
        lines = page.split("\n")
        top = _peel(lines, keys.top)
        bottom = len(lines) - _peel(lines[top:][::-1], keys.bottom)
        dropped += sum(bool(line.strip()) for line in lines[:top] + lines[bottom:])
        out.append("\n".join(lines[top:bottom]))
    return out, dropped


def _peel(lines: list[str], keys: frozenset[str]) -> int:
    """How many of ``lines``, from the first, are blank or running lines; one page
    number at most, so a table's last cell ("271") above it stays."""
    numbered = False
    for n, line in enumerate(lines):
        if not line.strip():
            continue
        key = _key(line)
        if key not in keys or (key == _PAGE_NUMBER and numbered):
            return n
        numbered = numbered or key == _PAGE_NUMBER
    return len(lines)


# --- table rows -------------------------------------------------------------------------

_CELL = re.compile(r"[$€£(]?\s*[-+]?(?:\d[\d,]*(?:\.\d+)?%?|\.\d+%?)\s*\)?%?|[$€£()%—–-]")


def _is_cell(line: str) -> bool:
    """A line holding one table cell: a number ("1,831", "(158)", "12.5%"), a currency
    sign, a bracket or a dash standing for zero; or nothing (between cells)."""
    return not line.strip() or bool(_CELL.fullmatch(line.strip()))


def join_table_cells(page: str) -> str:
    """Runs of two or more one-cell lines joined, with the label line before them, into
    one line: "Net income\\n$\\n5,791\\n\\n$\\n5,929" gives "Net income $ 5,791 $ 5,929"."""
    lines = page.split("\n")
    out: list[str] = []
    i = 0
    while i < len(lines):
        j = i
        while j < len(lines) and _is_cell(lines[j]):
            j += 1
        cells = [line.strip() for line in lines[i:j] if line.strip()]
        if len(cells) >= 2 and any(ch.isdigit() for cell in cells for ch in cell):
            row = " ".join(cells).replace("( ", "(").replace(" )", ")")
            if out and out[-1].strip():
                out[-1] = f"{out[-1]} {row}"
            else:
                out.append(row)
            i = j  # blank lines inside the run go with it
            continue
        if j == i:
            out.append(lines[i])
            i += 1
        else:  # blank lines, or a lone cell: kept as they were
            out.extend(lines[i:j])
            i = j
    return "\n".join(out)


# --- section headings --------------------------------------------------------------------


class Heading(NamedTuple):
    start: int  # offset of the heading line in the text
    level: int  # 1 = outermost
    text: str


_MARKDOWN = re.compile(r"^(#{1,6})\s+(.+?)\s*#*$")
_PART = re.compile(r"(?i)^part\s+[ivx]+\b.{0,80}$")
_ITEM = re.compile(r"(?i)^item\s+\d{1,2}[a-c]?\s*[.:]\s*\S.{0,140}$")
_NUMBERED = re.compile(r"^(\d{1,2}(?:\.\d{1,2}){0,3})\.?\s+([A-Z][^\d]{2,100})$")
_TOC_ENTRY = re.compile(r"\s\d{1,3}$")
_LEAF = 9  # an unnumbered heading: the innermost level
_HEADING_CHARS = 60  # each heading of a path is cut to this many characters
_MAX_HEADING_LINE = 200
_LABEL = re.compile(r"^[\w ]{1,20}:\s")


def _plain_heading(line: str) -> bool:
    words = line.split()
    if not 1 <= len(words) <= 12 or len(line) > 100 or line.endswith((".", ",", ";", ":", "…")):
        return False
    if _LABEL.match(line):  # "Authors: ...", "Published: 5 July 2012"
        return False
    letters = [ch for ch in line if ch.isalpha()]
    return len(letters) >= 4 and line[:1].isupper() and sum(ch.isdigit() for ch in line) <= 4


def _level(line: str, alone: bool) -> int | None:
    if len(line) > _MAX_HEADING_LINE:  # no heading; and the patterns stay linear
        return None
    if found := _MARKDOWN.match(line):
        return len(found.group(1))
    if _TOC_ENTRY.search(line) and (_PART.match(line) or _ITEM.match(line)):
        return None  # "Item 7. ... 24" in a table of contents
    if _PART.match(line):
        return 1
    if _ITEM.match(line):
        return 2
    if (found := _NUMBERED.match(line)) and not line.endswith((".", ",", ";")):
        if len(found.group(2).split()) <= 12:
            return 2 + found.group(1).count(".") + 1
    capitals = (  # "LIQUIDITY AND CAPITAL RESOURCES", not a row "QFNA 1 2 15"
        line.upper() == line
        and len(line.split()) >= 2
        and not any(ch.isdigit() for ch in line)
        and sum(ch.isalpha() for ch in line) >= 6
    )
    if (alone or capitals) and _plain_heading(line):
        return _LEAF
    return None


def section_headings(text: str) -> list[Heading]:
    """The headings of ``text``, in order: markdown ``#`` lines, "PART II", "Item 7.",
    numbered headings ("2.1 Method"), and short title-like lines that stand alone
    between blank lines or are written in capitals."""
    found: list[Heading] = []
    lines = text.split("\n")
    offset = 0
    for n, raw in enumerate(lines):
        line = raw.strip()
        if line:
            alone = (n == 0 or not lines[n - 1].strip()) and (
                n + 1 == len(lines) or not lines[n + 1].strip()
            )
            level = _level(line, alone)
            if level is not None:
                found.append(Heading(offset, level, line.lstrip("#").strip()))
        offset += len(raw) + 1
    return found


def heading_path(
    headings: list[Heading], offset: int, *, title: str | None = None, limit: int = 120
) -> str:
    """The path of headings in force at ``offset`` ("Part II > Item 7. ... > Liquidity"),
    outermost first, the document's ``title`` left out, each heading cut to 60
    characters; at most ``limit`` characters (about 25 word pieces, so the chunk still
    fits the embedder's window), the innermost headings kept."""
    path: list[Heading] = []
    for heading in headings[: bisect_right([h.start for h in headings], offset)]:
        while path and path[-1].level >= heading.level:
            path.pop()
        path.append(heading)
    names = [
        h.text if len(h.text) <= _HEADING_CHARS else h.text[: _HEADING_CHARS - 1].rstrip() + "…"
        for h in path
        if not title or h.text.casefold() != title.casefold()
    ]
    shown = " > ".join(names)
    while len(shown) > limit and len(names) > 1:
        names = names[1:]
        shown = " > ".join(names)
    return shown[:limit]


def with_context(
    doc: Document, chunks: Sequence[Chunk], headings: list[Heading] | None = None
) -> list[Chunk]:
    """``chunks`` of ``doc``, each carrying the section heading path in force where it
    starts (the document's title left out): embedded and indexed, never quoted."""
    if headings is None:
        headings = section_headings(doc.text)
    return [
        dataclasses.replace(c, context=heading_path(headings, c.char_start, title=doc.meta.title))
        for c in chunks
    ]
