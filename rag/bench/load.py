"""The HTTP API under load: 20 concurrent clients on POST /search, then POST /ask.

    python -m rag.bench.load [--quick] [--seconds 60] [--clients 20] [--threads N]
    python -m rag.bench.load --hostile [--seconds 60] [--light] [--smoke]

``--hostile`` is the hardening run of issue 11 instead (:mod:`rag.bench.hostile`):
healthy and hostile clients mixed while uploads and deletes run.

The bundled corpus is indexed with the real model into a temporary data folder;
``python -m rag serve`` runs over it as a separate process on 127.0.0.1, and an
asyncio httpx client in this process sends random questions from
``rag/eval/questions.jsonl`` for a fixed time per endpoint. Loopback only.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from rag.bench.report import stamp, table, write_section
from rag.bench.server import free_port, stop, wait_healthy
from rag.bench.speed import bench_env, load, pct, peak_rss_mb
from rag.settings import PROJECT_ROOT, get_settings

QUESTIONS = PROJECT_ROOT / "rag" / "eval" / "questions.jsonl"


async def hammer(
    url: str, path: str, field: str, questions: list[str], clients: int, seconds: float
) -> dict[str, Any]:
    lat: list[float] = []
    errors: dict[str, int] = {}
    rng = random.Random(0)

    async def worker(client: httpx.AsyncClient, deadline: float) -> None:
        while time.perf_counter() < deadline:
            q = rng.choice(questions)
            t = time.perf_counter()
            try:
                r = await client.post(path, json={field: q})
                ok = r.status_code == 200
                why = str(r.status_code)
            except httpx.HTTPError as exc:
                ok, why = False, type(exc).__name__
            if ok:
                lat.append((time.perf_counter() - t) * 1000)
            else:
                errors[why] = errors.get(why, 0) + 1

    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=60) as client:
        t0 = time.perf_counter()
        await asyncio.gather(*(worker(client, t0 + seconds) for _ in range(clients)))
        elapsed = time.perf_counter() - t0
    return {
        "ok": len(lat),
        "errors": sum(errors.values()),
        "error_kinds": errors,
        "rps": len(lat) / elapsed,
        "p50": pct(lat, 50) if lat else float("nan"),
        "p95": pct(lat, 95) if lat else float("nan"),
        "p99": pct(lat, 99) if lat else float("nan"),
        "elapsed": elapsed,
    }


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(
        prog="python -m rag.bench.load",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--quick", action="store_true", help="15 s per endpoint instead of 60")
    p.add_argument("--seconds", type=float, default=None, help="seconds per endpoint")
    p.add_argument("--clients", type=int, default=20)
    p.add_argument("--threads", type=int, default=get_settings().embedding.threads or 2)
    p.add_argument("--hostile", action="store_true", help="the hardening run (see above)")
    p.add_argument(
        "--light", action="store_true", help="--hostile with the hash embedder and lexical reader"
    )
    p.add_argument("--smoke", action="store_true", help="--hostile without writing BENCHMARKS.md")
    args = p.parse_args(argv)
    seconds = args.seconds or (15.0 if args.quick else 60.0)
    questions = [
        json.loads(line)["question"] for line in QUESTIONS.read_text().splitlines() if line.strip()
    ]
    if args.hostile:
        from rag.bench import hostile

        args.seconds = seconds
        hostile.run(args, questions)
        return

    results: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory(prefix="bench-load-") as tmp:
        env = bench_env(args.threads, RAG_DATA_DIR=tmp)
        subprocess.run(
            [sys.executable, "-m", "rag", "ingest", str(PROJECT_ROOT / "corpus"), "--json"],
            env=env,
            check=True,
            capture_output=True,
        )
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        log = open(Path(tmp) / "server.log", "wb")  # noqa: SIM115 - closed below
        proc = subprocess.Popen(
            [sys.executable, "-m", "rag", "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            wait_healthy(url, proc)
            before = load()
            for q in questions[:10]:  # load the model and the index, warm the caches a little
                httpx.post(f"{url}/search", json={"query": q}, timeout=60).raise_for_status()
                httpx.post(f"{url}/ask", json={"question": q}, timeout=60).raise_for_status()
            rss_idle = peak_rss_mb(proc.pid)
            for path, field in (("/search", "query"), ("/ask", "question")):
                results[path] = asyncio.run(
                    hammer(url, path, field, questions, args.clients, seconds)
                )
                print(path, results[path], flush=True)
            rss = peak_rss_mb(proc.pid)
            after = load()
        finally:
            stop(proc, log)

    cmd = (
        "python -m rag.bench.load"
        + (" --quick" if args.quick else "")
        + f" --threads {args.threads}"
    )
    md = stamp(cmd) + (
        "\n**Method.** `python -m rag serve` (uvicorn, one worker, "
        f"{args.threads} torch thread(s)) runs as its own process on 127.0.0.1 over the "
        "bundled corpus, indexed with the real "
        "all-MiniLM-L6-v2 into a temporary data folder. An asyncio httpx client with "
        f"{args.clients} "
        f"concurrent connections sends POST /search for {seconds:.0f} s, then POST /ask "
        f"(extractive) for {seconds:.0f} s, each request a random one of the {len(questions)} "
        "questions in `rag/eval/questions.jsonl` (no history). Latency is per request as the "
        "client sees it, queueing included. The questions repeat, so after the first few seconds "
        "their vectors come from the embedding cache, as a repeated question's would in "
        "production. Client and server share the machine's 2 cores. Peak RSS is the server's "
        f"VmHWM ({rss_idle:.0f} MiB after warm-up). Load average {before} before, "
        f"{after} after.\n\n"
    )
    rows = [
        [
            path,
            r["ok"],
            round(r["rps"], 1),
            round(r["p50"], 1),
            round(r["p95"], 1),
            round(r["p99"], 1),
            r["errors"],
            round(rss),
        ]
        for path, r in results.items()
    ]
    md += table(
        [
            "endpoint",
            "requests",
            "requests/s",
            "p50 ms",
            "p95 ms",
            "p99 ms",
            "errors",
            "server peak RSS MiB",
        ],
        rows,
    )
    errs = sum(r["errors"] for r in results.values())
    md += (
        f"\n**Conclusion.** One server process sustains {results['/search']['rps']:.0f} searches/s "
        f"and {results['/ask']['rps']:.0f} answers/s with {args.clients} clients, {errs} errors, "
        f"in {rss:.0f} MiB. This is the small bundled corpus with repeated questions (cached "
        "query vectors): an upper bound on throughput, not the cost of a new question over a "
        "large index (see the latency section).\n"
    )
    write_section("load", md)
    print(md)


if __name__ == "__main__":
    main()
