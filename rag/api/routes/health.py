"""GET /health: is there an index, what was it built with, which generators can answer."""

from __future__ import annotations

from fastapi import APIRouter

from rag.api.deps import ServiceDep, SettingsDep
from rag.errors import IndexMissing
from rag.schemas import Health

router = APIRouter(tags=["health"])


@router.get("/health", response_model=Health)
def health(service: ServiceDep, settings: SettingsDep) -> Health:
    """Index status and counts; `no-index` (still 200) before the first ingest."""
    generator = settings.answer.generator
    common = {
        "model": service.embedder.model_id,
        "generator": generator,
        "generators": ["extractive", "openai"] if generator == "openai" else ["extractive"],
        "reader": settings.answer.reader,
        "reader_runtime": getattr(getattr(service.answerer, "reader", None), "runtime", None),
        "max_question_chars": settings.api.max_query_chars,
    }
    try:
        snap = service.snapshot()
    except IndexMissing:
        return Health(status="no-index", fingerprint=None, documents=0, chunks=0, **common)
    return Health(
        status="ok",
        fingerprint=snap.fingerprint,
        documents=snap.n_documents,
        chunks=snap.n_chunks,
        **common,
    )
