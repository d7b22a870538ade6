"""Wire shapes shared by the command line (``--json``), the API and the UI."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class Filters(BaseModel):
    """Restrict retrieval before ranking. Every given field must match."""

    model_config = ConfigDict(extra="forbid")

    date_from: str | None = Field(None, description="Earliest publication date, YYYY-MM-DD.")
    date_to: str | None = Field(None, description="Latest publication date, YYYY-MM-DD.")
    author: str | None = Field(None, description="Author name, case-insensitive substring.")
    doc_ids: list[str] | None = Field(None, description="Only these documents.")
    kind: Literal["pdf", "html", "text"] | None = Field(None, description="Only this format.")

    def is_empty(self) -> bool:
        return not any((self.date_from, self.date_to, self.author, self.doc_ids, self.kind))


class SearchResult(BaseModel):
    rank: int
    score: float
    chunk_id: str
    doc_id: str
    title: str
    source: str
    page: int | None
    char_start: int
    char_end: int
    text: str
    date: str | None = None
    authors: list[str] = Field(default_factory=list)
    page_end: int | None = None


class SearchResponse(BaseModel):
    query: str
    results: list[SearchResult]


class AnswerSpan(BaseModel):
    """The words of a cited sentence that answer the question, as the reader marked them."""

    char_start: int = Field(description="Offset in the document text.")
    char_end: int
    text: str = Field(description="Exactly document_text[char_start:char_end], inside the quote.")


class Citation(BaseModel):
    marker: int = Field(description="The [n] in the answer text.")
    doc_id: str
    title: str
    source: str
    page: int | None
    char_start: int
    char_end: int
    quote: str = Field(description="Exactly document_text[char_start:char_end].")
    chunk_id: str | None = None
    date: str | None = None
    authors: list[str] = Field(default_factory=list)
    answer_span: AnswerSpan | None = Field(
        None, description="The answer inside the quote (extractive answers), or null."
    )
    probability: float | None = Field(
        None, description="The reader's probability that this sentence answers the question."
    )


class ChatMessage(BaseModel):
    model_config = ConfigDict(extra="forbid")

    role: Literal["user", "assistant"]
    content: str


class AnswerResponse(BaseModel):
    question: str
    answer: str
    abstained: bool
    citations: list[Citation]
    passages: list[SearchResult]
    rewritten_query: str | None = Field(
        None, description="The retrieval query after folding in the conversation, if changed."
    )
    confidence: float | None = Field(None, description="Evidence score used for abstention.")
    unsupported: list[str] = Field(
        default_factory=list,
        description="Generated sentences dropped because their cited passage does not "
        "support them.",
    )


class FileOutcome(BaseModel):
    path: str
    status: Literal["added", "updated", "unchanged", "removed", "failed"]
    doc_id: str | None = None
    reason: str | None = None


class IngestSummary(BaseModel):
    added: list[str] = Field(default_factory=list)
    updated: list[str] = Field(default_factory=list)
    removed: list[str] = Field(default_factory=list)
    unchanged: list[str] = Field(default_factory=list)
    failed: list[dict[str, str]] = Field(default_factory=list)
    embedded_chunks: int = 0
