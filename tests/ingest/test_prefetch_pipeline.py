"""The pipelined ingest (files parsed in worker processes ahead of the embedder) gives
exactly what the serial path gives: the same chunks, vectors and per-file outcomes,
failures included; a worker that dies fails only its own file."""

from __future__ import annotations

import functools
import os
from pathlib import Path

import numpy as np
import pytest

from ingest.load import load
from ingest.pipeline import Ingestor
from ingest.prefetch import CRASHED, load_ahead
from rag.records import LoadedDocument
from rag.settings import Settings

SENTENCES = [
    "Flexible working raises productivity in small firms.",
    "Regional pay gaps widened after the recession.",
    "Apprenticeships help young people into skilled jobs.",
    "Health at work depends on good management.",
]


def settings(data: Path, workers: int) -> Settings:
    return Settings(
        embedding={"backend": "hash"},
        data_dir=data,
        answer={"reader": "lexical"},
        ingest={"workers": workers, "queue_files": 3},
    )


def make_corpus(root: Path, pdf_builder: object) -> Path:
    root.mkdir(parents=True)
    for i in range(12):
        body = " ".join(SENTENCES[(i + k) % 4] for k in range(3 + 9 * (i % 3)))
        (root / f"note-{i:02d}.txt").write_text(f"Note {i}\n\n{body}\n")
    (root / "report.pdf").write_bytes(pdf_builder([["Skills and pay in 2012.", *SENTENCES]]))  # type: ignore[operator]
    (root / "broken.pdf").write_bytes(b"%PDF-1.4 not really a pdf")
    (root / "empty.txt").write_text("")
    return root


def snapshot_of(ing: Ingestor) -> tuple[list[object], np.ndarray]:
    snap = ing.store.open(ing.fingerprint)
    try:
        table = sorted(snap.chunk_table())
        ids = np.array([row[0] for row in table], dtype=np.int64)
        vecs = np.stack([snap.vectors.reconstruct(int(i)) for i in ids])
        return list(table), vecs
    finally:
        snap.close()


def outcomes(summary: object) -> list[tuple[str, str, str | None]]:
    files = summary.files  # type: ignore[attr-defined]
    return sorted((f.path, f.status, f.reason) for f in files)


def test_workers_give_what_the_serial_path_gives(tmp_path: Path, pdf_builder: object) -> None:
    corpus = make_corpus(tmp_path / "corpus", pdf_builder)
    serial = Ingestor(settings(tmp_path / "serial", 0))
    piped = Ingestor(settings(tmp_path / "piped", 2))
    a = serial.ingest_paths([corpus], progress=False)
    b = piped.ingest_paths([corpus], progress=False)
    assert outcomes(a) == outcomes(b)
    assert len(a.added) == 13
    assert {Path(f["path"]).name for f in a.failed} == {"broken.pdf", "empty.txt"}
    table_a, vecs_a = snapshot_of(serial)
    table_b, vecs_b = snapshot_of(piped)
    assert table_a == table_b
    assert np.array_equal(vecs_a, vecs_b)


class DiesInTheWorker:
    """A loader whose arrival kills the worker process (unpickling it calls os._exit), as
    a parser crashing in C code would; it never needs this module in the worker."""

    def __call__(self, path: Path) -> LoadedDocument:
        raise AssertionError("never runs")

    def __reduce__(self) -> tuple[object, tuple[int]]:
        return (os._exit, (3,))


def test_a_dead_worker_fails_its_file_and_the_run_goes_on(tmp_path: Path) -> None:
    jobs = []
    for name in ("a.txt", "b.txt", "c.txt"):
        (tmp_path / name).write_text(f"{name} says that work pays.\n")
        jobs.append((tmp_path / name, name))
    got = list(load_ahead(DiesInTheWorker(), jobs, workers=1, queue=2))
    assert got == [(None, CRASHED)] * 3


def test_an_unpicklable_loader_loads_in_process(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("Work pays.\n")
    (tmp_path / "b.txt").write_text("Skills matter.\n")
    seen: list[str] = []

    def loader(path: Path) -> LoadedDocument:  # a closure: cannot go to another process
        seen.append(path.name)
        return load(path)

    jobs = [(tmp_path / "a.txt", "a.txt"), (tmp_path / "b.txt", "b.txt")]
    got = list(load_ahead(loader, jobs, workers=2, queue=2))
    assert seen == ["a.txt", "b.txt"] and all(ld is not None for ld, _ in got)


def test_the_default_loader_goes_to_the_workers(tmp_path: Path) -> None:
    ing = Ingestor(settings(tmp_path / "data", 1))
    assert isinstance(ing.loader, functools.partial)
    import pickle

    pickle.dumps(ing.loader)


@pytest.mark.parametrize("bad", [{"workers": -1}, {"workers": 1000}, {"queue_files": 0}])
def test_worker_settings_are_checked(bad: dict[str, int]) -> None:
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="ingest"):
        Settings(ingest=bad)
