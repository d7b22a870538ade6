"""The wheel holds the library, not the benchmarks: ``rag.bench`` runs from a checkout."""

from __future__ import annotations

import tomllib
from pathlib import Path

from setuptools import find_packages

ROOT = Path(__file__).resolve().parents[1]


def test_the_wheel_ships_no_benchmarks() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    find = config["tool"]["setuptools"]["packages"]["find"]
    packages = set(find_packages(ROOT, include=find["include"], exclude=find.get("exclude", ())))
    assert {"rag", "rag.api", "rag.reader", "ingest", "ui"} <= packages
    assert not {p for p in packages if p == "rag.bench" or p.startswith("rag.bench.")}
