"""What the quality benchmarks share: the data sets' places, stored SciFact indexes and
their BM25 scores, fusion tuning, the FinanceBench PDFs and page recall, raw results.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from rag.embed import resolve_dtype
from rag.eval.retrieval import (
    ALPHAS,
    Candidates,
    metrics,
    rank_docs,
    read_jsonl,
)
from rag.retrieve import minmax, zscore
from rag.settings import PROJECT_ROOT, Settings

SHARED = PROJECT_ROOT.parent / "shared" / "data"
SCIFACT = SHARED / "scifact"
FINANCEBENCH = SHARED / "financebench"
PUBLISHED = {
    "bm25 (bm25s)": 0.687,
    "dense all-MiniLM-L6-v2 (MTEB)": 0.645,
    "BM25 + CE rerank (BEIR)": 0.688,
}


def save_json(name: str, data: Any, settings: Settings) -> Path:
    out = settings.data_dir / "bench" / f"{name}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(data, indent=2, default=str))
    return out


def metric_row(name: str, m: dict[str, float], *extra: object) -> list[object]:
    return [name, m["ndcg@10"], m["recall@10"], m["recall@100"], m["mrr@10"], *extra]


# -- SciFact: stored vectors and cheap variants --------------------------------
@dataclass
class Stored:
    """The chunks of a built index, in FAISS-id order, with their vectors."""

    ids: np.ndarray
    doc: list[str]
    title: list[str]
    text: list[str]
    vectors: np.ndarray
    context: list[str]  # each chunk's heading path

    @property
    def bm25_texts(self) -> list[str]:
        """What the product's BM25 indexes for each chunk (rag.store.bm25.bm25_text)."""
        from rag.store.bm25 import bm25_text

        return [bm25_text(*f) for f in zip(self.title, self.context, self.text, strict=True)]


def stored_index(index_dir: Path) -> Stored:
    from rag import vectors
    from rag.store import IndexStore

    snap = IndexStore(index_dir).open()
    rows = snap.chunk_table()
    ids = np.array([r[0] for r in rows], dtype=np.int64)
    vecs = vectors.vectors_for(snap.vectors, ids)  # flat or IVF alike
    snap.close()
    return Stored(
        ids,
        [r[1] for r in rows],
        [r[4] for r in rows],
        [r[5] for r in rows],
        np.ascontiguousarray(vecs, dtype=np.float32),
        [r[6] for r in rows],
    )


class Bm25:
    """bm25s over the stored chunks with a given text recipe and parameters."""

    def __init__(self, texts: list[str], *, k1: float = 1.5, b: float = 0.75) -> None:
        import bm25s

        from rag.text import bm25_tokenize, english_stemmer

        self.stemmer = english_stemmer()
        self.tokenize = bm25_tokenize
        self.n = len(texts)
        self.model = bm25s.BM25(k1=k1, b=b)
        self.model.index(self.tokenize(texts, self.stemmer), show_progress=False)

    def n_tokens(self, query: str) -> int:
        """Query tokens after stopwords and stemming, in the vocabulary or not."""
        return len(self.tokenize([query], self.stemmer)[0])

    def scores(self, query: str) -> np.ndarray:
        tokens = [t for t in self.tokenize([query], self.stemmer)[0] if t in self.model.vocab_dict]
        if not tokens:
            return np.zeros(self.n, dtype=np.float32)
        return np.asarray(self.model.get_scores(tokens), dtype=np.float32)


def candidates(st: Stored, qvec: np.ndarray, bm25: np.ndarray, n: int = 100) -> Candidates:
    """The product's candidate set: top-n dense union top-n (positive) BM25, both scores exact."""
    dense = st.vectors @ qvec
    top_d = np.argpartition(-dense, n)[:n]
    top_b = np.argpartition(-bm25, n)[:n]
    top_b = top_b[bm25[top_b] > 0]
    union = np.array(list(dict.fromkeys([*top_d.tolist(), *top_b.tolist()])))
    return Candidates([st.doc[i] for i in union], dense[union], bm25[union])


def fused(c: Candidates, norm: str, alpha: float) -> np.ndarray:
    f: Callable[[np.ndarray], np.ndarray] = zscore if norm == "z" else minmax
    return alpha * f(c.dense) + (1 - alpha) * f(c.bm25)


def tune(
    cands: dict[str, Candidates], qrels: dict[str, dict[str, int]], norm: str
) -> tuple[float, list[float]]:
    curve = [
        metrics({q: rank_docs(c, fused(c, norm, a)) for q, c in cands.items()}, qrels)["ndcg@10"]
        for a in ALPHAS
    ]
    return ALPHAS[int(np.argmax(curve))], curve


def tune_queries(qrels: dict[str, dict[str, int]], n: int = 400) -> dict[str, dict[str, int]]:
    """The same train subsample evaluate_beir tunes on."""
    if len(qrels) > n:
        keep = sorted(qrels)[:: max(1, len(qrels) // n)][:n]
        return {q: qrels[q] for q in keep}
    return qrels


def record_build(result: dict[str, Any], settings: Settings) -> None:
    """Keep the first full build's size and time (later runs find everything cached)."""
    path = (
        settings.data_dir
        / "bench"
        / f"scifact-{resolve_dtype(settings.embedding.dtype)}-build.json"
    )
    first = Path(
        f"/tmp/scifact_{'fp32' if resolve_dtype(settings.embedding.dtype) == 'float32' else 'bf16'}.json"
    )
    if result["index"]["embedded_chunks"]:
        build = result["index"]
    elif not path.exists() and first.exists():  # the run that built it wrote its report here
        build = json.loads(first.read_text())["index"]
    else:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(build))


def label(k1: float, b: float, product: tuple[float, float]) -> str:
    tags = [
        t
        for t, hit in (("product", (k1, b) == product), ("bm25s default", (k1, b) == (1.5, 0.75)))
        if hit
    ]
    return f" ({', '.join(tags)})" if tags else ""


def questions() -> list[dict[str, Any]]:
    return list(read_jsonl(FINANCEBENCH / "questions.jsonl"))


def page_recall(
    retriever: Any,
    qs: list[dict[str, Any]],
    doc_ids: dict[str, str],
    *,
    filtered: bool,
    ks: tuple[int, ...] = (5, 10),
) -> dict[int, float]:
    """Share of questions with an evidence page among the pages of the top-k passages from the right document."""
    from rag.schemas import Filters

    hits = dict.fromkeys(ks, 0)
    for q in qs:
        did = doc_ids[q["doc_name"]]
        found = retriever.search(
            q["question"], k=max(ks), filters=Filters(doc_ids=[did]) if filtered else None
        )
        gold = {e["page"] for e in q["evidence"] if e["doc_name"] == q["doc_name"]}
        for k in ks:
            pages: set[int] = set()
            for h in found[:k]:
                if h.chunk.doc_id == did and h.chunk.page_start is not None:
                    pages.update(
                        range(h.chunk.page_start, (h.chunk.page_end or h.chunk.page_start) + 1)
                    )
            hits[k] += bool(gold & pages)
    return {k: hits[k] / len(qs) for k in ks}


def index_pdfs(
    settings: Settings,
    pdfs: list[Path],
    index_dir: Path,
    loader: Callable[[Path], Any] | None = None,
) -> tuple[Any, dict[str, str], dict[str, Any]]:
    """Index ``pdfs`` into ``index_dir``; returns (retriever, doc id by file stem, build stats)."""
    from ingest.pipeline import Ingestor
    from rag.errors import IndexMismatch
    from rag.retrieve import Retriever
    from rag.store import IndexStore

    s = settings.with_overrides(index_dir=index_dir)
    ing = Ingestor(s, store=IndexStore(index_dir), loader=loader)
    t = time.perf_counter()
    try:
        summary = ing.ingest_paths(pdfs, progress=False)
    except IndexMismatch:  # a derived index: rebuild it for the current settings
        print(f"rebuilding {index_dir} for the current settings", flush=True)
        summary = ing.ingest_paths(pdfs, progress=False, rebuild=True)
    seconds = time.perf_counter() - t
    if summary.failed:
        raise RuntimeError(f"ingestion failed: {summary.failed}")
    snap = ing.store.open(ing.fingerprint)
    ids = {Path(p).stem: d for p, (d, _) in snap.hashes_by_path().items()}
    stats = {
        "seconds": seconds,
        "added": len(summary.added),
        "embedded": summary.embedded_chunks,
        "chunks": snap.n_chunks,
        "pages": sum(d.n_pages or 0 for d in snap.documents()),
    }
    return Retriever(snap, ing.embedder, s.retrieval), ids, stats
