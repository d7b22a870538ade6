"""POST /ask: a cited answer, whole or as a server-sent event stream."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Iterator
from itertools import chain
from typing import Any

from fastapi import APIRouter
from fastapi.responses import StreamingResponse
from starlette.concurrency import iterate_in_threadpool

from rag.api.deps import ServiceDep, ValidAsk
from rag.errors import RagError, public_message
from rag.schemas import AnswerResponse, sse_event

log = logging.getLogger(__name__)

router = APIRouter(tags=["ask"])

INTERNAL_ERROR = "internal error; see the server log"

_STREAM_DOC = {
    200: {
        "description": "The answer; with `stream: true`, a text/event-stream instead.",
        "content": {
            "text/event-stream": {
                # Before OpenAPI 3.2, the schema of an event stream describes one event.
                "schema": {
                    "type": "object",
                    "required": ["event", "data"],
                    "properties": {
                        "event": {"type": "string", "enum": ["token", "final", "error"]},
                        "data": {
                            "type": "string",
                            "description": 'JSON: {"text": ...} for token, the AnswerResponse '
                            'for final, {"detail": ...} for error.',
                        },
                    },
                },
                "example": 'event: token\ndata: {"text": "Coventry"}\n\n'
                'event: final\ndata: {"question": "...", "answer": "...", ...}\n\n',
            }
        },
    }
}


def _encode(event: str, payload: Any) -> str:
    if event == "token":
        return sse_event("token", json.dumps({"text": payload}, ensure_ascii=False))
    if event == "final":
        return sse_event("final", AnswerResponse.model_validate(payload).model_dump_json())
    return sse_event(event, json.dumps(payload, ensure_ascii=False))


async def _stream(events: Iterator[tuple[str, Any]]) -> AsyncIterator[str]:
    """Encode the answerer's events; an exception becomes one `error` event."""
    try:
        async for event, payload in iterate_in_threadpool(events):
            yield _encode(event, payload)
    except RagError as exc:
        if exc.public:
            log.warning("error while streaming an answer: %s", exc)
        yield sse_event("error", json.dumps({"detail": public_message(exc)}, ensure_ascii=False))
    except Exception:
        log.exception("error while streaming an answer")
        yield sse_event("error", json.dumps({"detail": INTERNAL_ERROR}))


@router.post("/ask", response_model=AnswerResponse, responses=_STREAM_DOC)  # type: ignore[arg-type]
def ask(body: ValidAsk, service: ServiceDep) -> AnswerResponse | StreamingResponse:
    """Answer a question from the publications, citing the passages it used."""
    call = service.ask_stream if body.stream else service.ask
    result = call(
        body.question,
        history=body.history,
        filters=body.filters,
        k=body.k,
        generator=body.generator,
    )
    if isinstance(result, AnswerResponse):
        return result
    events = iter(result)
    # Take the first event here, so an error before any text (no index, a bad
    # filter, an unreachable generator) is an ordinary HTTP error, not a stream.
    first = next(events, None)
    rest = events if first is None else chain([first], events)
    return StreamingResponse(
        _stream(rest),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
