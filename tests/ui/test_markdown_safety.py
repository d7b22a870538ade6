"""Issue 11 item 16: text from a publication is shown as text, never read as Markdown.

A publication whose title, authors and quoted sentences carry an image, links and
HTML is answered from and shown in the viewer; every element Streamlit renders as
Markdown (answer, card labels, captions, card bodies, titles) is parsed with a
CommonMark parser, and nothing in it may fetch from the outside host or link there.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from markdown_it import MarkdownIt
from streamlit.testing.v1 import AppTest

from ui import render, state
from ui.client import ApiClient

ROOT = Path(__file__).resolve().parents[2]
APP = str(ROOT / "ui" / "app.py")
SOURCE_PAGE = str(ROOT / "ui" / "pages" / "2_Source.py")

HOST = "http://host/p.png"
IMAGE = f"![]({HOST})"
LINK = "[click here](http://evil.example/phish)"
QUOTE = f"Cities grow {IMAGE} and {LINK} <img src={HOST}> _fast_ www.evil.example too."
TEXT = f"Intro.\r\r{IMAGE}\r\n\r\n{QUOTE} Others lag [3]: http://evil.example/ref\n"
DOC = {
    "doc_id": "evil",
    "title": f"Evil {IMAGE} {LINK} :red[loud]",
    "source": "corpus/evil.txt",
    "date": "2011-12-07",
    "authors": [f"Jane {LINK}", "# Heading"],
    "publisher": None,
    "kind": "text",
    "pages": None,
    "chunks": 1,
}
OURS = re.compile(
    r"^(#source-\d+-\d+|http://api\.test/documents/evil/file(#page=\d+)?|Source\?.*)$"
)
# What GFM (remark-gfm, as Streamlit uses it) links in text after parsing.
_GFM_ADDRESS = re.compile(r"(https?://|www(?=\.))[-.\w]+|[-.\w+]+@[-\w]+(\.[-\w]+)+", re.I)
_MD = MarkdownIt("commonmark", {"html": True}).enable("table").enable("strikethrough")


def _answer(question: str) -> dict:
    start = TEXT.index(QUOTE)
    passage = {
        "rank": 1, "score": 0.8, "chunk_id": "evil:1", "doc_id": "evil", "title": DOC["title"],
        "source": DOC["source"], "page": None, "char_start": 0, "char_end": len(TEXT),
        "text": TEXT, "date": DOC["date"], "authors": DOC["authors"],
    }  # fmt: skip
    citation = {
        "marker": 1, "doc_id": "evil", "title": DOC["title"], "source": DOC["source"],
        "page": None, "char_start": start, "char_end": start + len(QUOTE), "quote": QUOTE,
        "chunk_id": "evil:1", "date": DOC["date"], "authors": DOC["authors"],
    }  # fmt: skip
    abstained = "capital" in question
    return {
        "question": question,
        "answer": "" if abstained else f"{QUOTE} [1]",
        "abstained": abstained,
        "citations": [] if abstained else [citation],
        "passages": [passage],
        "rewritten_query": f"{question} ({IMAGE})",
    }


def fake(request: httpx.Request) -> httpx.Response:
    path = request.url.path
    if path == "/health":
        return httpx.Response(200, json={
            "status": "ok", "fingerprint": {}, "documents": 1, "chunks": 1, "model": "m",
            "generator": "extractive", "generators": ["extractive"],
        })  # fmt: skip
    if path == "/documents":
        return httpx.Response(200, json={"total": 1, "documents": [DOC]})
    if path == "/documents/evil":
        return httpx.Response(200, json={**DOC, "text": TEXT})
    if path == "/ask":
        answer = _answer(json.loads(request.content)["question"])
        words = [f"event: token\ndata: {json.dumps({'text': answer['answer']})}\n\n"]
        body = "".join(words) + f"event: final\ndata: {json.dumps(answer)}\n\n"
        return httpx.Response(
            200, content=body.encode(), headers={"content-type": "text/event-stream"}
        )
    return httpx.Response(404, json={"detail": "no route"})


def app_with(handler: Callable[[httpx.Request], httpx.Response], script: str) -> AppTest:
    at = AppTest.from_file(script, default_timeout=30)
    at.session_state[state.CLIENT_KEY] = ApiClient(
        "http://api.test", 5, transport=httpx.MockTransport(handler)
    )
    return at


@pytest.fixture(autouse=True)
def _no_saved_chats(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(state, "_chats_dir", lambda: tmp_path / "chats")


def _shown(at: AppTest) -> list[str]:
    """Every string the page hands to a Markdown renderer."""
    values = [m.value for m in at.markdown] + [c.value for c in at.caption]
    values += [e.label for e in at.expander] + [t.value for t in at.title]
    values += [w.value for w in (*at.warning, *at.info, *at.error)]
    return values


def _problems(value: str) -> list[str]:
    found = []
    for token in _MD.parse(value):
        for node in [token, *(token.children or [])]:
            if node.type == "image":
                found.append(f"image {node.attrGet('src')}")
            if node.type == "link_open" and not OURS.match(str(node.attrGet("href"))):
                found.append(f"link {node.attrGet('href')}")
            if node.type in ("html_inline", "html_block") and re.search(
                r"<(img|a\s(?![^>]*class=\"citation\"))", node.content
            ):
                found.append(f"html {node.content[:60]}")
            if node.type == "heading_open" or node.type == "em_open":
                found.append(node.type)
            if node.type == "text" and _GFM_ADDRESS.search(node.content):
                found.append(f"address {node.content[:60]}")  # GFM would link it
    if ":red[" in re.sub(r"<[^>]*>", "", value):  # outside our own tags' attributes
        found.append("Streamlit colour directive")
    return found


def test_an_answer_from_a_hostile_publication_fetches_and_links_nothing() -> None:
    at = app_with(fake, APP).run()
    at.chat_input[0].set_value("Which cities grow?").run()
    assert not at.exception
    shown = _shown(at)
    assert any("click here" in v for v in shown)  # the text is there, as text
    bad = {v: p for v in shown if (p := _problems(v))}
    assert not bad, bad
    # Our own marker is still a live link to its card.
    assert any('<a href="#source-0-1" class="citation"' in v for v in shown)


def test_closest_passages_of_a_hostile_publication_are_text() -> None:
    at = app_with(fake, APP).run()
    at.chat_input[0].set_value("What is the capital of France?").run()
    assert not at.exception and at.expander
    bad = {v[:80]: p for v in _shown(at) if (p := _problems(v))}
    assert not bad, bad


def test_the_viewer_shows_a_hostile_publication_as_text() -> None:
    start = TEXT.index(QUOTE)
    at = app_with(fake, SOURCE_PAGE)
    at.query_params.update(doc="evil", start=str(start), end=str(start + len(QUOTE)))
    at.run()
    assert not at.exception
    bad = {v[:80]: p for v in _shown(at) if (p := _problems(v))}
    assert not bad, bad


def test_md_escape_keeps_the_text_and_our_markers() -> None:
    escaped = render.md_escape(f"{QUOTE} [2] and [3]: x")
    assert not _problems(escaped)
    assert "[2]" in escaped and "\\[3\\]" in escaped  # a link definition is not a marker
    # Rendered, the reader sees exactly what was written.
    text = re.sub(r"<[^>]+>", "", MarkdownIt("commonmark").render(escaped)).strip()
    text = text.replace("&lt;", "<").replace("&gt;", ">").replace("\u2060", "")
    assert text == f"{QUOTE} [2] and [3]: x"


def test_a_lone_carriage_return_cannot_end_the_html_block() -> None:
    html = render.highlight_spans(TEXT, 0, [render.Span(TEXT.index(QUOTE), len(TEXT))])
    assert "\r" not in html and "\n" not in html
    assert not _problems(html)
