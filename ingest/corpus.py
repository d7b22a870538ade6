"""The corpus folder and the index, changed together: files in, files out.

The folder on disk stays the source of truth (``rag ingest corpus/`` rebuilds the same
index). Added files are stored in ``corpus_dir/uploads``. A file the loader refuses is
removed again, and a file it replaced is put back (its sidecar too), so a failed
addition leaves the corpus as it was. :class:`rag.service.Service` calls these under
its corpus lock; the API's upload and delete routes and the CLI go through it.
"""

from __future__ import annotations

import json
import logging
import os
import re
import secrets
import shutil
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path, PurePosixPath
from typing import IO, Any

from ingest.load import SUPPORTED_SUFFIXES
from ingest.meta import SIDECAR_SUFFIX
from rag.errors import PayloadTooLarge
from rag.schemas import FileOutcome, IngestSummary

__all__ = ["UPLOADS", "add_files", "delete_file", "safe_name"]

log = logging.getLogger(__name__)

UPLOADS = "uploads"
_BLOCK = 1 << 20
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")

Ingest = Callable[[list[Path]], IngestSummary]
Incoming = tuple[str | None, IO[bytes]]  # the name the client gave, and the bytes


def safe_name(raw: str | None) -> str | None:
    """A plain file name from a client's: basename, safe characters, no dots in front."""
    name = PurePosixPath((raw or "").replace("\\", "/")).name
    name = _UNSAFE.sub("_", name)
    name = re.sub(r"\.{2,}", ".", name).lstrip("._-")
    if len(name) > 150:
        stem, dot, suffix = name.rpartition(".")
        name = f"{stem[: 150 - len(suffix) - 1]}.{suffix}" if dot else name[:150]
    return name if Path(name).stem else None


def add_files(
    corpus_dir: Path,
    files: Sequence[Incoming],
    *,
    ingest: Ingest,
    max_bytes: int,
    sidecar: dict[str, Any] | None = None,
) -> list[FileOutcome]:
    """Store ``files`` in ``corpus_dir/uploads`` and index them; one outcome per file.

    ``sidecar`` is written as each file's ``NAME.meta.json``. A file over ``max_bytes``
    raises :class:`PayloadTooLarge` before anything in the folder changes.
    """
    folder = (corpus_dir / UPLOADS).resolve()
    folder.mkdir(parents=True, exist_ok=True)
    outcomes: dict[Path, FileOutcome] = {}
    order: list[FileOutcome] = []
    with _staged() as temps:
        staged: dict[Path, Path] = {}  # destination -> received bytes
        for raw, stream in files:
            name = safe_name(raw)
            if name is None or Path(name).suffix.lower() not in SUPPORTED_SUFFIXES:
                reason = "unsupported file name or type; supported: " + ", ".join(
                    SUPPORTED_SUFFIXES
                )
                order.append(FileOutcome(path=raw or "", status="failed", reason=reason))
                continue
            if folder / name in staged:
                order.append(
                    FileOutcome(
                        path=f"{UPLOADS}/{name}",
                        status="failed",
                        reason="another file in this upload has the same name; send it separately",
                    )
                )
                continue
            tmp = _tmp(folder, name, "upload")
            temps.append(tmp)
            _receive(raw, stream, tmp, max_bytes)
            staged[folder / name] = tmp
            outcome = FileOutcome(path=f"{UPLOADS}/{name}", status="failed")
            outcomes[folder / name] = outcome
            order.append(outcome)
        if not staged:
            return order

        backups: dict[Path, Path | None] = {}  # path -> copy of its previous bytes, None if new
        try:
            for dest, tmp in staged.items():
                side = dest.with_name(dest.name + SIDECAR_SUFFIX)
                for p in (dest, side) if sidecar is not None else (dest,):
                    backups[p] = _backup(p, folder, temps)
                os.replace(tmp, dest)
                if sidecar is not None:
                    side.write_text(json.dumps(sidecar, indent=2), encoding="utf-8")
            summary = ingest(list(staged))
        except BaseException:
            _restore(backups, keep=set())
            raise
        _restore(backups, keep=_apply(summary, outcomes))
    return order


def delete_file(path: Path, corpus_dir: Path) -> None:
    """Delete ``path`` and its sidecar, but only inside ``corpus_dir``."""
    corpus = corpus_dir.resolve()
    for p in (path, path.with_name(path.name + SIDECAR_SUFFIX)):
        try:
            resolved = p.resolve()
        except OSError:
            continue
        if resolved.is_relative_to(corpus) and resolved.is_file():
            resolved.unlink()
            log.info("deleted %s", resolved)


def _receive(name: str | None, stream: IO[bytes], dest: Path, limit: int) -> None:
    """Copy ``stream`` to ``dest`` block by block, refusing it once it passes ``limit``."""
    size = 0
    with open(dest, "wb") as out:
        while block := stream.read(_BLOCK):
            size += len(block)
            if size > limit:
                raise PayloadTooLarge(
                    f"{name}: larger than the {limit / 1e6:g} MB upload limit "
                    "(api.max_upload_mb); split or compress it"
                )
            out.write(block)


@contextmanager
def _staged() -> Iterator[list[Path]]:
    """Temporary files made inside the block are removed however it ends."""
    made: list[Path] = []
    try:
        yield made
    finally:
        for p in made:
            p.unlink(missing_ok=True)


def _tmp(folder: Path, name: str, what: str) -> Path:
    # Hidden and with an unsupported suffix: a folder scan never picks it up.
    return folder / f".{name}.{what}-{secrets.token_hex(4)}.tmp"


def _backup(path: Path, folder: Path, temps: list[Path]) -> Path | None:
    if not path.exists():
        return None
    copy = _tmp(folder, path.name, "backup")
    temps.append(copy)
    shutil.copy2(path, copy)
    return copy


def _apply(summary: IngestSummary, outcomes: dict[Path, FileOutcome]) -> set[Path]:
    """Fill each outcome from the ingest summary; the paths that made it into the index."""
    ok: set[Path] = set()
    for dest, outcome in outcomes.items():
        found = summary.outcome(dest)
        if found is not None and found.status in ("added", "updated", "unchanged"):
            outcome.status = found.status
            outcome.doc_id = found.doc_id
            outcome.warnings = found.warnings
            ok.add(dest)
        else:
            outcome.reason = (found and found.reason) or "the file could not be ingested"
    return ok


def _restore(backups: dict[Path, Path | None], keep: set[Path]) -> None:
    """Put back what the addition replaced, except for files that were ingested."""
    for path, backup in backups.items():
        owner = path.with_name(path.name.removesuffix(SIDECAR_SUFFIX))
        if path in keep or owner in keep:
            continue
        if backup is None:
            path.unlink(missing_ok=True)
        else:
            os.replace(backup, path)
