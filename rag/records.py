"""Small records shared by ingestion, the store and the answer stage (the ground floor).

Provenance travels with the text: a :class:`Document` holds the cleaned text and
the page each character range came from; a :class:`Chunk` holds offsets into that
text such that ``document.text[chunk.char_start:chunk.char_end] == chunk.text``.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from typing import Literal

Kind = Literal["pdf", "html", "text"]


@dataclass(frozen=True, slots=True)
class PageSpan:
    """Characters ``[start, end)`` of the cleaned document text come from 1-based ``page``."""

    page: int
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class DocMeta:
    """Bibliographic metadata: from a ``NAME.meta.json`` sidecar, else extracted."""

    title: str
    date: str | None = None  # ISO 8601 date, "YYYY-MM-DD"
    authors: tuple[str, ...] = ()
    publisher: str | None = None
    doc_type: str | None = None  # "press release", "blog post", "report" ...
    url: str | None = None
    extra: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class LoadedDocument:
    """What a loader returns: cleaned text, its pages, and metadata."""

    source: str  # path as given (absolute, resolved)
    kind: Kind
    text: str
    meta: DocMeta
    pages: tuple[PageSpan, ...] = ()  # empty for formats without pages
    warnings: tuple[str, ...] = ()

    def page_at(self, offset: int) -> int | None:
        return page_at(self.pages, offset)


@dataclass(frozen=True, slots=True)
class Document:
    """A loaded document with its identity in the index."""

    doc_id: str
    source: str
    content_hash: str
    kind: Kind
    text: str
    meta: DocMeta
    pages: tuple[PageSpan, ...] = ()


@dataclass(frozen=True, slots=True)
class Chunk:
    doc_id: str
    ordinal: int
    text: str  # exactly the document's text[char_start:char_end]: what is quoted
    char_start: int
    char_end: int
    page_start: int | None
    page_end: int | None
    # The section heading path in force where the chunk starts ("Part II > Item 7"):
    # embedded and indexed for BM25 with the chunk, never quoted.
    context: str = ""

    @property
    def chunk_id(self) -> str:
        return f"{self.doc_id}:{self.ordinal}"


def page_at(pages: tuple[PageSpan, ...] | list[PageSpan], offset: int) -> int | None:
    """The 1-based page holding character ``offset`` (the nearest earlier page in a gap);
    ``pages`` are in document order. A binary search: long reports have hundreds."""
    i = bisect.bisect_right(pages, offset, key=lambda span: span.start)
    return pages[i - 1].page if i else None

