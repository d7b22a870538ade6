"""POST /v1/chat/completions and GET /v1/models: the OpenAI protocol over the answerer.

These use the fake answerer of conftest.py (its answers come from the real index);
tests/rag/api/test_openai_sdk.py drives a real ``rag serve`` with the official client.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from rag.api import create_app
from rag.api.protocol import ChatCompletionRequest, render, to_query
from rag.schemas import AnswerResponse, Citation, SearchResult
from rag.settings import Settings

QUESTION = "What makes a city innovative?"
MODEL = "workfoundation-rag"


def chat(question: str = QUESTION, **body: Any) -> dict[str, Any]:
    return {"model": MODEL, "messages": [{"role": "user", "content": question}], **body}


def chunks(client: TestClient, body: dict[str, Any]) -> list[str]:
    """The data of each server-sent event, in order."""
    with client.stream("POST", "/v1/chat/completions", json={**body, "stream": True}) as r:
        assert r.status_code == 200
        assert r.headers["content-type"].startswith("text/event-stream")
        return [line[len("data: "):] for line in r.iter_lines() if line.startswith("data: ")]


def test_a_completion_carries_the_cited_answer_and_the_citations_of_ask(
    client: TestClient,
) -> None:
    response = client.post("/v1/chat/completions", json=chat(temperature=0.2, max_tokens=50))
    assert response.status_code == 200
    body = response.json()
    asked = client.post("/ask", json={"question": QUESTION}).json()
    assert body["object"] == "chat.completion" and body["model"] == MODEL
    assert body["id"].startswith("chatcmpl-")
    [choice] = body["choices"]
    assert choice["finish_reason"] == "stop" and choice["message"]["role"] == "assistant"
    content = choice["message"]["content"]
    answer, sources = content.split("\n\nSources:\n")
    assert answer == asked["answer"] and "[1]" in answer
    cite = asked["citations"][0]
    assert sources.splitlines()[0].startswith(f"- [1] {cite['title']}")
    assert body["citations"] == asked["citations"] and body["abstained"] is False
    assert body["usage"] == {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0}


def test_the_stream_joins_to_the_same_content_and_ends_with_the_citations(
    client: TestClient,
) -> None:
    whole = client.post("/v1/chat/completions", json=chat()).json()
    data = chunks(client, chat(stream_options={"include_usage": True}))
    assert data[-1] == "[DONE]"
    events = [json.loads(d) for d in data[:-1]]
    assert all(e["object"] == "chat.completion.chunk" for e in events)
    assert len({e["id"] for e in events}) == 1
    assert events[0]["choices"][0]["delta"] == {"role": "assistant", "content": ""}
    with_choices = [e for e in events if e["choices"]]
    text = "".join(e["choices"][0]["delta"].get("content", "") for e in with_choices)
    assert text == whole["choices"][0]["message"]["content"]
    last = with_choices[-1]
    assert last["choices"][0]["finish_reason"] == "stop"
    assert last["citations"] == whole["citations"] and last["abstained"] is False
    assert all("citations" not in e for e in with_choices[:-1])
    assert events[-1]["choices"] == [] and events[-1]["usage"]["total_tokens"] == 0


def test_filters_come_from_metadata_or_the_extra_filters_field(
    client: TestClient, doc_id_of: Any
) -> None:
    only = doc_id_of(client, "flexible-working.txt")
    for extra in ({"metadata": {"doc_ids": only, "note": "ignored"}},
                  {"filters": {"doc_ids": [only]}}):
        body = client.post("/v1/chat/completions", json=chat(**extra)).json()
        assert {c["doc_id"] for c in body["citations"]} == {only}
    response = client.post("/v1/chat/completions", json=chat(metadata={"kind": "docx"}))
    assert response.status_code == 400
    assert response.json()["error"]["param"] == "metadata.kind"
    both = chat(metadata={"author": "Crowley"}, filters={"author": "Crowley"})
    assert client.post("/v1/chat/completions", json=both).status_code == 400


def test_models_lists_the_served_ids(client: TestClient) -> None:
    listed = client.get("/v1/models").json()
    assert listed["object"] == "list" and [m["id"] for m in listed["data"]] == [MODEL]
    assert client.get(f"/v1/models/{MODEL}").json()["id"] == MODEL
    missing = client.get("/v1/models/gpt-4o")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "model_not_found"


def test_an_openai_generator_also_serves_the_extractive_answer(settings: Settings) -> None:
    settings.answer.generator = "openai"
    settings.api.model_name = "wf"
    query = to_query(ChatCompletionRequest.model_validate(chat(model="wf")), settings)
    assert query.generator == "openai"
    query = to_query(ChatCompletionRequest.model_validate(chat(model="wf-extractive")), settings)
    assert query.generator == "extractive"


@pytest.mark.parametrize(
    ("body", "status", "param", "needle"),
    [
        (chat(model="gpt-4o"), 404, None, "GET /v1/models"),
        ({"model": MODEL, "messages": [{"role": "user", "content": "hi"},
                                       {"role": "assistant", "content": "Hello"}]},
         400, "messages", "must be the user's question"),
        (chat("   "), 400, "messages", "has no text"),
        (chat("y" * 1001), 400, "messages", "at most 1000 characters"),
        ({"model": MODEL, "messages": []}, 422, None, "messages"),
        (chat(stream="yes"), 422, None, "stream"),
        (chat(n=2), 422, None, "n"),
    ],
)
def test_bad_requests_get_the_protocol_error_shape(
    client: TestClient, body: dict[str, Any], status: int, param: str | None, needle: str
) -> None:
    response = client.post("/v1/chat/completions", json=body)
    assert response.status_code == status
    error = response.json()["error"]
    assert needle in error["message"] and error["param"] == param
    assert error["type"] == "invalid_request_error"


def test_an_error_before_the_first_token_is_an_http_error(client: TestClient) -> None:
    for streamed in (False, True):
        body = chat("cities explode-early", stream=streamed)
        response = client.post("/v1/chat/completions", json=body)
        assert response.status_code == 502
        error = response.json()["error"]
        assert "llm.invalid" not in error["message"] and error["type"] == "server_error"


def test_an_error_midstream_is_a_protocol_error_event(client: TestClient) -> None:
    data = chunks(client, chat("cities explode-midway"))
    assert json.loads(data[-1]) == {"error": {
        "message": "internal error; see the server log", "type": "server_error",
        "param": None, "code": None,
    }}


def test_the_question_is_the_last_user_message_and_the_rest_is_history(
    settings: Settings,
) -> None:
    settings.api.max_history = 2
    body = ChatCompletionRequest.model_validate({
        "model": MODEL,
        "messages": [
            {"role": "system", "content": "You are helpful."},
            {"role": "user", "content": "Tell me about Streets Ahead."},
            {"role": "user", "content": "which cities are high-tech innovators?"},
            {"role": "assistant", "content": "Coventry [1]\n\nSources:\n- [1] Streets Ahead"},
            {"role": "tool", "content": "ignored"},
            {"role": "user", "content": [{"type": "text", "text": "and which are"},
                                         {"type": "image_url", "image_url": {"url": "x"}},
                                         {"type": "text", "text": "service innovators?"}]},
        ],
    })
    query = to_query(body, settings)
    assert query.question == "and which are\nservice innovators?"
    assert [(m.role, m.content) for m in query.history] == [
        ("user", "which cities are high-tech innovators?"), ("assistant", "Coventry [1]"),
    ]


def _answer(**fields: Any) -> AnswerResponse:
    base: dict[str, Any] = {"question": "q", "answer": "a", "abstained": False,
                            "citations": [], "passages": []}
    return AnswerResponse.model_validate({**base, **fields})


def test_sources_name_title_date_and_page_when_known() -> None:
    cites = [Citation(marker=1, doc_id="d", title="Streets Ahead", source="s", page=3,
                      char_start=0, char_end=1, quote="x", date="2011-12-07"),
             Citation(marker=2, doc_id="e", title="Local", source="t", page=None,
                      char_start=0, char_end=1, quote="y")]
    content = render(_answer(answer="One [1]. Two [2].", citations=cites))
    assert content == ("One [1]. Two [2].\n\nSources:\n"
                       "- [1] Streets Ahead, 2011-12-07, p. 3\n- [2] Local")


def test_an_abstention_says_so_and_lists_the_closest_passages() -> None:
    passage = SearchResult(rank=1, score=0.1, chunk_id="c", doc_id="d", title="Local",
                           source="s", page=2, page_end=3, char_start=0, char_end=1, text="x")
    content = render(_answer(answer="Not answered.", abstained=True,
                             passages=[passage, passage.model_copy(update={"rank": 2})]))
    assert content == "Not answered.\n\nClosest passages:\n- Local, pp. 2-3"


def test_the_openapi_document_lists_the_endpoints(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    assert {"/v1/chat/completions", "/v1/models", "/v1/models/{model}"} <= set(paths)
    errors = paths["/v1/chat/completions"]["post"]["responses"]
    assert errors["404"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "ErrorResponse"
    )


def test_a_served_model_can_be_renamed(tmp_path: Path, make_settings: Any) -> None:
    settings = make_settings(tmp_path, model_name="wf-pubs")
    with TestClient(create_app(settings)) as client:
        assert [m["id"] for m in client.get("/v1/models").json()["data"]] == ["wf-pubs"]


def test_starlette_errors_on_v1_paths_take_the_protocol_shape(client: TestClient) -> None:
    response = client.get("/v1/nothing-here")
    assert response.status_code == 404 and response.json()["error"]["message"] == "Not Found"
    assert client.get("/nothing-here").json() == {"detail": "Not Found"}
