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

from ui import state
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


def _two_from_one_passage(question: str) -> dict:
    """Two sentences of one passage cited: [1] with its answer span, then [2]."""
    answer = _innovators_answer(question)
    first = answer["citations"][0]
    second_sentence = "High technology innovators"
    s_start = STREETS_AHEAD.index(second_sentence)
    a_start = STREETS_AHEAD.index("Coventry", first["char_start"])
    first["answer_span"] = {
        "char_start": a_start, "char_end": a_start + len("Coventry"), "text": "Coventry",
    }  # fmt: skip
    second = {
        **first, "marker": 2, "char_start": s_start, "char_end": s_start + len(second_sentence),
        "quote": second_sentence, "answer_span": None,
    }  # fmt: skip
    answer["citations"].append(second)
    answer["answer"] = "Coventry and Derby [1] are high-tech innovators [2] <b>x</b>."
    return answer


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
            body = json.loads(request.content)
            question = body["question"]
            lowered = question.lower()
            if "both" in lowered:
                answer = _two_from_one_passage(question)
            elif "innovator" in lowered or "firms" in lowered:
                answer = _innovators_answer(question)
            else:
                answer = _abstention(question)
                if body.get("filters"):  # the filters left nothing to search
                    answer["passages"] = []
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
        if (method, path) == ("DELETE", f"/documents/{DOC['doc_id']}"):
            if request.headers.get("x-api-key") != self.api_key:
                return httpx.Response(401, json={"detail": "A valid X-API-Key header is required."})
            return httpx.Response(200, json=DOC)
        if (method, path) == ("POST", "/reindex"):
            return httpx.Response(
                200,
                json={
                    "added": ["corpus/new.txt"], "updated": [], "removed": [],
                    "unchanged": ["a.txt", "b.txt"], "embedded_chunks": 3,
                    "failed": [{"path": "corpus/bad.pdf", "reason": "damaged"}],
                },
            )  # fmt: skip
        return httpx.Response(404, json={"detail": f"No route {method} {path}."})


@pytest.fixture
def api() -> FakeApi:
    return FakeApi()


@pytest.fixture(autouse=True)
def chats(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Saved conversations go to a temporary folder, never to data/."""
    folder = tmp_path / "chats"
    monkeypatch.setattr(state, "_chats_dir", lambda: folder)
    return folder


def _app(api: FakeApi, script: str = APP) -> AppTest:
    at = AppTest.from_file(script, default_timeout=30)
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
    at.text_input(key="api_key").set_value(key)
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
    assert [e.value for e in at.error] == [state.KEY_REFUSED]  # no header talk


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


# -- citations you can follow -----------------------------------------------------------


def test_markers_link_to_one_card_per_passage_with_every_cited_sentence(api: FakeApi) -> None:
    at = _app(api).run()
    at.chat_input[0].set_value("Which are both innovators?").run()
    assert not at.exception
    text = _markdown(at)
    # Each [n] is a link to the card, with the title, page and quote on hover.
    assert (
        '<a href="#source-0-1" class="citation" title="Streets Ahead: what makes a city '
        "innovative?, p. 3: “The include Coventry" in text
    )
    assert '<a href="#source-0-1" class="citation"' in text.split("[1]</a>")[1]  # [2] too
    assert "&lt;b&gt;x&lt;/b&gt;" in text  # the answer's text is escaped
    assert '<div id="source-0-1"></div>' in text
    (card,) = at.expander  # both citations quote one passage: one card
    assert card.label.startswith("[1][2] Streets Ahead") and "2 cited sentences" in card.label
    body = "\n".join(m.value for m in card.markdown)
    assert "<mark>High technology innovators</mark><sup>[2]</sup>" in body
    assert "<mark>The include <strong>Coventry</strong>, Derby" in body
    assert "Warrington/Wigan.</mark><sup>[1]</sup>" in body
    assert "[Show it in the document](Source?doc=streets-ahead&start=" in body


def test_anchors_are_unique_per_turn(api: FakeApi) -> None:
    at = _app(api).run()
    at.chat_input[0].set_value("which cities are high-tech innovators?").run()
    at.chat_input[0].set_value("Which firms anchor them?").run()
    text = _markdown(at)
    assert '<div id="source-0-1">' in text and '<div id="source-1-1">' in text
    assert 'href="#source-1-1"' in text


def test_source_viewer_shows_the_quote_in_the_document(api: FakeApi) -> None:
    start = STREETS_AHEAD.index(CITIES_SENTENCE)
    at = _app(api, str(ROOT / "ui" / "pages" / "2_Source.py"))
    at.query_params.update(doc="streets-ahead", start=str(start), end=str(start + 10))
    at.run()
    assert not at.exception
    assert at.title[0].value == DOC["title"]
    text = _markdown(at)
    (frame,) = at.get("iframe")  # the whole document, scrolled to the highlight
    assert "<mark>The includ</mark>" in frame.proto.srcdoc
    assert "(http://api.test/documents/streets-ahead/file)" in text  # no pages: no #page


def test_source_viewer_without_a_place_says_how_to_get_there(api: FakeApi) -> None:
    at = _app(api, str(ROOT / "ui" / "pages" / "2_Source.py")).run()
    assert not at.exception and "Show it in the document" in at.info[0].value


# -- input that fails gently ------------------------------------------------------------


def test_a_blank_question_is_not_sent(api: FakeApi) -> None:
    at = _app(api).run()
    at.chat_input[0].set_value("   ").run()
    assert not at.exception and not at.error
    assert "Type a question first" in at.warning[0].value
    assert not api.asks()


def test_the_question_box_holds_at_most_the_apis_limit(api: FakeApi) -> None:
    # The browser stops typing (and cuts a paste) at the limit, before anything is sent;
    # render.check_question guards the same limit for a value that gets past it.
    at = _app(api).run()
    assert at.chat_input[0].max_chars == 1000


def test_a_refused_question_stays_on_the_page(api: FakeApi) -> None:
    def refusing(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/ask":
            return httpx.Response(422, json={"detail": "The question is too long."})
        return api(request)

    at = AppTest.from_file(APP, default_timeout=30)
    at.session_state[CLIENT_KEY] = ApiClient("http://api.test", 5, httpx.MockTransport(refusing))
    at.run().chat_input[0].set_value("which cities are high-tech innovators?").run()
    assert [e.value for e in at.error] == [
        "The question is too long. Edit the question and ask again: it is kept in the box."
    ]
    assert at.chat_input[0].value == "which cities are high-tech innovators?"


def test_closest_passages_are_labelled_with_title_date_and_page(api: FakeApi) -> None:
    at = _app(api).run()
    at.chat_input[0].set_value("What is the capital of France?").run()
    (card,) = at.expander
    assert card.label == f"{DOC['title']} (2011-12-07), p. 3"
    body = "\n".join(m.value for m in card.markdown)
    assert "<mark>" not in body  # no word of the question is in the passage
    at.chat_input[0].set_value("What does the research argue about cities?").run()
    body = "\n".join(m.value for m in at.expander[-1].markdown)
    assert "<mark>The research argues" in body


def test_a_filter_that_excludes_everything_is_named_and_can_be_cleared(api: FakeApi) -> None:
    at = _app(api).run()
    at.text_input(key="filter_author").set_value("Nobody")
    at.chat_input[0].set_value("What is the capital of France?").run()
    assert not at.exception
    (hint,) = at.warning
    assert "No publication matches the author" in hint.value
    next(b for b in at.button if b.label == "Clear the filters").click().run()
    assert at.text_input(key="filter_author").value == ""


# -- conversations that last -------------------------------------------------------------


def test_a_reload_keeps_the_conversation(api: FakeApi, chats: Path) -> None:
    at = _app(api).run()
    at.chat_input[0].set_value("which cities are high-tech innovators?").run()
    chat = at.query_params["chat"]
    chat = chat[0] if isinstance(chat, list) else chat
    assert (chats / "chats.sqlite3").is_file()
    reloaded = _app(api)
    reloaded.query_params["chat"] = chat
    reloaded.run()
    assert not reloaded.exception
    assert len(reloaded.chat_message) == 2 and "Coventry" in _markdown(reloaded)
    other = _app(api).run()  # another address, another conversation
    assert not other.chat_message


# -- the library page --------------------------------------------------------------------


def test_publications_table_shows_no_none_pages(api: FakeApi) -> None:
    table = _publications(api).dataframe[0].value
    assert list(table["Pages"]) == ["—"] and list(table["Type"]) == ["text"]


def test_delete_asks_first_then_deletes(api: FakeApi) -> None:
    at = _publications(api)
    at.text_input(key="api_key").set_value("secret")
    next(b for b in at.button if b.label.startswith("Delete this")).click().run()
    assert "Delete “Streets Ahead" in at.warning[0].value
    assert not [r for r in api.requests if r.method == "DELETE"]
    next(b for b in at.button if b.label == "Yes, delete it").click().run()
    assert not at.exception and not at.error
    (delete,) = [r for r in api.requests if r.method == "DELETE"]
    assert delete.headers["x-api-key"] == "secret"
    assert at.success[0].value == f"Deleted “{DOC['title']}”."


def test_reindex_reports_the_outcome(api: FakeApi) -> None:
    at = _publications(api)
    next(b for b in at.button if b.label.startswith("Re-index")).click().run()
    assert not at.exception
    assert at.success[0].value == (
        "Re-indexed: 1 added, 2 unchanged, 1 failed (corpus/bad.pdf: damaged)."
    )


def test_preview_shows_the_text(api: FakeApi) -> None:
    at = _publications(api)
    assert at.text and at.text[0].value.startswith(STREETS_AHEAD[:40])
