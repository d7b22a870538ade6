"""Issue 11 item 15 and issue 12 item 6: a long conversation keeps working, the box
counts against the API's own limit, and every API error is a banner saying what to do
(never header talk), with a refused question put back into the box."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from streamlit.testing.v1 import AppTest

from rag.schemas import HISTORY_TURNS
from ui import state
from ui.client import ApiClient

ROOT = Path(__file__).resolve().parents[2]
APP = str(ROOT / "ui" / "app.py")
MAX_HISTORY = 20  # the API's default cap on history messages
HEALTH = {
    "status": "ok", "fingerprint": {}, "documents": 1, "chunks": 1, "model": "m",
    "generator": "extractive", "generators": ["extractive"], "max_question_chars": 321,
}  # fmt: skip
TEXT = "Coventry and Derby are high-tech innovators."
PASSAGE = {
    "rank": 1, "score": 0.9, "chunk_id": "d:1", "doc_id": "d", "title": "T", "source": "s",
    "page": None, "char_start": 0, "char_end": len(TEXT), "text": TEXT,
}  # fmt: skip
CITATION = {
    "marker": 1, "doc_id": "d", "title": "T", "source": "s", "page": None, "char_start": 0,
    "char_end": len(TEXT), "quote": TEXT, "chunk_id": "d:1",
}  # fmt: skip


def _answer(question: str) -> bytes:
    final = {
        "question": question, "answer": f"{TEXT} [1]", "abstained": False,
        "citations": [CITATION], "passages": [PASSAGE],
    }  # fmt: skip
    return f"event: final\ndata: {json.dumps(final)}\n\n".encode()


class Api:
    """/ask refuses what the real API refuses: more than MAX_HISTORY history messages."""

    def __init__(self, ask: Callable[[dict], httpx.Response] | None = None, health=None):
        self.asks: list[dict] = []
        self.ask = ask
        self.health = health

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/health":
            return self.health(request) if self.health else httpx.Response(200, json=HEALTH)
        if request.url.path == "/documents":
            return httpx.Response(200, json={"total": 0, "documents": []})
        if request.url.path == "/ask":
            body = json.loads(request.content)
            self.asks.append(body)
            if self.ask is not None:
                return self.ask(body)
            if len(body["history"]) > MAX_HISTORY:
                detail = [{"loc": ["body", "history"], "msg": "List should have at most 20 "
                           "items after validation", "type": "too_long"}]  # fmt: skip
                return httpx.Response(422, json={"detail": detail})
            return httpx.Response(
                200, content=_answer(body["question"]),
                headers={"content-type": "text/event-stream"},
            )  # fmt: skip
        return httpx.Response(404, json={"detail": "no route"})


@pytest.fixture(autouse=True)
def _no_saved_chats(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(state, "_chats_dir", lambda: tmp_path / "chats")


def _app(api: Api) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=30)
    at.session_state[state.CLIENT_KEY] = ApiClient(
        "http://api.test", 5, transport=httpx.MockTransport(api)
    )
    return at.run()


def test_the_twelfth_question_is_answered_and_sends_only_the_last_turns() -> None:
    api = Api()
    at = _app(api)
    for n in range(1, 13):
        at.chat_input[0].set_value(f"and what about city number {n}?").run()
        assert not at.exception and not at.error, (n, [e.value for e in at.error])
    assert len(at.chat_message) == 24
    last = api.asks[-1]["history"]
    assert len(last) == 2 * HISTORY_TURNS <= MAX_HISTORY
    assert [m["content"] for m in last if m["role"] == "user"] == [
        "and what about city number 10?", "and what about city number 11?",
    ]  # fmt: skip


def test_the_box_counts_against_the_apis_own_limit() -> None:
    at = _app(Api())
    assert at.chat_input[0].max_chars == HEALTH["max_question_chars"]


def _refusing(status: int, detail: object) -> Api:
    return Api(ask=lambda body: httpx.Response(status, json={"detail": detail}))


@pytest.mark.parametrize(
    ("status", "detail", "expected"),
    [
        (401, "A valid X-API-Key header is required.", "needs an access key"),
        (403, "Writes are disabled: set RAG_API__API_KEY and send it as X-API-Key.",
         "needs an access key"),
        (422, [{"loc": ["body", "question"], "msg": "String should have at most 321 "
                "characters", "type": "string_too_long"}], "Edit it and ask again"),
        (413, "Request body too large (Content-Length 99999 > 64000).", "too large"),
        (502, "The generator failed.", "Extractive (quotes only)"),
        (500, "internal error; see the server log", "Try again"),
        (503, "No index yet; build one with `rag ingest corpus/` or POST /reindex.",
         "Try again in a minute"),
    ],
)  # fmt: skip
def test_every_api_error_is_a_banner_saying_what_to_do(
    status: int, detail: object, expected: str
) -> None:
    at = _app(_refusing(status, detail))
    at.chat_input[0].set_value("which cities innovate?").run()
    assert not at.exception
    (banner,) = at.error
    assert expected in banner.value
    for word in ("header", "X-API-Key", "Content-Length", "body", "loc", "String should"):
        assert word not in banner.value, banner.value
    if status < 500:  # refused: the question is back in the box to edit
        assert at.chat_input[0].value == "which cities innovate?"


def test_an_error_mid_answer_says_to_ask_again() -> None:
    def failing(body: dict) -> httpx.Response:
        event = 'event: error\ndata: {"detail": "The reader failed."}\n\n'
        return httpx.Response(200, content=event.encode(),
                              headers={"content-type": "text/event-stream"})  # fmt: skip

    at = _app(Api(ask=failing))
    at.chat_input[0].set_value("which cities innovate?").run()
    assert [e.value for e in at.error] == ["The reader failed. Ask again."]


def test_an_api_that_is_not_ready_is_explained_without_header_talk() -> None:
    def health(request: httpx.Request) -> httpx.Response:
        return httpx.Response(401, json={"detail": "A valid X-API-Key header is required."})

    at = _app(Api(health=health))
    assert not at.exception
    assert "needs an access key" in at.error[0].value and "header" not in at.error[0].value


def test_a_blank_question_is_not_sent_and_none_goes_past_the_limit() -> None:
    api = Api()
    at = _app(api)
    at.chat_input[0].set_value(" \n\t ").run()
    assert not api.asks and "Type a question first" in at.warning[0].value
    at.chat_input[0].set_value("x" * 400).run()  # the box stops a paste at the limit
    assert [len(a["question"]) for a in api.asks] == [HEALTH["max_question_chars"]]
