"""Conversations that last, under AppTest with the API faked: kept in SQLite, listed in the
sidebar and reopened from there, copied with numbered sources, rated with a comment."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
from streamlit.testing.v1 import AppTest

from ui import state
from ui.chats import ChatStore
from ui.client import ApiClient

ROOT = Path(__file__).resolve().parents[2]
APP = str(ROOT / "ui" / "app.py")
TEXT = (ROOT / "corpus" / "streets-ahead-press-release-2011-12-07.txt").read_text("utf-8")
QUOTE = "The include Coventry, Derby, Northampton, Preston and Warrington/Wigan."
START = TEXT.index(QUOTE)
DOC = {
    "doc_id": "streets-ahead", "title": "Streets Ahead", "source": "corpus/streets-ahead.txt",
    "date": "2011-12-07", "authors": ["Lizzie Crowley"], "publisher": None, "kind": "text",
    "pages": None, "chunks": 4,
}  # fmt: skip


def _answer(question: str) -> dict:
    citation = {
        "marker": 1, "doc_id": DOC["doc_id"], "title": DOC["title"], "source": DOC["source"],
        "page": None, "char_start": START, "char_end": START + len(QUOTE), "quote": QUOTE,
        "chunk_id": "c1", "date": DOC["date"], "authors": DOC["authors"],
    }  # fmt: skip
    passage = {
        "rank": 1, "score": 0.9, "chunk_id": "c1", "doc_id": DOC["doc_id"],
        "title": DOC["title"], "source": DOC["source"], "page": None, "char_start": START,
        "char_end": START + len(QUOTE), "text": QUOTE,
    }  # fmt: skip
    return {
        "question": question,
        "answer": "They are Coventry, Derby, Northampton, Preston and Warrington/Wigan [1].",
        "abstained": False,
        "citations": [citation],
        "passages": [passage],
        "confidence": 0.9,
    }


def _api(request: httpx.Request) -> httpx.Response:
    path = request.url.path
    if path == "/health":
        return httpx.Response(200, json={
            "status": "ok", "fingerprint": {}, "documents": 1, "chunks": 4, "model": "m",
            "generator": "extractive", "generators": ["extractive"],
        })  # fmt: skip
    if path == "/documents":
        return httpx.Response(200, json={"total": 1, "documents": [DOC]})
    if path == f"/documents/{DOC['doc_id']}":
        return httpx.Response(200, json={**DOC, "text": TEXT})
    if path == "/ask":
        answer = _answer(json.loads(request.content)["question"])
        body = f"event: final\r\ndata: {json.dumps(answer)}\r\n\r\n"
        sse = {"content-type": "text/event-stream"}
        return httpx.Response(200, content=body.encode(), headers=sse)
    return httpx.Response(404, json={"detail": "no such route"})


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(state, "_chats_dir", lambda: tmp_path / "ui")
    return tmp_path / "ui"


def _app(chat: str | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=30)
    at.session_state[state.CLIENT_KEY] = ApiClient("http://api.test", 5, httpx.MockTransport(_api))
    if chat:
        at.query_params["chat"] = chat
    return at.run()


def _chat(at: AppTest) -> str:
    value = at.query_params["chat"]
    return value[0] if isinstance(value, list) else value


def _ask(at: AppTest, question: str) -> AppTest:
    at.chat_input[0].set_value(question).run()
    assert not at.exception
    return at


def test_conversations_are_kept_in_sqlite_and_listed_in_the_sidebar(folder: Path) -> None:
    first = _ask(_app(), "which cities are high-tech innovators?")
    chat = _chat(first)
    _ask(first, "and which firms?")
    store = ChatStore(folder / "chats.sqlite3")
    assert [t.question for t in store.turns(chat)] == [
        "which cities are high-tech innovators?",
        "and which firms?",
    ]
    other = _ask(_app(), "what about Bristol?")  # another tab: another conversation
    labels = [b.label for b in other.sidebar.button]
    assert "💬 which cities are high-tech innovators?" in labels
    assert "💬 what about Bristol?" in labels
    next(b for b in other.sidebar.button if "high-tech" in b.label).click().run()
    assert _chat(other) == chat
    assert len(other.chat_message) == 4  # its two questions and answers, not Bristol


def test_a_reload_shows_the_conversation_from_the_store(folder: Path) -> None:
    chat = _chat(_ask(_app(), "which cities are high-tech innovators?"))
    reloaded = _app(chat)
    assert not reloaded.exception
    assert len(reloaded.chat_message) == 2


def test_an_answer_copies_as_plain_text_with_numbered_sources(folder: Path) -> None:
    at = _ask(_app(), "which cities are high-tech innovators?")
    (copy,) = at.code
    assert copy.value == (
        "Q: which cities are high-tech innovators?\n\n"
        "They are Coventry, Derby, Northampton, Preston and Warrington/Wigan [1].\n\n"
        "Sources\n"
        f"[1] Streets Ahead (2011-12-07): “{QUOTE}” (corpus/streets-ahead.txt)"
    )
    assert "<" not in copy.value  # plain text, no markup


def test_thumbs_and_a_comment_are_stored_with_the_answer(folder: Path) -> None:
    at = _ask(_app(), "which cities are high-tech innovators?")
    chat = _chat(at)
    at.feedback[0].set_value(1).run()  # thumbs up
    assert not at.exception
    store = ChatStore(folder / "chats.sqlite3")
    assert store.rating(chat, 0) == ("up", "")
    at.text_input(key=f"comment-{chat}-0").set_value("Right list, and quick.")
    next(b for b in at.button if b.label == "Save comment").click().run()
    assert store.rating(chat, 0) == ("up", "Right list, and quick.")
    (fb,) = store.feedback()
    assert fb.question == "which cities are high-tech innovators?"
    assert "Coventry" in fb.answer and fb.citations[0]["quote"] == QUOTE
    at.feedback[0].set_value(0).run()  # changed its mind: one rating per answer, kept
    assert store.rating(chat, 0) == ("down", "Right list, and quick.")
    reloaded = _app(chat)  # the rating is shown again after a reload
    assert reloaded.feedback[0].value == 0


def test_a_damaged_store_costs_the_history_not_the_page(folder: Path) -> None:
    folder.mkdir(parents=True)
    (folder / "chats.sqlite3").write_bytes(b"not sqlite" * 200)
    at = _ask(_app(), "which cities are high-tech innovators?")
    assert not at.exception and not at.error
    assert any("Coventry" in m.value for m in at.markdown)  # the answer is still shown
    at.feedback[0].set_value(1).run()
    assert not at.exception
    assert [w.value for w in at.warning] == [
        "The rating could not be saved (the conversation store is not writable)."
    ]
