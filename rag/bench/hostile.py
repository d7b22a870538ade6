"""The hardening load run (issue 11): healthy and hostile clients together while
uploads and deletes run, against one ``python -m rag serve`` on 127.0.0.1.

    python -m rag.bench.load --hostile [--seconds 60] [--clients 20] [--light] [--smoke]

The bundled corpus is copied into a temporary corpus folder and indexed (the real
model, or with ``--light`` the hash embedder and the lexical reader). Two phases of
``--seconds`` each: first the healthy mix alone (/search, /ask, /ask with history),
then the same clients with hostile bodies from issue 11 items 1-5 mixed in (a quarter
of the requests). An uploader adds and deletes a small publication every 2 s in both
phases. It passes when neither phase has a 5xx, the healthy p95 with hostile clients is
within 2x the p95 without, the server's RSS (sampled every 0.25 s) stays within 1.5x
its idle RSS after warm-up, and afterwards the manifest, SQLite, FAISS, BM25 and
/health counts agree and POST /reindex finds nothing to change. ``--smoke`` prints
the result without writing BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import secrets
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx

from rag.bench.report import stamp, table, write_section
from rag.bench.server import free_port, stop, wait_healthy
from rag.bench.speed import bench_env, load, pct
from rag.schemas import MAX_DOC_IDS, MAX_MESSAGE_CHARS
from rag.settings import PROJECT_ROOT

UPLOAD_MB = 5  # the server's upload limit in this run, so a refused upload stays cheap
HOSTILE_SHARE = 0.25
Request = tuple[str, str, dict[str, Any]]  # kind, path, httpx request arguments


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


class RssSampler(threading.Thread):
    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid, self.peak, self.stop = pid, 0.0, threading.Event()

    def run(self) -> None:
        while not self.stop.wait(0.25):
            self.peak = max(self.peak, rss_mb(self.pid))


def healthy(questions: list[str], rng: random.Random) -> Request:
    q = rng.choice(questions)
    roll = rng.random()
    if roll < 0.4:
        return "search", "/search", {"json": {"query": q}}
    if roll < 0.7:
        return "ask", "/ask", {"json": {"question": q}}
    history = [{"role": "user", "content": q}, {"role": "assistant", "content": "See [1]."}]
    body = {"question": "and what about its funding?", "history": history}
    return "ask+history", "/ask", {"json": body}


def hostile_requests(key: str) -> list[Callable[[], Request]]:
    """One maker per hostile body (built once; the uploads stream their bytes)."""
    mb_history = json.dumps(
        {"question": "and it?", "history": [{"role": "user", "content": "word " * 210_000}]}
    ).encode()
    capped = {
        "question": "and it?",
        "history": [{"role": "user", "content": ("word " * 800)[:MAX_MESSAGE_CHARS]}] * 20,
    }
    big_search = json.dumps({"query": "x" * 2_000_000}).encode()
    many_ids = json.dumps({"query": "pay", "filters": {"doc_ids": ["d"] * 400_000}}).encode()
    json_headers = {"content-type": "application/json"}

    def stream(n: int) -> AsyncIterator[bytes]:
        async def gen() -> AsyncIterator[bytes]:
            yield (  # a well-formed start, so the server meets the size limit, not a parse error
                b'--b\r\nContent-Disposition: form-data; name="files"; filename="big.txt"\r\n'
                b"Content-Type: text/plain\r\n\r\n"
            )
            block = b"x" * (1 << 20)
            for _ in range(n):
                yield block

        return gen()

    files = {"files": ("a.txt", b"A small upload.\n")}
    return [
        lambda: ("1 MB history", "/ask", {"content": mb_history, "headers": json_headers}),
        lambda: ("20 capped history turns", "/ask", {"json": capped}),
        lambda: ("2 MB query", "/search", {"content": big_search, "headers": json_headers}),
        lambda: ("query over the cap", "/search", {"json": {"query": "pay " * 400}}),
        lambda: ("400k doc_ids", "/search", {"content": many_ids, "headers": json_headers}),
        lambda: (
            "501 doc_ids",
            "/search",
            {"json": {"query": "pay", "filters": {"doc_ids": ["d"] * (MAX_DOC_IDS + 1)}}},
        ),
        lambda: (
            "generator override",
            "/ask",
            {"json": {"question": "pay?", "generator": "openai"}},
        ),
        lambda: ("malformed JSON", "/search", {"content": b"{not json", "headers": json_headers}),
        lambda: ("anonymous upload", "/documents", {"files": files}),
        lambda: (
            "over-limit upload, no length",
            "/documents",
            {
                "content": stream(UPLOAD_MB + 1),
                "headers": {"x-api-key": key, "content-type": "multipart/form-data; boundary=b"},
            },
        ),
    ]


async def phase(
    url: str,
    key: str,
    questions: list[str],
    clients: int,
    seconds: float,
    hostile_share: float,
) -> dict[str, Any]:
    lat: dict[str, list[float]] = {}
    statuses: Counter[str] = Counter()
    by_kind: dict[str, Counter[str]] = {}
    writes: Counter[str] = Counter()
    makers = hostile_requests(key)
    rng = random.Random(0)

    async def worker(client: httpx.AsyncClient, deadline: float) -> None:
        while time.perf_counter() < deadline:
            bad = rng.random() < hostile_share
            kind, path, kwargs = rng.choice(makers)() if bad else healthy(questions, rng)
            t = time.perf_counter()
            try:
                r = await client.post(path, **kwargs)
                code = str(r.status_code)
            except httpx.HTTPError as exc:  # a refused upload may be cut off mid-send
                code = type(exc).__name__
            statuses[code] += 1
            by_kind.setdefault(kind, Counter())[code] += 1
            if not bad and code == "200":
                lat.setdefault("healthy", []).append((time.perf_counter() - t) * 1000)

    async def uploader(client: httpx.AsyncClient, deadline: float) -> None:
        previous: str | None = None
        i = 0
        while time.perf_counter() < deadline:
            i += 1
            text = f"Bench upload {i}\n\nLocal growth note {i} on skills and pay in cities.\n"
            r = await client.post(
                "/documents",
                headers={"x-api-key": key},
                files={"files": (f"bench-{i % 3}.txt", text.encode())},
            )
            writes[f"upload {r.status_code}"] += 1
            doc = r.json()["files"][0].get("doc_id") if r.status_code == 200 else None
            if previous is not None and previous != doc:
                d = await client.delete(f"/documents/{previous}", headers={"x-api-key": key})
                writes[f"delete {d.status_code}"] += 1
            previous = doc
            await asyncio.sleep(2)

    limits = httpx.Limits(max_connections=clients + 2, max_keepalive_connections=clients + 2)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=120) as client:
        t0 = time.perf_counter()
        deadline = t0 + seconds
        await asyncio.gather(
            uploader(client, deadline), *(worker(client, deadline) for _ in range(clients))
        )
        elapsed = time.perf_counter() - t0
    ok = lat.get("healthy", [])
    return {
        "healthy_ok": len(ok),
        "rps": len(ok) / elapsed,
        "p50": pct(ok, 50) if ok else float("nan"),
        "p95": pct(ok, 95) if ok else float("nan"),
        "5xx": sum(n for c, n in statuses.items() if c.startswith("5")),
        "statuses": dict(statuses),
        "by_kind": {k: dict(v) for k, v in sorted(by_kind.items())},
        "writes": dict(writes),
    }


def counts(url: str, key: str, index_dir: Path) -> dict[str, Any]:
    """Every count of the live index, and what a re-index would change (nothing)."""
    from rag.store import IndexStore

    health = httpx.get(f"{url}/health", timeout=60).json()
    snap = IndexStore(index_dir).open()
    try:
        out = {
            "manifest documents": snap.manifest["documents"],
            "SQLite documents": snap._query("SELECT COUNT(*) FROM documents")[0][0],
            "/health documents": health["documents"],
            "manifest chunks": snap.manifest["chunks"],
            "SQLite chunks": snap._query("SELECT COUNT(*) FROM chunks")[0][0],
            "FAISS vectors": snap.n_chunks,
            "BM25 documents": len(snap.bm25_ids),
            "/health chunks": health["chunks"],
        }
    finally:
        snap.close()
    r = httpx.post(f"{url}/reindex", headers={"x-api-key": key}, timeout=300).json()
    out["reindex changes"] = len(r["added"]) + len(r["updated"]) + len(r["removed"])
    return out


def run(args: argparse.Namespace, questions: list[str]) -> None:
    key = secrets.token_hex(16)
    with tempfile.TemporaryDirectory(prefix="bench-hostile-") as tmp:
        corpus = Path(tmp) / "corpus"
        shutil.copytree(PROJECT_ROOT / "corpus", corpus)
        extra = {"RAG_DATA_DIR": tmp, "RAG_CORPUS_DIR": str(corpus), "RAG_API__API_KEY": key,
                 "RAG_API__MAX_UPLOAD_MB": str(UPLOAD_MB)}  # fmt: skip
        if args.light:
            extra |= {"RAG_EMBEDDING__BACKEND": "hash", "RAG_ANSWER__READER": "lexical"}
        env = bench_env(args.threads, **extra)
        subprocess.run([sys.executable, "-m", "rag", "ingest", str(corpus), "--json"],
                       env=env, check=True, capture_output=True)  # fmt: skip
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        log = open(Path(tmp) / "server.log", "wb")  # noqa: SIM115 - closed below
        proc = subprocess.Popen(
            [sys.executable, "-m", "rag", "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=env, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        try:
            wait_healthy(url, proc)
            for q in questions[:10]:  # warm up: the model, the index, the caches
                httpx.post(f"{url}/search", json={"query": q}, timeout=120).raise_for_status()
                httpx.post(f"{url}/ask", json={"question": q}, timeout=120).raise_for_status()
            idle = rss_mb(proc.pid)
            sampler = RssSampler(proc.pid)
            sampler.start()
            before = load()
            base = asyncio.run(phase(url, key, questions, args.clients, args.seconds, 0.0))
            print("without hostile clients", json.dumps(base), flush=True)
            mixed = asyncio.run(
                phase(url, key, questions, args.clients, args.seconds, HOSTILE_SHARE)
            )
            print("with hostile clients", json.dumps(mixed), flush=True)
            sampler.stop.set()
            after = load()
            agree = counts(url, key, Path(tmp) / "index")
            print("counts", json.dumps(agree), flush=True)
        finally:
            stop(proc, log)
            keep = PROJECT_ROOT / "data" / "bench-hostile-server.log"  # for a 5xx's traceback
            keep.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(Path(tmp) / "server.log", keep)
    report(args, base, mixed, idle, sampler.peak, agree, before, after)


def report(
    args: argparse.Namespace,
    base: dict[str, Any],
    mixed: dict[str, Any],
    idle: float,
    peak: float,
    agree: dict[str, Any],
    before: str,
    after: str,
) -> None:
    docs = {v for k, v in agree.items() if k.endswith("documents") and "BM25" not in k}
    chunks = {
        k: v for k, v in agree.items() if "chunks" in k or k in ("FAISS vectors", "BM25 documents")
    }
    ratio = mixed["p95"] / base["p95"] if base["p95"] else float("inf")
    checks = [
        [
            "no 5xx (both phases)",
            base["5xx"] + mixed["5xx"] == 0,
            f"{base['5xx']} + {mixed['5xx']}",
        ],
        [
            "healthy p95 with hostile clients ≤ 2x without",
            ratio <= 2,
            f"{mixed['p95']:.0f} / {base['p95']:.0f} ms = {ratio:.2f}x",
        ],
        [
            "server RSS ≤ 1.5x idle",
            peak <= 1.5 * idle,
            f"{peak:.0f} / {idle:.0f} MiB = {peak / idle:.2f}x",
        ],
        ["counts agree", len(docs) == 1 and len(set(chunks.values())) == 1, json.dumps(agree)],
        ["re-index changes nothing", agree["reindex changes"] == 0, str(agree["reindex changes"])],
    ]
    cmd = (
        f"python -m rag.bench.load --hostile --seconds {args.seconds:g} --clients {args.clients}"
        + (" --light" if args.light else "")
    )
    md = stamp(cmd) + (
        f"\n**Method.** `python -m rag serve` (one uvicorn worker, {args.threads} torch thread(s), "
        f"upload limit {UPLOAD_MB} MB) over a copy of the bundled corpus"
        + (
            " (hash embedder, lexical reader)"
            if args.light
            else " (all-MiniLM-L6-v2, the shipped reader)"
        )
        + f". {args.clients} asyncio httpx clients for {args.seconds:g} s of the healthy mix "
        "(40% /search, 30% /ask, 30% /ask with a two-turn history), then "
        f"{args.seconds:g} s with {HOSTILE_SHARE:.0%} of requests hostile (issue 11 items 1-5: a 1 MB "
        "history, 20 capped turns, a 2 MB query, an over-long query, 400k and 501 doc_ids, a "
        "generator override, malformed JSON, an anonymous upload, an over-limit upload without "
        "Content-Length). In both phases one client uploads a publication and deletes the "
        "previous one every 2 s. Latency is per healthy request as the client sees it; RSS is "
        f"the server's VmRSS sampled every 0.25 s. Load average {before} before, {after} after.\n\n"
    )
    md += table(
        ["check", "pass", "measured"], [[c, "yes" if ok else "**no**", m] for c, ok, m in checks]
    )
    rows = [[name, r["healthy_ok"], round(r["rps"], 1), round(r["p50"], 1), round(r["p95"], 1), r["5xx"],
             json.dumps(r["writes"])] for name, r in (("without hostile", base), ("with hostile", mixed))]  # fmt: skip
    md += "\n" + table(
        ["phase", "healthy 200s", "healthy req/s", "p50 ms", "p95 ms", "5xx", "uploads/deletes"],
        rows,
    )
    md += "\n" + table(["hostile body", "replies"], [[k, json.dumps(v)] for k, v in mixed["by_kind"].items()
                                                      if k not in ("search", "ask", "ask+history")])  # fmt: skip
    if not args.smoke:
        write_section("hardening", md)
    print(md)
    if not all(ok for _, ok, _ in checks):
        raise SystemExit(1)
