"""Failures inside an index write (issue 11, item 11): every one removes the unfinished
generation, the live index stays as it was, the next writer sweeps what a crash left,
and a full disk is one line naming the folder and the space needed (CLI and API)."""

from __future__ import annotations

import errno
import os
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient

from rag.api import create_app
from rag.errors import DiskFull
from rag.service import Service
from rag.settings import Settings

ROOT = Path(__file__).resolve().parents[3]
KEY = "test-key-0123456789"
NEW_DOC = "Flexible working\n\nEmployers who offered flexible working saw lower turnover.\n"


@pytest.fixture
def service(
    tmp_path: Path,
    make_settings: Callable[..., Settings],
    seed_copier: Callable[[Path], Path],
) -> Service:
    corpus = seed_copier(tmp_path / "corpus")
    svc = Service(make_settings(tmp_path / "data", corpus_dir=corpus, api={"api_key": KEY}))
    assert len(svc.ingest([corpus]).added) == 2
    return svc


def no_space(*args: Any, **kwargs: Any) -> None:
    raise OSError(errno.ENOSPC, "No space left on device", str(args[0]) if args else None)


def index_files(root: Path) -> list[str]:
    return sorted(p.name for p in root.iterdir() if p.name != "LOCK")


def test_a_full_disk_during_commit_leaves_only_the_live_generation(
    service: Service, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = service.store
    before, files = store.current_generation(), index_files(store.root)
    (tmp_path / "corpus" / "new.txt").write_text(NEW_DOC)
    monkeypatch.setattr(np, "save", no_space)  # the BM25 ids, written inside commit()
    with pytest.raises(DiskFull) as caught:
        service.ingest([tmp_path / "corpus"])
    message = str(caught.value)
    assert "\n" not in message and str(store.root) in message
    assert "MB free is needed" in message
    assert str(store.root) not in caught.value.public  # what a remote client is told
    assert store.current_generation() == before and index_files(store.root) == files
    monkeypatch.undo()
    assert len(service.ingest([tmp_path / "corpus"]).added) == 1  # and it recovers


@pytest.mark.parametrize("failure", ["disk full", "bug"])
def test_a_failing_writer_constructor_leaves_no_folder(
    service: Service, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, failure: str
) -> None:
    store = service.store
    files = index_files(store.root)
    real = sqlite3.connect

    def connect(target: str, *args: Any, **kwargs: Any) -> sqlite3.Connection:
        if ".tmp" in str(target):  # the new generation's copy of the metadata
            if failure == "bug":
                raise RuntimeError("unexpected")
            no_space(target)
        return real(target, *args, **kwargs)

    monkeypatch.setattr(sqlite3, "connect", connect)
    (tmp_path / "corpus" / "new.txt").write_text(NEW_DOC)
    with pytest.raises(DiskFull if failure == "disk full" else RuntimeError):
        service.ingest([tmp_path / "corpus"])
    assert index_files(store.root) == files


def test_a_failing_faiss_write_is_aborted_too(
    service: Service, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import faiss

    files = index_files(service.store.root)

    def broken(*args: Any) -> None:
        raise RuntimeError("Error in faiss::write_index: write error (Input/output error)")

    monkeypatch.setattr(faiss, "write_index", broken)
    (tmp_path / "corpus" / "new.txt").write_text(NEW_DOC)
    with pytest.raises(RuntimeError, match="Input/output"):
        service.ingest([tmp_path / "corpus"])
    assert index_files(service.store.root) == files


def test_the_writer_sweeps_what_a_crashed_writer_left(service: Service, tmp_path: Path) -> None:
    root = service.store.root
    live = service.store.current_generation()
    stale = root / "gen-20200101T000000-abcdef.tmp"
    stale.mkdir()
    (stale / "meta.sqlite").write_bytes(b"x" * 1000)
    (root / "CURRENT.deadbeef.tmp").write_text("gen-x")
    with service.store.writer(service.fingerprint, service.embedder.dim):
        pass  # nothing changed: no new generation, but the lock was taken
    assert index_files(root) == sorted(["CURRENT", str(live)])


def test_the_cli_prints_one_line_and_exits_8_on_a_full_disk(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(ROOT / "corpus" / "streets-ahead-press-release-2011-12-07.txt", corpus)
    code = (
        "import errno, sys, numpy\n"
        "def full(*a, **k):\n"
        "    raise OSError(errno.ENOSPC, 'No space left on device', str(a[0]))\n"
        "numpy.save = full\n"
        "from rag.cli import main\n"
        f"sys.argv = ['rag', 'ingest', {str(corpus)!r}]\n"
        "main()\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAG_")}
    env.update(RAG_DATA_DIR=str(tmp_path / "data"), RAG_EMBEDDING__BACKEND="hash")
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == DiskFull.exit_code == 8, done.stderr
    assert "Traceback" not in done.stderr
    lines = [  # without tqdm's progress bar
        line for line in done.stderr.splitlines() if line.strip() and "ingesting:" not in line
    ]
    assert len(lines) == 1 and lines[0].startswith("error: No space left"), lines
    assert str(tmp_path / "data" / "index") in lines[0]
    leftovers = [p.name for p in (tmp_path / "data" / "index").glob("gen-*")]
    assert leftovers == []


def test_the_api_answers_507_and_the_upload_leaves_nothing(
    service: Service, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    corpus = tmp_path / "corpus"
    before = sorted(p.relative_to(corpus) for p in corpus.rglob("*"))
    files = index_files(service.store.root)
    monkeypatch.setattr(np, "save", no_space)
    with TestClient(create_app(service.settings, service)) as client:
        r = client.post(
            "/documents", headers={"X-API-Key": KEY}, files=[("files", ("new.txt", NEW_DOC))]
        )
    assert r.status_code == 507, r.text
    assert "disk is full" in r.json()["detail"] and str(tmp_path) not in r.text
    after = sorted(p.relative_to(corpus) for p in corpus.rglob("*") if p.name != "uploads")
    assert after == before and index_files(service.store.root) == files


def test_a_full_disk_while_receiving_an_upload_is_507_and_changes_nothing(
    service: Service, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import ingest.corpus

    corpus = tmp_path / "corpus"
    before = sorted(p.relative_to(corpus) for p in corpus.rglob("*"))

    def receive(name: str | None, stream: Any, dest: Path, limit: int) -> None:
        dest.write_bytes(b"part of it")
        no_space(dest)

    monkeypatch.setattr(ingest.corpus, "_receive", receive)
    with TestClient(create_app(service.settings, service)) as client:
        r = client.post(
            "/documents", headers={"X-API-Key": KEY}, files=[("files", ("new.txt", NEW_DOC))]
        )
    assert r.status_code == 507 and str(tmp_path) not in r.text, r.text
    after = sorted(p.relative_to(corpus) for p in corpus.rglob("*") if p.name != "uploads")
    assert after == before
