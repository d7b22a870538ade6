"""POST /ask, whole and streamed as server-sent events."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

QUESTION = "What makes a city innovative?"


def sse_events(lines: Iterator[str]) -> list[tuple[str, str]]:
    """(event, data) pairs of a text/event-stream."""
    events, event, data = [], "message", []
    for line in lines:
        if not line:
            if data:
                events.append((event, "\n".join(data)))
            event, data = "message", []
        elif line.startswith("event:"):
            event = line[6:].strip()
        elif line.startswith("data:"):
            data.append(line[5:].strip())
    if data:
        events.append((event, "\n".join(data)))
    return events


def stream(client: TestClient, body: dict) -> list[tuple[str, str]]:
    with client.stream("POST", "/ask", json={**body, "stream": True}) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        return sse_events(response.iter_lines())


def test_ask_returns_a_cited_answer(client: TestClient) -> None:
    body = {"question": QUESTION, "history": [{"role": "user", "content": "Hello"}], "k": 3}
    response = client.post("/ask", json=body)
    assert response.status_code == 200
    answer = response.json()
    assert answer["question"] == QUESTION and not answer["abstained"]
    cite = answer["citations"][0]
    text = client.get(f"/documents/{cite['doc_id']}").json()["text"]
    assert text[cite["char_start"]:cite["char_end"]] == cite["quote"]


def test_ask_stream_sends_tokens_then_the_final_answer(client: TestClient) -> None:
    events = stream(client, {"question": QUESTION})
    names = [e for e, _ in events]
    assert names[-1] == "final" and set(names[:-1]) == {"token"} and len(names) > 2
    tokens = "".join(json.loads(d)["text"] for e, d in events if e == "token")
    final = json.loads(events[-1][1])
    assert final["answer"] == tokens and final["citations"]
    assert final == client.post("/ask", json={"question": QUESTION}).json()


def test_error_midstream_is_an_error_event(client: TestClient) -> None:
    events = stream(client, {"question": "cities explode-midway"})
    assert [e for e, _ in events] == ["token", "error"]
    assert json.loads(events[-1][1]) == {"detail": "internal error; see the server log"}


def test_error_before_the_first_token_is_an_http_error(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    for streamed in (False, True):
        response = client.post(
            "/ask", json={"question": "cities explode-early", "stream": streamed}
        )
        assert response.status_code == 502
        # The generator's URL is for the operator's log, not the client.
        assert "llm.invalid" not in response.json()["detail"]
        assert "generator failed" in response.json()["detail"]
    assert "llm.invalid" in caplog.text


@pytest.mark.parametrize(
    ("body", "status", "needle"),
    [
        ({"question": ""}, 422, "question"),
        ({"question": "y" * 1001}, 400, "at most 1000 characters"),
        ({"question": "q", "history": [{"role": "user", "content": "hi"}] * 21}, 400,
         "history: at most 20 messages"),
        ({"question": "q", "history": [{"role": "system", "content": "hi"}]}, 422, "role"),
        ({"question": "q", "k": 21}, 422, "k"),
        ({"question": "q", "k": 0}, 422, "k"),
        ({"question": "q", "generator": "gpt"}, 422, "generator"),
        ({"question": "q", "filters": {"date_from": 5}}, 422, "date_from"),
    ],
)
def test_ask_bounds(client: TestClient, body: dict, status: int, needle: str) -> None:
    response = client.post("/ask", json=body)
    assert response.status_code == status
    assert needle in str(response.json()["detail"])
