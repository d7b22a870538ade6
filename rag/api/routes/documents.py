"""The publications in the index: list, read, download the original, delete."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import FileResponse

from rag.api.deps import FileLock, ReadAccess, ServiceDep, WriteAccess
from rag.api.models import document_info
from rag.errors import NotFound
from rag.schemas import DocumentDetail, DocumentInfo, DocumentPage

router = APIRouter(prefix="/documents", tags=["documents"])

# What a browser may show in place: a PDF (opened at ``#page=N``) and plain text.
# HTML stays a download, so a publication's scripts never run on the API's origin.
_INLINE_TYPES = {"pdf": "application/pdf", "text": "text/plain; charset=utf-8"}


@router.get("", response_model=DocumentPage, dependencies=[ReadAccess])
def list_documents(
    service: ServiceDep,
    offset: Annotated[int, Query(ge=0, le=10**9)] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> DocumentPage:
    """Indexed publications, newest first."""
    snap = service.snapshot()
    rows = snap.documents(offset, limit)
    return DocumentPage(total=snap.n_documents, documents=[document_info(r) for r in rows])


@router.get("/{doc_id}", response_model=DocumentDetail, dependencies=[ReadAccess])
def get_document(doc_id: str, service: ServiceDep) -> DocumentDetail:
    """One publication with its full cleaned text, which citations' offsets index into."""
    snap = service.snapshot()
    row = snap.document(doc_id)
    return DocumentDetail(
        **document_info(row).model_dump(),
        text=snap.document_text(doc_id),
        page_spans=[(p.page, p.start, p.end) for p in snap.document_pages(doc_id)],
    )


@router.get(
    "/{doc_id}/file",
    response_class=FileResponse,
    dependencies=[ReadAccess],
    responses={200: {"content": {"application/octet-stream": {}}, "description": "The file."}},
)
def get_document_file(doc_id: str, service: ServiceDep) -> FileResponse:
    """The original file the publication was ingested from: shown in the browser for PDFs
    (append ``#page=N`` to open at a page) and plain text, downloaded for HTML."""
    row = service.snapshot().document(doc_id)
    path = Path(row.path)
    if not path.is_file():
        raise NotFound(
            f"The file of {doc_id!r} ({row.source}) is no longer on disk; "
            "re-ingest it or run POST /reindex."
        )
    media_type = _INLINE_TYPES.get(row.kind)
    return FileResponse(
        path,
        filename=path.name,
        media_type=media_type,
        content_disposition_type="inline" if media_type else "attachment",
        headers={"X-Content-Type-Options": "nosniff"},
    )


@router.delete("/{doc_id}", response_model=DocumentInfo, dependencies=[WriteAccess])
def delete_document(doc_id: str, service: ServiceDep, lock: FileLock) -> DocumentInfo:
    """Remove a publication from the index, and its file (and sidecar) when inside the corpus."""
    with lock:
        row = service.snapshot().document(doc_id)
        service.remove(doc_id, delete_file=True)
    return document_info(row)
