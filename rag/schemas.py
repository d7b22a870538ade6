"""Wire shapes shared by the command line (``--json``), the API and the UI.

One copy of each: the API answers with these models and the UI parses its answers
with them. The server-sent event framing of ``POST /ask`` lives here too
(:func:`sse_event` writes an event, :func:`parse_sse` reads a stream).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    StringConstraints,
    computed_field,
)

# Hard caps in the schema, whatever the settings say; the API's configured limits
# (rag.settings.ApiSettings) are tighter and checked after parsing.
MAX_TEXT_CHARS = 10_000
"""Longest query or question any request may carry."""
MAX_MESSAGE_CHARS = 4_000
"""Longest history message (an earlier question or answer)."""
HISTORY_TURNS = 2
"""Earlier turns a follow-up question is read with: the rewrite folds in the user's last
this many questions, and the UI sends only these turns (each a question and an answer)."""
MAX_DOC_IDS = 500
"""Most document ids in one filter."""
MAX_ID_CHARS = 200

DocId = Annotated[str, StringConstraints(max_length=MAX_ID_CHARS)]


class Filters(BaseModel):
    """Restrict retrieval before ranking. Every given field must match."""

    model_config = ConfigDict(extra="forbid")

    date_from: str | None = Field(
        None, max_length=10, description="Earliest publication date, YYYY-MM-DD."
    )
    date_to: str | None = Field(
        None, max_length=10, description="Latest publication date, YYYY-MM-DD."
    )
    author: str | None = Field(
        None, max_length=MAX_ID_CHARS, description="Author name, case-insensitive substring."
    )
    doc_ids: list[DocId] | None = Field(
        None, max_length=MAX_DOC_IDS, description=f"Only these documents (at most {MAX_DOC_IDS})."
    )
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
    content: str = Field(max_length=MAX_MESSAGE_CHARS)


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


Status = Literal["added", "updated", "unchanged", "removed", "failed"]


class FileOutcome(BaseModel):
    """What became of one file: its index id when it is in the index, else the reason."""

    path: str
    status: Status
    doc_id: str | None = None
    reason: str | None = None
    warnings: list[str] = Field(
        default_factory=list,
        description="Problems the loader worked around (a damaged PDF page, say); the file "
        "was still indexed.",
    )


class IngestSummary(BaseModel):
    """One typed outcome per file in ``files``; the JSON keeps the lists by status.

    ``added``, ``updated``, ``removed`` and ``unchanged`` list paths, ``failed`` lists
    ``{"path", "reason"}`` objects: the shape ``rag ingest --json`` and ``POST /reindex``
    have always printed. :meth:`outcome` finds a file's outcome by its path.
    """

    files: list[FileOutcome] = Field(default_factory=list, exclude=True)
    embedded_chunks: int = 0
    _by_key: dict[str, FileOutcome] = PrivateAttr(default_factory=dict)

    def record(self, outcome: FileOutcome, key: str | None = None) -> FileOutcome:
        """Add ``outcome``; ``key`` (the file's resolved path) makes it findable by path."""
        self.files.append(outcome)
        if key is not None:
            self._by_key[key] = outcome
        return outcome

    def outcome(self, path: Path | str) -> FileOutcome | None:
        """The outcome of the file at ``path`` (or of the document keyed so), if this run
        considered it."""
        found = self._by_key.get(str(path))
        return found or self._by_key.get(str(Path(path).expanduser().resolve()))

    def _paths(self, status: Status) -> list[str]:
        return [f.path for f in self.files if f.status == status]

    @computed_field  # type: ignore[prop-decorator]
    @property
    def added(self) -> list[str]:
        return self._paths("added")

    @computed_field  # type: ignore[prop-decorator]
    @property
    def updated(self) -> list[str]:
        return self._paths("updated")

    @computed_field  # type: ignore[prop-decorator]
    @property
    def removed(self) -> list[str]:
        return self._paths("removed")

    @computed_field  # type: ignore[prop-decorator]
    @property
    def unchanged(self) -> list[str]:
        return self._paths("unchanged")

    @computed_field  # type: ignore[prop-decorator]
    @property
    def failed(self) -> list[dict[str, str]]:
        return [
            {"path": f.path, "reason": f.reason or "unknown error"}
            for f in self.files
            if f.status == "failed"
        ]


# -- the HTTP API's other answers, which the UI parses ---------------------------------


class Health(BaseModel):
    status: Literal["ok", "no-index"] = Field(examples=["ok"])
    fingerprint: dict[str, Any] | None = Field(
        description="What the index was built with; null before the first ingest."
    )
    documents: int
    chunks: int
    model: str = Field(
        description="The embedding model.", examples=["sentence-transformers/all-MiniLM-L6-v2"]
    )
    generator: str = Field(description="The configured answer generator.", examples=["extractive"])
    generators: list[str] = Field(examples=[["extractive"]])
    reader: str = Field("reader", description="The sentence reader: the trained model or a fake.")
    reader_runtime: str | None = Field(
        None,
        description="What the trained reader runs on: 'onnxruntime', or 'torch' (chosen, int8, "
        "or the fallback when its ONNX graph cannot be built: the log says why); null for a "
        "fake reader.",
        examples=["onnxruntime"],
    )
    max_question_chars: int | None = Field(
        None, description="Longest question or query this server accepts, in characters."
    )


class DocumentInfo(BaseModel):
    doc_id: str = Field(examples=["streets-ahead-press-release-2011-12-07-1a2b3c4d"])
    title: str = Field(examples=["Streets Ahead: what makes a city innovative?"])
    source: str = Field(examples=["corpus/streets-ahead-press-release-2011-12-07.txt"])
    date: str | None = Field(examples=["2011-12-07"])
    authors: list[str] = Field(examples=[["Lizzie Crowley"]])
    publisher: str | None
    kind: str = Field(examples=["text"])
    doc_type: str | None = Field(None, examples=["press release"])
    pages: int | None = Field(description="Page count; null for formats without pages.")
    chunks: int
    url: str | None = None
    fields_from: dict[str, str] = Field(
        default_factory=dict,
        description="Where title, date and authors came from: sidecar, html meta, page "
        "layout, pdf info, first page or file name (most trusted first). A NAME.meta.json "
        "sidecar corrects any of them.",
        examples=[{"title": "page layout", "date": "page layout", "authors": "sidecar"}],
    )


class DocumentDetail(DocumentInfo):
    text: str = Field(description="Full cleaned text; citations' offsets index into it.")
    page_spans: list[tuple[int, int, int]] = Field(
        default_factory=list,
        description="[page, start, end]: characters [start, end) of text come from page.",
    )


class DocumentPage(BaseModel):
    total: int
    documents: list[DocumentInfo]


class UploadResponse(BaseModel):
    files: list[FileOutcome]


# -- server-sent events ----------------------------------------------------------------


def sse_event(event: str, data: str) -> str:
    """One text/event-stream event (``data`` must be a single line, as JSON is)."""
    return f"event: {event}\ndata: {data}\n\n"


def parse_sse(lines: Iterable[str]) -> Iterator[tuple[str, str]]:
    """(event, data) pairs of a text/event-stream; comments and ids are skipped."""
    event, data = "message", list[str]()
    for line in lines:
        if not line:
            if data:
                yield event, "\n".join(data)
            event, data = "message", []
        elif line.startswith(":"):
            continue
        else:
            field, _, value = line.partition(":")
            value = value[1:] if value.startswith(" ") else value
            if field == "event":
                event = value
            elif field == "data":
                data.append(value)
    if data:
        yield event, "\n".join(data)
