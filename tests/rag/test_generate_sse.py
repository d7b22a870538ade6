"""The generative client reads the endpoint's stream with the one SSE parser
(``rag.schemas.parse_sse``), so any well-formed text/event-stream is understood."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from rag.errors import GeneratorError
from rag.evidence import Evidence
from rag.generate import OpenAIGenerator
from rag.settings import AnswerSettings

REPLY = ["Cities innovate", " most [1]. ", "NOT FOUND is not the start."]


def _generator(body: str) -> OpenAIGenerator:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, text=body, headers={"content-type": "text/event-stream"})

    client = httpx.Client(transport=httpx.MockTransport(handler))
    settings = AnswerSettings(generator="openai", openai_base_url="http://stub.invalid/v1")
    return OpenAIGenerator(settings, client=client)


def _final(gen: OpenAIGenerator) -> Any:
    no_index: Any = None  # no passages, so the snapshot is never read
    ev = Evidence(question="q?", query="q?", hits=[], sentences=[], snapshot=no_index)
    events = list(gen.stream(ev))
    assert events[-1][0] == "final"
    return events[-1][1]


def _delta(text: str) -> str:
    return json.dumps({"choices": [{"delta": {"content": text}}]})


def test_an_event_whose_data_spans_several_lines_is_read_whole() -> None:
    # SSE allows one event's data over several `data:` lines, joined by newlines;
    # comments, `event:` and `id:` fields and CRLF line ends are part of the format.
    events = []
    for i, piece in enumerate(REPLY):
        head, tail = _delta(piece).split('"delta": ')
        events.append(f': keep-alive\r\nid: {i}\r\ndata: {head}\r\ndata: "delta": {tail}\r\n\r\n')
    body = "".join(events) + "data: [DONE]\r\n\r\n"
    final = _final(_generator(body))
    # Nothing verifies against no passages, so every sentence is listed as unsupported:
    # the reply was put back together exactly.
    assert final.abstained
    assert final.unsupported == ["Cities innovate most [1].", "NOT FOUND is not the start."]


def test_a_bad_event_is_still_a_clear_generator_error() -> None:
    with pytest.raises(GeneratorError, match="not JSON"):
        _final(_generator("data: {not json\n\n"))
