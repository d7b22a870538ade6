"""The publications in the index: list, read, download the original, see a PDF page
with the cited text highlighted, delete."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi import Path as PathParam
from fastapi.responses import FileResponse, Response

from ingest.page_image import render_page
from rag.api.deps import FileLock, ReadAccess, ServiceDep, WriteAccess
from rag.api.models import document_info
from rag.errors import InvalidRequest, NotFound
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
    path = _on_disk(doc_id, Path(row.path), row.source)
    media_type = _INLINE_TYPES.get(row.kind)
    return FileResponse(
        path,
        filename=path.name,
        media_type=media_type,
        content_disposition_type="inline" if media_type else "attachment",
        headers={"X-Content-Type-Options": "nosniff"},
    )


def _on_disk(doc_id: str, path: Path, source: str) -> Path:
    if not path.is_file():
        raise NotFound(
            f"The file of {doc_id!r} ({source}) is no longer on disk; "
            "re-ingest it or run POST /reindex."
        )
    return path


@router.get(
    "/{doc_id}/pages/{page}/image",
    response_class=Response,
    dependencies=[ReadAccess],
    responses={200: {"content": {"image/png": {}}, "description": "The rendered page."}},
)
def get_page_image(
    doc_id: str,
    service: ServiceDep,
    page: Annotated[int, PathParam(ge=1, le=100_000)],
    start: Annotated[int | None, Query(ge=0, description="Cited span, document offsets.")] = None,
    end: Annotated[int | None, Query(ge=0)] = None,
    width: Annotated[int, Query(ge=200, le=2000, description="Width in pixels.")] = 1000,
) -> Response:
    """A PDF page rendered as PNG, with the part of the cited span ``[start, end)``
    that lies on this page highlighted. ``X-Highlight-Boxes`` says how many line boxes
    were drawn (0 when the span is not on the page or cannot be found there)."""
    snap = service.snapshot()
    row = snap.document(doc_id)
    if row.kind != "pdf":
        raise InvalidRequest("doc_id", f"{doc_id!r} is not a PDF; only PDFs have page images.")
    path = _on_disk(doc_id, Path(row.path), row.source)
    quote = None
    if start is not None and end is not None and end > start:
        spans = {p.page: (p.start, p.end) for p in snap.document_pages(doc_id)}
        lo, hi = spans.get(page, (0, 0))
        if max(start, lo) < min(end, hi):
            quote = snap.document_text(doc_id)[max(start, lo) : min(end, hi)]
    image = render_page(path, page, quote, width)
    return Response(
        image.png,
        media_type="image/png",
        headers={"X-Highlight-Boxes": str(len(image.boxes)), "X-Content-Type-Options": "nosniff"},
    )


@router.delete("/{doc_id}", response_model=DocumentInfo, dependencies=[WriteAccess])
def delete_document(doc_id: str, service: ServiceDep, lock: FileLock) -> DocumentInfo:
    """Remove a publication from the index, and its file (and sidecar) when inside the corpus."""
    with lock:
        row = service.snapshot().document(doc_id)
        service.remove(doc_id, delete_file=True)
    return document_info(row)
