"""Retrieval evaluation on a BEIR-layout folder (corpus.jsonl, queries.jsonl, qrels/*.tsv).

The corpus is indexed through the product's own pipeline (chunking, embedding
cache, store) into its own index folder, so a second run embeds nothing. Each
query is scored once; BM25-only, dense-only and fused rankings are all derived
from the same candidates (each candidate carries both scores), and the fusion
weight is tuned on the *train* qrels only, then applied to the requested split.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import time
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

from ingest.pipeline import Ingestor
from rag.embed import resolve_dtype
from rag.errors import IndexMismatch, InvalidRequest
from rag.records import DocMeta, Document
from rag.retrieve import Retriever
from rag.retrieve import fuse as fuse_scores
from rag.settings import RetrievalSettings, Settings
from rag.store import IndexStore

log = logging.getLogger(__name__)

ALPHAS = [round(a, 2) for a in np.arange(0.0, 1.0001, 0.05)]


def read_jsonl(path: Path) -> Iterator[dict[str, Any]]:
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.strip():
                yield json.loads(line)


def read_qrels(path: Path) -> dict[str, dict[str, int]]:
    qrels: dict[str, dict[str, int]] = defaultdict(dict)
    with open(path, encoding="utf-8") as f:
        for i, line in enumerate(f):
            parts = line.rstrip("\n").split("\t")
            if i == 0 and not parts[-1].strip().lstrip("-").isdigit():
                continue  # header
            if len(parts) >= 3:
                qrels[parts[0]][parts[1]] = int(parts[2])
    return dict(qrels)


def beir_documents(folder: Path) -> Iterator[Document]:
    for row in read_jsonl(folder / "corpus.jsonl"):
        text = (row.get("text") or "").strip() or (row.get("title") or "").strip()
        if not text:
            continue
        key = f"beir:{folder.name}:{row['_id']}"
        yield Document(
            doc_id=str(row["_id"]),
            source=key,
            content_hash=hashlib.sha1(f"{row.get('title', '')}\n{text}".encode()).hexdigest(),
            kind="text",
            text=text,
            meta=DocMeta(title=(row.get("title") or "").strip()),
        )


# -- metrics ------------------------------------------------------------------
def ndcg_at(ranked: list[str], rel: dict[str, int], k: int = 10) -> float:
    dcg = sum((2 ** rel.get(d, 0) - 1) / math.log2(i + 2) for i, d in enumerate(ranked[:k]))
    ideal = sorted(rel.values(), reverse=True)[:k]
    idcg = sum((2**r - 1) / math.log2(i + 2) for i, r in enumerate(ideal))
    return dcg / idcg if idcg > 0 else 0.0


def recall_at(ranked: list[str], rel: dict[str, int], k: int) -> float:
    positives = {d for d, r in rel.items() if r > 0}
    return len(positives & set(ranked[:k])) / len(positives) if positives else 0.0


def mrr_at(ranked: list[str], rel: dict[str, int], k: int = 10) -> float:
    for i, d in enumerate(ranked[:k]):
        if rel.get(d, 0) > 0:
            return 1.0 / (i + 1)
    return 0.0


def metrics(runs: dict[str, list[str]], qrels: dict[str, dict[str, int]]) -> dict[str, float]:
    qids = [q for q in qrels if q in runs]
    if not qids:
        return {"ndcg@10": 0.0, "recall@10": 0.0, "recall@100": 0.0, "mrr@10": 0.0, "queries": 0}
    return {
        "ndcg@10": float(np.mean([ndcg_at(runs[q], qrels[q]) for q in qids])),
        "recall@10": float(np.mean([recall_at(runs[q], qrels[q], 10) for q in qids])),
        "recall@100": float(np.mean([recall_at(runs[q], qrels[q], 100) for q in qids])),
        "mrr@10": float(np.mean([mrr_at(runs[q], qrels[q]) for q in qids])),
        "queries": len(qids),
    }


@dataclass(slots=True)
class Candidates:
    docs: list[str]  # doc id per candidate chunk
    dense: np.ndarray
    bm25: np.ndarray
    n_tokens: int = 0  # the query's BM25 tokens ('length' fusion)


def rank_docs(c: Candidates, fused: np.ndarray, k: int = 100) -> list[str]:
    """Documents by their best chunk's fused score."""
    best: dict[str, float] = {}
    for d, s in zip(c.docs, fused, strict=True):
        if s > best.get(d, -math.inf):
            best[d] = float(s)
    return [d for d, _ in sorted(best.items(), key=lambda x: -x[1])[:k]]


def fuse(
    c: Candidates, method: str, alpha: float = 0.5, rrf_k: int = 60, length: int = 10
) -> np.ndarray:
    """The product's fusion (:func:`rag.retrieve.fuse`) over one query's candidates."""
    return fuse_scores(
        c.dense, c.bm25, method, alpha=alpha, rrf_k=rrf_k, n_tokens=c.n_tokens, length=length
    )


def product_label(r: RetrievalSettings) -> str:
    """The report's name for the shipped retrieval default."""
    weighted = r.fusion in ("convex", "zscore", "length")
    return f"product({r.fusion}" + (f", alpha={r.alpha})" if weighted else ")")


def evaluate_beir(
    folder: Path,
    *,
    settings: Settings,
    split: str = "test",
    tune_split: str = "train",
    max_tune_queries: int = 400,
    progress: bool = True,
) -> dict[str, Any]:
    """Index ``folder`` (cached), then report BM25, dense, RRF, the product default and
    the product's weighted fusion (convex if the default is unweighted) with alpha tuned."""
    folder = Path(folder)
    for need in ("corpus.jsonl", "queries.jsonl", f"qrels/{split}.tsv"):
        if not (folder / need).exists():
            raise InvalidRequest("folder", f"{folder} is not a BEIR folder: {need} is missing")
    dtype = resolve_dtype(settings.embedding.dtype)
    index_dir = settings.data_dir / "beir" / f"{folder.name}-{dtype}"
    s = settings.model_copy(update={"index_dir": index_dir})
    ingestor = Ingestor(s, store=IndexStore(index_dir))
    t0 = time.perf_counter()
    n_docs = sum(1 for _ in read_jsonl(folder / "corpus.jsonl"))
    try:
        ingestor.store.open(ingestor.fingerprint) if ingestor.store.exists() else None
        rebuild = False
    except IndexMismatch:  # a derived index: rebuild it (the embedding cache keeps that cheap)
        log.warning("rebuilding %s for the current settings", index_dir)
        rebuild = True
    summary = ingestor.ingest_documents(
        beir_documents(folder), progress=progress, total=n_docs, rebuild=rebuild
    )
    index_s = time.perf_counter() - t0
    snapshot = ingestor.store.open(ingestor.fingerprint)
    retriever = Retriever(snapshot, ingestor.embedder, s.retrieval)
    row_doc = {r[0]: r[1] for r in snapshot.chunk_table()}

    queries = {str(r["_id"]): r["text"] for r in read_jsonl(folder / "queries.jsonl")}
    qrels = read_qrels(folder / "qrels" / f"{split}.tsv")
    tune_path = folder / "qrels" / f"{tune_split}.tsv"
    tune_qrels = read_qrels(tune_path) if tune_path.exists() and tune_split != split else {}
    if len(tune_qrels) > max_tune_queries:
        keep = sorted(tune_qrels)[:: max(1, len(tune_qrels) // max_tune_queries)][:max_tune_queries]
        tune_qrels = {q: tune_qrels[q] for q in keep}

    def candidates(qids: list[str]) -> tuple[dict[str, Candidates], list[float]]:
        out: dict[str, Candidates] = {}
        times: list[float] = []
        for q in tqdm(qids, desc="queries", disable=not progress):
            t = time.perf_counter()
            scored = retriever.score(queries[q])
            times.append(time.perf_counter() - t)
            out[q] = Candidates(
                [row_doc[r] for r, *_ in scored],
                np.array([d for _, _, d, _ in scored]),
                np.array([b for *_, b in scored]),
                len(retriever.query_tokens(queries[q])),
            )
        return out, times

    test_c, latencies = candidates([q for q in qrels if q in queries])
    tune_c, _ = candidates([q for q in tune_qrels if q in queries]) if tune_qrels else ({}, [])

    def run(cands: dict[str, Candidates], method: str, alpha: float = 0.5) -> dict[str, list[str]]:
        return {
            q: rank_docs(c, fuse(c, method, alpha, s.retrieval.rrf_k, s.retrieval.length_tokens))
            for q, c in cands.items()
        }

    r = s.retrieval
    weighted = r.fusion if r.fusion in ("convex", "zscore", "length") else "convex"
    tuning = []
    best_alpha = r.alpha
    if tune_c:
        for a in ALPHAS:
            tuning.append(
                {"alpha": a, "ndcg@10": metrics(run(tune_c, weighted, a), tune_qrels)["ndcg@10"]}
            )
        best_alpha = max(tuning, key=lambda t: t["ndcg@10"])["alpha"]
    rows = {
        "bm25": metrics(run(test_c, "bm25"), qrels),
        "dense": metrics(run(test_c, "dense"), qrels),
        "hybrid_rrf": metrics(run(test_c, "rrf"), qrels),
        product_label(r): metrics(run(test_c, r.fusion, r.alpha), qrels),
        "hybrid": metrics(run(test_c, weighted, best_alpha), qrels),
    }
    lat = np.array(latencies) * 1000
    return {
        "dataset": folder.name,
        "split": split,
        "tuned_on": f"{tune_split} ({len(tune_c)} queries)" if tune_c else None,
        "alpha": best_alpha,
        "fusion": weighted,
        "results": rows,
        "tuning": tuning,
        "index": {
            "documents": snapshot.n_documents,
            "chunks": snapshot.n_chunks,
            "embedded_chunks": summary.embedded_chunks,
            "seconds": round(index_s, 1),
            "dtype": dtype,
        },
        "query_latency_ms": {
            "p50": float(np.percentile(lat, 50)) if lat.size else None,
            "p95": float(np.percentile(lat, 95)) if lat.size else None,
        },
    }
