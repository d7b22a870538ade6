"""The persistent index: SQLite metadata, a FAISS vector index and a BM25 index.

Layout of ``index_dir``::

    CURRENT              name of the live generation (replaced atomically)
    LOCK                 held by the one writer at a time
    gen-<time>-<rand>/   one complete, immutable generation
        meta.sqlite      documents and chunks (chunk row id == FAISS id)
        vectors.faiss    IndexIDMap2 over inner product of unit vectors
        bm25/            bm25s index + the chunk row id of each BM25 document
        manifest.json    fingerprint and counts, written last

A writer copies the live generation into a new folder, changes the copy, writes
everything, fsyncs it, and only then points ``CURRENT`` at it with ``os.replace``.
A crash at any moment leaves ``CURRENT`` naming a complete generation whose
vectors, BM25 index and metadata agree. Readers hold an :class:`IndexSnapshot`
in memory, so a reader never sees a half-written index.
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import json
import logging
import os
import secrets
import shutil
import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from rag import vectors as layouts
from rag.errors import IndexBusy, IndexMismatch, IndexMissing, NotFound
from rag.records import Chunk, Document, PageSpan
from rag.schemas import Filters
from rag.text import bm25_tokenize, english_stemmer

log = logging.getLogger(__name__)

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
    page_end INTEGER
);
CREATE INDEX IF NOT EXISTS chunks_doc ON chunks(doc_id);
"""


@dataclass(frozen=True, slots=True)
class ChunkRow:
    """A chunk with its document's citation fields, as retrieval returns it."""

    row_id: int
    doc_id: str
    ordinal: int
    text: str
    char_start: int
    char_end: int
    page_start: int | None
    page_end: int | None
    title: str
    source: str
    date: str | None
    authors: tuple[str, ...]

    @property
    def chunk_id(self) -> str:
        return f"{self.doc_id}:{self.ordinal}"


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


def _fsync_dir(path: Path) -> None:
    fd = os.open(str(path), os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_tree(path: Path) -> None:
    for p in sorted(path.rglob("*")):
        if p.is_file():
            with open(p, "rb") as f:
                os.fsync(f.fileno())
    for d in [path, *[p for p in path.rglob("*") if p.is_dir()]]:
        _fsync_dir(d)


def _connect(path: Path, *, readonly: bool) -> sqlite3.Connection:
    if readonly:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
    else:
        db = sqlite3.connect(str(path), check_same_thread=False)
        db.execute("PRAGMA foreign_keys=ON")
    return db


@functools.cache
def _bm25s() -> Any:
    """bm25s, imported lazily; it sets its own logger to DEBUG on import, so quiet it once."""
    import bm25s

    logging.getLogger("bm25s").setLevel(logging.WARNING)
    return bm25s


def _hashes_by_path(db: sqlite3.Connection) -> dict[str, tuple[str, str]]:
    rows = db.execute("SELECT doc_id, path, content_hash FROM documents").fetchall()
    return {path: (doc_id, h) for doc_id, path, h in rows}


class IndexSnapshot:
    """One generation of the index, loaded for reading. Immutable; safe across threads."""

    def __init__(self, gen_dir: Path) -> None:
        import faiss

        bm25s = _bm25s()
        self.gen_dir = gen_dir
        self.manifest: dict[str, Any] = json.loads((gen_dir / "manifest.json").read_text())
        self.fingerprint: dict[str, Any] = self.manifest["fingerprint"]
        self._db = _connect(gen_dir / "meta.sqlite", readonly=True)
        self._lock = threading.Lock()
        self.vectors = faiss.read_index(str(gen_dir / "vectors.faiss"))
        bm25_dir = gen_dir / "bm25"
        self.bm25_ids = np.load(bm25_dir / "ids.npy")
        self.bm25 = bm25s.BM25.load(str(bm25_dir)) if len(self.bm25_ids) else None
        self.stemmer = english_stemmer()
        # An answer reads its passages' documents several times (sentences, scoring,
        # quote checks); the generation is immutable, so a small LRU is always valid.
        self._text_and_pages = functools.lru_cache(maxsize=64)(self._load_text_and_pages)

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
                "SELECT c.id, c.doc_id, c.ordinal, c.text, c.char_start, c.char_end, "
                "c.page_start, c.page_end, d.title, d.source, d.date, d.authors "
                "FROM chunks c JOIN documents d USING (doc_id) "
                f"WHERE c.id IN ({','.join('?' * len(part))})",
                part,
            )
            for r in rows:
                out[r[0]] = ChunkRow(
                    r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9], r[10],
                    authors=tuple(json.loads(r[11])),
                )  # fmt: skip
        return out

    def chunk_ids_matching(self, filters: Filters) -> np.ndarray:
        """FAISS ids of the chunks whose documents every given filter field allows."""
        where, args = _filter_clause(filters)
        rows = self._query(
            f"SELECT c.id FROM chunks c JOIN documents d USING (doc_id) WHERE {where}", args
        )
        return np.array([r[0] for r in rows], dtype=np.int64)

    def chunk_table(self) -> list[tuple[int, str, int | None, int | None, str, str]]:
        """Every chunk as (FAISS id, doc id, first page, last page, title, text), by id:
        what the evaluation and benchmarks read in bulk."""
        return [
            (r[0], r[1], r[2], r[3], r[4], r[5])
            for r in self._query(
                "SELECT c.id, c.doc_id, c.page_start, c.page_end, d.title, c.text "
                "FROM chunks c JOIN documents d USING (doc_id) ORDER BY c.id"
            )
        ]

    def document_text(self, doc_id: str) -> str:
        """The cleaned text citations index into (cached: a snapshot never changes)."""
        return self._text_and_pages(doc_id)[0]

    def document_pages(self, doc_id: str) -> tuple[PageSpan, ...]:
        return self._text_and_pages(doc_id)[1]

    def _load_text_and_pages(self, doc_id: str) -> tuple[str, tuple[PageSpan, ...]]:
        rows = self._query("SELECT text, pages FROM documents WHERE doc_id=?", (doc_id,))
        if not rows:  # raised, so never cached
            raise NotFound(f"No document with id {doc_id!r}; list ids with GET /documents.")
        return str(rows[0][0]), tuple(PageSpan(*p) for p in json.loads(rows[0][1]))

    _DOC_COLS = (
        "d.doc_id, d.path, d.source, d.content_hash, d.kind, d.title, d.date, d.authors, "
        "d.publisher, d.doc_type, d.url, d.extra, d.n_pages, "
        "(SELECT COUNT(*) FROM chunks c WHERE c.doc_id = d.doc_id)"
    )

    @staticmethod
    def _doc_row(r: tuple[Any, ...]) -> DocumentRow:
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

    def documents(self, offset: int = 0, limit: int = -1) -> list[DocumentRow]:
        rows = self._query(
            f"SELECT {self._DOC_COLS} FROM documents d ORDER BY d.date DESC, d.title "
            "LIMIT ? OFFSET ?",
            (limit, offset),
        )
        return [self._doc_row(r) for r in rows]

    def document(self, doc_id: str) -> DocumentRow:
        rows = self._query(f"SELECT {self._DOC_COLS} FROM documents d WHERE d.doc_id=?", (doc_id,))
        if not rows:
            raise NotFound(f"No document with id {doc_id!r}; list ids with GET /documents.")
        return self._doc_row(rows[0])

    def hashes_by_path(self) -> dict[str, tuple[str, str]]:
        """path -> (doc_id, content_hash) of every indexed document."""
        with self._lock:
            return _hashes_by_path(self._db)

    def close(self) -> None:
        with self._lock:
            self._db.close()


class IndexWriter:
    """Changes to a private copy of the live generation; ``commit`` publishes them."""

    def __init__(
        self,
        store: IndexStore,
        base: Path | None,
        fingerprint: dict[str, Any],
        dim: int,
        *,
        index_type: str = "flat",
        ivf_threshold: int = 100_000,
    ):
        import faiss

        self.store = store
        self.fingerprint = fingerprint
        self.index_type = index_type
        self.ivf_threshold = ivf_threshold
        self.dir = store.root / f"gen-{time.strftime('%Y%m%dT%H%M%S')}-{secrets.token_hex(3)}.tmp"
        self.dir.mkdir(parents=True)
        db_path = self.dir / "meta.sqlite"
        if base is not None:
            src = sqlite3.connect(f"file:{base / 'meta.sqlite'}?mode=ro", uri=True)
            dst = sqlite3.connect(str(db_path))
            src.backup(dst)
            src.close()
            dst.close()
            self.vectors = faiss.read_index(str(base / "vectors.faiss"))
        else:
            self.vectors = layouts.empty_flat(dim)
        self.db = _connect(db_path, readonly=False)
        self.db.executescript(SCHEMA)
        self.changed = False

    def remove_document(self, doc_id: str) -> None:
        ids = [r[0] for r in self.db.execute("SELECT id FROM chunks WHERE doc_id=?", (doc_id,))]
        if ids:
            self.vectors.remove_ids(np.array(ids, dtype=np.int64))  # type: ignore[arg-type]
        self.db.execute("DELETE FROM chunks WHERE doc_id=?", (doc_id,))
        self.db.execute("DELETE FROM documents WHERE doc_id=?", (doc_id,))
        self.changed = True

    def put_document(
        self, doc: Document, path: str, chunks: Sequence[Chunk], vectors: np.ndarray
    ) -> None:
        """Insert or replace a document with its chunks and their vectors."""
        if len(chunks) != len(vectors):
            raise ValueError(f"{len(chunks)} chunks but {len(vectors)} vectors for {path}")
        self.remove_document(doc.doc_id)
        m = doc.meta
        self.db.execute(
            "INSERT INTO documents VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (
                doc.doc_id,
                path,
                doc.source,
                doc.content_hash,
                doc.kind,
                m.title,
                m.date,
                json.dumps(list(m.authors)),
                m.publisher,
                m.doc_type,
                m.url,
                json.dumps(m.extra),
                json.dumps([[p.page, p.start, p.end] for p in doc.pages]),
                len(doc.pages) or None,
                doc.text,
                time.time(),
            ),
        )
        ids = []
        for c in chunks:
            cur = self.db.execute(
                "INSERT INTO chunks (doc_id, ordinal, text, char_start, char_end, page_start, "
                "page_end) VALUES (?,?,?,?,?,?,?)",
                (c.doc_id, c.ordinal, c.text, c.char_start, c.char_end, c.page_start, c.page_end),
            )
            ids.append(cur.lastrowid)
        if ids:
            self.vectors.add_with_ids(
                np.ascontiguousarray(vectors, dtype=np.float32), np.array(ids, dtype=np.int64)
            )
        self.changed = True

    def _write_bm25(self) -> None:
        bm25s = _bm25s()

        rows = self.db.execute(
            "SELECT c.id, d.title, c.text FROM chunks c JOIN documents d USING (doc_id) "
            "ORDER BY c.id"
        ).fetchall()
        bm25_dir = self.dir / "bm25"
        bm25_dir.mkdir()
        ids = np.array([r[0] for r in rows], dtype=np.int64)
        if rows:
            # The title is indexed with every chunk: a light field weighting that
            # lets a passage match its publication's subject.
            tokens = bm25_tokenize([f"{r[1]}\n{r[2]}" for r in rows], english_stemmer())
            retriever = bm25s.BM25(
                k1=float(self.fingerprint.get("bm25_k1", 1.5)),
                b=float(self.fingerprint.get("bm25_b", 0.75)),
            )
            retriever.index(tokens, show_progress=False)
            retriever.save(str(bm25_dir), show_progress=False)
        np.save(bm25_dir / "ids.npy", ids)

    def commit(self) -> Path:
        """Write the new generation completely, then make it the live one."""
        import faiss

        self.db.commit()
        n_docs = self.db.execute("SELECT COUNT(*) FROM documents").fetchone()[0]
        n_chunks = self.db.execute("SELECT COUNT(*) FROM chunks").fetchone()[0]
        if n_chunks != self.vectors.ntotal:
            raise RuntimeError(
                f"index out of step: {n_chunks} chunks, {self.vectors.ntotal} vectors"
            )
        want = layouts.wanted_layout(
            self.index_type, n_chunks, self.ivf_threshold, layouts.layout_of(self.vectors)
        )
        if want != layouts.layout_of(self.vectors):
            ids = [r[0] for r in self.db.execute("SELECT id FROM chunks ORDER BY id")]
            log.info("rebuilding the vector index as %s for %d vectors", want, n_chunks)
            self.vectors = layouts.relayout(self.vectors, ids, want)
        faiss.write_index(self.vectors, str(self.dir / "vectors.faiss"))
        self._write_bm25()
        self.db.close()
        manifest = {
            "fingerprint": self.fingerprint,
            "documents": n_docs,
            "chunks": n_chunks,
            "created": time.time(),
        }
        (self.dir / "manifest.json").write_text(json.dumps(manifest, indent=2))
        _fsync_tree(self.dir)
        final = self.dir.with_suffix("")
        os.rename(self.dir, final)
        _fsync_dir(self.store.root)
        self.store._set_current(final.name)
        self.store._collect_garbage(keep={final.name})
        return final

    def abort(self) -> None:
        with contextlib.suppress(Exception):
            self.db.close()
        shutil.rmtree(self.dir, ignore_errors=True)


class IndexStore:
    """The index folder: which generation is live, and the one-writer lock."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    @property
    def current_path(self) -> Path | None:
        try:
            name = (self.root / "CURRENT").read_text().strip()
        except FileNotFoundError:
            return None
        gen = self.root / name
        return gen if (gen / "manifest.json").exists() else None

    def exists(self) -> bool:
        return self.current_path is not None

    def hashes_by_path(self) -> dict[str, tuple[str, str]]:
        """path -> (doc_id, content_hash) from the live generation's metadata alone:
        deciding what changed must not load the vectors and BM25 index."""
        gen = self.current_path
        if gen is None:
            return {}
        db = _connect(gen / "meta.sqlite", readonly=True)
        try:
            return _hashes_by_path(db)
        finally:
            db.close()

    def current_generation(self) -> str | None:
        p = self.current_path
        return p.name if p else None

    def open(self, fingerprint: dict[str, Any] | None = None) -> IndexSnapshot:
        """Load the live generation; with ``fingerprint``, refuse one built differently."""
        gen = self.current_path
        if gen is None:
            raise IndexMissing(self.root)
        snap = IndexSnapshot(gen)
        if fingerprint is not None:
            check_fingerprint(self.root, snap.fingerprint, fingerprint)
        return snap

    @contextlib.contextmanager
    def writer(
        self,
        fingerprint: dict[str, Any],
        dim: int,
        *,
        rebuild: bool = False,
        index_type: str = "flat",
        ivf_threshold: int = 100_000,
    ) -> Iterator[IndexWriter]:
        """Exclusive writer over a copy of the live generation (or an empty one)."""
        self.root.mkdir(parents=True, exist_ok=True)
        lock = open(self.root / "LOCK", "w")  # noqa: SIM115 - held for the block
        try:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError as exc:
                raise IndexBusy(
                    f"Another ingest is writing the index at {self.root}; wait for it to finish."
                ) from exc
            base = None if rebuild else self.current_path
            if base is not None:
                old = json.loads((base / "manifest.json").read_text())["fingerprint"]
                check_fingerprint(self.root, old, fingerprint)
            w = IndexWriter(
                self, base, fingerprint, dim, index_type=index_type, ivf_threshold=ivf_threshold
            )
            try:
                yield w
            except BaseException:
                w.abort()
                raise
            else:
                if w.changed or base is None:
                    w.commit()
                else:
                    w.abort()
        finally:
            lock.close()

    def _set_current(self, name: str) -> None:
        tmp = self.root / f"CURRENT.{secrets.token_hex(4)}.tmp"
        with open(tmp, "w") as f:
            f.write(name)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, self.root / "CURRENT")
        _fsync_dir(self.root)

    def _collect_garbage(self, keep: Iterable[str]) -> None:
        keep = set(keep)
        for p in self.root.iterdir():
            if p.is_dir() and p.name.startswith("gen-") and p.name not in keep:
                shutil.rmtree(p, ignore_errors=True)
            elif p.name.startswith("CURRENT.") and p.name.endswith(".tmp"):
                p.unlink(missing_ok=True)


def check_fingerprint(root: Path, stored: dict[str, Any], wanted: dict[str, Any]) -> None:
    diffs = [
        f"{k}: index has {stored.get(k)!r}, settings say {wanted.get(k)!r}"
        for k in sorted(set(stored) | set(wanted))
        if stored.get(k) != wanted.get(k)
    ]
    if diffs:
        raise IndexMismatch(root, diffs)


def _filter_clause(filters: Filters) -> tuple[str, list[object]]:
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
