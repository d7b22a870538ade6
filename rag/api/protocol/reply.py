"""The protocol's reply: a ``chat.completion`` or its ``chat.completion.chunk`` stream.

Its ``content`` is the answer with its ``[n]`` markers and a plain "Sources:" list,
plus the structured citations (the same objects as ``/ask``) in extra fields strict
clients ignore. ``usage`` is always zeros: nothing is generated to count.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Iterable, Iterator
from typing import Any, Literal

from pydantic import BaseModel, Field, SerializerFunctionWrapHandler, model_serializer

from rag.api.protocol.request import CLOSEST, SOURCES, served_models
from rag.schemas import AnswerResponse, Citation
from rag.settings import Settings

log = logging.getLogger(__name__)

DONE = "data: [DONE]\n\n"


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


def data_event(payload: str) -> str:
    """One data-only server-sent event, as the protocol's streams are made of."""
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
        body = ChatCompletionChunk(id=ident, created=created, model=model, choices=choices, **extra)
        return data_event(body.model_dump_json())

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
