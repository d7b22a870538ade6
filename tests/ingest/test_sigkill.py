"""Kill ``rag ingest`` with SIGKILL at several moments: the index always opens, its
vectors, BM25 ids and rows agree, offsets slice back, and a search answers."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from ingest.pipeline import Ingestor
from rag.embed import HashEmbedder
from rag.retrieve import Retriever
from rag.settings import RetrievalSettings, Settings
from rag.store import IndexStore

N_FILES = 300
WORDS = (
    "city growth innovation policy fund local economy firms skills workers london "
    "manchester leeds productivity investment housing transport"
).split()

pytestmark = pytest.mark.slow


def write_big_corpus(folder: Path) -> None:
    rng = random.Random(7)
    for i in range(N_FILES):
        sents = [
            " ".join(rng.choice(WORDS) for _ in range(rng.randint(6, 18))).capitalize() + "."
            for _ in range(40)
        ]
        (folder / f"generated-{i:04d}.txt").write_text(
            f"Report {i} on cities\n\n" + " ".join(sents) + "\n"
        )


def check_index(root: Path, allowed_docs: set[int]) -> int:
    snap = IndexStore(root).open()
    try:
        rows = snap._query("SELECT id, doc_id, text, char_start, char_end FROM chunks ORDER BY id")
        assert snap.n_chunks == snap.vectors.ntotal == len(rows) == snap.manifest["chunks"]
        assert snap.bm25_ids.tolist() == [r[0] for r in rows]
        texts: dict[str, str] = {}
        for _id, doc_id, text, s, e in rows:
            doc_text = texts.get(doc_id) or texts.setdefault(doc_id, snap.document_text(doc_id))
            assert doc_text[s:e] == text
        assert snap.n_documents in allowed_docs
        hits = Retriever(snap, HashEmbedder(), RetrievalSettings()).search(
            "high technology innovators Coventry Derby", 3
        )
        assert hits and "streets-ahead" in hits[0].chunk.doc_id
        return snap.n_documents
    finally:
        snap.close()


def test_sigkill_during_ingest_leaves_a_working_index(
    tmp_path: Path, seed_copier: Callable[[Path], Path], make_settings: Callable[..., Settings]
) -> None:
    data = tmp_path / "data"
    folder = seed_copier(tmp_path / "corpus")
    first = Ingestor(make_settings(data)).ingest_paths([folder], progress=False)
    assert len(first.added) == 2
    write_big_corpus(folder)
    root = data / "index"
    allowed = {2, 2 + N_FILES}
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAG_")}
    env.update(RAG_DATA_DIR=str(data), RAG_EMBEDDING__BACKEND="hash",
               RAG_ANSWER__READER="lexical")
    cmd = [sys.executable, "-m", "rag", "ingest", str(folder), "--json"]

    def start() -> subprocess.Popen[bytes]:
        return subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def during_commit() -> None:
        """Wait for the new generation's files to start appearing (inside ``commit``)."""
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if any((g / "vectors.faiss").exists() for g in root.glob("gen-*.tmp")):
                return
            time.sleep(0.002)

    killed_mid_run = 0
    moments: list[Callable[[], None]] = [
        lambda: time.sleep(0.3),
        lambda: time.sleep(0.8),
        lambda: time.sleep(1.5),
        during_commit,
    ]
    for wait in moments:
        proc = start()
        wait()
        finished = proc.poll() is not None
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        killed_mid_run += not finished
        check_index(root, allowed)
        if not finished and check_index(root, allowed) == 2 + N_FILES:
            break  # the kill landed after the switch: nothing left to interrupt
    assert killed_mid_run >= 1

    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert not summary["failed"]
    assert check_index(root, {2 + N_FILES}) == 2 + N_FILES
    gens = sorted(p.name for p in root.glob("gen-*"))
    assert gens == [IndexStore(root).current_generation()]
