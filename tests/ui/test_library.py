"""The library page (ui/pages/1_Publications.py) under AppTest, with the API faked: the
write key as `make run` gives it (never typed) and as an operator sets it (asked once a
session), sorting, per-file upload outcomes, and errors in plain words."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from streamlit.testing.v1 import AppTest

from rag.settings import get_settings
from ui import state
from ui.client import ApiClient

ROOT = Path(__file__).resolve().parents[2]
APP = str(ROOT / "ui" / "app.py")
LIBRARY = "pages/1_Publications.py"


def _doc(doc_id: str, title: str, date: str | None, pages: int | None, chunks: int) -> dict:
    return {
        "doc_id": doc_id, "title": title, "source": f"corpus/{doc_id}.txt", "date": date,
        "authors": ["Lizzie Crowley"], "publisher": None, "kind": "pdf" if pages else "text",
        "doc_type": None, "pages": pages, "chunks": chunks,
    }  # fmt: skip


DOCS = [
    {**_doc("b", "Beta report", "2012-07-05", 9, 40),
     "fields_from": {"title": "sidecar", "date": "sidecar", "authors": "sidecar"}},
    {**_doc("a", "Alpha note", "2011-12-07", None, 4),
     "fields_from": {"title": "page layout", "date": "file name"}},
    _doc("c", "Gamma paper", None, 10, 12),
]  # fmt: skip


class FakeApi:
    """The API's documents routes; writes need ``key`` (None: writes are switched off)."""

    def __init__(self, key: str | None = "operator-key") -> None:
        self.key = key
        self.requests: list[httpx.Request] = []

    def writes(self) -> list[httpx.Request]:
        return [r for r in self.requests if r.method in ("POST", "DELETE")]

    def _refused(self, request: httpx.Request) -> httpx.Response | None:
        if self.key is None:
            return httpx.Response(
                403, json={"detail": "Write endpoints are disabled because no API key is "
                           "configured; set RAG_API__API_KEY and send it in the X-API-Key header."},
            )  # fmt: skip
        if request.headers.get("x-api-key") != self.key:
            return httpx.Response(
                401, json={"detail": "The X-API-Key header does not match the configured key."}
            )
        return None

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        path, method = request.url.path, request.method
        if path == "/health":
            return httpx.Response(200, json={
                "status": "ok", "fingerprint": {}, "documents": 3, "chunks": 56,
                "model": "m", "generator": "extractive", "generators": ["extractive"],
            })  # fmt: skip
        if (method, path) == ("GET", "/documents"):
            return httpx.Response(200, json={"total": len(DOCS), "documents": DOCS})
        if method == "GET" and path.startswith("/documents/"):
            doc = next(d for d in DOCS if d["doc_id"] == path.rsplit("/", 1)[1])
            return httpx.Response(200, json={**doc, "text": f"The text of {doc['title']}."})
        if method in ("POST", "DELETE") and (refused := self._refused(request)):
            return refused
        if (method, path) == ("POST", "/documents"):
            parts = request.content.decode("latin-1").split('filename="')[1:]
            names = [p.split('"')[0] for p in parts]
            files = [
                {"path": n, "status": "failed", "doc_id": None, "reason": "the file is empty"}
                if n.startswith("empty")
                else {"path": n, "status": "added", "doc_id": n}
                for n in names
            ]
            return httpx.Response(200, json={"files": files})
        if method == "DELETE":
            doc = next(d for d in DOCS if d["doc_id"] == path.rsplit("/", 1)[1])
            return httpx.Response(200, json=doc)
        if (method, path) == ("POST", "/reindex"):
            unchanged = ["a", "b", "c"]
            return httpx.Response(200, json={"unchanged": unchanged, "failed": []})
        return httpx.Response(404, json={"detail": "no such route"})


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(state, "_chats_dir", lambda: tmp_path / "ui")
    monkeypatch.delenv("RAG_UI__API_KEY", raising=False)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def _library(api: FakeApi) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=30)
    at.session_state[state.CLIENT_KEY] = ApiClient(
        "http://api.test", 5, transport=httpx.MockTransport(api)
    )
    at.run()
    at.switch_page(LIBRARY).run()
    assert not at.exception
    return at


def _button(at: AppTest, label: str):  # noqa: ANN202
    return next(b for b in at.button if b.label.startswith(label))


def _errors(at: AppTest) -> list[str]:
    return [e.value for e in at.error]


def _upload(at: AppTest, *names: str) -> AppTest:
    at.file_uploader[0].set_value([(n, b"some text", "text/plain") for n in names])
    return at.form_submit_button[0].click().run()


# -- the key, as `make run` sets it up ---------------------------------------------------


def test_under_make_runs_key_nothing_is_typed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RAG_UI__API_KEY", "local-key")
    get_settings.cache_clear()
    api = FakeApi(key="local-key")
    at = _library(api)
    assert not [t for t in at.text_input if t.key == "api_key"]  # no key field at all
    at = _upload(at, "report.txt", "empty.txt")
    assert not at.exception and not _errors(at)
    (upload,) = api.writes()
    assert upload.headers["x-api-key"] == "local-key"
    outcomes = at.dataframe[-1].value
    assert list(outcomes["File"]) == ["report.txt", "empty.txt"]
    assert list(outcomes["Outcome"]) == ["added", "failed"]
    assert at.success[0].value == "Uploaded 2 file(s): 1 added, 1 failed."
    assert "1 file(s) could not be added" in at.warning[0].value


def test_a_stale_local_key_says_to_restart_not_header_talk(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RAG_UI__API_KEY", "old-key")
    get_settings.cache_clear()
    at = _upload(_library(FakeApi(key="new-key")), "report.txt")
    assert _errors(at) == [state.KEY_STALE]


# -- the key, when the operator chose it ------------------------------------------------


def test_the_operators_key_is_asked_once_per_session() -> None:
    api = FakeApi()
    at = _library(api)
    at.text_input(key="api_key").set_value("operator-key").run()
    assert not [t for t in at.text_input if t.key == "api_key"]
    assert "Library key entered for this session." in [c.value for c in at.caption]
    at.switch_page("app.py").run()  # away and back: still known
    at.switch_page(LIBRARY).run()
    assert not [t for t in at.text_input if t.key == "api_key"]
    _button(at, "Delete this").click().run()
    _button(at, "Yes, delete it").click().run()
    assert not at.exception and not _errors(at)
    (delete,) = api.writes()
    assert delete.headers["x-api-key"] == "operator-key"
    assert at.success[0].value.startswith("Deleted “")


def test_a_wrong_key_is_refused_in_words_and_asked_again() -> None:
    api = FakeApi()
    at = _library(api)
    at.text_input(key="api_key").set_value("guess").run()
    _button(at, "Re-index").click().run()
    assert _errors(at) == [state.KEY_REFUSED]
    at.run()
    assert [t for t in at.text_input if t.key == "api_key"]  # asked again


def test_without_a_key_the_page_says_to_enter_it() -> None:
    at = _upload(_library(FakeApi()), "report.txt")
    assert _errors(at) == [state.KEY_MISSING]


def test_a_server_without_writes_is_explained_without_header_talk() -> None:
    at = _library(FakeApi(key=None))
    at.text_input(key="api_key").set_value("anything").run()
    at = _upload(at, "report.txt")
    (error,) = _errors(at)
    assert error == state.WRITES_OFF
    assert "header" not in error.lower() and "X-API-Key" not in error


# -- the table ---------------------------------------------------------------------------


def test_the_table_sorts_and_has_no_none_pages() -> None:
    at = _library(FakeApi())
    table = at.dataframe[0].value
    assert list(table["Title"]) == ["Beta report", "Alpha note", "Gamma paper"]  # newest first
    assert list(table["Pages"]) == ["9", "—", "10"]
    assert "None" not in json.dumps(table.astype(str).values.tolist())
    assert list(table.columns) == [
        "Title", "Authors", "Date", "Type", "Pages", "Chunks", "File", "Details from"
    ]  # fmt: skip
    assert list(table["Details from"]) == ["sidecar", "title: page layout · date: file name", ""]
    at.selectbox(key="library_sort").set_value("Pages, most first").run()
    assert list(at.dataframe[0].value["Title"]) == ["Gamma paper", "Beta report", "Alpha note"]
    at.selectbox(key="library_sort").set_value("Title, A to Z").run()
    assert list(at.dataframe[0].value["Title"]) == ["Alpha note", "Beta report", "Gamma paper"]


def test_preview_shows_the_chosen_publications_text() -> None:
    at = _library(FakeApi())
    assert at.text[0].value == "The text of Beta report."
    at.selectbox[1].set_value("a").run()
    assert at.text[0].value == "The text of Alpha note."
