"""Changes to the corpus folder staged outside what scans see, so that a crash at any
moment never leaves a file in place unindexed, nor a copy hidden beside it for ever.

Layout, one hidden folder per change while it lasts (folder scans and ``/reindex`` skip
hidden names; the folder is in the corpus folder so that moves are atomic renames)::

    corpus_dir/.staging-<kind>-<id>/    locked (flock) by the process making the change
        KIND        "add" or "delete", written once the lock is held
        files/...   the change's files, laid out as in the corpus folder
        COMMITTED   written once the index has committed: the change then rolls forward

An addition receives its files under ``files/``, the index commits them under the
paths they will have, and only then are they moved in (sidecars first). A deletion
moves its files out into ``files/`` first, then the index drops them, then they are
deleted. :func:`recover` finishes or undoes what a crashed process left, deciding by
``COMMITTED`` or, before it was written, by what the index holds.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import re
import secrets
import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Literal

from ingest.meta import SIDECAR_SUFFIX, is_sidecar

__all__ = ["STAGING", "Change", "change", "recover"]

log = logging.getLogger(__name__)

STAGING = ".staging-"
YOUNG_S = 600
"""A staging folder without KIND younger than this may be one being made: left alone."""
Kind = Literal["add", "delete"]
Indexed = Callable[[], dict[str, tuple[str, str]]]  # path -> (doc_id, content hash)
Hasher = Callable[[Path], str]
_LEGACY = re.compile(r"^\.(?P<name>.+)\.(?P<what>upload|backup)-[0-9a-f]{8}\.tmp$")


class Change:
    """One staged change; made by :func:`change`."""

    def __init__(self, corpus_dir: Path, kind: Kind) -> None:
        self.corpus = corpus_dir.resolve()
        self.kind = kind
        self.dir = self.corpus / f"{STAGING}{kind}-{secrets.token_hex(6)}"
        self.files = self.dir / "files"
        self.committed = False
        self.dir.mkdir()
        self._lock = os.open(self.dir, os.O_RDONLY)  # held until close()
        try:
            fcntl.flock(self._lock, fcntl.LOCK_EX)
            self.files.mkdir()
            (self.dir / "KIND").write_text(kind)
        except BaseException:
            self.close()
            shutil.rmtree(self.dir, ignore_errors=True)
            raise

    def staged(self, dest: Path) -> Path:
        """Where ``dest`` (a path in the corpus folder) is staged; its folder is made."""
        path = self.files / dest.relative_to(self.corpus)
        path.parent.mkdir(parents=True, exist_ok=True)
        return path

    def final(self, staged: Path) -> Path:
        return self.corpus / staged.relative_to(self.files)

    def unstage(self, dest: Path) -> None:
        """Drop ``dest`` and the sidecars staged with it from the change."""
        for p in _with_sidecars(self.files / dest.relative_to(self.corpus)):
            p.unlink(missing_ok=True)

    def take(self, path: Path) -> bool:
        """Move ``path`` (a link itself, never its target) out of the corpus folder into
        the change; False when it is not a file or link inside the corpus folder."""
        path = Path(os.path.abspath(path))
        try:
            inside = path.parent.resolve().is_relative_to(self.corpus)
        except OSError:
            return False
        if not inside or not (path.is_symlink() or path.is_file()):
            return False
        dest = self.corpus / path.parent.resolve().relative_to(self.corpus) / path.name
        os.replace(path, self.staged(dest))
        return True

    def commit(self) -> None:
        """The index has committed: finish the change and remove its folder."""
        _mark_committed(self.dir)
        self.committed = True
        _finish(self.dir, self.kind, self.corpus)

    def abort(self) -> None:
        """The index did not commit: put the corpus folder back as it was."""
        if self.kind == "delete":
            _move_in(self.files, self.corpus)
        shutil.rmtree(self.dir, ignore_errors=True)

    def close(self) -> None:
        if self._lock >= 0:
            os.close(self._lock)
            self._lock = -1


@contextlib.contextmanager
def change(corpus_dir: Path, kind: Kind) -> Iterator[Change]:
    """A staged change; aborted if the block raises before :meth:`Change.commit`."""
    corpus_dir.mkdir(parents=True, exist_ok=True)
    ch = Change(corpus_dir, kind)
    try:
        yield ch
    except BaseException:
        if not ch.committed:
            ch.abort()
        raise  # committed but not finished: recover() completes it at the next start
    finally:
        ch.close()


def recover(corpus_dir: Path, indexed: Indexed, file_hash: Hasher) -> list[str]:
    """Finish or undo the changes crashed processes left, and sweep the hidden copies of
    older versions; returns what was done, one line each (also logged)."""
    corpus = corpus_dir.resolve()
    done = _sweep_legacy(corpus)
    if not corpus.is_dir():
        return done
    known: dict[str, tuple[str, str]] | None = None
    for tx in sorted(p for p in corpus.glob(f"{STAGING}*") if p.is_dir()):
        fd = os.open(tx, os.O_RDONLY)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                continue  # a change in progress in another process: not debris
            try:
                kind = (tx / "KIND").read_text().strip()
            except OSError:
                kind = ""
            if kind not in ("add", "delete"):
                if time.time() - tx.stat().st_mtime > YOUNG_S:
                    shutil.rmtree(tx, ignore_errors=True)
                    done.append(f"removed the unfinished staging folder {tx.name}")
                continue
            if not (tx / "COMMITTED").exists():
                known = indexed() if known is None else known
                _decide(tx, kind, corpus, known, file_hash)
            if (tx / "COMMITTED").exists():
                _finish(tx, kind, corpus)
                done.append(f"completed the interrupted {kind} {tx.name}")
            else:
                if kind == "delete":
                    _move_in(tx / "files", corpus)
                shutil.rmtree(tx, ignore_errors=True)
                done.append(f"undid the interrupted {kind} {tx.name}")
        finally:
            os.close(fd)
    for line in done:
        log.warning("corpus recovery in %s: %s", corpus, line)
    return done


def _decide(
    tx: Path, kind: str, corpus: Path, known: dict[str, tuple[str, str]], file_hash: Hasher
) -> None:
    """Before COMMITTED was written, the index says whether the change committed: an
    addition's files whose content it holds are kept (and COMMITTED written), the rest
    dropped; a deletion committed if the index no longer holds its files."""
    files = tx / "files"
    docs = [p for p in files.rglob("*") if p.is_file() and not is_sidecar(p)]
    if kind == "add":
        kept = False
        for p in docs:
            got = known.get(str(corpus / p.relative_to(files)))
            if got is not None and got[1] == file_hash(p):
                kept = True
            else:
                for q in _with_sidecars(p):
                    q.unlink(missing_ok=True)
        if kept:
            _mark_committed(tx)
    elif not any(str(corpus / p.relative_to(files)) in known for p in docs):
        _mark_committed(tx)


def _finish(tx: Path, kind: str, corpus: Path) -> None:
    if kind == "add":
        _move_in(tx / "files", corpus)
    shutil.rmtree(tx, ignore_errors=True)


def _move_in(files: Path, corpus: Path) -> None:
    """Move every staged file to its place in the corpus folder, sidecars first (a
    document is never in place before its metadata)."""
    staged = [p for p in files.rglob("*") if p.is_file() or p.is_symlink()]
    for p in sorted(staged, key=lambda p: not is_sidecar(p)):
        dest = corpus / p.relative_to(files)
        dest.parent.mkdir(parents=True, exist_ok=True)
        os.replace(p, dest)
    for d in {p.parent for p in staged}:
        _fsync_dir(corpus / d.relative_to(files))


def _with_sidecars(path: Path) -> list[Path]:
    return [
        path,
        path.with_name(path.name + SIDECAR_SUFFIX),
        path.with_name(path.stem + SIDECAR_SUFFIX),
    ]


def _mark_committed(tx: Path) -> None:
    with open(tx / "COMMITTED", "w") as f:
        f.flush()
        os.fsync(f.fileno())
    _fsync_dir(tx)


def _fsync_dir(path: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(str(path), os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _sweep_legacy(corpus: Path) -> list[str]:
    """Hidden ``.NAME.upload-*.tmp`` and ``.NAME.backup-*.tmp`` files that uploads made in
    ``uploads/`` before changes were staged: a received file is dropped; a backup is put
    back only when its file is missing, else dropped (the file in place is newer)."""
    done: list[str] = []
    uploads = corpus / "uploads"
    if not uploads.is_dir():
        return done
    for p in uploads.glob(".*.tmp"):
        m = _LEGACY.match(p.name)
        if m is None or not p.is_file():
            continue
        original = p.with_name(m["name"])
        if m["what"] == "backup" and not original.exists():
            os.replace(p, original)
            done.append(f"restored {original.relative_to(corpus)} from its backup")
        else:
            p.unlink()
            done.append(f"removed the leftover {p.relative_to(corpus)}")
    return done
