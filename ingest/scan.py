"""What an ingest looks at: the files under the given paths, and each file's content hash."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Sequence
from pathlib import Path

from rag.settings import PROJECT_ROOT

log = logging.getLogger(__name__)


def display_path(path: Path, corpus_dir: Path | None = None) -> str:
    """How replies name a file: relative to the corpus folder when inside it, else to
    the project, else the absolute path (only files the operator named on the command
    line lie outside both; the API only reaches the corpus folder)."""
    for base in (corpus_dir, PROJECT_ROOT):
        if base is not None and path.is_relative_to(base):
            return path.relative_to(base).as_posix()
    return str(path)


def file_hash(path: Path) -> str:
    """sha256 of the file and of its metadata sidecar, so editing either re-indexes it."""
    from ingest.meta import find_sidecar

    h = hashlib.sha256()
    sidecar = find_sidecar(path)
    for part in (path, sidecar) if sidecar else (path,):
        with open(part, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):  # noqa: B023 - f is bound per loop
                h.update(block)
        h.update(b"\0sidecar\0")
    return h.hexdigest()


def scan(
    paths: Sequence[Path], *, display: Callable[[Path], str] = display_path
) -> tuple[list[Path], list[Path], list[tuple[str, str]]]:
    """Files to consider, the folders they came from, and paths refused with a reason:
    those that do not exist, and links in a folder that lead out of it (never followed;
    ``display`` names them)."""
    from ingest.load import SUPPORTED_SUFFIXES
    from ingest.meta import is_sidecar

    files: list[Path] = []
    folders: list[Path] = []
    missing: list[tuple[str, str]] = []
    for given in paths:
        p = Path(given).expanduser().resolve()
        if p.is_dir():
            folders.append(p)
            for f in sorted(p.rglob("*")):
                if not (
                    (f.is_file() or f.is_symlink())
                    and f.suffix.lower() in SUPPORTED_SUFFIXES
                    and not is_sidecar(f)
                    and not any(part.startswith(".") for part in f.relative_to(p).parts)
                ):
                    continue
                if _escapes(f, p):
                    log.warning("%s: skipped, a link that leads out of %s (or nowhere)", f, p)
                    reason = (
                        "a symbolic link that leads out of the folder (or nowhere); links are "
                        "not followed, copy the file into the folder instead"
                    )
                    missing.append((display(f), reason))
                elif f.is_file():
                    files.append(f)
        elif p.is_file():
            files.append(p)
        else:
            missing.append((str(given), "no such file or folder; check the path"))
    return list(dict.fromkeys(files)), folders, missing


def _escapes(path: Path, folder: Path) -> bool:
    """True for a symbolic link that leads out of ``folder`` (or nowhere: broken, a loop)."""
    try:
        return not path.resolve(strict=True).is_relative_to(folder)
    except (OSError, RuntimeError):
        return True
