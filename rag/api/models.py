"""Request bodies of the HTTP API, and the row-to-response conversion.

The shapes the CLI and UI share (search results, answers, ingest summaries, health,
documents, upload outcomes) live in :mod:`rag.schemas`. Limits that depend on settings
(longest query, largest k, most history) are checked in :mod:`rag.api.deps` and
written into the OpenAPI document by :func:`rag.api.app.create_app`.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StringConstraints, field_validator

from rag.schemas import MAX_TEXT_CHARS, ChatMessage, DocumentInfo, Filters
from rag.store import DocumentRow

NonEmpty = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]

_FILTERS_EXAMPLE = {"date_from": "2011-01-01", "author": "Crowley"}


class ErrorDetail(BaseModel):
    detail: str | list[Any] = Field(
        description="What went wrong and how to fix it (a list of field errors for 422)."
    )


class _Request(BaseModel):
    """Takes the types the schema documents, without coercion: "5" is not a k, nor 0 a
    bool (but 40.0 is an integer, as JSON Schema reads it)."""

    model_config = ConfigDict(extra="forbid")

    @field_validator("k", mode="before", check_fields=False)
    @classmethod
    def _integer_k(cls, value: Any) -> Any:
        if isinstance(value, str | bool):
            raise ValueError("must be a JSON integer")
        return value


class SearchRequest(_Request):
    query: str = Field(
        min_length=1,
        max_length=MAX_TEXT_CHARS,
        pattern=r"\S",
        description="What to look for, in plain English (at most api.max_query_chars).",
        examples=["Which cities are high-tech innovators?"],
    )
    k: int = Field(5, ge=1, description="Passages to return (at most api.max_k).", examples=[5])
    filters: Filters | None = Field(None, examples=[_FILTERS_EXAMPLE])


class AskRequest(_Request):
    question: str = Field(
        min_length=1,
        max_length=MAX_TEXT_CHARS,
        pattern=r"\S",
        description="The question (at most api.max_query_chars).",
        examples=["What makes a city innovative?"],
    )
    history: list[ChatMessage] = Field(
        default_factory=list,
        max_length=100,
        description="Earlier turns, oldest first (at most api.max_history).",
        examples=[[{"role": "user", "content": "Tell me about Streets Ahead."}]],
    )
    filters: Filters | None = Field(None, examples=[_FILTERS_EXAMPLE])
    k: int | None = Field(
        None, ge=1, le=20, description="Passages to draw on; default answer.passages.",
        examples=[5],
    )
    generator: Literal["extractive", "openai"] | None = Field(
        None,
        description="Override the configured generator for this question; only those "
        "GET /health lists in `generators` are accepted.",
    )
    stream: StrictBool = Field(
        False,
        description="Answer as text/event-stream: `token` events ({\"text\": ...}), then one "
        "`final` event (the AnswerResponse), or an `error` event ({\"detail\": ...}).",
    )


def document_info(row: DocumentRow) -> DocumentInfo:
    """A stored document's row as the API shows it."""
    return DocumentInfo(
        doc_id=row.doc_id,
        title=row.title,
        source=row.source,
        date=row.date,
        authors=list(row.authors),
        publisher=row.publisher,
        kind=row.kind,
        doc_type=row.doc_type,
        pages=row.n_pages,
        chunks=row.chunks,
        url=row.url,
        fields_from={
            name: row.extra[f"{name}_from"]
            for name in ("title", "date", "authors")
            if f"{name}_from" in row.extra
        },
    )


class UploadMetadata(BaseModel):
    """Metadata for uploaded files, written as a ``NAME.meta.json`` sidecar beside each."""

    model_config = ConfigDict(extra="forbid")

    title: NonEmpty | None = Field(None, examples=["Streets Ahead"])
    date: dt.date | None = Field(None, description="Publication date, YYYY-MM-DD.")
    authors: list[NonEmpty] | None = Field(None, examples=[["Lizzie Crowley"]])
    publisher: NonEmpty | None = Field(None, examples=["The Work Foundation"])
    doc_type: NonEmpty | None = Field(None, examples=["report"])

    def sidecar(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude_none=True)

