"""POST /search: the passages that best match a query."""

from __future__ import annotations

from fastapi import APIRouter

from rag.api.deps import ServiceDep, ValidSearch
from rag.schemas import SearchResponse

router = APIRouter(tags=["search"])


@router.post("/search", response_model=SearchResponse)
def search(body: ValidSearch, service: ServiceDep) -> SearchResponse:
    """Hybrid (BM25 + dense) search; `filters` narrow the documents before ranking."""
    return service.search(body.query, body.k, body.filters)
