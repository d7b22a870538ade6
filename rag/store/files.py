"""Durable writes for the index folder, and a full disk turned into :class:`DiskFull`."""

from __future__ import annotations

import errno
import os
import shutil
import sqlite3
from pathlib import Path

from rag.errors import DiskFull

_FULL_ERRNOS = {errno.ENOSPC, errno.EDQUOT}
_FULL_TEXTS = ("no space left on device", "disk quota exceeded", "database or disk is full")


def fsync_dir(path: Path) -> None:
    fd = os.open(str(path), os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_tree(path: Path) -> None:
    for p in sorted(path.rglob("*")):
        if p.is_file():
            with open(p, "rb") as f:
                os.fsync(f.fileno())
    for d in [path, *[p for p in path.rglob("*") if p.is_dir()]]:
        fsync_dir(d)


def connect(path: Path, *, readonly: bool) -> sqlite3.Connection:
    if readonly:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
    else:
        db = sqlite3.connect(str(path), check_same_thread=False)
        db.execute("PRAGMA foreign_keys=ON")
    return db


def tree_size(path: Path | None) -> int:
    """Bytes of the files under ``path`` (0 when it is None or gone)."""
    if path is None:
        return 0
    total = 0
    for p in path.rglob("*"):
        try:
            if p.is_file():
                total += p.stat().st_size
        except OSError:
            continue
    return total


def is_disk_full(exc: BaseException) -> bool:
    """True for "no space left" however it arrives: an OSError, SQLite's SQLITE_FULL,
    or FAISS's C++ error text."""
    if isinstance(exc, OSError) and exc.errno in _FULL_ERRNOS:
        return True
    if isinstance(exc, sqlite3.Error) and getattr(exc, "sqlite_errorcode", None) == 13:
        return True  # SQLITE_FULL
    return isinstance(exc, sqlite3.Error | RuntimeError) and any(
        t in str(exc).lower() for t in _FULL_TEXTS
    )


def disk_full(exc: BaseException, folder: Path, needed: int) -> DiskFull:
    """The one-line error for a full disk while writing under ``folder``: the folder
    (or, when the error names a file elsewhere, that file's) and about how many bytes
    are needed."""
    name = getattr(exc, "filename", None)
    where = folder
    if isinstance(name, str) and name and not Path(name).is_relative_to(folder):
        where = Path(name).parent
    try:
        free: int | None = shutil.disk_usage(where if where.exists() else folder).free
    except OSError:
        free = None
    return DiskFull(where, needed_bytes=needed, free_bytes=free)
