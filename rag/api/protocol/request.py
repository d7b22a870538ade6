"""The protocol's request: its shapes, and :func:`to_query` into the library's terms.

The last user message is the question, the earlier user and assistant messages the
history (so follow-ups are rewritten as on ``/ask``); system, developer and tool
messages, ``temperature`` and the other sampling fields do not apply to a cited
answer and are ignored. Filters come from an extra ``filters`` object or, for
clients that can only set tags, from ``metadata`` keys.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, ValidationError

from rag.errors import InvalidRequest, UnknownModel
from rag.schemas import ChatMessage, Filters
from rag.settings import Settings

SOURCES = "Sources:"
CLOSEST = "Closest passages:"
"""Headings of the lists a reply appends to the answer (and a request's history drops)."""

_IGNORED = (
    "temperature, top_p, max_tokens, max_completion_tokens, stop, seed, user, "
    "presence_penalty, frequency_penalty, logit_bias, tools, tool_choice, response_format"
)
_METADATA_FILTERS = ("date_from", "date_to", "author", "kind", "doc_ids")


class ContentPart(BaseModel):
    model_config = ConfigDict(extra="allow")

    type: str = Field(examples=["text"])
    text: str | None = None


class ProtocolMessage(BaseModel):
    model_config = ConfigDict(extra="allow")

    role: Literal["system", "developer", "user", "assistant", "tool", "function"]
    content: str | list[ContentPart] | None = Field(
        None, description="Text, or content parts of which the `text` ones are read."
    )
    name: str | None = None

    def text(self) -> str:
        if isinstance(self.content, str):
            return self.content
        return "\n".join(p.text for p in self.content or [] if p.type == "text" and p.text)


class StreamOptions(BaseModel):
    model_config = ConfigDict(extra="allow")

    include_usage: StrictBool | None = Field(
        None, description="Send a last chunk with `usage` (zeros) and no choices."
    )


class ChatCompletionRequest(BaseModel):
    model_config = ConfigDict(
        extra="allow",
        json_schema_extra={
            "description": f"Other protocol fields ({_IGNORED}, ...) are "
            "accepted and ignored: they do not apply to a cited answer."
        },
    )

    model: str = Field(description="An id from GET /v1/models.", examples=["workfoundation-rag"])
    messages: list[ProtocolMessage] = Field(
        min_length=1,
        description="The conversation, oldest first: the last message is the user's "
        "question, earlier user and assistant messages the history (the latest "
        "api.max_history of them are kept).",
        examples=[[{"role": "user", "content": "Which cities are high-tech innovators?"}]],
    )
    stream: StrictBool | None = Field(
        False,
        description="Answer as `chat.completion.chunk` server-sent events, then `data: [DONE]`.",
    )
    stream_options: StreamOptions | None = None
    n: int | None = Field(None, ge=1, le=1, description="Choices to return: only 1.")
    metadata: dict[str, str] | None = Field(
        None,
        description="Tags; the keys date_from, date_to (YYYY-MM-DD), author, kind and doc_ids "
        "(comma-separated) filter the documents, as `filters` does. Other keys are ignored.",
        examples=[{"author": "Crowley"}],
    )
    filters: Filters | None = Field(
        None, description="Extension (send with the SDK's `extra_body`): the filters of /ask."
    )


@dataclass(frozen=True)
class ChatQuery:
    """A chat request in the library's terms."""

    model: str
    question: str
    history: list[ChatMessage] = field(default_factory=list)
    filters: Filters | None = None
    generator: str | None = None
    stream: bool = False
    include_usage: bool = False


def served_models(settings: Settings) -> dict[str, str]:
    """Model id -> the generator that answers for it."""
    name, generator = settings.api.model_name, settings.answer.generator
    models: dict[str, str] = {name: generator}
    if generator != "extractive":
        models[f"{name}-extractive"] = "extractive"
    return models


def _unsourced(text: str) -> str:
    """An assistant turn without the source list this endpoint appended to it."""
    for heading in (SOURCES, CLOSEST):
        text = text.split(f"\n\n{heading}\n", 1)[0]
    return text


def _filters(body: ChatCompletionRequest) -> Filters | None:
    tags = {k: v for k, v in (body.metadata or {}).items() if k in _METADATA_FILTERS}
    if not tags:
        return body.filters
    if body.filters is not None and not body.filters.is_empty():
        raise InvalidRequest("filters", "give filters in `filters` or in `metadata`, not both")
    if "doc_ids" in tags:
        ids = [i.strip() for i in tags["doc_ids"].split(",") if i.strip()]
        fields: dict[str, Any] = {**tags, "doc_ids": ids}
    else:
        fields = dict(tags)
    try:
        return Filters.model_validate(fields)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise InvalidRequest(f"metadata.{where}", first["msg"]) from None


def to_query(body: ChatCompletionRequest, settings: Settings) -> ChatQuery:
    """The question, history, filters and generator of a chat request (400 or 404 if
    it has no user question last, one over the limits, or a model this server lacks)."""
    models = served_models(settings)
    if body.model not in models:
        raise UnknownModel(body.model, list(models))
    turns = [m for m in body.messages if m.role in ("user", "assistant")]
    if not turns or turns[-1].role != "user":
        raise InvalidRequest(
            "messages", "the last user or assistant message must be the user's question"
        )
    question = turns[-1].text()
    limit = settings.api.max_query_chars
    if not question.strip():
        raise InvalidRequest("messages", "the last user message has no text")
    if len(question) > limit:
        raise InvalidRequest(
            "messages", f"the question is at most {limit} characters (got {len(question)})"
        )
    history = [
        ChatMessage(
            role=m.role, content=_unsourced(m.text()) if m.role == "assistant" else m.text()
        )
        for m in turns[:-1]
        if m.text().strip()
    ]
    keep = settings.api.max_history
    return ChatQuery(
        model=body.model,
        question=question,
        history=history[len(history) - keep :] if keep else [],
        filters=_filters(body),
        generator=models[body.model],
        stream=bool(body.stream),
        include_usage=bool(body.stream_options and body.stream_options.include_usage),
    )
