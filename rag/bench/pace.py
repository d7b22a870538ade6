"""Indexing at the hardware's pace, measured as a user would; each part writes its section.

    python -m rag.bench.pace docs      # 1,500 cut SciFact abstracts: `rag ingest` per precision
                                       # vs plain SentenceTransformer.encode; query p50
    python -m rag.bench.pace archive   # FinanceBench PDFs and SciFact as text files, today's
                                       # code (git HEAD) vs this tree: chunks/s, MB/s, memory
    python -m rag.bench.pace quality   # SciFact nDCG@10 per precision (int8 vs float32)
    python -m rag.bench.pace all       # the three in turn

``--quick`` runs tiny versions (a smoke test; it writes no section unless ``--write``).
Every timed run is a fresh process from an empty data folder (so an empty embedding
cache), model load included, its wall time taken from outside; peak memory is the
largest resident set of the process and its parsing workers (``wait4``).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from rag.bench.report import add_tag_option, stamp, table, tagged, write_section
from rag.settings import PROJECT_ROOT

SHARED = PROJECT_ROOT.parent / "shared" / "data"
SCIFACT = SHARED / "scifact"
PDFS = SHARED / "financebench" / "pdfs"
PRECISIONS = ("float32", "bfloat16", "int8")
BASELINE = """
import json, sys
import numpy as np
from sentence_transformers import SentenceTransformer
from rag.embed import default_model_path
texts = json.load(open(sys.argv[1]))
model = SentenceTransformer(str(default_model_path()), device="cpu", local_files_only=True)
vecs = model.encode(texts, batch_size=32, normalize_embeddings=True, show_progress_bar=False)
np.save(sys.argv[2], np.asarray(vecs, dtype=np.float32))
"""
# Run inside either tree (today's HEAD or this one): page recall from a built index.
RECALL = """
import json, sys
from pathlib import Path
from rag.embed import make_embedder
from rag.retrieve import Retriever
from rag.schemas import Filters
from rag.settings import Settings
from rag.store import IndexStore
s = Settings()
snap = IndexStore(s.resolved_index_dir).open()
ret = Retriever(snap, make_embedder(s.embedding, cache_dir=s.cache_dir), s.retrieval)
ids = {Path(p).stem: d for p, (d, _) in snap.hashes_by_path().items()}
qs = [json.loads(x) for x in open(sys.argv[1]) if x.strip()]
qs = [q for q in qs if q["doc_name"] in ids]
out = {}
for filtered in (False, True):
    hits = {5: 0, 10: 0}
    for q in qs:
        did = ids[q["doc_name"]]
        found = ret.search(q["question"], k=10, filters=Filters(doc_ids=[did]) if filtered else None)
        gold = {e["page"] for e in q["evidence"] if e["doc_name"] == q["doc_name"]}
        for k in hits:
            pages = set()
            for h in found[:k]:
                if h.chunk.doc_id == did and h.chunk.page_start is not None:
                    pages.update(range(h.chunk.page_start, (h.chunk.page_end or h.chunk.page_start) + 1))
            hits[k] += bool(gold & pages)
    out["filtered" if filtered else "unfiltered"] = {k: v / max(1, len(qs)) for k, v in hits.items()}
out["questions"] = len(qs)
print(json.dumps(out))
"""


def load() -> str:
    return "/".join(f"{x:.1f}" for x in os.getloadavg())


def training_running() -> bool:
    found = subprocess.run(["pgrep", "-f", "rag.reader.train"], capture_output=True, text=True)
    return bool(found.stdout.strip())


# Launches the command from a small process and reports its rusage: a child forked from
# this (large) process would count this process's memory in its own peak.
MEASURE = """
import json, os, subprocess, sys
proc = subprocess.Popen(sys.argv[2:])
_, status, usage = os.wait4(proc.pid, 0)
json.dump({"rc": os.waitstatus_to_exitcode(status), "maxrss_kb": usage.ru_maxrss},
          open(sys.argv[1], "w"))
"""


def timed(cmd: list[str], env: dict[str, str], cwd: Path = PROJECT_ROOT) -> dict[str, Any]:
    """Run ``cmd`` to completion: wall seconds, peak RSS (MiB) of it and its parsing workers
    (``wait4``), its standard output."""
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "rusage.json"
        wrapped = [sys.executable, "-c", MEASURE, str(report), *cmd]
        t = time.perf_counter()
        done = subprocess.run(wrapped, env=env, cwd=cwd, capture_output=True, text=True)
        wall = time.perf_counter() - t
        usage = json.loads(report.read_text()) if report.exists() else {"rc": done.returncode}
    if usage["rc"] not in (0, 2):
        raise RuntimeError(f"{' '.join(cmd)} failed ({usage['rc']}): {done.stderr[-2000:]}")
    return {"wall_s": wall, "peak_mb": usage["maxrss_kb"] / 1024, "stdout": done.stdout}


def env_for(data: Path, **settings: str) -> dict[str, str]:
    # Neither side inherits a thread cap (OMP_NUM_THREADS) or RAG_ settings from the caller.
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("RAG_") and k not in ("OMP_NUM_THREADS", "MKL_NUM_THREADS")
    }
    env.update(HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", RAG_DATA_DIR=str(data))
    env.update({f"RAG_{k.upper()}": v for k, v in settings.items()})
    return env


def scifact_rows(n: int | None) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    with open(SCIFACT / "corpus.jsonl", encoding="utf-8") as f:
        for line in f:
            r = json.loads(line)
            if (r.get("text") or "").strip():
                rows.append(r)
            if n is not None and len(rows) == n:
                break
    return rows


def write_texts(folder: Path, rows: list[dict[str, Any]], words: int | None) -> list[str]:
    """One ``.txt`` per abstract (cut to ``words``) with a ``.meta.json`` title sidecar;
    returns the ``title\\ntext`` strings the baseline embeds."""
    folder.mkdir(parents=True, exist_ok=True)
    texts = []
    for r in rows:
        body = " ".join(r["text"].split()[:words]) if words else r["text"].strip()
        title = (r.get("title") or "").strip()
        (folder / f"{r['_id']}.txt").write_text(body + "\n", encoding="utf-8")
        (folder / f"{r['_id']}.meta.json").write_text(json.dumps({"title": title}))
        texts.append(f"{title}\n{body}")
    return texts


def int8_model(work: Path) -> tuple[Path, float]:
    """The int8 model built once (as on a first run) into ``work``; its folder and seconds."""
    from rag.embed import MODEL_NAME, default_model_path
    from rag.embed_int8 import OpenVinoInt8Embedder

    folder = work / "int8-model"
    t = time.perf_counter()
    OpenVinoInt8Embedder(default_model_path(), name=MODEL_NAME, artifact_dir=folder).artifact()
    return folder, time.perf_counter() - t


def seed_int8(data: Path, model: Path | None) -> None:
    """Put the built int8 model where a data folder keeps it; its embedding cache stays empty."""
    if model is not None:
        shutil.copytree(model, data / "cache" / "onnx")


def rag_ingest(
    folder: Path,
    data: Path,
    cwd: Path = PROJECT_ROOT,
    int8: Path | None = None,
    **settings: str,
) -> dict[str, Any]:
    if settings.get("embedding__dtype") == "int8":
        seed_int8(data, int8)
    cmd = [sys.executable, "-m", "rag", "ingest", str(folder), "--json"]
    run = timed(cmd, env_for(data, **settings), cwd=cwd)
    summary = json.loads(run.pop("stdout"))
    run.update(files=len(summary["added"]), failed=len(summary["failed"]))
    run["embedded"] = summary.get("embedded_chunks")
    return run


def index_vectors(data: Path, folder: Path) -> tuple[dict[str, np.ndarray], int]:
    """Each single-chunk document's vector by file stem, and the number of chunks."""
    from ingest.pipeline import make_doc_id
    from rag.store import IndexStore

    snap = IndexStore(data / "index").open()
    try:
        by_doc: dict[str, list[int]] = {}
        for row, doc_id, *_ in snap.chunk_table():
            by_doc.setdefault(doc_id, []).append(row)
        stem = {make_doc_id(str(p.resolve())): p.stem for p in folder.glob("*.txt")}
        vecs = {
            stem[d]: np.asarray(snap.vectors.reconstruct(int(rows[0])))
            for d, rows in by_doc.items()
            if len(rows) == 1 and d in stem
        }
        return vecs, snap.n_chunks
    finally:
        snap.close()


def query_p50(
    queries: list[str], reps: int = 2, precisions: tuple[str, ...] = PRECISIONS
) -> dict[str, float]:
    """Per precision: p50 ms of embedding one new query (no cache), rounds alternated."""
    from rag.embed import make_embedder
    from rag.settings import EmbeddingSettings

    with tempfile.TemporaryDirectory() as tmp:
        embs = {
            p: make_embedder(EmbeddingSettings(dtype=p, cache=False), cache_dir=Path(tmp))
            for p in precisions
        }
        times: dict[str, list[float]] = {p: [] for p in precisions}
        for e in embs.values():
            e.embed(queries[:5])  # load, warm up
        part = max(1, len(queries) // reps)
        for r in range(reps):
            for p in precisions if r % 2 == 0 else precisions[::-1]:
                for q in queries[r * part : (r + 1) * part]:
                    t = time.perf_counter()
                    embs[p].embed([q])
                    times[p].append((time.perf_counter() - t) * 1000)
    return {p: statistics.median(v) for p, v in times.items()}


# -- docs: 1,500 cut abstracts -------------------------------------------------------
def bench_docs(
    n: int, words: int, reps: int, precisions: tuple[str, ...] = PRECISIONS
) -> dict[str, Any]:
    work = Path(tempfile.mkdtemp(prefix="pace-docs-"))
    folder = work / "abstracts"
    texts = write_texts(folder, scifact_rows(n), words)
    (work / "texts.json").write_text(json.dumps(texts))
    int8, build_s = int8_model(work)
    runs: dict[str, list[dict[str, Any]]] = {"plain": [], **{p: [] for p in precisions}}
    order = ["plain", *precisions]
    base_vecs: np.ndarray | None = None
    chunks: dict[str, int] = {}
    before = load()
    for r in range(reps):
        for name in order if r % 2 == 0 else order[::-1]:
            data = work / f"data-{name}-{r}"
            if name == "plain":
                npy = work / f"plain-{r}.npy"
                run = timed(
                    [sys.executable, "-c", BASELINE, str(work / "texts.json"), str(npy)],
                    env_for(data),
                )
                run.pop("stdout")
                base_vecs = np.load(npy)
            else:
                run = rag_ingest(folder, data, int8=int8, embedding__dtype=name)
                _, chunks[name] = index_vectors(data, folder)
            print(name, r, {k: v for k, v in run.items() if k != "stdout"}, flush=True)
            runs[name].append(run)
    assert base_vecs is not None
    # cosines against plain float32 encode of the same strings (single-chunk documents)
    cos_to_plain: dict[str, dict[str, float]] = {}
    ids = [str(r["_id"]) for r in scifact_rows(n)]
    for name in precisions:
        vecs, _ = index_vectors(work / f"data-{name}-{reps - 1}", folder)
        c = [float(vecs[i] @ base_vecs[k]) for k, i in enumerate(ids) if i in vecs]
        cos_to_plain[name] = {
            "min": min(c),
            "median": statistics.median(c),
            "docs": len(c),
        }
    queries = [json.loads(x)["text"] for x in open(SCIFACT / "queries.jsonl")][
        : 20 if n < 100 else 200
    ]
    p50 = query_p50(queries, precisions=precisions)
    return {
        "n": n,
        "words": words,
        "precisions": list(precisions),
        "reps": reps,
        "runs": runs,
        "chunks": chunks,
        "cosine_to_plain": cos_to_plain,
        "query_p50_ms": p50,
        "int8_build_s": build_s,
        "load_before": before,
        "load_after": load(),
        "training": training_running(),
        "work": str(work),
    }


def training_note(res: dict[str, Any]) -> str:
    """The run's word on whether the reader training shared the cores."""
    if res["training"]:
        return "The reader training (`rag.reader.train`) was still running on both cores."
    return "No training was running."


def docs_markdown(res: dict[str, Any], command: str) -> str:
    med = {k: statistics.median(r["wall_s"] for r in v) for k, v in res["runs"].items()}
    n = res["n"]
    precisions = res.get("precisions", PRECISIONS)
    rows = []
    for name in ("plain", *precisions):
        walls = [round(r["wall_s"], 1) for r in res["runs"][name]]
        peak = max(r["peak_mb"] for r in res["runs"][name])
        ch = res["chunks"].get(name, n)
        cos = res["cosine_to_plain"].get(name)
        rows.append(
            [
                "plain `SentenceTransformer.encode` float32"
                if name == "plain"
                else f"`rag ingest`, {name}",
                ch,
                med[name],
                " / ".join(map(str, walls)),
                n / med[name],
                med["plain"] / med[name],
                round(peak),
                f"{cos['min']:.4f} / {cos['median']:.4f}" if cos else "1 (itself)",
                f"{res['query_p50_ms'][name]:.1f}" if name != "plain" else "-",
            ]
        )
    t = table(
        [
            "run",
            "chunks",
            "median wall s",
            "runs s",
            "docs/s",
            "x plain",
            "peak RSS MiB",
            "cosine to plain min / median",
            "query embed p50 ms",
        ],
        rows,
    )
    busy = training_note(res)
    return (
        stamp(command)
        + f"\n**Method.** The first {n:,} abstracts of SciFact's corpus, each cut to its first "
        f"{res['words']} words, written as `.txt` files with a `.meta.json` title sidecar. "
        "*Plain* is a fresh Python process that loads all-MiniLM-L6-v2 with "
        "sentence-transformers (float32) and encodes the same `title\\ntext` strings "
        "(batch 32); each *`rag ingest`* row is a fresh `python -m rag ingest FOLDER --json` "
        "with `RAG_EMBEDDING__DTYPE` set and its own empty data folder (empty embedding "
        "cache). Both sides include interpreter start, imports and model load; wall time "
        f"is measured from outside. {res['reps']} repetitions, order alternated "
        f"({', '.join(['plain', *precisions])}, then reversed); "
        "medians. Cosine: each single-chunk "
        "document's stored vector against the plain float32 vector of the same string. "
        "The int8 model is built once before the runs (as on a first use: "
        f"{res['int8_build_s']:.0f} s, from the installed weights) and copied into each "
        "int8 data folder; the embedding cache starts empty. "
        "Query p50: 200 SciFact claims embedded one at a time, uncached, in-process, "
        f"precisions alternated per round. Load average {res['load_before']} before, "
        f"{res['load_after']} after. {busy}\n\n" + t
    )


# -- archive: FinanceBench PDFs and SciFact as text files ----------------------------
def today_tree(rev: str) -> Path:
    """``rev``'s committed tree exported to a temporary folder (read-only use of git)."""
    dest = Path(tempfile.mkdtemp(prefix="pace-today-"))
    archive = subprocess.run(
        ["git", "archive", rev], cwd=PROJECT_ROOT, capture_output=True, check=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(dest)], input=archive, check=True)
    return dest


def page_recall(data: Path, cwd: Path, **settings: str) -> dict[str, Any]:
    qs = SHARED / "financebench" / "questions.jsonl"
    out = timed([sys.executable, "-c", RECALL, str(qs)], env_for(data, **settings), cwd=cwd)
    return dict(json.loads(out["stdout"].strip().splitlines()[-1]))


def pdf_pages(pdfs: list[Path]) -> int:
    from pypdf import PdfReader

    return sum(len(PdfReader(str(p)).pages) for p in pdfs)


def bench_archive(quick: bool, rev: str, dtype: str, n_text: int | None) -> dict[str, Any]:
    work = Path(tempfile.mkdtemp(prefix="pace-archive-"))
    pdfs = sorted(PDFS.glob("*.pdf"))
    if quick:
        pdfs = [p for p in pdfs if p.name.startswith(("ULTABEAUTY", "BESTBUY_2024Q2"))]
    pdf_dir = work / "pdfs"
    pdf_dir.mkdir()
    for p in pdfs:
        shutil.copy(p, pdf_dir / p.name)  # copies: a link out of the folder is refused
    pdf_dir = pdf_dir.resolve()
    pdf_mb = sum(p.stat().st_size for p in pdfs) / 1e6
    pages = pdf_pages(pdfs)
    text_dir = work / "scifact"
    write_texts(text_dir, scifact_rows(300 if quick else n_text), None)
    text_mb = sum(p.stat().st_size for p in text_dir.glob("*.txt")) / 1e6
    revs = [r for r in rev.split(",") if r]
    olds: list[tuple[str, Path, dict[str, str]]] = [
        (f"{r} (its default precision)", today_tree(r), {}) for r in revs
    ]
    int8, _ = int8_model(work)
    before = load()
    runs: list[dict[str, Any]] = []
    this: tuple[str, Path, dict[str, str]] = (
        f"this tree, {dtype}",
        PROJECT_ROOT,
        {"embedding__dtype": dtype},
    )
    for label, cwd, settings in [*olds, this]:
        for corpus, folder, mb in (
            ("FinanceBench PDFs", pdf_dir, pdf_mb),
            ("SciFact text", text_dir, text_mb),
        ):
            data = work / f"data-{len(runs)}"
            run = rag_ingest(folder, data, cwd=cwd, int8=int8, **settings)
            from rag.store import IndexStore

            snap = IndexStore(data / "index").open()
            run.update(chunks=snap.n_chunks, label=label, corpus=corpus, mb=mb)
            snap.close()
            if folder == pdf_dir:
                run["recall"] = page_recall(data, cwd, **settings)
            print(run, flush=True)
            runs.append(run)
    return {
        "runs": runs,
        "pdfs": [p.name for p in pdfs],
        "pages": pages,
        "load_before": before,
        "load_after": load(),
        "training": training_running(),
        "rev": rev,
        "revs": revs,
    }


def archive_markdown(res: dict[str, Any], command: str) -> str:
    n_pdf, pages = len(res["pdfs"]), res["pages"]
    rows = []
    for r in res["runs"]:
        rec = r.get("recall")
        per_report = r["wall_s"] / n_pdf if r["corpus"].startswith("Finance") else None
        rows.append(
            [
                r["label"],
                r["corpus"],
                r["files"],
                r["chunks"],
                r["wall_s"],
                r["chunks"] / r["wall_s"],
                r["mb"] / r["wall_s"],
                round(r["peak_mb"]),
                f"{per_report * 1000 / 3600:.2f} h" if per_report else "-",
                f"{r['wall_s'] / pages * 40 * 1000 / 3600:.2f} h" if per_report else "-",
                (
                    f"{rec['unfiltered']['5']:.3f} / {rec['unfiltered']['10']:.3f} / "
                    f"{rec['filtered']['5']:.3f} / {rec['filtered']['10']:.3f}"
                )
                if rec
                else "-",
            ]
        )
    fb = [r for r in res["runs"] if r["corpus"].startswith("Finance")]
    ratios = "; ".join(
        f"this tree ÷ {old['label'].split(' ')[0]}: {fb[-1]['wall_s'] / old['wall_s']:.2f}"
        for old in fb[:-1]
    )
    busy = training_note(res)
    return (
        stamp(command)
        + f"\n**Method.** `python -m rag ingest FOLDER --json`, each run a fresh process with an "
        f"empty data folder, model load included, wall time from outside: the {n_pdf} "
        f"FinanceBench PDFs ({pages:,} pages; MB/s counts PDF bytes) and SciFact abstracts "
        "as `.txt` files with title sidecars (MB/s counts text bytes). Each earlier commit "
        f"({', '.join(res.get('revs', [res['rev']]))}) is exported with `git archive` and run "
        "from its own folder at its own defaults; *this tree* runs from the working tree in "
        "the precision shown. Peak RSS is the largest "
        "resident set of the process and its workers. Projection: wall time per "
        f"FinanceBench report x 1,000, and per page x 40 pages x 1,000. Page recall: the "
        "FinanceBench questions against the index just built (@5 / @10 unfiltered, then "
        f"filtered to the question's document). Load average {res['load_before']} before, "
        f"{res['load_after']} after. {busy}\n\n"
        + table(
            [
                "code",
                "corpus",
                "files",
                "chunks",
                "wall s",
                "chunks/s",
                "MB/s",
                "peak RSS MiB",
                "1,000 such reports",
                "1,000 40-page reports",
                "page recall u@5 / u@10 / f@5 / f@10",
            ],
            rows,
        )
        + f"\nFinanceBench wall time, {ratios}.\n"
    )


# -- quality: SciFact nDCG per precision ---------------------------------------------
def mini_beir(dest: Path, n: int) -> Path:
    """The first ``n`` SciFact documents with the queries judged on them (a smoke test)."""
    (dest / "qrels").mkdir(parents=True)
    rows = scifact_rows(n)
    keep = {str(r["_id"]) for r in rows}
    (dest / "corpus.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    (dest / "queries.jsonl").write_text((SCIFACT / "queries.jsonl").read_text())
    for split in ("train", "test"):
        lines = (SCIFACT / "qrels" / f"{split}.tsv").read_text().splitlines()
        kept = [x for x in lines[1:] if x.split("\t")[1] in keep]
        (dest / "qrels" / f"{split}.tsv").write_text("\n".join([lines[0], *kept]) + "\n")
    return dest


def bench_quality(precisions: tuple[str, ...], quick: bool) -> dict[str, Any]:
    from rag.eval.retrieval import evaluate_beir
    from rag.settings import Settings

    out: dict[str, Any] = {}
    tmp = Path(tempfile.mkdtemp(prefix="pace-quality-"))
    folder = mini_beir(tmp / "scifact-mini", 200) if quick else SCIFACT
    for p in precisions:
        s = Settings(data_dir=tmp / "data") if quick else Settings()
        s = s.with_overrides(embedding=s.embedding.model_copy(update={"dtype": p}))
        res = evaluate_beir(folder, settings=s, split="test", progress=False)
        out[p] = {"results": res["results"], "index": res["index"], "alpha": res["alpha"]}
        print(p, json.dumps(out[p]["results"]), flush=True)
    return out


def quality_markdown(res: dict[str, Any], command: str) -> str:
    names = list(next(iter(res.values()))["results"])
    rows = [
        [p, r["index"]["chunks"], *(r["results"][n]["ndcg@10"] for n in names)]
        for p, r in res.items()
    ]
    return (
        stamp(command)
        + "\n**Method.** The full SciFact corpus indexed by the product pipeline in each "
        "precision (documents that fit the window whole, queries embedded in the same "
        "precision), scored on the 300 test claims as in the retrieval section (`hybrid`: "
        "alpha tuned on train).\n\n"
        + table(["precision", "chunks", *(f"{n} nDCG@10" for n in names)], rows)
    )


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m rag.bench.pace", description=__doc__)
    p.add_argument("part", choices=["docs", "archive", "quality", "all"])
    p.add_argument("--quick", action="store_true", help="tiny sizes: a smoke test")
    p.add_argument("--write", action="store_true", help="write the section even with --quick")
    p.add_argument("--reps", type=int, default=2)
    p.add_argument(
        "--rev", default="HEAD", help="earlier commit(s), comma-separated, to compare with"
    )
    p.add_argument("--dtype", default="int8", help="this tree's precision in the archive run")
    p.add_argument(
        "--scifact-docs", type=int, default=None, help="archive: the first N abstracts (all)"
    )
    p.add_argument(
        "--precisions",
        default=",".join(PRECISIONS),
        help="docs: the precisions of `rag ingest` to run, comma-separated",
    )
    add_tag_option(p, "pace-PART")
    args = p.parse_args(argv)
    command = "python -m rag.bench.pace " + " ".join(argv if argv is not None else sys.argv[1:])
    write = args.write or not args.quick
    results = PROJECT_ROOT / "data" / "bench"
    results.mkdir(parents=True, exist_ok=True)
    parts = ["docs", "archive", "quality"] if args.part == "all" else [args.part]
    for part in parts:
        if part == "docs":
            res = bench_docs(
                40 if args.quick else 1500,
                150,
                1 if args.quick else args.reps,
                tuple(args.precisions.split(",")),
            )
            md = docs_markdown(res, command)
        elif part == "archive":
            res = bench_archive(args.quick, args.rev, args.dtype, args.scifact_docs)
            md = archive_markdown(res, command)
        else:
            res = bench_quality(PRECISIONS if not args.quick else ("int8",), args.quick)
            md = quality_markdown(res, command)
        name = tagged(f"pace-{part}", args.tag)
        (results / f"{name}.json").write_text(json.dumps(res, indent=1, default=str))
        print(md)
        if write:
            write_section(name, md)
    return 0


if __name__ == "__main__":
    sys.exit(main())
