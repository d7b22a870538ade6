"""The BM25 side of a generation: written from the metadata, loaded beside it."""

from __future__ import annotations

import functools
import logging
import sqlite3
from pathlib import Path
from typing import Any

import numpy as np

from rag.text import bm25_tokenize, english_stemmer

IDS = "ids.npy"


@functools.cache
def bm25s() -> Any:
    """bm25s, imported lazily; it sets its own logger to DEBUG on import, so quiet it once."""
    import bm25s

    logging.getLogger("bm25s").setLevel(logging.WARNING)
    return bm25s


def bm25_text(title: str, context: str, text: str) -> str:
    """What BM25 indexes for a chunk: its document's title, heading path and text."""
    return "\n".join(part for part in (title, context, text) if part)


def write_bm25(db: sqlite3.Connection, folder: Path, *, k1: float, b: float) -> None:
    """Index every chunk (with its document's title and its section heading path) into
    ``folder``, and save the chunk row id of each BM25 document beside it."""
    rows = db.execute(
        "SELECT c.id, d.title, c.context, c.text FROM chunks c JOIN documents d "
        "USING (doc_id) ORDER BY c.id"
    ).fetchall()
    folder.mkdir()
    ids = np.array([r[0] for r in rows], dtype=np.int64)
    if rows:
        # The title and heading path are indexed with every chunk: a light field
        # weighting that lets a passage match its publication's and section's subject.
        tokens = bm25_tokenize([bm25_text(*r[1:]) for r in rows], english_stemmer())
        retriever = bm25s().BM25(k1=k1, b=b)
        retriever.index(tokens, show_progress=False)
        retriever.save(str(folder), show_progress=False)
    np.save(folder / IDS, ids)


def load_bm25(folder: Path) -> tuple[np.ndarray, Any]:
    """(chunk row id per BM25 document, the bm25s retriever or None when empty)."""
    ids = np.load(folder / IDS)
    return ids, (bm25s().BM25.load(str(folder)) if len(ids) else None)
