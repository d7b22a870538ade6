"""float32 vs bfloat16 embeddings (speed, cosine, nDCG@10): ``python -m rag.bench.quality dtype``."""

from __future__ import annotations

import json
import statistics
import time
from typing import Any

import numpy as np

from rag.bench.common import (
    SCIFACT,
    record_build,
    save_json,
)
from rag.bench.report import stamp, table, write_section
from rag.eval.retrieval import (
    evaluate_beir,
    product_label,
    read_jsonl,
)
from rag.settings import Settings, get_settings


def measure_dtype(quick: bool, settings: Settings) -> dict[str, Any]:
    from rag.embed import SentenceTransformerEmbedder

    n, reps = (200, 1) if quick else (1000, 3)
    texts = []
    for r in read_jsonl(SCIFACT / "corpus.jsonl"):
        texts.append(f"{(r.get('title') or '').strip()}\n{(r.get('text') or '').strip()}")
        if len(texts) == n:
            break
    speed: dict[str, list[float]] = {"float32": [], "bfloat16": []}
    vectors: dict[str, np.ndarray] = {}
    embedders = {
        d: SentenceTransformerEmbedder(
            settings.embedding.model_path, dtype=d, threads=2, batch_size=32
        )
        for d in speed
    }
    for emb in embedders.values():
        emb.embed(texts[:32])  # load and warm up
    for _ in range(reps):  # interleaved, so a neighbour's load hits both dtypes alike
        for dtype, emb in embedders.items():
            t = time.perf_counter()
            vectors[dtype] = emb.embed(texts)
            speed[dtype].append(n / (time.perf_counter() - t))
            print(dtype, round(speed[dtype][-1], 1), flush=True)
    a, b = vectors["float32"], vectors["bfloat16"]
    norms = np.linalg.norm(b, axis=1)  # bf16 normalises in bf16: not exactly unit length
    cos = (a * b).sum(axis=1) / (np.linalg.norm(a, axis=1) * norms)
    evals = {}
    for dtype in ("float32", "bfloat16"):
        emb_settings = settings.embedding.model_copy(update={"dtype": dtype, "threads": 2})
        s_d = settings.with_overrides(embedding=emb_settings)
        evals[dtype] = evaluate_beir(SCIFACT, settings=s_d, split="test")
        record_build(evals[dtype], s_d)
    return {
        "n": n,
        "reps": reps,
        "throughput": speed,
        "cosine": cos.tolist(),
        "norms": [float(norms.min()), float(norms.max())],
        "evals": evals,
    }


def bench_dtype(quick: bool, command: str, from_json: bool = False) -> None:
    settings = get_settings()
    path = settings.data_dir / "bench" / "dtype.json"
    data = json.loads(path.read_text()) if from_json else measure_dtype(quick, settings)
    if not from_json:
        save_json("dtype", data, settings)
    speed, evals, cos = data["throughput"], data["evals"], np.array(data["cosine"])
    product = product_label(settings.retrieval)
    if product not in evals["float32"]["results"]:  # a dtype.json from before the rename
        product = f"hybrid_convex(alpha={settings.retrieval.alpha})"
    tp = {d: statistics.median(v) for d, v in speed.items()}
    ratio = tp["bfloat16"] / tp["float32"]
    d_ndcg = {
        k: evals["bfloat16"]["results"][k]["ndcg@10"] - evals["float32"]["results"][k]["ndcg@10"]
        for k in ("dense", product, "hybrid")
    }
    ok = abs(d_ndcg["dense"]) <= 0.005 and abs(d_ndcg[product]) <= 0.005 and ratio >= 1.5
    rows = [
        [
            d,
            f"{tp[d]:.1f}",
            evals[d]["results"]["dense"]["ndcg@10"],
            evals[d]["results"][product]["ndcg@10"],
            f"{evals[d]['results']['hybrid']['ndcg@10']:.4f} (alpha {evals[d]['alpha']})",
        ]
        for d in ("float32", "bfloat16")
    ]
    md = [
        stamp(command),
        f"**Method.** Throughput: the first {data['n']:,} SciFact abstracts (title + text), embedded "
        "uncached by SentenceTransformerEmbedder with 2 torch threads and batch 32, median of "
        f"{data['reps']} runs after a warm-up batch, the two dtypes' runs interleaved. Cosine: the "
        "same texts' float32 and bfloat16 vectors. Quality: a full SciFact index per dtype (queries "
        f"embedded in the same dtype); hybrid at the product's alpha {settings.retrieval.alpha}, and "
        "with alpha re-tuned on train for each dtype.\n",
        table(
            [
                "dtype",
                "texts/s",
                "dense nDCG@10",
                "hybrid nDCG@10 (product alpha)",
                "hybrid nDCG@10 (alpha tuned per dtype)",
            ],
            rows,
        ),
        f"Speed-up bf16/fp32 {ratio:.2f}x (runs: fp32 {[round(s, 1) for s in speed['float32']]}, "
        f"bf16 {[round(s, 1) for s in speed['bfloat16']]}). Cosine fp32 vs bf16: min {cos.min():.4f}, "
        f"median {np.median(cos):.4f}; bf16 vector norms {data['norms'][0]:.4f} to "
        f"{data['norms'][1]:.4f} (normalised in bf16 precision, so not exactly unit length). "
        f"nDCG@10 change bf16 − fp32: dense {d_ndcg['dense']:+.4f}, hybrid at product alpha "
        f"{d_ndcg[product]:+.4f}, hybrid re-tuned {d_ndcg['hybrid']:+.4f} (train picked a different "
        "alpha for bf16; the train curve is flat there, so that gap is tuning noise, not precision).\n",
        f"**Conclusion.** bfloat16 {'meets' if ok else 'does not meet'} the bar for the default "
        "(dense and product hybrid nDCG@10 within 0.005, ≥1.5x throughput): "
        f"{'make it the default on CPUs with AVX-512 BF16' if ok else 'keep float32'}.",
    ]
    write_section("dtype", "\n".join(md))
