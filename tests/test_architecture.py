"""The house plan holds: every import goes to the same floor or below, never up, and
no two modules import each other (directly or round a loop). The graph is built with
``ast`` from every ``import`` in the source, including those inside functions."""

from __future__ import annotations

import ast
import fnmatch
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("rag", "ingest", "ui")
FLOORS: list[tuple[str, list[str]]] = [
    ("ground", ["rag", "rag.settings", "rag.errors", "rag.schemas", "rag.records", "rag.text",
                "rag.malloc", "rag.artifacts"]),
    ("models", ["rag.embed", "rag.embed_int8", "rag.embed_calibration", "rag.vectors",
                "rag.reader", "rag.reader.*"]),
    ("store", ["rag.store", "rag.store.*"]),
    ("stages", ["ingest", "ingest.*", "rag.retrieve", "rag.cite", "rag.evidence", "rag.followup"]),
    ("answer", ["rag.extractive", "rag.verify", "rag.generate", "rag.answer"]),
    ("service", ["rag.service"]),
    ("edges", ["rag.api", "rag.api.*", "rag.cli", "rag.__main__", "rag.wait", "rag.eval",
               "rag.eval.*", "rag.bench", "rag.bench.*", "ui", "ui.*"]),
]  # fmt: skip


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def graph() -> dict[str, set[str]]:
    mods = {module_name(p): p for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py")}
    out: dict[str, set[str]] = {}
    for name, path in mods.items():
        deps: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            targets: list[str] = []
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                targets = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
            elif isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            deps.update(t for t in targets if t in mods and t != name)
        out[name] = deps
    return out


def floor_of(module: str) -> int:
    for i, (_, patterns) in enumerate(FLOORS):
        if any(fnmatch.fnmatchcase(module, p) for p in patterns):
            return i
    raise AssertionError(f"{module} is on no floor: add it to FLOORS in {__file__}")


def test_every_module_is_on_a_floor_and_imports_only_downward() -> None:
    g = graph()
    upward = [
        f"{m} ({FLOORS[floor_of(m)][0]}) imports {d} ({FLOORS[floor_of(d)][0]})"
        for m, deps in sorted(g.items())
        for d in sorted(deps)
        if floor_of(d) > floor_of(m)
    ]
    assert not upward, "\n".join(upward)


def test_the_ui_reaches_the_rest_only_over_http() -> None:
    g = graph()
    bad = [(m, d) for m, deps in g.items() if m.startswith("ui") for d in deps
           if not d.startswith("ui") and floor_of(d) != 0]  # fmt: skip
    assert not bad, bad


def test_no_import_cycles() -> None:
    g = graph()
    # Package roots import their own modules to re-export them; that is not a loop.
    edges = {m: {d for d in deps if not m or not d.startswith(m + ".")} for m, deps in g.items()}
    state: dict[str, int] = {}
    stack: list[str] = []
    cycles: list[list[str]] = []

    def visit(m: str) -> None:
        state[m] = 1
        stack.append(m)
        for d in sorted(edges[m]):
            if state.get(d) == 1:
                cycles.append(stack[stack.index(d) :] + [d])
            elif d not in state:
                visit(d)
        stack.pop()
        state[m] = 2

    for m in sorted(edges):
        if m not in state:
            visit(m)
    assert not cycles, "\n".join(" -> ".join(c) for c in cycles)


MAX_LINES = 400
"""A module does one job in a few hundred lines; benchmarks (rag/bench) are exempt."""


def test_no_module_outside_the_benchmarks_is_over_400_lines() -> None:
    long = {
        str(p.relative_to(ROOT)): n
        for pkg in PACKAGES
        for p in (ROOT / pkg).rglob("*.py")
        if not module_name(p).startswith("rag.bench")
        and (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert not long, f"split these into modules of one job each: {long}"
