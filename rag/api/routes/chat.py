"""The OpenAI-compatible endpoints: POST /v1/chat/completions and GET /v1/models.

The protocol's shapes and translations live in :mod:`rag.api.protocol`; errors on
these paths take the protocol's ``{"error": {...}}`` shape (see :mod:`rag.api.app`).
Nothing here writes.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from itertools import chain
from typing import Any

from fastapi import APIRouter
from fastapi.responses import StreamingResponse
from starlette.concurrency import iterate_in_threadpool

from rag.api.deps import ServiceDep, SettingsDep, ValidChat
from rag.api.protocol import (
    ChatCompletion,
    ModelCard,
    ModelList,
    completion,
    error_event,
    model_list,
    served_models,
    stream_chunks,
)
from rag.errors import UnknownModel

log = logging.getLogger(__name__)

router = APIRouter(prefix="/v1", tags=["openai"])

_STREAM_DOC = {
    200: {
        "description": "A `chat.completion`; with `stream: true`, `chat.completion.chunk` "
        "server-sent events instead. Beyond the protocol, the reply (or the chunk with "
        "`finish_reason`) carries `citations`, `abstained` and `rewritten_query`.",
        "content": {
            "text/event-stream": {
                # Before OpenAPI 3.2, the schema of an event stream describes one event.
                "schema": {
                    "type": "object",
                    "required": ["data"],
                    "properties": {
                        "event": {"type": "string", "enum": ["message"]},
                        "data": {
                            "type": "string",
                            "description": "A chat.completion.chunk as JSON; the last event "
                            "is `[DONE]`; an error midway is `{\"error\": {...}}`.",
                        },
                    },
                },
                "example": 'data: {"object": "chat.completion.chunk", "choices": [{"delta": '
                '{"content": "Coventry [1]"}, ...}], ...}\n\ndata: [DONE]\n\n',
            }
        },
    }
}


async def _stream(chunks: Iterator[str]) -> AsyncIterator[str]:
    """The chunks; an exception becomes one protocol error event, which ends the stream."""
    try:
        async for chunk in iterate_in_threadpool(chunks):
            yield chunk
    except Exception as exc:
        log.exception("error while streaming a chat completion")
        yield error_event(exc)


@router.post(
    "/chat/completions",
    response_model=ChatCompletion,
    responses=_STREAM_DOC,  # type: ignore[arg-type]
)
def chat_completions(query: ValidChat, service: ServiceDep) -> ChatCompletion | StreamingResponse:
    """Answer the last user message from the publications, as an OpenAI chat completion
    whose content cites its sources."""
    ask: dict[str, Any] = {
        "history": query.history, "filters": query.filters, "generator": query.generator,
    }
    if not query.stream:
        return completion(service.ask(query.question, **ask), query.model)
    events = iter(service.ask_stream(query.question, **ask))
    # As on /ask: an error before any text is an ordinary HTTP error, not a stream.
    first = next(events, None)
    rest = events if first is None else chain([first], events)
    return StreamingResponse(
        _stream(stream_chunks(rest, query.model, include_usage=query.include_usage)),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


@router.get("/models", response_model=ModelList)
def list_models(settings: SettingsDep) -> ModelList:
    """The model ids /v1/chat/completions answers for."""
    return model_list(settings)


@router.get("/models/{model}", response_model=ModelCard)
def get_model(model: str, settings: SettingsDep) -> ModelCard:
    """One served model, or 404."""
    served = served_models(settings)
    if model not in served:
        raise UnknownModel(model, list(served))
    return ModelCard(id=model)
