"""The official ``openai`` client against a real ``rag serve`` on loopback.

The server answers with the real answerer over the seed corpus, with the hash embedder
and the lexical reader (so no model weights are needed); the assertions hold for any
reader: markers and sources in the content, the stream joining to the same content,
follow-ups read through their rewritten query, abstentions as ordinary replies, and
the same citations as ``/ask``. A read key is set, so the SDK's Bearer token is what
lets it in.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest

from rag.service import Service
from rag.settings import Settings
from rag.wait import wait_for

ROOT = Path(__file__).resolve().parents[3]
READ_KEY = "sdk-read-key-0123456789"
MODEL = "workfoundation-rag"
QUESTION = "which cities are high-tech innovators?"
FOLLOW_UP = "and which are service sector innovators?"
UNANSWERABLE = "What is the recipe for a Victoria sponge cake?"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The base URL of a `rag serve` over an index of the seed corpus."""
    base = tmp_path_factory.mktemp("sdk")
    corpus = base / "corpus"
    corpus.mkdir()
    for f in sorted((ROOT / "corpus").iterdir()):
        if f.suffix == ".txt" or f.name.endswith(".meta.json"):
            (corpus / f.name).write_bytes(f.read_bytes())
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAG_")}
    env.update(
        RAG_DATA_DIR=str(base / "data"), RAG_CORPUS_DIR=str(corpus),
        RAG_EMBEDDING__BACKEND="hash", RAG_ANSWER__READER="lexical",
        RAG_API__READ_KEY=READ_KEY, HF_HUB_OFFLINE="1", OMP_NUM_THREADS="1",
    )
    settings = Settings(embedding={"backend": "hash"}, answer={"reader": "lexical"},
                        data_dir=base / "data", corpus_dir=corpus)
    summary = Service(settings).ingest([corpus])
    assert len(summary.added) == 2 and not summary.failed
    port = _free_port()
    log = (base / "serve.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "rag", "serve", "--port", str(port)],
        env=env, stdout=log, stderr=subprocess.STDOUT, cwd=base,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        if not wait_for(f"{url}/health", timeout_s=120, interval_s=0.2):
            raise AssertionError(f"rag serve did not start:\n{(base / 'serve.log').read_text()}")
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        log.close()


@pytest.fixture(scope="module")
def client(server: str) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{server}/v1", api_key=READ_KEY, max_retries=0, timeout=60)


def ask(server: str, question: str, history: list[dict[str, str]] | None = None) -> Any:
    response = httpx.post(
        f"{server}/ask", json={"question": question, "history": history or []},
        headers={"X-API-Key": READ_KEY}, timeout=60,
    )
    assert response.status_code == 200, response.text
    return response.json()


def extras(obj: Any) -> dict[str, Any]:
    """The fields beyond the protocol, as the SDK keeps them."""
    return dict(obj.model_extra or {})


def create(client: openai.OpenAI, *messages: tuple[str, str]) -> Any:
    return client.chat.completions.create(
        model=MODEL, messages=[{"role": r, "content": c} for r, c in messages],
        temperature=0,
    )


def test_the_sdk_gets_the_cited_answer_with_markers_and_sources(
    client: openai.OpenAI, server: str
) -> None:
    completion = create(client, ("user", QUESTION))
    content = completion.choices[0].message.content
    extra = extras(completion)
    assert completion.model == MODEL and completion.choices[0].finish_reason == "stop"
    assert extra["abstained"] is False and extra["citations"]
    answer, sources = content.split("\n\nSources:\n")
    for cite in extra["citations"]:
        assert f"[{cite['marker']}]" in answer
        assert f"- [{cite['marker']}] {cite['title']}" in sources
        assert "streets-ahead" in cite["doc_id"]
        doc = httpx.get(f"{server}/documents/{cite['doc_id']}",
                        headers={"Authorization": f"Bearer {READ_KEY}"}).json()
        assert doc["text"][cite["char_start"] : cite["char_end"]] == cite["quote"]
    asked = ask(server, QUESTION)
    assert extra["citations"] == asked["citations"]
    assert answer == asked["answer"]


def test_the_stream_joins_to_the_same_content_and_ends_with_the_citations(
    client: openai.OpenAI,
) -> None:
    whole = create(client, ("user", QUESTION))
    stream = client.chat.completions.create(
        model=MODEL, messages=[{"role": "user", "content": QUESTION}], stream=True
    )
    chunks = [c for c in stream if c.choices]
    assert len(chunks) > 2
    text = "".join(c.choices[0].delta.content or "" for c in chunks)
    assert text == whole.choices[0].message.content
    assert chunks[-1].choices[0].finish_reason == "stop"
    assert extras(chunks[-1])["citations"] == extras(whole)["citations"]


def test_a_follow_up_is_read_through_its_rewritten_query(
    client: openai.OpenAI, server: str
) -> None:
    first = create(client, ("user", QUESTION)).choices[0].message.content
    completion = create(client, ("user", QUESTION), ("assistant", first), ("user", FOLLOW_UP))
    extra = extras(completion)
    rewritten = extra["rewritten_query"]
    assert rewritten and rewritten.startswith(FOLLOW_UP) and "high-tech" in rewritten
    assert extra["citations"] and extra["citations"] == ask(server, rewritten)["citations"]
    history = [{"role": "user", "content": QUESTION}, {"role": "assistant", "content": first}]
    assert extra["citations"] == ask(server, FOLLOW_UP, history)["citations"]


def test_an_unanswerable_question_is_an_ordinary_abstention(
    client: openai.OpenAI, server: str
) -> None:
    completion = create(client, ("user", UNANSWERABLE))
    content = completion.choices[0].message.content
    assert completion.choices[0].finish_reason == "stop"
    assert extras(completion)["abstained"] is True and extras(completion)["citations"] == []
    said, listed = content.split("\n\nClosest passages:\n")
    asked = ask(server, UNANSWERABLE)
    assert asked["abstained"] and said == asked["answer"] and "[1]" not in said
    assert listed.startswith("- ")


def test_protocol_errors_reach_the_sdk_as_its_own_exceptions(
    client: openai.OpenAI, server: str
) -> None:
    assert [m.id for m in client.models.list()] == [MODEL]
    with pytest.raises(openai.NotFoundError, match="GET /v1/models"):
        client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "hi"}])
    stranger = openai.OpenAI(base_url=f"{server}/v1", api_key="wrong", max_retries=0)
    with pytest.raises(openai.AuthenticationError, match="read key"):
        create(stranger, ("user", QUESTION))
