"""ApiClient against httpx.MockTransport: wire shapes, SSE parsing, error mapping."""

from __future__ import annotations

import json
import socket
from collections.abc import Callable

import httpx
import pytest

from rag.schemas import ChatMessage, Filters
from ui.client import ApiClient, ApiError, ApiUnavailable

ANSWER = {
    "question": "q", "answer": "Coventry and Derby [1].", "abstained": False,
    "citations": [{
        "marker": 1, "doc_id": "d", "title": "T", "source": "s", "page": 2,
        "char_start": 0, "char_end": 8, "quote": "Coventry",
    }],
    "passages": [],
}  # fmt: skip


def _client(handler: Callable[[httpx.Request], httpx.Response]) -> ApiClient:
    return ApiClient("http://api.test/", 2, transport=httpx.MockTransport(handler))


def _sse_response(body: str, status: int = 200) -> httpx.Response:
    return httpx.Response(
        status, content=body.encode(), headers={"content-type": "text/event-stream"}
    )


def test_ask_stream_yields_tokens_then_the_final_answer() -> None:
    seen: list[dict] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(json.loads(request.content))
        return _sse_response(
            ": ping\r\n\r\n"
            'event: token\r\ndata: {"text": "Coventry "}\r\n\r\n'
            'id: 2\nevent: token\ndata: {"text": "and Derby [1]."}\n\n'
            f"event: final\ndata: {json.dumps(ANSWER)}\n\n"
        )

    history = [ChatMessage(role="user", content="hi"), ChatMessage(role="assistant", content="yo")]
    events = list(
        _client(handler).ask_stream("q", history, Filters(author="Crowley"), k=3, generator=None)
    )
    assert events[:2] == [("token", "Coventry "), ("token", "and Derby [1].")]
    kind, final = events[2]
    assert kind == "final" and final.citations[0].quote == "Coventry"
    assert seen == [{
        "question": "q", "history": [m.model_dump() for m in history],
        "filters": {"author": "Crowley"}, "k": 3, "generator": None, "stream": True,
    }]  # fmt: skip


def test_error_event_raises_api_error() -> None:
    client = _client(lambda r: _sse_response(
        'event: token\ndata: {"text": "a"}\n\nevent: error\ndata: {"detail": "LLM down."}\n\n'
    ))  # fmt: skip
    events = client.ask_stream("q")
    assert next(events) == ("token", "a")
    with pytest.raises(ApiError) as err:
        next(events)
    assert (err.value.status, err.value.detail) == (None, "LLM down.")


def test_stream_without_final_raises() -> None:
    client = _client(lambda r: _sse_response('event: token\ndata: {"text": "a"}\n\n'))
    with pytest.raises(ApiError, match="ended before"):
        list(client.ask_stream("q"))


def test_stream_refused_before_it_starts_maps_the_status() -> None:
    client = _client(lambda r: httpx.Response(503, json={"detail": "No index at data/index."}))
    with pytest.raises(ApiError) as err:
        list(client.ask_stream("q"))
    assert (err.value.status, str(err.value)) == (503, "No index at data/index.")


@pytest.mark.parametrize(
    ("response", "message"),
    [
        (httpx.Response(404, json={"detail": "No document 'x'."}), "No document 'x'."),
        (
            httpx.Response(422, json={"detail": [{"loc": ["body", "k"], "msg": "too big"}]}),
            "The request was not accepted: k: too big",
        ),
        (httpx.Response(502, text="<html>Bad gateway</html>"), "The API answered 502 Bad Gateway."),
    ],
)
def test_errors_carry_the_apis_sentence(response: httpx.Response, message: str) -> None:
    with pytest.raises(ApiError) as err:
        _client(lambda r: response).document("x")
    assert err.value.status == response.status_code and err.value.detail == message


def test_timeout_is_unavailable() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("timed out", request=request)

    with pytest.raises(ApiUnavailable, match=r"at http://api.test \(no answer within 2 s\)"):
        _client(handler).health()


def test_connection_refused_is_unavailable_with_a_hint() -> None:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with ApiClient(f"http://127.0.0.1:{port}", 2) as client, pytest.raises(ApiUnavailable) as err:
        client.health()
    assert str(err.value).startswith(
        f"The assistant's API is not reachable at http://127.0.0.1:{port} (connection refused)"
    )
    assert "`rag serve`" in str(err.value)


def test_ask_documents_and_health_parse() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/health":
            return httpx.Response(200, json={
                "status": "ok", "fingerprint": {"embedder": "m"}, "documents": 2, "chunks": 9,
                "model": "m", "generator": "extractive", "generators": ["extractive", "openai"],
            })  # fmt: skip
        if request.url.path == "/documents":
            assert request.url.params == httpx.QueryParams({"offset": "20", "limit": "10"})
            return httpx.Response(200, json={"total": 21, "documents": [
                {"doc_id": "d", "title": "T", "source": "s", "date": None, "authors": [],
                 "publisher": None, "kind": "pdf", "pages": 4, "chunks": 7},
            ]})  # fmt: skip
        body = json.loads(request.content)
        assert body["stream"] is False and body["filters"] is None
        return httpx.Response(200, json=ANSWER)

    client = _client(handler)
    assert client.health().generators == ["extractive", "openai"]
    page = client.documents(offset=20, limit=10)
    assert page.total == 21 and page.documents[0].pages == 4
    assert client.ask("q", filters=Filters()).answer == "Coventry and Derby [1]."


def test_upload_sends_files_metadata_and_key() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"files": [
            {"path": "a.pdf", "status": "added", "doc_id": "a", "reason": None},
            {"path": "b.txt", "status": "failed", "doc_id": None, "reason": "the file is empty"},
        ]})  # fmt: skip

    outcomes = _client(handler).upload(
        [("a.pdf", b"%PDF"), ("b.txt", b"")], {"title": "Streets Ahead"}, api_key="k"
    )
    assert [(o.path, o.status, o.reason) for o in outcomes] == [
        ("a.pdf", "added", None), ("b.txt", "failed", "the file is empty"),
    ]  # fmt: skip
    (request,) = seen
    assert request.headers["x-api-key"] == "k"
    body = request.content
    assert b'name="files"; filename="a.pdf"' in body and b"application/pdf" in body
    assert b'name="files"; filename="b.txt"' in body
    assert b'{"title": "Streets Ahead"}' in body


def test_upload_without_key_maps_401() -> None:
    client = _client(lambda r: httpx.Response(401, json={"detail": "Send X-API-Key."}))
    with pytest.raises(ApiError) as err:
        client.upload([("a.txt", b"x")])
    assert (err.value.status, err.value.detail) == (401, "Send X-API-Key.")


def test_file_url_quotes_the_id() -> None:
    client = _client(lambda r: httpx.Response(200))
    assert client.file_url("a b/c") == "http://api.test/documents/a%20b%2Fc/file"


@pytest.mark.parametrize(
    ("response", "call"),
    [
        (httpx.Response(200, json={"unexpected": True}), lambda c: c.ask("q")),
        (httpx.Response(200, text="<html>a proxy page</html>"), lambda c: c.ask("q")),
        (_sse_response('event: final\ndata: {"answer": 1}\n\n'), lambda c: list(c.ask_stream("q"))),
    ],
)
def test_unexpected_answers_are_api_errors_not_tracebacks(
    response: httpx.Response, call: Callable[[ApiClient], object]
) -> None:
    with pytest.raises(ApiError, match="something other than JSON|expected AnswerResponse shape"):
        call(_client(lambda r: response))
