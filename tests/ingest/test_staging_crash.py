"""kill -9 in the middle of an upload or a delete (issue 11, item 12): after the next
start no file is in place unindexed, nothing indexed is missing, and no hidden copy
lingers; the change is either wholly done (killed after the index committed) or
wholly undone (killed before)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from ingest.pipeline import Ingestor
from rag.service import Service
from rag.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
OLD = b"Existing report\n\nThe old version talks about skills and local growth.\n"
NEW = b"Replacement report\n\nThe new version talks about flexible working and pay.\n"

CHILD = """
import io, os, signal, sys
from rag.service import Service
from rag.settings import Settings
from rag.store import IndexStore

mode, point, doc_id = sys.argv[1:4]
original = IndexStore._set_current

def set_current(self, name):
    if point == "before-commit":
        os.kill(os.getpid(), signal.SIGKILL)
    original(self, name)
    if point == "after-commit":
        os.kill(os.getpid(), signal.SIGKILL)

IndexStore._set_current = set_current
service = Service(Settings())
new = NEW_BYTES
if mode == "add":
    service.add_files([("new.txt", io.BytesIO(new))])
elif mode == "replace":
    service.add_files([("existing.txt", io.BytesIO(new))], metadata={"title": "Replaced"})
else:
    service.remove(doc_id, delete_file=True)
sys.exit(3)  # not killed: the test's kill point was never reached
""".replace("NEW_BYTES", repr(NEW))


def hidden_debris(corpus: Path) -> list[str]:
    return sorted(str(p.relative_to(corpus)) for p in corpus.rglob(".*"))


@pytest.mark.slow
@pytest.mark.parametrize("point", ["before-commit", "after-commit"])
@pytest.mark.parametrize("mode", ["add", "replace", "delete"])
def test_a_killed_change_is_finished_or_undone_at_start_up(
    tmp_path: Path,
    mode: str,
    point: str,
    make_settings: Callable[..., Settings],
    seed_copier: Callable[[Path], Path],
) -> None:
    corpus = seed_copier(tmp_path / "corpus")
    (corpus / "uploads").mkdir()
    existing = corpus / "uploads" / "existing.txt"
    existing.write_bytes(OLD)
    settings = make_settings(tmp_path / "data", corpus_dir=corpus)
    summary = Service(settings).ingest([corpus])
    assert len(summary.added) == 3
    doc_id = summary.outcome(existing).doc_id  # type: ignore[union-attr]

    env = {k: v for k, v in os.environ.items() if not k.startswith("RAG_")}
    env.update(RAG_DATA_DIR=str(tmp_path / "data"), RAG_CORPUS_DIR=str(corpus),
               RAG_EMBEDDING__BACKEND="hash", RAG_ANSWER__READER="lexical")  # fmt: skip
    done = subprocess.run(
        [sys.executable, "-c", CHILD, mode, point, str(doc_id)],
        env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == -signal.SIGKILL, done.stderr

    Service(settings)  # start-up: recovers what the killed process left
    assert hidden_debris(corpus) == []
    again = Ingestor(settings).ingest_paths([corpus], keep_missing=False, progress=False)
    assert (again.added, again.updated, again.removed) == ([], [], []), "index and folder differ"
    committed = point == "after-commit"
    new = corpus / "uploads" / "new.txt"
    if mode == "add":
        assert new.exists() == committed
        assert not committed or new.read_bytes() == NEW
    elif mode == "replace":
        assert existing.read_bytes() == (NEW if committed else OLD)
        sidecar = existing.with_name("existing.txt.meta.json")
        assert sidecar.exists() == committed
    else:
        assert existing.exists() == (not committed)


def test_start_up_sweeps_hidden_copies_left_by_older_uploads(
    tmp_path: Path, make_settings: Callable[..., Settings]
) -> None:
    uploads = tmp_path / "corpus" / "uploads"
    uploads.mkdir(parents=True)
    (uploads / "a.txt").write_bytes(NEW)
    (uploads / ".a.txt.backup-0123abcd.tmp").write_bytes(OLD)  # a.txt is there: drop it
    (uploads / ".b.txt.backup-89abcdef.tmp").write_bytes(OLD)  # b.txt is gone: put back
    (uploads / ".c.txt.upload-00ff00ff.tmp").write_bytes(NEW)  # never committed: drop
    unfinished = tmp_path / "corpus" / ".staging-add-0123456789ab"
    (unfinished / "files" / "uploads").mkdir(parents=True)
    (unfinished / "files" / "uploads" / "d.txt").write_bytes(NEW)
    (unfinished / "KIND").write_text("add")  # not in the index: undone
    Service(make_settings(tmp_path / "data", corpus_dir=tmp_path / "corpus"))
    assert hidden_debris(tmp_path / "corpus") == []
    assert sorted(p.name for p in uploads.iterdir()) == ["a.txt", "b.txt"]
    assert (uploads / "a.txt").read_bytes() == NEW and (uploads / "b.txt").read_bytes() == OLD
