"""Files built once into the data folder (``rag.artifacts.built_once``): built on first
use, reused while their record matches, rebuilt when it does not, and never left half
written."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from rag.artifacts import built_once, sha256

SOURCE = {"weights_sha256": "abc", "recipe": 1}


class Builder:
    def __init__(self, payload: bytes = b"graph") -> None:
        self.payload = payload
        self.calls = 0

    def __call__(self, dest: Path) -> None:
        self.calls += 1
        dest.write_bytes(self.payload)


def test_built_once_then_reused_with_its_record(tmp_path: Path) -> None:
    build = Builder()
    first = built_once(tmp_path, "thing", SOURCE, build)
    again = built_once(tmp_path, "thing", SOURCE, build)
    assert first == again and build.calls == 1
    assert first.name.startswith("thing-") and first.suffix == ".onnx"
    record = json.loads(first.with_suffix(".json").read_text())
    assert record == {"source": SOURCE, "sha256": sha256(first)}


def test_a_tampered_file_or_a_new_source_is_rebuilt(tmp_path: Path) -> None:
    build = Builder()
    path = built_once(tmp_path, "thing", SOURCE, build)
    path.write_bytes(b"tampered")
    assert built_once(tmp_path, "thing", SOURCE, build) == path and build.calls == 2
    assert path.read_bytes() == b"graph"
    other = built_once(tmp_path, "thing", {**SOURCE, "recipe": 2}, build)
    assert other != path and build.calls == 3 and path.exists()


def test_a_failed_build_leaves_nothing_behind(tmp_path: Path) -> None:
    def broken(dest: Path) -> None:
        dest.write_bytes(b"half")
        raise OSError("No space left on device")

    with pytest.raises(OSError, match="No space"):
        built_once(tmp_path, "thing", SOURCE, broken)
    assert list(tmp_path.iterdir()) == []


def test_what_a_killed_build_left_is_swept_and_a_running_one_kept(tmp_path: Path) -> None:
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)  # fmt: skip
    dead = tmp_path / f".thing-0123.onnx.{int(gone.stdout)}.tmp"
    alive = tmp_path / f".thing-4567.onnx.{os.getppid()}.tmp"
    for f in (dead, alive):
        f.write_bytes(b"partial")
    built_once(tmp_path, "thing", SOURCE, Builder())
    assert not dead.exists() and alive.exists()
