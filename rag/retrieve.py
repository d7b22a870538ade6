"""Hybrid retrieval: BM25 (bm25s) and dense (FAISS) candidates, fused.

Each retriever proposes ``candidates`` chunks; every chunk in the union is then
scored by *both* (BM25 scores come from the full score vector, dense scores from
the stored vectors), so fusion never has to guess a missing score. Filters become
a set of allowed chunk ids applied inside both retrievers, before ranking.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from rag import vectors
from rag.embed import Embedder
from rag.schemas import Filters, SearchResult
from rag.settings import RetrievalSettings
from rag.store import ChunkRow, IndexSnapshot
from rag.text import bm25_tokenize

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Hit:
    chunk: ChunkRow
    score: float  # fused
    dense: float  # cosine similarity of query and chunk
    bm25: float  # raw BM25 score

    def to_result(self, rank: int) -> SearchResult:
        c = self.chunk
        return SearchResult(
            rank=rank,
            score=round(self.score, 6),
            chunk_id=c.chunk_id,
            doc_id=c.doc_id,
            title=c.title,
            source=c.source,
            page=c.page_start,
            page_end=c.page_end,
            char_start=c.char_start,
            char_end=c.char_end,
            text=c.text,
            date=c.date,
            authors=list(c.authors),
        )


def minmax(x: np.ndarray) -> np.ndarray:
    if x.size == 0:
        return x
    lo, hi = float(x.min()), float(x.max())
    return (x - lo) / (hi - lo) if hi > lo else np.ones_like(x)


def zscore(x: np.ndarray) -> np.ndarray:
    if x.size == 0:
        return x
    sd = float(x.std())
    return (x - x.mean()) / sd if sd > 0 else np.zeros_like(x)


FUSIONS = ("convex", "zscore", "rrf", "dense", "bm25", "length")


def fuse(
    dense: np.ndarray,
    bm25: np.ndarray,
    method: str,
    *,
    alpha: float = 0.5,
    rrf_k: int = 60,
    n_tokens: int = 0,
    length: int = 10,
) -> np.ndarray:
    """Fused scores of candidates given both retrievers' scores for each of them.

    'convex': ``alpha * minmax(dense) + (1 - alpha) * minmax(bm25)``; 'zscore': the same
    over z-scores (mean 0, standard deviation 1 over the candidates); 'length': convex
    fusion whose BM25 share ``1 - alpha`` shrinks by ``min(1, length / n_tokens)`` for a
    query of more than ``length`` BM25 tokens (a long question's many words make BM25
    noisy); 'rrf': reciprocal rank fusion, ``sum 1 / (rrf_k + rank)``; 'dense' or
    'bm25': one score alone.
    """
    if method == "length":  # convex, with BM25's share shrunk for a long query
        bm25_share = (1 - alpha) * min(1.0, length / max(n_tokens, 1))
        method, alpha = "convex", 1 - bm25_share
    if method == "dense":
        return dense
    if method == "bm25":
        return bm25
    if method == "rrf":
        out = np.zeros(len(dense))
        for arr in (dense, bm25):
            ranks = np.empty(len(arr))
            ranks[np.argsort(-arr, kind="stable")] = np.arange(1, len(arr) + 1)
            out += 1.0 / (rrf_k + ranks)
        return out
    if method == "zscore":
        return alpha * zscore(dense) + (1 - alpha) * zscore(bm25)
    if method == "convex":
        return alpha * minmax(dense) + (1 - alpha) * minmax(bm25)
    raise ValueError(f"unknown fusion {method!r}; expected one of {', '.join(FUSIONS)}")


class Retriever:
    """Search one index snapshot with one embedder."""

    def __init__(
        self, snapshot: IndexSnapshot, embedder: Embedder, settings: RetrievalSettings
    ) -> None:
        self.snapshot = snapshot
        self.embedder = embedder
        self.settings = settings

    def allowed_ids(self, filters: Filters | None) -> np.ndarray | None:
        if filters is None or filters.is_empty():
            return None
        return self.snapshot.chunk_ids_matching(filters)

    def _dense(self, qvec: np.ndarray, n: int, allowed: np.ndarray | None) -> dict[int, float]:
        index = self.snapshot.vectors
        if index.ntotal == 0 or n <= 0:
            return {}
        params = vectors.search_params(index, allowed, self.settings.ivf_nprobe)
        scores, ids = index.search(qvec[None, :], min(n, index.ntotal), params=params)
        return {int(i): float(s) for s, i in zip(scores[0], ids[0], strict=True) if i >= 0}

    def _dense_for(self, qvec: np.ndarray, ids: Sequence[int]) -> dict[int, float]:
        out: dict[int, float] = {}
        for i in ids:
            try:
                out[i] = float(self.snapshot.vectors.reconstruct(int(i)) @ qvec)
            except RuntimeError:  # an IVF index without a direct map cannot reconstruct
                continue
        return out

    def query_tokens(self, query: str) -> list[str]:
        """The query as BM25 reads it (stopwords out, stemmed), in the vocabulary or not."""
        return bm25_tokenize([query], self.snapshot.stemmer)[0]

    def _bm25_vector(self, tokens: list[str], allowed: np.ndarray | None) -> np.ndarray:
        snap = self.snapshot
        if snap.bm25 is None:
            return np.zeros(0, dtype=np.float32)
        tokens = [t for t in tokens if t in snap.bm25.vocab_dict]
        if not tokens:
            return np.zeros(len(snap.bm25_ids), dtype=np.float32)
        mask = None
        if allowed is not None:
            mask = np.isin(snap.bm25_ids, allowed).astype(np.float32)
        return np.asarray(snap.bm25.get_scores(tokens, weight_mask=mask), dtype=np.float32)

    def score(
        self, query: str, filters: Filters | None = None, *, fusion: str | None = None
    ) -> list[tuple[int, float, float, float]]:
        """(chunk row id, fused, dense, bm25) for every candidate, best first."""
        s = self.settings
        fusion = fusion or s.fusion
        allowed = self.allowed_ids(filters)
        if allowed is not None and allowed.size == 0:
            return []
        n = s.candidates
        dense: dict[int, float] = {}
        qvec = None
        if fusion != "bm25":
            qvec = self.embedder.embed([query])[0]
            dense = self._dense(qvec, n, allowed)
        tokens = self.query_tokens(query) if fusion != "dense" else []
        bm25_all = self._bm25_vector(tokens, allowed) if fusion != "dense" else np.zeros(0)
        bm25_top: dict[int, float] = {}
        if bm25_all.size:
            top = np.argpartition(-bm25_all, min(n, bm25_all.size - 1))[:n]
            ids = self.snapshot.bm25_ids
            bm25_top = {int(ids[j]): float(bm25_all[j]) for j in top if bm25_all[j] > 0}
        union = list(dict.fromkeys([*dense, *bm25_top]))
        if not union:
            return []
        if qvec is not None:
            missing = [i for i in union if i not in dense]
            dense.update(self._dense_for(qvec, missing))
        if bm25_all.size:
            # BM25 documents are stored in chunk-id order, so a binary search finds them.
            ids = self.snapshot.bm25_ids
            u = np.array(union, dtype=np.int64)
            j = np.clip(np.searchsorted(ids, u), 0, len(ids) - 1)
            b = np.where(ids[j] == u, bm25_all[j], 0.0)
        else:
            b = np.zeros(len(union))
        d_floor = min(dense.values()) if dense else 0.0
        d = np.array([dense.get(i, d_floor) for i in union])
        fused = fuse(
            d, b, fusion, alpha=s.alpha, rrf_k=s.rrf_k, n_tokens=len(tokens), length=s.length_tokens
        )
        order = np.argsort(-fused, kind="stable")
        return [(union[j], float(fused[j]), float(d[j]), float(b[j])) for j in order]

    def search(
        self, query: str, k: int = 5, filters: Filters | None = None, *, fusion: str | None = None
    ) -> list[Hit]:
        scored = self.score(query, filters, fusion=fusion)[:k]
        rows = self.snapshot.chunks([r for r, *_ in scored])
        return [Hit(rows[r], f, d, b) for r, f, d, b in scored if r in rows]
