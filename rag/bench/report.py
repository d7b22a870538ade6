"""Write one benchmark's section of BENCHMARKS.md between its markers.

Each section is delimited by ``<!-- bench:NAME:start -->`` and
``<!-- bench:NAME:end -->``; a missing section is appended at the end.
Every section is stamped with the date, machine, commit and command.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import subprocess
import time
from pathlib import Path

from rag.embed import cpu_features
from rag.settings import PROJECT_ROOT

BENCHMARKS = PROJECT_ROOT / "BENCHMARKS.md"


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f", {kb / 1024 / 1024:.0f} GiB"
    except (OSError, ValueError, IndexError):
        pass
    return (
        f"{cpu} ({cpu_features()}), {os.cpu_count()} cores{mem}, Python {platform.python_version()}"
    )


def commit() -> str:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=PROJECT_ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=PROJECT_ROOT,
            capture_output=True,
            text=True,
        ).stdout.strip()
        return out + ("+dirty" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def stamp(command: str) -> str:
    return f"_{time.strftime('%Y-%m-%d')} · {machine()} · commit {commit()} · `{command}`_\n"


def add_tag_option(parser: argparse.ArgumentParser, section: str) -> None:
    """``--tag TAG``: write section ``SECTION-TAG`` instead of ``SECTION``, so that a run on
    another kind of CPU is kept beside the first (see :func:`tagged`)."""
    parser.add_argument(
        "--tag",
        default="",
        help=f"write section {section}-TAG instead of {section} (a run on another CPU class "
        "kept beside the first)",
    )


def tagged(section: str, tag: str) -> str:
    """The section name a ``--tag`` run writes."""
    return f"{section}-{tag}" if tag else section


def write_section(name: str, markdown: str, *, path: Path = BENCHMARKS) -> None:
    start, end = f"<!-- bench:{name}:start -->", f"<!-- bench:{name}:end -->"
    block = f"{start}\n{markdown.rstrip()}\n{end}"
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n"
    pattern = re.compile(re.escape(start) + r".*?" + re.escape(end), re.S)
    text = (
        pattern.sub(lambda _: block, text)
        if pattern.search(text)
        else text.rstrip() + "\n\n" + block + "\n"
    )
    path.write_text(text, encoding="utf-8")


def table(headers: list[str], rows: list[list[object]]) -> str:
    def fmt(v: object) -> str:
        if isinstance(v, float):
            return f"{v:.4g}" if abs(v) < 1000 else f"{v:,.0f}"
        return str(v)

    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(fmt(v) for v in r) + " |" for r in rows]
    return "\n".join(lines) + "\n"
