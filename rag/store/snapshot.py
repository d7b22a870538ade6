"""One generation of the index, loaded for reading."""

from __future__ import annotations

import json
import threading
import weakref
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from rag.errors import NotFound
from rag.records import PageSpan
from rag.schemas import Filters
from rag.store.bm25 import load_bm25
from rag.store.files import connect
from rag.store.rows import (
    CHUNK_COLS,
    DOC_COLS,
    ChunkRow,
    DocumentRow,
    chunk_row,
    doc_row,
    filter_clause,
    hashes_by_path,
)
from rag.text import english_stemmer

TEXT_CACHE = 64
"""Documents whose text and page spans a snapshot keeps (an answer reads its passages'
documents several times: sentences, scoring, quote checks)."""


class IndexSnapshot:
    """One generation of the index, loaded for reading. Immutable; safe across threads.

    Nothing here refers back to the snapshot (no cached bound methods), so once the
    last reader drops a superseded snapshot, reference counting frees it at once: its
    vectors, its BM25 index and, closed by a finalizer, its handle on the (by then
    deleted) SQLite file; a connection left to itself would wait for the cycle
    collector, since CPython's sqlite3 statement cache refers back to its connection.
    """

    def __init__(self, gen_dir: Path) -> None:
        import faiss

        self.gen_dir = gen_dir
        self.manifest: dict[str, Any] = json.loads((gen_dir / "manifest.json").read_text())
        self.fingerprint: dict[str, Any] = self.manifest["fingerprint"]
        self._db = connect(gen_dir / "meta.sqlite", readonly=True)
        self._release = weakref.finalize(self, self._db.close)
        self._lock = threading.Lock()
        self.vectors = faiss.read_index(str(gen_dir / "vectors.faiss"))
        self.bm25_ids, self.bm25 = load_bm25(gen_dir / "bm25")
        self.stemmer = english_stemmer()
        # A small LRU by hand: functools.lru_cache over a bound method would hold ``self``
        # in a reference cycle, keeping old snapshots alive until the cycle collector ran.
        self._texts: OrderedDict[str, tuple[str, tuple[PageSpan, ...]]] = OrderedDict()

    @property
    def generation(self) -> str:
        return self.gen_dir.name

    @property
    def n_chunks(self) -> int:
        return int(self.vectors.ntotal)

    @property
    def n_documents(self) -> int:
        return int(self.manifest["documents"])

    def _query(self, sql: str, args: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        with self._lock:
            return self._db.execute(sql, args).fetchall()

    def chunks(self, row_ids: Sequence[int]) -> dict[int, ChunkRow]:
        """Chunk rows by FAISS id, with their documents' citation fields."""
        out: dict[int, ChunkRow] = {}
        ids = [int(i) for i in row_ids]
        for i in range(0, len(ids), 500):
            part = ids[i : i + 500]
            rows = self._query(
                f"SELECT {CHUNK_COLS} FROM chunks c JOIN documents d USING (doc_id) "
                f"WHERE c.id IN ({','.join('?' * len(part))})",
                part,
            )
            for r in rows:
                out[r[0]] = chunk_row(r)
        return out

    def chunk_ids_matching(self, filters: Filters) -> np.ndarray:
        """FAISS ids of the chunks whose documents every given filter field allows."""
        where, args = filter_clause(filters)
        rows = self._query(
            f"SELECT c.id FROM chunks c JOIN documents d USING (doc_id) WHERE {where}", args
        )
        return np.array([r[0] for r in rows], dtype=np.int64)

    def chunk_table(self) -> list[tuple[int, str, int | None, int | None, str, str, str]]:
        """Every chunk as (FAISS id, doc id, first page, last page, title, text, heading
        path), by id: what the evaluation and benchmarks read in bulk."""
        return [
            (r[0], r[1], r[2], r[3], r[4], r[5], r[6])
            for r in self._query(
                "SELECT c.id, c.doc_id, c.page_start, c.page_end, d.title, c.text, c.context "
                "FROM chunks c JOIN documents d USING (doc_id) ORDER BY c.id"
            )
        ]

    def document_text(self, doc_id: str) -> str:
        """The cleaned text citations index into (cached: a snapshot never changes)."""
        return self._text_and_pages(doc_id)[0]

    def document_pages(self, doc_id: str) -> tuple[PageSpan, ...]:
        return self._text_and_pages(doc_id)[1]

    def _text_and_pages(self, doc_id: str) -> tuple[str, tuple[PageSpan, ...]]:
        with self._lock:
            found = self._texts.get(doc_id)
            if found is not None:
                self._texts.move_to_end(doc_id)
                return found
            rows = self._db.execute(
                "SELECT text, pages FROM documents WHERE doc_id=?", (doc_id,)
            ).fetchall()
            if not rows:  # raised, so never cached
                raise NotFound(f"No document with id {doc_id!r}; list ids with GET /documents.")
            found = str(rows[0][0]), tuple(PageSpan(*p) for p in json.loads(rows[0][1]))
            self._texts[doc_id] = found
            if len(self._texts) > TEXT_CACHE:
                self._texts.popitem(last=False)
            return found

    def documents(self, offset: int = 0, limit: int = -1) -> list[DocumentRow]:
        rows = self._query(
            f"SELECT {DOC_COLS} FROM documents d ORDER BY d.date DESC, d.title LIMIT ? OFFSET ?",
            (limit, offset),
        )
        return [doc_row(r) for r in rows]

    def document(self, doc_id: str) -> DocumentRow:
        rows = self._query(f"SELECT {DOC_COLS} FROM documents d WHERE d.doc_id=?", (doc_id,))
        if not rows:
            raise NotFound(f"No document with id {doc_id!r}; list ids with GET /documents.")
        return doc_row(rows[0])

    def hashes_by_path(self) -> dict[str, tuple[str, str]]:
        """path -> (doc_id, content_hash) of every indexed document."""
        with self._lock:
            return hashes_by_path(self._db)

    def close(self) -> None:
        with self._lock:
            self._release()
