"""The index folder: which generation is live, the one-writer lock, and clean-up."""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import secrets
import shutil
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from rag.errors import IndexBusy, IndexMismatch, IndexMissing
from rag.store.files import connect, disk_full, fsync_dir, is_disk_full, tree_size
from rag.store.rows import hashes_by_path
from rag.store.snapshot import IndexSnapshot
from rag.store.writer import TMP_SUFFIX, IndexWriter

log = logging.getLogger(__name__)

HEADROOM = 1.25
"""A full disk is reported as needing this many times the larger of the live generation
and what the failed writer had written (a new generation is a whole copy, plus changes)."""


class IndexStore:
    """The index folder: which generation is live, and the one-writer lock."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    @property
    def current_path(self) -> Path | None:
        try:
            name = (self.root / "CURRENT").read_text().strip()
        except FileNotFoundError:
            return None
        gen = self.root / name
        return gen if (gen / "manifest.json").exists() else None

    def exists(self) -> bool:
        return self.current_path is not None

    def hashes_by_path(self) -> dict[str, tuple[str, str]]:
        """path -> (doc_id, content_hash) from the live generation's metadata alone:
        deciding what changed must not load the vectors and BM25 index."""
        gen = self.current_path
        if gen is None:
            return {}
        db = connect(gen / "meta.sqlite", readonly=True)
        try:
            return hashes_by_path(db)
        finally:
            db.close()

    def check(self, fingerprint: dict[str, Any]) -> None:
        """Refuse (IndexMismatch) a live generation built with other settings; reads only
        its manifest. No index yet passes."""
        gen = self.current_path
        if gen is not None:
            old = json.loads((gen / "manifest.json").read_text())["fingerprint"]
            check_fingerprint(self.root, old, fingerprint)

    def current_generation(self) -> str | None:
        p = self.current_path
        return p.name if p else None

    def open(self, fingerprint: dict[str, Any] | None = None) -> IndexSnapshot:
        """Load the live generation; with ``fingerprint``, refuse one built differently."""
        gen = self.current_path
        if gen is None:
            raise IndexMissing(self.root)
        snap = IndexSnapshot(gen)
        if fingerprint is not None:
            check_fingerprint(self.root, snap.fingerprint, fingerprint)
        return snap

    @contextlib.contextmanager
    def writer(
        self,
        fingerprint: dict[str, Any],
        dim: int,
        *,
        rebuild: bool = False,
        index_type: str = "flat",
        ivf_threshold: int = 100_000,
    ) -> Iterator[IndexWriter]:
        """Exclusive writer over a copy of the live generation (or an empty one).

        Any failure, in the block, the writer's constructor or its commit, removes the
        unfinished generation and leaves the live one as it was; a full disk is raised
        as :class:`~rag.errors.DiskFull`."""
        self.root.mkdir(parents=True, exist_ok=True)
        lock = open(self.root / "LOCK", "w")  # noqa: SIM115 - held for the block
        try:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError as exc:
                raise IndexBusy(
                    f"Another ingest is writing the index at {self.root}; wait for it to finish."
                ) from exc
            self._sweep()
            base = None if rebuild else self.current_path
            if base is not None:
                self.check(fingerprint)
            w: IndexWriter | None = None
            try:
                w = IndexWriter(
                    self, base, fingerprint, dim, index_type=index_type, ivf_threshold=ivf_threshold
                )
                yield w
                if w.changed or base is None:
                    w.commit()
                else:
                    w.abort()
            except BaseException as exc:
                written = tree_size(w.dir) if w is not None else 0
                if w is not None:
                    w.abort()
                if is_disk_full(exc):
                    needed = int(max(tree_size(base), written) * HEADROOM) + (1 << 20)
                    err = disk_full(exc, self.root, needed)
                    log.info("%s", err, exc_info=exc)  # the edges print the one line
                    raise err from exc
                raise
        finally:
            lock.close()

    def _sweep(self) -> None:
        """Remove what a crashed writer left (called with the lock held, so no live
        writer owns any of it): unfinished ``gen-*.tmp`` folders, ``CURRENT.*.tmp``."""
        for p in self.root.iterdir():
            if p.name.startswith("gen-") and p.name.endswith(TMP_SUFFIX) and p.is_dir():
                log.warning("removing %s, left by an interrupted index write", p)
                shutil.rmtree(p, ignore_errors=True)
            elif p.name.startswith("CURRENT.") and p.name.endswith(TMP_SUFFIX):
                p.unlink(missing_ok=True)

    def _set_current(self, name: str) -> None:
        tmp = self.root / f"CURRENT.{secrets.token_hex(4)}{TMP_SUFFIX}"
        try:
            with open(tmp, "w") as f:
                f.write(name)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, self.root / "CURRENT")
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        fsync_dir(self.root)

    def _collect_garbage(self, keep: Iterable[str]) -> None:
        keep = set(keep)
        for p in self.root.iterdir():
            if p.is_dir() and p.name.startswith("gen-") and p.name not in keep:
                shutil.rmtree(p, ignore_errors=True)
            elif p.name.startswith("CURRENT.") and p.name.endswith(TMP_SUFFIX):
                p.unlink(missing_ok=True)


def check_fingerprint(root: Path, stored: dict[str, Any], wanted: dict[str, Any]) -> None:
    diffs = [
        f"{k}: index has {stored.get(k)!r}, settings say {wanted.get(k)!r}"
        for k in sorted(set(stored) | set(wanted))
        if stored.get(k) != wanted.get(k)
    ]
    if diffs:
        raise IndexMismatch(root, diffs)
