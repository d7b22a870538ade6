"""Run every benchmark in turn, each in its own process, and say what was written.

    python -m rag.bench.all                     # everything, under an hour on a 2-core VM
    python -m rag.bench.all --quick             # smaller versions of each
    python -m rag.bench.all --full              # long versions (full ingest, 1M scale, txtai)
    python -m rag.bench.all --only latency load
    python -m rag.bench.all --skip txtai scale

A benchmark whose module (or optional dependency) is missing is reported as
"not run"; one that fails or runs past ``--timeout-min`` is reported and the rest
still run. The summary lists the BENCHMARKS.md sections each step changed.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import re
import signal
import subprocess
import sys
import time
from dataclasses import dataclass

from rag.bench.report import BENCHMARKS


@dataclass(frozen=True)
class Step:
    name: str
    args: tuple[str, ...]  # module, then its arguments
    quick: bool = True  # accepts --quick
    full: bool = False  # accepts --full
    quick_by_default: bool = False  # long unless --full: run with --quick by default
    needs: str | None = None  # an optional dependency


STEPS = (
    Step("reader", ("rag.bench.reader",)),
    Step("answers", ("rag.bench.answers",), quick=False),
    Step("retrieval", ("rag.bench.quality", "retrieval")),
    Step("dtype", ("rag.bench.quality", "dtype")),
    Step("chunking", ("rag.bench.quality", "chunking")),
    Step("financebench", ("rag.bench.quality", "financebench")),
    Step("txtai", ("rag.bench.txtai_peer", "--rebuild-ours"), needs="txtai"),
    Step("scale", ("rag.bench.scale",), quick_by_default=True),
    Step("ingest", ("rag.bench.speed", "ingest"), quick=False, full=True),
    Step("noop", ("rag.bench.speed", "noop")),
    Step("latency", ("rag.bench.latency",)),
    Step("load", ("rag.bench.load",)),
    Step("pace", ("rag.bench.pace", "all")),
)


def sections() -> dict[str, str]:
    text = BENCHMARKS.read_text(encoding="utf-8") if BENCHMARKS.exists() else ""
    pattern = r"<!-- bench:(\w+):start -->(.*?)<!-- bench:\1:end -->"
    return {m.group(1): m.group(2) for m in re.finditer(pattern, text, re.S)}


def command(step: Step, *, quick: bool, full: bool) -> list[str]:
    cmd = [sys.executable, "-m", *step.args]
    if step.full and full:
        cmd.append("--full")
    if step.quick and (quick or (step.quick_by_default and not full)):
        cmd.append("--quick")
    return cmd


def run(step: Step, cmd: list[str], timeout_s: float) -> str:
    module = step.args[0]
    if importlib.util.find_spec(module) is None:
        return f"not run ({module} does not exist)"
    if step.needs and importlib.util.find_spec(step.needs) is None:
        return f"not run ({step.needs} not installed: pip install -e '.[bench]')"
    proc = subprocess.Popen(cmd, start_new_session=True)
    try:
        rc = proc.wait(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        return f"stopped after {timeout_s / 60:.0f} min"
    except KeyboardInterrupt:
        os.killpg(proc.pid, signal.SIGTERM)
        raise
    if rc == 2:
        return "not run (its command line refused these arguments)"
    return "ok" if rc == 0 else f"failed (exit {rc})"


def main(argv: list[str] | None = None) -> int:
    names = [s.name for s in STEPS]
    p = argparse.ArgumentParser(
        prog="python -m rag.bench.all",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--quick", action="store_true", help="pass --quick to every benchmark")
    p.add_argument("--full", action="store_true", help="the long versions where there are any")
    p.add_argument(
        "--only", nargs="+", choices=names, metavar="NAME", help=f"from: {' '.join(names)}"
    )
    p.add_argument("--skip", nargs="+", choices=names, default=[], metavar="NAME")
    p.add_argument(
        "--timeout-min", type=float, default=30, help="stop one benchmark after this long"
    )
    args = p.parse_args(argv)
    if args.quick and args.full:
        p.error("--quick and --full contradict each other")
    chosen = [
        s for s in STEPS if (not args.only or s.name in args.only) and s.name not in args.skip
    ]

    summary: list[tuple[str, str, float, list[str]]] = []
    t_all = time.perf_counter()
    for step in chosen:
        cmd = command(step, quick=args.quick, full=args.full)
        print(f"\n=== {step.name}: {' '.join(cmd[1:])}", flush=True)
        before = sections()
        t0 = time.perf_counter()
        status = run(step, cmd, args.timeout_min * 60)
        after = sections()
        written = [n for n, body in after.items() if before.get(n) != body]
        summary.append((step.name, status, time.perf_counter() - t0, written))
        print(f"=== {step.name}: {status} in {summary[-1][2]:.0f} s", flush=True)

    print("\nbenchmark      status                                   seconds  sections written")
    for name, status, secs, written in summary:
        print(f"{name:<14} {status:<40} {secs:>7.0f}  {', '.join(written) or '-'}")
    print(f"total {time.perf_counter() - t_all:.0f} s")
    return 0 if all(s[1] == "ok" or s[1].startswith("not run") for s in summary) else 1


if __name__ == "__main__":
    sys.exit(main())
