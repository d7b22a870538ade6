"""The chat and publications pages under Streamlit's AppTest, with the API faked.

The fake is a real ``ApiClient`` over ``httpx.MockTransport``, put into
``st.session_state["api_client"]`` before the first run, so the pages, the
client and the wire format are exercised together without a server.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import httpx
import pytest
from streamlit.testing.v1 import AppTest

from ui.client import ApiClient
from ui.state import CLIENT_KEY

ROOT = Path(__file__).resolve().parents[2]
APP = str(ROOT / "ui" / "app.py")
STREETS_AHEAD = (ROOT / "corpus" / "streets-ahead-press-release-2011-12-07.txt").read_text(
    encoding="utf-8"
)
CITIES_SENTENCE = "The include Coventry, Derby, Northampton, Preston and Warrington/Wigan."
DOC = {
    "doc_id": "streets-ahead",
    "title": "Streets Ahead: what makes a city innovative?",
    "source": "corpus/streets-ahead-press-release-2011-12-07.txt",
    "date": "2011-12-07",
    "authors": ["Lizzie Crowley"],
    "publisher": "The Work Foundation",
    "kind": "text",
    "pages": None,
    "chunks": 4,
}


def _passage(start: int, end: int, rank: int = 1) -> dict:
    return {
        "rank": rank,
        "score": 0.8,
        "chunk_id": f"streets-ahead:{rank}",
        "doc_id": DOC["doc_id"],
        "title": DOC["title"],
        "source": DOC["source"],
        "page": 3,
        "char_start": start,
        "char_end": end,
        "text": STREETS_AHEAD[start:end],
        "date": DOC["date"],
        "authors": DOC["authors"],
    }


def _innovators_answer(question: str) -> dict:
    q_start = STREETS_AHEAD.index(CITIES_SENTENCE)
    q_end = q_start + len(CITIES_SENTENCE)
    p_start = STREETS_AHEAD.index("  • High technology innovators")
    passage = _passage(p_start, STREETS_AHEAD.index("\n", q_end))
    return {
        "question": question,
        "answer": "The high-tech innovators are Coventry, Derby, Northampton, Preston and "
        "Warrington/Wigan [1].",
        "abstained": False,
        "citations": [
            {
                "marker": 1,
                "doc_id": DOC["doc_id"],
                "title": DOC["title"],
                "source": DOC["source"],
                "page": 3,
                "char_start": q_start,
                "char_end": q_end,
                "quote": CITIES_SENTENCE,
                "chunk_id": passage["chunk_id"],
                "date": DOC["date"],
                "authors": DOC["authors"],
            }
        ],
        "passages": [passage],
        "confidence": 0.9,
    }


def _abstention(question: str) -> dict:
    start = STREETS_AHEAD.index("The research argues")
    return {
        "question": question,
        "answer": "",
        "abstained": True,
        "citations": [],
        "passages": [_passage(start, start + 200)],
        "confidence": 0.1,
    }


def _sse(answer: dict) -> bytes:
    words = answer["answer"].split(" ")
    events = [f"event: token\r\ndata: {json.dumps({'text': w + ' '})}\r\n\r\n" for w in words if w]
    events.insert(1, ": ping\r\n\r\n")
    events.append(f"event: final\r\ndata: {json.dumps(answer)}\r\n\r\n")
    return "".join(events).encode()


class FakeApi:
    """Answers like the API contract; records every request it gets."""

    def __init__(
        self, *, down: bool = False, api_key: str = "secret", generators: tuple = ("extractive",)
    ) -> None:
        self.down = down
        self.generators = list(generators)
        self.api_key = api_key
        self.requests: list[httpx.Request] = []

    def asks(self) -> list[dict]:
        return [json.loads(r.content) for r in self.requests if r.url.path == "/ask"]

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if self.down:
            raise httpx.ConnectError("[Errno 111] Connection refused", request=request)
        path, method = request.url.path, request.method
        if (method, path) == ("GET", "/health"):
            return httpx.Response(
                200,
                json={
                    "status": "ok",
                    "fingerprint": {},
                    "documents": 1,
                    "chunks": 4,
                    "model": "all-MiniLM-L6-v2",
                    "generator": "extractive",
                    "generators": self.generators,
                },
            )
        if (method, path) == ("GET", "/documents"):
            return httpx.Response(200, json={"total": 1, "documents": [DOC]})
        if (method, path) == ("GET", f"/documents/{DOC['doc_id']}"):
            return httpx.Response(200, json={**DOC, "text": STREETS_AHEAD})
        if (method, path) == ("POST", "/ask"):
            question = json.loads(request.content)["question"]
            lowered = question.lower()
            answer = (
                _innovators_answer(question)
                if "innovator" in lowered or "firms" in lowered
                else _abstention(question)
            )
            return httpx.Response(
                200, content=_sse(answer), headers={"content-type": "text/event-stream"}
            )
        if (method, path) == ("POST", "/documents"):
            if request.headers.get("x-api-key") != self.api_key:
                return httpx.Response(401, json={"detail": "A valid X-API-Key header is required."})
            body = request.content.decode("latin-1")
            outcomes = [{"path": "report.pdf", "status": "added", "doc_id": "report"}]
            if "broken.pdf" in body:
                outcomes.append(
                    {
                        "path": "broken.pdf",
                        "status": "failed",
                        "doc_id": None,
                        "reason": "the file is damaged and cannot be read (no EOF marker)",
                    }
                )
            return httpx.Response(200, json={"files": outcomes})
        return httpx.Response(404, json={"detail": f"No route {method} {path}."})


@pytest.fixture
def api() -> FakeApi:
    return FakeApi()


def _app(api: FakeApi) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=30)
    at.session_state[CLIENT_KEY] = ApiClient(
        "http://api.test", 5, transport=httpx.MockTransport(api)
    )
    return at


def _markdown(at: AppTest) -> str:
    return "\n".join(m.value for m in at.markdown)


def test_empty_chat_offers_example_questions(api: FakeApi) -> None:
    at = _app(api).run()
    assert not at.exception
    labels = [b.label for b in at.button]
    assert "Which cities are high-tech innovators?" in labels
    assert "What did Bristol get in the City Deals?" in labels
    assert not at.error


def test_answer_streams_with_cities_and_a_checkable_citation(api: FakeApi) -> None:
    at = _app(api).run()
    at.chat_input[0].set_value("which cities are high-tech innovators?").run()
    assert not at.exception
    text = _markdown(at)
    for city in ("Coventry", "Derby", "Northampton", "Preston", "Warrington/Wigan"):
        assert city in text
    assert "[1]" in text
    (card,) = at.expander
    assert card.label == (
        "[1] “The include Coventry, Derby, Northampton, Preston and…” — "
        "Streets Ahead: what makes a city innovative?, p. 3"
    )
    card_text = "\n".join(m.value for m in card.markdown)
    assert f"<mark>{CITIES_SENTENCE}</mark>" in card_text
    assert "High technology innovators" in card_text  # the passage around the quote
    assert "http://api.test/documents/streets-ahead/file#page=3" in card_text
    assert "2011-12-07 · Lizzie Crowley · p. 3" in [c.value for c in card.caption]
    ask = api.asks()[0]
    assert ask["stream"] is True and ask["history"] == [] and ask["k"] == 5


def test_example_button_asks_it(api: FakeApi) -> None:
    at = _app(api).run()
    next(b for b in at.button if b.label.startswith("Which cities")).click().run()
    assert not at.exception
    assert api.asks()[0]["question"] == "Which cities are high-tech innovators?"
    assert "Coventry" in _markdown(at)
    assert not [b for b in at.button if b.label.startswith("What did Bristol")]


def test_follow_up_sends_history(api: FakeApi) -> None:
    at = _app(api).run()
    at.chat_input[0].set_value("which cities are high-tech innovators?").run()
    at.chat_input[0].set_value("Which firms anchor them?").run()
    assert not at.exception
    first, follow_up = api.asks()
    assert follow_up["history"][0] == {
        "role": "user",
        "content": "which cities are high-tech innovators?",
    }
    assert follow_up["history"][1]["role"] == "assistant"
    assert "Coventry" in follow_up["history"][1]["content"]
    assert len(at.chat_message) == 4  # both turns stay on the page


def test_filters_and_passages_are_sent(api: FakeApi) -> None:
    at = _app(api).run()
    at.text_input[0].set_value("Crowley")
    at.multiselect[0].select("streets-ahead")
    at.slider[0].set_value(8)
    at.date_input[0].set_value((date(2010, 1, 1), date(2012, 12, 31)))
    at.chat_input[0].set_value("which cities are high-tech innovators?").run()
    ask = api.asks()[0]
    assert ask["filters"] == {
        "date_from": "2010-01-01",
        "date_to": "2012-12-31",
        "author": "Crowley",
        "doc_ids": ["streets-ahead"],
    }
    assert ask["k"] == 8


def test_answer_mode_is_offered_only_when_the_api_has_an_llm(api: FakeApi) -> None:
    assert not _app(api).run().radio
    api = FakeApi(generators=("extractive", "openai"))
    at = _app(api).run()
    at.radio[0].set_value("Generative (LLM)")
    at.chat_input[0].set_value("which cities are high-tech innovators?").run()
    assert api.asks()[0]["generator"] == "openai"


def test_new_conversation_clears_the_chat(api: FakeApi) -> None:
    at = _app(api).run()
    at.chat_input[0].set_value("which cities are high-tech innovators?").run()
    next(b for b in at.button if b.label == "New conversation").click().run()
    assert not at.chat_message
    assert any(b.label.startswith("Which cities") for b in at.button)


def test_abstention_says_so_and_shows_closest_passages(api: FakeApi) -> None:
    at = _app(api).run()
    at.chat_input[0].set_value("What is the capital of France?").run()
    assert not at.exception
    assert [i.value for i in at.info] == ["The indexed publications do not answer this."]
    assert "Closest passages" in _markdown(at)
    (card,) = at.expander
    assert "The research argues" in "\n".join(m.value for m in card.markdown)


def test_api_down_shows_a_banner_not_a_traceback() -> None:
    api = FakeApi(down=True)
    at = _app(api).run()
    assert not at.exception
    (banner,) = at.error
    assert "not reachable at http://api.test" in banner.value
    assert "rag serve" in banner.value
    at.chat_input[0].set_value("which cities are high-tech innovators?").run()
    assert not at.exception
    assert all("rag serve" in e.value for e in at.error)
    assert not at.session_state["turns"]


def test_slow_answer_shows_a_banner_and_keeps_the_chat_usable(api: FakeApi) -> None:
    def slow(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/ask":
            raise httpx.ReadTimeout("timed out", request=request)
        return api(request)

    at = AppTest.from_file(APP, default_timeout=30)
    at.session_state[CLIENT_KEY] = ApiClient("http://api.test", 5, httpx.MockTransport(slow))
    at.run().chat_input[0].set_value("which cities are high-tech innovators?").run()
    assert not at.exception
    (banner,) = at.error
    assert "(no answer within 5 s)" in banner.value
    assert at.chat_input  # one can ask again


def _publications(api: FakeApi) -> AppTest:
    at = _app(api).run()
    at.switch_page("pages/1_Publications.py").run()
    assert not at.exception
    return at


def test_publications_lists_documents(api: FakeApi) -> None:
    at = _publications(api)
    table = at.dataframe[0].value
    assert list(table["Title"]) == [DOC["title"]]
    assert list(table["Authors"]) == ["Lizzie Crowley"]


def _upload(at: AppTest, key: str) -> AppTest:
    at.file_uploader[0].set_value(
        [
            ("report.pdf", b"%PDF-1.4 report", "application/pdf"),
            ("broken.pdf", b"%PDF-1.4 broken", "application/pdf"),
        ]
    )
    at.text_input(key="upload_api_key").set_value(key)
    at.text_input(key="upload_date").set_value("2012-07-05")
    return at.form_submit_button[0].click().run()


def test_upload_shows_each_files_outcome(api: FakeApi) -> None:
    at = _upload(_publications(api), "secret")
    assert not at.exception and not at.error
    outcomes = at.dataframe[-1].value
    assert list(outcomes["File"]) == ["report.pdf", "broken.pdf"]
    assert list(outcomes["Outcome"]) == ["added", "failed"]
    assert "damaged" in outcomes["Reason"][1]
    upload = next(r for r in api.requests if r.method == "POST")
    assert upload.headers["x-api-key"] == "secret"
    assert b'"date": "2012-07-05"' in upload.content


def test_upload_with_a_wrong_key_shows_the_api_error(api: FakeApi) -> None:
    at = _upload(_publications(api), "wrong")
    assert not at.exception
    assert [e.value for e in at.error] == ["A valid X-API-Key header is required."]


def test_launch_command_runs_this_app_headless() -> None:
    from ui import launch

    cmd = launch.command(8600, "http://api.test:9000", host="0.0.0.0")
    assert cmd[1:5] == ["-m", "streamlit", "run", APP]
    flags = dict(zip(cmd[5::2], cmd[6::2], strict=True))
    assert flags == {
        "--server.port": "8600",
        "--server.address": "0.0.0.0",
        "--server.headless": "true",
        "--browser.gatherUsageStats": "false",
        "--client.toolbarMode": "minimal",
        "--client.showSidebarNavigation": "false",
    }
    env = launch.environment("http://api.test:9000")
    assert env["RAG_UI__API_URL"] == "http://api.test:9000"
    assert str(ROOT) in env["PYTHONPATH"].split(":")
