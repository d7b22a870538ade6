"""Search and extractive-ask latency on the SciFact index and a 100k-chunk synthetic one.

    python -m rag.bench.latency [--quick] [--threads N] [--chunks 100000]

Each index is measured in its own process (so peak RSS belongs to that index):
``Service`` over the index, the query embedding computed by the real model through
a fresh embedding cache (each test query is new to it), warmed up on train queries
first. The synthetic index is the SciFact index's real chunks and vectors
replicated with shuffled sentence order and small random vector perturbations,
written directly with ``IndexWriter.put_document``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, cast

import numpy as np

from rag.bench.report import add_tag_option, stamp, table, tagged, write_section
from rag.bench.speed import SCIFACT, bench_env, load, pct, peak_rss_mb
from rag.embed import resolve_dtype
from rag.settings import Settings, get_settings

SEED = 7
NOISE = 0.3  # norm of the random perturbation added to each unit vector before renormalising
WARMUP = 20
_SENT = re.compile(r"(?<=[.!?])\s+")


def scifact_index(settings: Settings) -> Path:
    """The index `rag eval retrieval` builds for the shipped embedding precision."""
    from rag.embed import resolve_dtype

    return settings.data_dir / "beir" / f"scifact-{resolve_dtype(settings.embedding.dtype)}"


def wait_for_index(index_dir: Path, minutes: float, marker: Path | None = None) -> None:
    """Wait while a writer is still building ``index_dir`` (a ``gen-*.tmp`` folder exists)."""
    deadline = time.time() + minutes * 60
    while True:
        building = any(index_dir.glob("gen-*.tmp")) or (marker is not None and not marker.exists())
        if (index_dir / "CURRENT").exists() and not building:
            return
        if not building:
            raise SystemExit(
                f"No SciFact index at {index_dir}; build it with "
                "`python -m rag.bench.quality retrieval` first."
            )
        if time.time() > deadline:
            raise SystemExit(f"{index_dir} still being built after {minutes:.0f} min")
        print(f"waiting for the index at {index_dir} to be finished ...", flush=True)
        time.sleep(20)


def queries(split: str) -> list[str]:
    from rag.eval.retrieval import read_jsonl, read_qrels

    text = {str(r["_id"]): r["text"] for r in read_jsonl(SCIFACT / "queries.jsonl")}
    return [text[q] for q in read_qrels(SCIFACT / "qrels" / f"{split}.tsv") if q in text]


# -- synthetic index ------------------------------------------------------------------
def build_synthetic(src: Path, dst: Path, n_chunks: int) -> dict[str, Any]:
    """Replicate ``src``'s chunks (text shuffled by sentence, vectors perturbed) to n_chunks."""
    import faiss

    from rag.records import Chunk, DocMeta, Document
    from rag.store import IndexStore

    gen = src / (src / "CURRENT").read_text().strip()
    manifest = json.loads((gen / "manifest.json").read_text())
    index: Any = faiss.read_index(str(gen / "vectors.faiss"))
    ids = faiss.vector_to_array(index.id_map)
    flat: Any = faiss.downcast_index(index.index)
    vecs = faiss.rev_swig_ptr(flat.get_xb(), index.ntotal * index.d).reshape(index.ntotal, index.d)
    vec_of = {int(i): vecs[j] for j, i in enumerate(ids)}
    db = sqlite3.connect(f"file:{gen / 'meta.sqlite'}?mode=ro", uri=True)
    titles = dict(db.execute("SELECT doc_id, title FROM documents"))
    chunks: dict[str, list[tuple[int, str]]] = {}
    for row_id, doc_id, text in db.execute(
        "SELECT id, doc_id, text FROM chunks ORDER BY doc_id, ordinal"
    ):
        chunks.setdefault(doc_id, []).append((row_id, text))
    db.close()
    rng = np.random.default_rng(SEED)
    t0 = time.perf_counter()
    total = 0
    with IndexStore(dst).writer(manifest["fingerprint"], index.d, rebuild=True) as w:
        r = 0
        while total < n_chunks:
            for doc_id, parts in chunks.items():
                if total >= n_chunks:
                    break
                new_id = doc_id if r == 0 else f"{doc_id}~r{r}"
                texts = []
                for _, t in parts:
                    sents = _SENT.split(t)
                    if r:
                        rng.shuffle(sents)
                    texts.append(" ".join(sents))
                body = "\n\n".join(texts)
                recs, pos = [], 0
                for k, t in enumerate(texts):
                    recs.append(Chunk(new_id, k, t, pos, pos + len(t), None, None))
                    pos += len(t) + 2
                v = np.stack([vec_of[i] for i, _ in parts]).astype(np.float32)
                if r:
                    noise = rng.standard_normal(v.shape).astype(np.float32)
                    v = v + NOISE * noise / np.linalg.norm(noise, axis=1, keepdims=True)
                    v /= np.linalg.norm(v, axis=1, keepdims=True)
                key = f"synthetic:{new_id}"
                digest = hashlib.sha1(body.encode()).hexdigest()
                doc = Document(new_id, key, digest, "text", body, DocMeta(title=titles[doc_id]))
                w.put_document(doc, key, recs, v)
                total += len(recs)
            r += 1
    return {"chunks": total, "replicas": r, "build_s": time.perf_counter() - t0}


PHASES = ("search", "ask", "ask_torch", "ask_before")


# -- measurement (runs in a child process per index) ------------------------------------
def measure(index_dir: Path, threads: int, n_queries: int) -> dict[str, Any]:
    import faiss

    from rag.bench.legacy import LegacyAnswerer
    from rag.embed import CachedEmbedder, EmbeddingCache, make_embedder
    from rag.service import Service

    faiss.omp_set_num_threads(threads)
    base = get_settings()
    # The shipped precision, as the index was built; no cache here (each phase gets a
    # fresh one below). The int8 model file is read from the data folder's cache.
    group = base.embedding.model_copy(update={"cache": False, "threads": threads})
    model = make_embedder(group, cache_dir=base.cache_dir)
    test = queries("test")[:n_queries]
    warm = queries("train")[:WARMUP]
    out: dict[str, Any] = {"queries": len(test)}
    with tempfile.TemporaryDirectory(prefix="bench-latency-") as tmp:
        for phase in PHASES:
            s = base.model_copy(update={"data_dir": Path(tmp) / phase, "index_dir": index_dir})
            if phase == "ask_torch":  # the same reader on torch instead of ONNX Runtime
                answer = s.answer.model_copy(update={"reader_runtime": "torch"})
                s = s.model_copy(update={"answer": answer})
            cache = EmbeddingCache(s.cache_dir / "embeddings.sqlite")
            emb = cast(Any, CachedEmbedder(model, cache))
            # "ask_before": the hand-tuned answerer the reader replaced, same index and queries
            before = LegacyAnswerer(s, embedder=emb) if phase == "ask_before" else None
            svc = Service(s, embedder=emb, answerer=cast(Any, before))
            t0 = time.perf_counter()
            snap = svc.snapshot()
            out["open_s"] = time.perf_counter() - t0
            out["chunks"] = snap.n_chunks
            call = (lambda q: svc.search(q, 5)) if phase == "search" else (lambda q: svc.ask(q))  # noqa: B023
            for q in warm:
                call(q)
            if phase in ("ask", "ask_torch"):  # what the loaded reader runs on, not the setting
                out[f"{phase}_runtime"] = getattr(svc.answerer.reader, "runtime", "?")
            lat = []
            cpu0 = time.process_time()
            for q in test:
                t = time.perf_counter()
                call(q)
                lat.append((time.perf_counter() - t) * 1000)
            cpu_ms = (time.process_time() - cpu0) * 1000 / max(1, len(test))
            out[phase] = {
                "p50": pct(lat, 50),
                "p95": pct(lat, 95),
                "mean": float(np.mean(lat)),
                "cpu_ms": cpu_ms,
            }
            cache.close()
    out["peak_rss_mb"] = peak_rss_mb()
    return out


def child(args: list[str], threads: int) -> dict[str, Any]:
    cmd = [sys.executable, "-m", "rag.bench.latency", *args]
    out = subprocess.run(cmd, env=bench_env(threads), capture_output=True, text=True)
    if out.returncode:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(
        prog="python -m rag.bench.latency",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--quick", action="store_true", help="200 queries instead of all 300")
    p.add_argument("--threads", type=int, default=get_settings().embedding.threads or 2)
    p.add_argument("--chunks", type=int, default=100_000, help="size of the synthetic index")
    p.add_argument(
        "--wait-min", type=float, default=40, help="how long to wait for the SciFact index"
    )
    p.add_argument("--wait-for", type=Path, help="also wait until this file exists")
    add_tag_option(p, "latency")
    p.add_argument("--measure", type=Path, help=argparse.SUPPRESS)
    p.add_argument("--build", nargs=2, type=Path, help=argparse.SUPPRESS)
    p.add_argument("--queries", type=int, default=10_000, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.measure:
        print(json.dumps(measure(args.measure, args.threads, args.queries)))
        return
    if args.build:
        print(json.dumps(build_synthetic(args.build[0], args.build[1], args.chunks)))
        return

    settings = get_settings()
    src = scifact_index(settings)
    wait_for_index(src, args.wait_min, args.wait_for)
    nq = 200 if args.quick else 10_000
    before = load()
    real = child(
        ["--measure", str(src), "--queries", str(nq), "--threads", str(args.threads)], args.threads
    )
    print("scifact", real, flush=True)
    with tempfile.TemporaryDirectory(prefix="bench-synthetic-") as tmp:
        built = child(["--build", str(src), tmp, "--chunks", str(args.chunks)], args.threads)
        print("built", built, flush=True)
        syn = child(
            ["--measure", tmp, "--queries", str(nq), "--threads", str(args.threads)], args.threads
        )
        print("synthetic", syn, flush=True)
    after = load()

    cmd = (
        "python -m rag.bench.latency"
        + (" --quick" if args.quick else "")
        + f" --threads {args.threads}"
        + (f" --tag {args.tag}" if args.tag else "")
    )
    shipped = get_settings().answer
    md = stamp(cmd) + (
        f"\n**Method.** {real['queries']} SciFact test claims, one at a time, through "
        "`Service.search` (k=5), `Service.ask` (extractive, the shipped settings: the reader "
        f"reads the sentences of the top passages, {shipped.reader_precision} on "
        f"{real['ask_runtime']}), `ask_torch` (the same, with the reader on "
        f"{real['ask_torch_runtime']}) "
        "and, as `ask_before`, the hand-tuned "
        "answerer the reader replaced (`rag/bench/legacy.py`) on the same index: the code "
        "path of `POST /search` "
        "and `POST /ask` without HTTP. Each query is embedded by all-MiniLM-L6-v2 "
        f"({resolve_dtype(get_settings().embedding.dtype)}, the shipped precision, as the index "
        f"was built; {args.threads} embedding and FAISS thread(s)) through a fresh embedding "
        "cache, so "
        f"no test query is a cache hit; {WARMUP} train claims warm each phase up first. Hybrid "
        "retrieval: FAISS flat inner product + BM25 (bm25s), 100 candidates each, "
        f"'{get_settings().retrieval.fusion}' fusion. "
        f"The synthetic index replicates the SciFact index's chunks to {syn['chunks']:,} "
        f"({built['replicas']} copies; each copy's sentences shuffled within its chunks and each "
        f"vector moved by a random vector of norm {NOISE}, then renormalised), written directly "
        f"with `IndexWriter.put_document` ({built['build_s']:.0f} s to build). Each index is "
        "measured in its own process; peak RSS is that process's VmHWM (model, index, "
        "query path, and both readers: the ask and ask_torch phases each load one). Load "
        f"average {before} before, {after} after.\n\n"
    )
    rows = []
    for name, r in (("SciFact (5,183 abstracts)", real), ("synthetic", syn)):
        for phase in PHASES:
            m = r[phase]
            rows.append(
                [
                    name,
                    f"{r['chunks']:,}",
                    phase,
                    round(m["p50"], 1),
                    round(m["p95"], 1),
                    round(m["mean"], 1),
                    round(m["cpu_ms"], 1),
                    round(r["peak_rss_mb"]),
                ]
            )
    md += table(
        [
            "index",
            "chunks",
            "call",
            "p50 ms",
            "p95 ms",
            "mean ms",
            "CPU ms per call",
            "peak RSS MiB",
        ],
        rows,
    )
    grow = syn["chunks"] / real["chunks"]
    md += (
        f"\n**Conclusion.** With {grow:.0f}x the chunks ({real['chunks']:,} → {syn['chunks']:,}), "
        f"search p50 goes from {real['search']['p50']:.0f} to {syn['search']['p50']:.0f} ms "
        f"({syn['search']['p50'] / real['search']['p50']:.1f}x) and ask p50 from "
        f"{real['ask']['p50']:.0f} to {syn['ask']['p50']:.0f} ms "
        f"({syn['ask']['p50'] / real['ask']['p50']:.1f}x). On SciFact, reading on "
        f"{real['ask_runtime']} takes ask p50 to {real['ask']['p50']:.0f} ms from "
        f"{real['ask_torch']['p50']:.0f} on torch "
        f"({real['ask']['p50'] / real['ask_torch']['p50']:.2f}x; CPU "
        f"{real['ask']['cpu_ms'] / real['ask_torch']['cpu_ms']:.2f}x). The reader's ask p50 is "
        f"{real['ask']['p50'] / real['ask_before']['p50']:.2f}x the hand-tuned answerer's and "
        f"costs {real['ask']['cpu_ms']:.0f} CPU ms a question against "
        f"{real['ask_before']['cpu_ms']:.0f}. Search is the scale number to trust. "
        "Ask on the synthetic index is understated: its top passages are replicas sharing the "
        "same sentences, which the embedding cache embeds once, so fewer sentences reach the "
        "model; ask cost is dominated by reading the passages' sentences, not the index.\n"
    )
    write_section(tagged("latency", args.tag), md)
    print(md)


if __name__ == "__main__":
    main()
