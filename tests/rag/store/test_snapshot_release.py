"""Superseded snapshots are freed at once (issue 11, item 13): after many swaps, with
the cycle collector off, no handle on a deleted ``meta.sqlite`` stays open."""

from __future__ import annotations

import gc
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from rag.service import Service
from rag.settings import Settings

ROOT = Path(__file__).resolve().parents[3]
SWAPS = 8


def deleted_metadata_handles() -> list[str]:
    fds = Path("/proc/self/fd")
    found = []
    for fd in fds.iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if "meta.sqlite" in target and target.endswith("(deleted)"):
            found.append(target)
    return found


@pytest.fixture
def no_cycle_collector() -> Iterator[None]:
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="needs /proc (Linux)")
def test_swapped_out_snapshots_release_their_files(
    tmp_path: Path, no_cycle_collector: None
) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for f in sorted((ROOT / "corpus").glob("*.txt")):
        shutil.copy(f, corpus / f.name)
    settings = Settings(
        embedding={"backend": "hash"},
        answer={"reader": "lexical"},
        data_dir=tmp_path / "data",
        corpus_dir=corpus,
    )
    service = Service(settings)
    service.ingest([corpus])
    baseline = len(deleted_metadata_handles())
    for i in range(SWAPS):
        snap = service.snapshot()
        hits = service.search("high technology innovators", k=3)
        for hit in hits.results:  # fill the snapshot's document cache, as answers do
            snap.document_text(hit.doc_id)
        del snap, hits
        (corpus / f"note-{i}.txt").write_text(f"Note {i}\n\nLocal growth in city {i}.\n")
        service.ingest([corpus])  # a new generation; the old one's files are deleted
    service.search("local growth", k=3)
    assert len(deleted_metadata_handles()) - baseline == 0
