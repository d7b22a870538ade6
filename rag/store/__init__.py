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
vectors, BM25 index and metadata agree; a failure (a full disk included) removes
the unfinished folder, and the next writer sweeps any a crash left. Readers hold an
:class:`IndexSnapshot` in memory, so a reader never sees a half-written index.

The modules, one job each: :mod:`~rag.store.rows` (the SQL schema and row records),
:mod:`~rag.store.files` (durable writes, a full disk), :mod:`~rag.store.bm25`,
:mod:`~rag.store.snapshot` (reading one generation), :mod:`~rag.store.writer`
(building the next) and :mod:`~rag.store.folder` (which generation is live, the lock).
"""

from rag.store.folder import IndexStore, check_fingerprint
from rag.store.rows import SCHEMA, ChunkRow, DocumentRow
from rag.store.snapshot import IndexSnapshot
from rag.store.writer import IndexWriter

__all__ = [
    "SCHEMA",
    "ChunkRow",
    "DocumentRow",
    "IndexSnapshot",
    "IndexStore",
    "IndexWriter",
    "check_fingerprint",
]
