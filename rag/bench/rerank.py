"""Reranking with the reader on both kinds of corpus, and the choice of its weight.

Usage: python -m rag.bench.rerank [--quick]   (writes the `rerank` section)

The answer stage reranks its candidate passages by ``w * best sentence probability
+ (1 - w) * retrieval score`` (``rag.evidence.rerank``). This bench reads the
product's hybrid candidates with the shipped reader once per query, then scores
every weight on a grid:

- SciFact (abstracts): nDCG@10 of documents in first-passage order, on the train
  subsample the retrieval weights are tuned on and on the test split;
- FinanceBench (long filings): page recall@5/@10 without and with the document
  filter, on the tuning half (documents sorted by name, even positions) and the
  reporting half (odd positions).

The weight is chosen on the mean of SciFact train nDCG@10 and FinanceBench
tuning-half recall@10 (no filter), never on what is reported.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

from rag.answer import model_reader
from rag.bench.report import stamp, table, write_section
from rag.embed import make_embedder, resolve_dtype
from rag.eval.retrieval import ndcg_at, read_jsonl, read_qrels
from rag.evidence import best_per_passage, read_sentences, rerank
from rag.retrieve import Hit, Retriever
from rag.schemas import Filters
from rag.settings import PROJECT_ROOT, Settings, get_settings
from rag.store import IndexStore

SHARED = PROJECT_ROOT.parent / "shared" / "data"
WEIGHTS = [round(w, 2) for w in np.arange(0.0, 1.0001, 0.1)]


def best_probs(
    reader: Any, query: str, hits: Sequence[Hit], snapshot: Any, limit: int
) -> list[float]:
    """Each candidate's best sentence probability, as the answer stage computes it."""
    return best_per_passage(hits, read_sentences(query, hits, snapshot, reader, limit=limit))


def open_retriever(settings: Settings, index_dir: Path) -> Retriever:
    s = settings.with_overrides(index_dir=index_dir)
    store = IndexStore(index_dir)
    embedder = make_embedder(s.embedding, cache_dir=s.cache_dir)
    from ingest.pipeline import fingerprint

    return Retriever(store.open(fingerprint(s, embedder)), embedder, s.retrieval)


def scifact(settings: Settings, reader: Any, quick: bool, n: int) -> dict[str, dict[float, float]]:
    folder = SHARED / "scifact"
    index_dir = settings.data_dir / "beir" / f"scifact-{resolve_dtype(settings.embedding.dtype)}"
    retriever = open_retriever(settings, index_dir)
    queries = {str(r["_id"]): r["text"] for r in read_jsonl(folder / "queries.jsonl")}
    out: dict[str, dict[float, float]] = {}
    for split, limit in (("train", 100 if quick else 200), ("test", 100 if quick else None)):
        qrels = read_qrels(folder / "qrels" / f"{split}.tsv")
        qids = sorted(q for q in qrels if q in queries)
        if limit and len(qids) > limit:
            qids = qids[:: len(qids) // limit][:limit]
        scores: dict[float, list[float]] = {w: [] for w in WEIGHTS}
        for q in tqdm(qids, desc=f"SciFact {split}", leave=False):
            hits = retriever.search(queries[q], n)
            probs = best_probs(reader, queries[q], hits, retriever.snapshot, 8 * n)
            for w in WEIGHTS:
                docs = list(dict.fromkeys(h.chunk.doc_id for h in rerank(hits, probs, w)))
                scores[w].append(ndcg_at(docs, qrels[q], 10))
        out[split] = {w: float(np.mean(v)) for w, v in scores.items()}
    return out


def financebench(settings: Settings, reader: Any, n: int) -> dict[str, dict[float, float]]:
    folder = SHARED / "financebench"
    retriever = open_retriever(settings, settings.data_dir / "bench" / "financebench")
    snap = retriever.snapshot
    ids = {Path(p).stem: d for p, (d, _) in snap.hashes_by_path().items()}
    qs = list(read_jsonl(folder / "questions.jsonl"))
    tune_docs = set(sorted({q["doc_name"] for q in qs})[::2])
    out: dict[str, dict[float, float]] = {}
    rows: dict[tuple[str, bool, int], dict[float, list[float]]] = {}
    for q in tqdm(qs, desc="FinanceBench", leave=False):
        did = ids[q["doc_name"]]
        gold = {e["page"] for e in q["evidence"] if e["doc_name"] == q["doc_name"]}
        half = "tune" if q["doc_name"] in tune_docs else "report"
        for filtered in (False, True):
            hits = retriever.search(q["question"], n, Filters(doc_ids=[did]) if filtered else None)
            probs = best_probs(reader, q["question"], hits, snap, 8 * n)
            for w in WEIGHTS:
                ranked = rerank(hits, probs, w)
                for k in (5, 10):
                    pages: set[int] = set()
                    for h in ranked[:k]:
                        c = h.chunk
                        if c.doc_id == did and c.page_start is not None:
                            pages.update(range(c.page_start, (c.page_end or c.page_start) + 1))
                    for part in (half, "all"):
                        rows.setdefault((part, filtered, k), {x: [] for x in WEIGHTS})[w].append(
                            float(bool(gold & pages))
                        )
    for (part, filtered, k), by_w in rows.items():
        out[f"{part}{' filtered' if filtered else ''} @{k}"] = {
            w: float(np.mean(v)) for w, v in by_w.items()
        }
    return out


def main() -> None:
    quick = "--quick" in sys.argv
    settings = get_settings()
    reader = model_reader(settings)
    n = settings.answer.candidates
    n_fb = 20
    sci = scifact(settings, reader, quick, n)
    fb = financebench(settings, reader, n_fb)
    crit = {w: (sci["train"][w] + fb["tune @10"][w]) / 2 for w in WEIGHTS}
    best = max(WEIGHTS, key=lambda w: (round(crit[w], 6), -abs(w - 0.5)))
    cmd = "python -m rag.bench.rerank" + (" --quick" if quick else "")
    md = stamp(cmd) + (
        "\n**Method.** The product's hybrid candidates (`Retriever.search`, shipped retrieval "
        f"settings), {n} per SciFact claim (the answer stage's `candidates`) and {n_fb} per "
        "FinanceBench question, are read once by the shipped reader "
        f"({settings.answer.reader_precision} on {reader.runtime}; at most 8 sentences "
        "a passage on average); each passage's best sentence probability is fused with its "
        "retrieval score as `w * p + (1 - w) * minmax(score)` (`rag.evidence.rerank`) for "
        "every w on the grid. SciFact: nDCG@10 over documents in first-passage order "
        f"({'100' if quick else '200'} train claims, the test split{' (100)' if quick else ''}). "
        "FinanceBench: page recall@k as in the FinanceBench section, halves by document "
        "(sorted by name; even positions tune, odd report). w is chosen on the mean of "
        "SciFact train nDCG@10 and FinanceBench tuning-half recall@10 without the filter: "
        f"**w = {best}**. w = 0 is retrieval alone.\n\n"
    )
    cols = ["train", "test"]
    fb_cols = ["tune @10", "report @10", "all @10", "all @5", "tune filtered @10",
               "report filtered @10", "all filtered @10", "all filtered @5"]  # fmt: skip
    md += table(
        ["w", "criterion", *[f"SciFact {c} nDCG@10" for c in cols], *[f"FB {c}" for c in fb_cols]],
        [[w, round(crit[w], 4), *[round(sci[c][w], 4) for c in cols],
          *[round(fb[c][w], 3) for c in fb_cols]] for w in WEIGHTS],
    )  # fmt: skip
    write_section("rerank", md)
    print(md)


if __name__ == "__main__":
    main()
