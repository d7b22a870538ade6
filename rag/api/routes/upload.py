"""POST /documents (upload) and POST /reindex: change the corpus folder, then the index.

The corpus-folder transaction (files staged outside what scans see, moved in only once
the index has committed; see :mod:`ingest.staging`) is
:meth:`rag.service.Service.add_files`; these handlers check the form, call the service
and answer. A full disk is :class:`~rag.errors.DiskFull` (507, nothing changed).
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, Response, UploadFile
from fastapi.routing import APIRoute
from pydantic import ValidationError

from rag.api.deps import (
    FileLock,
    ServiceDep,
    SettingsDep,
    WriteAccess,
    get_settings,
    require_api_key,
)
from rag.api.models import UploadMetadata
from rag.errors import InvalidRequest
from rag.schemas import IngestSummary, UploadResponse
from rag.settings import Settings

MAX_FILES = 20
FORM_OVERHEAD = 1 << 16
"""Bytes a multipart request may carry beyond its files (boundaries, headers, metadata)."""


def request_limit(settings: Settings) -> int:
    """The largest upload request, in bytes: the files' limit plus the form's overhead."""
    return int(settings.api.max_upload_mb * 1_000_000) + FORM_OVERHEAD


class KeyFirst(APIRoute):
    """Checks the write key before FastAPI reads (and spools) the body.

    FastAPI parses a form before it runs the route's dependencies, so without this an
    anonymous client could make the server write a whole upload to disk before its 401.
    The body limit (:func:`request_limit`) then refuses an over-long Content-Length at
    the first read, and a body without one as soon as it passes the limit."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def checked(request: Request) -> Response:
            override = request.app.dependency_overrides.get(get_settings)
            settings = override() if override is not None else get_settings(request)
            require_api_key(settings, request.headers.get("x-api-key"))
            return await handler(request)

        return checked


router = APIRouter(tags=["documents"], route_class=KeyFirst)


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
    with lock:
        outcomes = service.add_files(
            [(f.filename, f.file) for f in files],
            metadata=None if meta is None else meta.sidecar(),
            max_bytes=int(settings.api.max_upload_mb * 1_000_000),
        )
    return UploadResponse(files=outcomes)


@router.post("/reindex", response_model=IngestSummary, dependencies=[WriteAccess], tags=["admin"])
def reindex(service: ServiceDep, settings: SettingsDep, lock: FileLock) -> IngestSummary:
    """Bring the index in step with the corpus folder: add, update and remove publications."""
    settings.corpus_dir.mkdir(parents=True, exist_ok=True)
    with lock:
        return service.ingest([settings.corpus_dir], keep_missing=False)
