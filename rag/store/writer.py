"""Building the next generation: a private copy of the live one, changed, then published."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import secrets
import shutil
import sqlite3
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from rag import vectors as layouts
from rag.records import Chunk, Document
from rag.store.bm25 import write_bm25
from rag.store.files import connect, fsync_dir, fsync_tree
from rag.store.rows import SCHEMA

log = logging.getLogger(__name__)

TMP_SUFFIX = ".tmp"


class Folder(Protocol):
    """What a writer needs of its :class:`~rag.store.folder.IndexStore`."""

    root: Path

    def current_generation(self) -> str | None: ...
    def _set_current(self, name: str) -> None: ...
    def _collect_garbage(self, keep: Iterable[str]) -> None: ...


class IndexWriter:
    """Changes to a private copy of the live generation; ``commit`` publishes them.

    Made by :meth:`IndexStore.writer`, which aborts it on any failure: the constructor
    removes its own folder if it fails, and :meth:`abort` removes whatever was written.
    """

    def __init__(
        self,
        store: Folder,
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
        self.changed = False
        self.published = False
        self.db: sqlite3.Connection | None = None
        name = f"gen-{time.strftime('%Y%m%dT%H%M%S')}-{secrets.token_hex(3)}{TMP_SUFFIX}"
        self.dir = store.root / name
        self.final = self.dir.with_suffix("")
        self.dir.mkdir(parents=True)
        try:
            db_path = self.dir / "meta.sqlite"
            if base is not None:
                src = sqlite3.connect(f"file:{base / 'meta.sqlite'}?mode=ro", uri=True)
                try:
                    dst = sqlite3.connect(str(db_path))
                    try:
                        src.backup(dst)
                    finally:
                        dst.close()
                finally:
                    src.close()
                self.vectors = faiss.read_index(str(base / "vectors.faiss"))
            else:
                self.vectors = layouts.empty_flat(dim)
            self.db = connect(db_path, readonly=False)
            self.db.executescript(SCHEMA)
        except BaseException:
            self.abort()
            raise

    def _db(self) -> sqlite3.Connection:
        if self.db is None:
            raise RuntimeError("the index writer is closed")
        return self.db

    def remove_document(self, doc_id: str) -> None:
        db = self._db()
        ids = [r[0] for r in db.execute("SELECT id FROM chunks WHERE doc_id=?", (doc_id,))]
        if ids:
            self.vectors.remove_ids(np.array(ids, dtype=np.int64))  # type: ignore[arg-type]
        db.execute("DELETE FROM chunks WHERE doc_id=?", (doc_id,))
        db.execute("DELETE FROM documents WHERE doc_id=?", (doc_id,))
        self.changed = True

    def put_document(
        self, doc: Document, path: str, chunks: Sequence[Chunk], vectors: np.ndarray
    ) -> None:
        """Insert or replace a document with its chunks and their vectors."""
        if len(chunks) != len(vectors):
            raise ValueError(f"{len(chunks)} chunks but {len(vectors)} vectors for {path}")
        self.remove_document(doc.doc_id)
        db = self._db()
        m = doc.meta
        db.execute(
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
            cur = db.execute(
                "INSERT INTO chunks (doc_id, ordinal, text, char_start, char_end, page_start, "
                "page_end, context) VALUES (?,?,?,?,?,?,?,?)",
                (c.doc_id, c.ordinal, c.text, c.char_start, c.char_end, c.page_start, c.page_end,
                 c.context),  # fmt: skip
            )
            ids.append(cur.lastrowid)
        if ids:
            self.vectors.add_with_ids(
                np.ascontiguousarray(vectors, dtype=np.float32), np.array(ids, dtype=np.int64)
            )
        self.changed = True

    def commit(self) -> Path:
        """Write the new generation completely, then make it the live one."""
        import faiss

        db = self._db()
        db.commit()
        n_docs = db.execute("SELECT COUNT(*) FROM documents").fetchone()[0]
        n_chunks = db.execute("SELECT COUNT(*) FROM chunks").fetchone()[0]
        if n_chunks != self.vectors.ntotal:
            raise RuntimeError(
                f"index out of step: {n_chunks} chunks, {self.vectors.ntotal} vectors"
            )
        want = layouts.wanted_layout(
            self.index_type, n_chunks, self.ivf_threshold, layouts.layout_of(self.vectors)
        )
        if want != layouts.layout_of(self.vectors):
            ids = [r[0] for r in db.execute("SELECT id FROM chunks ORDER BY id")]
            log.info("rebuilding the vector index as %s for %d vectors", want, n_chunks)
            self.vectors = layouts.relayout(self.vectors, ids, want)
        faiss.write_index(self.vectors, str(self.dir / "vectors.faiss"))
        write_bm25(
            db,
            self.dir / "bm25",
            k1=float(self.fingerprint.get("bm25_k1", 1.5)),
            b=float(self.fingerprint.get("bm25_b", 0.75)),
        )
        db.close()
        self.db = None
        manifest = {
            "fingerprint": self.fingerprint,
            "documents": n_docs,
            "chunks": n_chunks,
            "created": time.time(),
        }
        (self.dir / "manifest.json").write_text(json.dumps(manifest, indent=2))
        fsync_tree(self.dir)
        os.rename(self.dir, self.final)
        fsync_dir(self.store.root)
        self.store._set_current(self.final.name)
        self.published = True
        try:
            self.store._collect_garbage(keep={self.final.name})
        except OSError:  # published already: old generations go at the next commit
            log.warning("could not remove old generations in %s", self.store.root, exc_info=True)
        return self.final

    def abort(self) -> None:
        """Remove everything this writer wrote, unless it was published."""
        if self.db is not None:
            with contextlib.suppress(Exception):
                self.db.close()
            self.db = None
        if self.published or self.store.current_generation() == self.final.name:
            return
        shutil.rmtree(self.dir, ignore_errors=True)
        shutil.rmtree(self.final, ignore_errors=True)
