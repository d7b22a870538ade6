"""The corpus folder and the index, changed together: files in, files out.

The folder on disk stays the source of truth (``rag ingest corpus/`` rebuilds the same
index). Added files are stored in ``corpus_dir/uploads``. Every change is staged
(:mod:`ingest.staging`): uploads are received outside what scans see, indexed under the
paths they will have, and moved in only once the index has committed; a file the loader
refuses never enters the folder, and the version it would have replaced stays. A
deletion moves the file out before the index drops it. :class:`rag.service.Service`
calls these under its corpus lock; the API's upload and delete routes and the CLI go
through it, and it runs :func:`ingest.staging.recover` when it starts.
"""

from __future__ import annotations

import json
import logging
import re
import shutil
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path, PurePosixPath
from typing import IO, Any

from ingest import staging
from ingest.load import SUPPORTED_SUFFIXES
from ingest.meta import SIDECAR_SUFFIX, find_sidecar
from rag.errors import PayloadTooLarge
from rag.schemas import FileOutcome, IngestSummary
from rag.store.files import disk_full, is_disk_full

__all__ = ["UPLOADS", "add_files", "removing", "safe_name"]

log = logging.getLogger(__name__)

UPLOADS = "uploads"
_BLOCK = 1 << 20
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")

Ingest = Callable[[list[tuple[Path, Path]]], IngestSummary]
"""Index ``(staged, final)`` pairs: read the staged file, index it under the final path."""
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
    raises :class:`PayloadTooLarge`, and a full disk :class:`~rag.errors.DiskFull`,
    before anything in the folder changes.
    """
    corpus = corpus_dir.resolve()
    folder = corpus / UPLOADS
    folder.mkdir(parents=True, exist_ok=True)
    outcomes: dict[Path, FileOutcome] = {}
    order: list[FileOutcome] = []
    with staging.change(corpus, "add") as change:
        staged: dict[Path, Path] = {}  # destination -> received bytes
        for raw, stream in files:
            name = safe_name(raw)
            if name is None or Path(name).suffix.lower() not in SUPPORTED_SUFFIXES:
                reason = "unsupported file name or type; supported: " + ", ".join(
                    SUPPORTED_SUFFIXES
                )
                order.append(FileOutcome(path=raw or "", status="failed", reason=reason))
                continue
            dest = folder / name
            if dest in staged:
                order.append(
                    FileOutcome(
                        path=f"{UPLOADS}/{name}",
                        status="failed",
                        reason="another file in this upload has the same name; send it separately",
                    )
                )
                continue
            staged[dest] = _stage(change, dest, raw, stream, max_bytes, sidecar)
            outcome = FileOutcome(path=f"{UPLOADS}/{name}", status="failed")
            outcomes[dest] = outcome
            order.append(outcome)
        if not staged:
            return order
        summary = ingest([(tmp, dest) for dest, tmp in staged.items()])
        ok = _apply(summary, outcomes)
        for dest in staged:
            if dest not in ok:
                change.unstage(dest)
        change.commit()
    return order


@contextmanager
def removing(corpus_dir: Path, path: Path) -> Iterator[staging.Change]:
    """A staged deletion of ``path`` and its sidecar, only inside ``corpus_dir`` (a link
    itself, never its target): the files leave the folder as the block starts and are put
    back if it raises; call ``commit()`` on the change once the index has dropped them."""
    with staging.change(corpus_dir, "delete") as change:
        for p in (path, path.with_name(path.name + SIDECAR_SUFFIX)):
            if change.take(p):
                log.info("deleting %s", p)
        yield change


def _stage(
    change: staging.Change,
    dest: Path,
    raw: str | None,
    stream: IO[bytes],
    max_bytes: int,
    sidecar: dict[str, Any] | None,
) -> Path:
    """Receive one file into the change, with the sidecar it will have in the folder
    (the given metadata, else a copy of the one already beside ``dest``)."""
    tmp = change.staged(dest)
    try:
        _receive(raw, stream, tmp, max_bytes)
        if sidecar is not None:
            side = change.staged(dest.with_name(dest.name + SIDECAR_SUFFIX))
            side.write_text(json.dumps(sidecar, indent=2), encoding="utf-8")
        elif (existing := find_sidecar(dest)) is not None:
            shutil.copy2(existing, change.staged(existing))
    except OSError as exc:
        if is_disk_full(exc):
            size = tmp.stat().st_size if tmp.exists() else 0
            raise disk_full(exc, dest.parent, size + (1 << 20)) from exc
        raise
    return tmp


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
