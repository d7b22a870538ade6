"""The OpenAI chat-completions protocol, spoken over the answerer.

Chat clients (the ``openai`` SDKs, Open WebUI, LibreChat, LangChain's ``ChatOpenAI``)
send ``POST /v1/chat/completions``; this module holds the protocol's shapes and the
translations to and from the library's own:

- :func:`to_query`: the last user message is the question, the earlier user and
  assistant messages the history (so follow-ups are rewritten as on ``/ask``); system,
  developer and tool messages, ``temperature`` and the other sampling fields do not
  apply to a cited answer and are ignored. Filters come from an extra ``filters``
  object or, for clients that can only set tags, from ``metadata`` keys.
- :func:`completion` and :func:`stream_chunks`: the reply, whose ``content`` is the
  answer with its ``[n]`` markers and a plain "Sources:" list, plus the structured
  citations (the same objects as ``/ask``) in extra fields strict clients ignore.
- :func:`error_body`: the protocol's ``{"error": {...}}`` shape, which the app's error
  handlers answer with on ``/v1/`` paths.

``usage`` is always zeros: the extractive answer is composed from quoted sentences,
not generated, so there are no generated tokens to count.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    StrictBool,
    ValidationError,
    model_serializer,
)

from rag.errors import AuthError, InvalidRequest, RagError, UnknownModel, public_message
from rag.schemas import AnswerResponse, ChatMessage, Citation, Filters
from rag.settings import Settings

log = logging.getLogger(__name__)

PREFIX = "/v1/"
SOURCES = "Sources:"
CLOSEST = "Closest passages:"
DONE = "data: [DONE]\n\n"

_IGNORED = (
    "temperature, top_p, max_tokens, max_completion_tokens, stop, seed, user, "
    "presence_penalty, frequency_penalty, logit_bias, tools, tool_choice, response_format"
)
_METADATA_FILTERS = ("date_from", "date_to", "author", "kind", "doc_ids")


# -- the request -----------------------------------------------------------------------


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
        json_schema_extra={"description": f"Other protocol fields ({_IGNORED}, ...) are "
                           "accepted and ignored: they do not apply to a cited answer."},
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
        False, description="Answer as `chat.completion.chunk` server-sent events, then "
        "`data: [DONE]`."
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
        ChatMessage(role=m.role, content=_unsourced(m.text()) if m.role == "assistant" else
                    m.text())
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


# -- the reply ---------------------------------------------------------------------------


class Usage(BaseModel):
    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0


class AssistantMessage(BaseModel):
    role: Literal["assistant"] = "assistant"
    content: str


class Choice(BaseModel):
    index: int = 0
    message: AssistantMessage
    finish_reason: Literal["stop"] = "stop"
    logprobs: None = None


class _Extras(BaseModel):
    """Fields beyond the protocol, which strict clients ignore."""

    citations: list[Citation] = Field(
        default_factory=list,
        description="The citations of /ask: verified quotes with their document offsets.",
    )
    abstained: bool = Field(False, description="True when the publications do not answer.")
    rewritten_query: str | None = Field(
        None, description="The retrieval query after folding in the conversation, if changed."
    )


class ChatCompletion(_Extras):
    id: str
    object: Literal["chat.completion"] = "chat.completion"
    created: int
    model: str
    choices: list[Choice]
    usage: Usage = Field(default_factory=Usage, description="Zeros: nothing is generated.")


class Delta(BaseModel):
    role: Literal["assistant"] | None = None
    content: str | None = None

    @model_serializer(mode="wrap")
    def _without_nulls(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        return {k: v for k, v in handler(self).items() if v is not None}


class ChunkChoice(BaseModel):
    index: int = 0
    delta: Delta
    finish_reason: Literal["stop"] | None = None
    logprobs: None = None


class ChatCompletionChunk(BaseModel):
    id: str
    object: Literal["chat.completion.chunk"] = "chat.completion.chunk"
    created: int
    model: str
    choices: list[ChunkChoice]
    usage: Usage | None = None
    # Only on the chunk that carries finish_reason:
    citations: list[Citation] | None = None
    abstained: bool | None = None
    rewritten_query: str | None = None

    @model_serializer(mode="wrap")
    def _without_absent_extras(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        out: dict[str, Any] = handler(self)
        return {k: v for k, v in out.items() if v is not None or k not in _CHUNK_EXTRAS}


_CHUNK_EXTRAS = {"usage", "citations", "abstained", "rewritten_query"}


class ModelCard(BaseModel):
    id: str = Field(examples=["workfoundation-rag"])
    object: Literal["model"] = "model"
    created: int = Field(0, description="Unknown: always 0.")
    owned_by: str = "workfoundation-rag"


class ModelList(BaseModel):
    object: Literal["list"] = "list"
    data: list[ModelCard]


def model_list(settings: Settings) -> ModelList:
    return ModelList(data=[ModelCard(id=name) for name in served_models(settings)])


def _where(title: str, date: str | None, page: int | None, page_end: int | None = None) -> str:
    parts = [title]
    if date:
        parts.append(date)
    if page is not None:
        parts.append(f"pp. {page}-{page_end}" if page_end and page_end != page else f"p. {page}")
    return ", ".join(parts)


def render(resp: AnswerResponse) -> str:
    """The answer with its markers, then a "Sources:" line per citation (or, when it
    abstains, the closest passages it lists)."""
    text = resp.answer.strip()
    if resp.citations:
        lines = [f"- [{c.marker}] {_where(c.title, c.date, c.page)}" for c in resp.citations]
        return f"{text}\n\n{SOURCES}\n" + "\n".join(lines)
    if resp.abstained and resp.passages:
        seen = dict.fromkeys(_where(p.title, p.date, p.page, p.page_end) for p in resp.passages)
        return f"{text}\n\n{CLOSEST}\n" + "\n".join(f"- {w}" for w in seen)
    return text


def _new_id() -> str:
    return f"chatcmpl-{uuid.uuid4().hex}"


def completion(resp: AnswerResponse, model: str) -> ChatCompletion:
    return ChatCompletion(
        id=_new_id(),
        created=int(time.time()),
        model=model,
        choices=[Choice(message=AssistantMessage(content=render(resp)))],
        citations=resp.citations,
        abstained=resp.abstained,
        rewritten_query=resp.rewritten_query,
    )


def _data(payload: str) -> str:
    return f"data: {payload}\n\n"


def stream_chunks(
    events: Iterable[tuple[str, Any]], model: str, *, include_usage: bool = False
) -> Iterator[str]:
    """The answerer's ("token", text) ... ("final", AnswerResponse) events as the
    protocol's server-sent events: a role chunk, the text, then the sources and a
    chunk with ``finish_reason`` and the citations, then ``data: [DONE]``.

    The chunks' contents join to exactly :func:`render` of the final answer: trailing
    whitespace of a token is held back until more text follows it."""
    ident, created = _new_id(), int(time.time())

    def chunk(choices: list[ChunkChoice], **extra: Any) -> str:
        body = ChatCompletionChunk(id=ident, created=created, model=model, choices=choices,
                                   **extra)
        return _data(body.model_dump_json())

    def text(content: str) -> str:
        return chunk([ChunkChoice(delta=Delta(content=content))])

    yield chunk([ChunkChoice(delta=Delta(role="assistant", content=""))])
    sent, pending = "", ""
    for kind, payload in events:
        if kind == "token":
            piece = pending + str(payload)
            body = piece.rstrip()
            pending = piece[len(body) :]
            if not sent:
                body = body.lstrip()
            if body:
                sent += body
                yield text(body)
        elif kind == "final":
            resp = AnswerResponse.model_validate(payload)
            content = render(resp)
            if content.startswith(sent):
                rest = content[len(sent) :]
            else:  # the streamed text is out; send the sources after it
                log.warning("streamed answer text differs from the final answer")
                rest = content[len(resp.answer.strip()) :]
            if rest:
                yield text(rest)
            yield chunk(
                [ChunkChoice(delta=Delta(), finish_reason="stop")],
                citations=resp.citations,
                abstained=resp.abstained,
                rewritten_query=resp.rewritten_query,
            )
            if include_usage:
                yield chunk([], usage=Usage())
    yield DONE


# -- errors ------------------------------------------------------------------------------


class ErrorInfo(BaseModel):
    message: str
    type: str = Field(examples=["invalid_request_error"])
    param: str | None = None
    code: str | None = Field(None, examples=["model_not_found"])


class ErrorResponse(BaseModel):
    error: ErrorInfo


def speaks_protocol(path: str) -> bool:
    """Do errors on this path take the protocol's shape?"""
    return path.startswith(PREFIX)


def error_body(message: str, status: int, exc: Exception | None = None) -> dict[str, Any]:
    """``{"error": {message, type, param, code}}`` as the protocol's clients read it."""
    kind = (
        "authentication_error" if status in (401, 403)
        else "server_error" if status >= 500
        else "invalid_request_error"
    )
    param = exc.field if isinstance(exc, InvalidRequest) else None
    code = (
        "model_not_found" if isinstance(exc, UnknownModel)
        else "invalid_api_key" if isinstance(exc, AuthError)
        else None
    )
    info = ErrorInfo(message=message, type=kind, param=param, code=code)
    return ErrorResponse(error=info).model_dump()


def error_event(exc: Exception) -> str:
    """An error in the middle of a stream, as the protocol's clients expect it."""
    message = (
        public_message(exc) if isinstance(exc, RagError) else "internal error; see the server log"
    )
    status = exc.status_code if isinstance(exc, RagError) else 500
    return _data(json.dumps(error_body(message, status, exc), ensure_ascii=False))
