"""POST /documents (upload) and POST /reindex: change the corpus folder, then the index.

Uploads are stored in ``corpus_dir/uploads`` so the folder on disk stays the source
of truth (``rag ingest corpus/`` rebuilds the same index). A file the loader refuses
is removed again, and a file it replaced is put back, so a failed upload leaves the
corpus as it was.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path, PurePosixPath
from typing import Annotated

from fastapi import APIRouter, File, Form, UploadFile
from pydantic import ValidationError

from ingest.load import SUPPORTED_SUFFIXES
from ingest.meta import SIDECAR_SUFFIX
from ingest.pipeline import display_path, make_doc_id
from rag.api.deps import FileLock, ServiceDep, SettingsDep, WriteAccess
from rag.api.models import UploadMetadata, UploadResponse
from rag.errors import InvalidRequest, PayloadTooLarge
from rag.schemas import FileOutcome, IngestSummary

router = APIRouter(tags=["documents"])

UPLOADS = "uploads"
MAX_FILES = 20
_BLOCK = 1 << 20
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def safe_name(raw: str | None) -> str | None:
    """A plain file name from a client's: basename, safe characters, no dots in front."""
    name = PurePosixPath((raw or "").replace("\\", "/")).name
    name = _UNSAFE.sub("_", name)
    name = re.sub(r"\.{2,}", ".", name).lstrip("._-")
    if len(name) > 150:
        stem, dot, suffix = name.rpartition(".")
        name = f"{stem[: 150 - len(suffix) - 1]}.{suffix}" if dot else name[:150]
    return name if Path(name).stem else None


def _parse_metadata(raw: str | None) -> UploadMetadata | None:
    if raw is None or raw.strip() in ("", "null", "{}"):
        return None
    try:
        return UploadMetadata.model_validate_json(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "(the whole value)"
        raise InvalidRequest(
            "metadata",
            f"must be a JSON object with title, date (YYYY-MM-DD), authors (list), publisher, "
            f"doc_type; {where}: {first['msg']}",
        ) from exc


def _receive(upload: UploadFile, dest: Path, limit: int) -> None:
    """Copy the upload to ``dest`` block by block, refusing it once it passes ``limit``."""
    size = 0
    with open(dest, "wb") as out:
        while block := upload.file.read(_BLOCK):
            size += len(block)
            if size > limit:
                raise PayloadTooLarge(
                    f"{upload.filename}: larger than the {limit / 1e6:g} MB upload limit "
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


@router.post("/documents", response_model=UploadResponse, dependencies=[WriteAccess])
def upload_documents(
    files: Annotated[
        list[UploadFile],
        File(min_length=1, max_length=MAX_FILES, description="Publications (.pdf .html .txt .md)."),
    ],
    service: ServiceDep,
    settings: SettingsDep,
    lock: FileLock,
    metadata: Annotated[
        str | None,
        Form(
            description="JSON object written as a sidecar beside every file: title, "
            "date (YYYY-MM-DD), authors, publisher, doc_type; e.g. "
            '`{"title": "Streets Ahead", "date": "2011-12-07", "authors": ["Lizzie Crowley"]}`.',
        ),
    ] = None,
) -> UploadResponse:
    """Add or replace publications; each file's outcome is reported, failures with the reason."""
    meta = _parse_metadata(metadata)
    limit = int(settings.api.max_upload_mb * 1_000_000)
    folder = (settings.corpus_dir / UPLOADS).resolve()
    folder.mkdir(parents=True, exist_ok=True)
    outcomes: dict[Path, FileOutcome] = {}
    order: list[FileOutcome] = []
    with lock, _staged() as temps:
        staged: dict[Path, Path] = {}  # destination -> received bytes
        for upload in files:
            name = safe_name(upload.filename)
            if name is None or Path(name).suffix.lower() not in SUPPORTED_SUFFIXES:
                order.append(
                    FileOutcome(
                        path=upload.filename or "",
                        status="failed",
                        reason=(
                            "unsupported file name or type; supported: "
                            + ", ".join(SUPPORTED_SUFFIXES)
                        ),
                    )
                )
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
            _receive(upload, tmp, limit)
            staged[folder / name] = tmp
            outcome = FileOutcome(path=f"{UPLOADS}/{name}", status="failed")
            outcomes[folder / name] = outcome
            order.append(outcome)
        if not staged:
            return UploadResponse(files=order)

        backups: dict[Path, Path | None] = {}  # path -> copy of its previous bytes, None if new
        try:
            for dest, tmp in staged.items():
                sidecar = dest.with_name(dest.name + SIDECAR_SUFFIX)
                for p in (dest, sidecar) if meta is not None else (dest,):
                    backups[p] = _backup(p, folder, temps)
                os.replace(tmp, dest)
                if meta is not None:
                    sidecar.write_text(json.dumps(meta.sidecar(), indent=2), encoding="utf-8")
            summary = service.ingest(list(staged), keep_missing=True)
        except BaseException:
            _restore(backups, keep=set())
            raise
        _restore(backups, keep=_apply(summary, outcomes))
    return UploadResponse(files=order)


def _backup(path: Path, folder: Path, temps: list[Path]) -> Path | None:
    if not path.exists():
        return None
    copy = _tmp(folder, path.name, "backup")
    temps.append(copy)
    shutil.copy2(path, copy)
    return copy


def _apply(summary: IngestSummary, outcomes: dict[Path, FileOutcome]) -> set[Path]:
    """Fill each outcome from the ingest summary; the paths that made it into the index."""
    failed = {f["path"]: f.get("reason") for f in summary.failed}
    ok: set[Path] = set()
    for dest, outcome in outcomes.items():
        shown = display_path(dest)
        for status in ("added", "updated", "unchanged"):
            if shown in getattr(summary, status):
                outcome.status = status
                outcome.doc_id = make_doc_id(str(dest))
                ok.add(dest)
                break
        else:
            outcome.reason = failed.get(shown, "the file could not be ingested")
    return ok


def _restore(backups: dict[Path, Path | None], keep: set[Path]) -> None:
    """Put back what the upload replaced, except for files that were ingested."""
    for path, backup in backups.items():
        owner = path.with_name(path.name.removesuffix(SIDECAR_SUFFIX))
        if path in keep or owner in keep:
            continue
        if backup is None:
            path.unlink(missing_ok=True)
        else:
            os.replace(backup, path)


@router.post("/reindex", response_model=IngestSummary, dependencies=[WriteAccess], tags=["admin"])
def reindex(service: ServiceDep, settings: SettingsDep, lock: FileLock) -> IngestSummary:
    """Bring the index in step with the corpus folder: add, update and remove publications."""
    settings.corpus_dir.mkdir(parents=True, exist_ok=True)
    with lock:
        return service.ingest([settings.corpus_dir], keep_missing=False)
