"""The metadata schema and the rows read from it: documents, chunks, filters."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from typing import Any

from rag.records import Chunk
from rag.schemas import Filters

SCHEMA = """
CREATE TABLE IF NOT EXISTS documents (
    doc_id TEXT PRIMARY KEY,
    path TEXT UNIQUE NOT NULL,
    source TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    kind TEXT NOT NULL,
    title TEXT NOT NULL,
    date TEXT,
    authors TEXT NOT NULL,
    publisher TEXT,
    doc_type TEXT,
    url TEXT,
    extra TEXT NOT NULL,
    pages TEXT NOT NULL,
    n_pages INTEGER,
    text TEXT NOT NULL,
    ingested_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS chunks (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    doc_id TEXT NOT NULL REFERENCES documents(doc_id) ON DELETE CASCADE,
    ordinal INTEGER NOT NULL,
    text TEXT NOT NULL,
    char_start INTEGER NOT NULL,
    char_end INTEGER NOT NULL,
    page_start INTEGER,
    page_end INTEGER,
    context TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS chunks_doc ON chunks(doc_id);
"""


@dataclass(frozen=True, slots=True, kw_only=True)
class ChunkRow(Chunk):
    """A chunk with its row id and its document's citation fields, as retrieval returns it."""

    row_id: int
    title: str
    source: str
    date: str | None
    authors: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class DocumentRow:
    doc_id: str
    path: str
    source: str
    content_hash: str
    kind: str
    title: str
    date: str | None
    authors: tuple[str, ...]
    publisher: str | None
    doc_type: str | None
    url: str | None
    extra: dict[str, str]
    n_pages: int | None
    chunks: int


# The heading path (c.context) is left out on purpose: it is for the embedder and BM25
# only, so nothing that quotes a retrieved chunk can show it.
CHUNK_COLS = (
    "c.id, c.doc_id, c.ordinal, c.text, c.char_start, c.char_end, "
    "c.page_start, c.page_end, d.title, d.source, d.date, d.authors"
)
DOC_COLS = (
    "d.doc_id, d.path, d.source, d.content_hash, d.kind, d.title, d.date, d.authors, "
    "d.publisher, d.doc_type, d.url, d.extra, d.n_pages, "
    "(SELECT COUNT(*) FROM chunks c WHERE c.doc_id = d.doc_id)"
)


def chunk_row(r: tuple[Any, ...]) -> ChunkRow:
    """A row selected with :data:`CHUNK_COLS`."""
    return ChunkRow(
        row_id=r[0], doc_id=r[1], ordinal=r[2], text=r[3], char_start=r[4], char_end=r[5],
        page_start=r[6], page_end=r[7], title=r[8], source=r[9], date=r[10],
        authors=tuple(json.loads(r[11])),
    )  # fmt: skip


def doc_row(r: tuple[Any, ...]) -> DocumentRow:
    """A row selected with :data:`DOC_COLS`."""
    return DocumentRow(
        doc_id=r[0],
        path=r[1],
        source=r[2],
        content_hash=r[3],
        kind=r[4],
        title=r[5],
        date=r[6],
        authors=tuple(json.loads(r[7])),
        publisher=r[8],
        doc_type=r[9],
        url=r[10],
        extra=json.loads(r[11]),
        n_pages=r[12],
        chunks=r[13],
    )


def hashes_by_path(db: sqlite3.Connection) -> dict[str, tuple[str, str]]:
    rows = db.execute("SELECT doc_id, path, content_hash FROM documents").fetchall()
    return {path: (doc_id, h) for doc_id, path, h in rows}


def filter_clause(filters: Filters) -> tuple[str, list[object]]:
    """SQL over documents ``d`` selecting what ``filters`` allow (values bound, never
    interpolated)."""
    parts: list[str] = []
    args: list[object] = []
    if filters.date_from:
        parts.append("d.date >= ?")
        args.append(filters.date_from)
    if filters.date_to:
        parts.append("d.date <= ?")
        args.append(filters.date_to)
    if filters.author:
        parts.append("LOWER(d.authors) LIKE ?")
        args.append(f"%{filters.author.lower()}%")
    if filters.doc_ids:
        parts.append(f"d.doc_id IN ({','.join('?' * len(filters.doc_ids))})")
        args.extend(filters.doc_ids)
    if filters.kind:
        parts.append("d.kind = ?")
        args.append(filters.kind)
    return " AND ".join(parts) or "1=1", args
