"""End to end with the real all-MiniLM-L6-v2 (one torch thread): ingest the seed
corpus, search, ask, abstain, and hold the answer-quality floors of `rag eval answers`."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from rag.cli import app
from rag.settings import get_settings
from rag.store import IndexStore

pytestmark = pytest.mark.model

ROOT = Path(__file__).resolve().parents[2]
QUESTION = "which cities are high-tech innovators?"
CITIES = ("Coventry", "Derby", "Northampton", "Preston", "Warrington/Wigan")
# A little under the shipped reader's numbers in BENCHMARKS.md ("Answer quality": fact
# recall 0.351, answered 0.425, abstention recall 0.833, citation precision 0.50, the
# stage-4 reader in float32 at its float32 threshold). Reader, precision and threshold were
# chosen on development data, not on this set. They guard against regressions; they are
# not targets.
FLOORS = {
    "fact_recall": 0.30,
    "abstention_recall": 0.77,
    "answered_rate": 0.38,
    "citation_precision": 0.45,
}


class Rag:
    """``rag ... --json`` in-process (the model and torch load once per test run)."""

    def __init__(self, data: Path) -> None:
        self.env = {
            "RAG_DATA_DIR": str(data),
            "RAG_EMBEDDING__THREADS": "1",
            "RAG_EMBEDDING__BACKEND": None,  # the default: sentence-transformers
        }
        self.index = IndexStore(data / "index")
        self.runner = CliRunner()

    def __call__(self, *args: str) -> Any:
        get_settings.cache_clear()
        result = self.runner.invoke(app, [*args, "--json"], env=self.env)
        get_settings.cache_clear()
        assert result.exit_code == 0, (result.output, result.exception)
        return json.loads(result.stdout)


@pytest.fixture(scope="module")
def rag(tmp_path_factory: pytest.TempPathFactory, int8_seeder: Callable[[Path], None]) -> Rag:
    data = tmp_path_factory.mktemp("model") / "data"
    int8_seeder(data)
    cli = Rag(data)
    summary = cli("ingest", str(ROOT / "corpus"))
    assert len(summary["added"]) == 2 and not summary["failed"]
    return cli


def test_search_finds_the_five_cities(rag: Rag) -> None:
    found = rag("search", QUESTION, "-k", "5")
    snap = rag.index.open()
    assert snap.fingerprint["embedder"] == "sentence-transformers/all-MiniLM-L6-v2"
    top = [r for r in found["results"][:3] if all(c in r["text"] for c in CITIES)]
    assert top, [r["text"][:80] for r in found["results"]]
    r = top[0]
    assert Path(r["source"]).name == "streets-ahead-press-release-2011-12-07.txt"
    assert not Path(r["source"]).is_absolute()  # relative to the corpus folder (or project)
    assert snap.document_text(r["doc_id"])[r["char_start"] : r["char_end"]] == r["text"]


def test_ask_answers_with_verified_quotes(rag: Rag) -> None:
    resp = rag("ask", QUESTION)
    assert not resp["abstained"]
    assert all(c in resp["answer"] for c in CITIES), resp["answer"]
    snap = rag.index.open()
    assert resp["citations"]
    for c in resp["citations"]:
        assert snap.document_text(c["doc_id"])[c["char_start"] : c["char_end"]] == c["quote"]


def test_the_high_tech_list_is_cited_with_the_cities_as_its_span(rag: Rag) -> None:
    resp = rag("ask", QUESTION)
    cited = [c for c in resp["citations"] if c["quote"].startswith("The include Coventry")]
    assert cited, resp["answer"]
    span = cited[0]["answer_span"]
    assert span["text"] == "Coventry, Derby, Northampton, Preston and Warrington/Wigan"
    snap = rag.index.open()
    text = snap.document_text(cited[0]["doc_id"])
    assert text[span["char_start"] : span["char_end"]] == span["text"]


@pytest.mark.xfail(
    strict=True,
    reason="issue 15, not met yet: the service-sector list (its previous sentence speaks of "
    "'high tech services') scores 0.929, just above the high-tech list's 0.926 with the "
    "stage-4 reader (BENCHMARKS.md, Reader)",
)
def test_the_high_tech_sentence_leads_and_no_service_sector_sentence_is_cited(rag: Rag) -> None:
    resp = rag("ask", QUESTION)
    assert resp["citations"][0]["quote"].startswith("The include Coventry")
    for c in resp["citations"]:
        assert "service" not in c["quote"].lower() and "Milton Keynes" not in c["quote"], c


def test_the_sponsors_are_named(rag: Rag) -> None:
    resp = rag("ask", "Who sponsored the Streets Ahead report?")
    assert not resp["abstained"]
    lead = resp["citations"][0]["quote"]
    assert all(s in lead for s in ("Bristol City Council", "Essex University", "HEFCE")), lead


def test_ask_abstains_when_the_corpus_has_no_answer(rag: Rag) -> None:
    resp = rag("ask", "What was the population of Leeds in 2020?")
    assert resp["abstained"] and resp["citations"] == [] and resp["passages"]


def test_answer_quality_floors(rag: Rag) -> None:
    # Regression floors (see FLOORS); nothing was tuned on this question set.
    summary = rag("eval", "answers")["summary"]
    assert summary["citation_validity"] == 1.0
    assert summary["fact_recall"] >= FLOORS["fact_recall"], summary
    assert summary["abstention_recall"] >= FLOORS["abstention_recall"], summary
    assert summary["answered_rate"] >= FLOORS["answered_rate"], summary
    assert summary["citation_precision"] >= FLOORS["citation_precision"], summary


def test_the_openai_sdk_gets_the_high_tech_answer_from_a_real_server(rag: Rag) -> None:
    """Issue 13's check with the real model and reader: the official client, a real
    `rag serve` on loopback over the index this module built."""
    import os
    import socket
    import subprocess
    import sys

    import openai

    from rag.wait import wait_for

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAG_")}
    env.update({k: v for k, v in rag.env.items() if v is not None}, HF_HUB_OFFLINE="1")
    proc = subprocess.Popen(
        [sys.executable, "-m", "rag", "serve", "--port", str(port)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        assert wait_for(f"http://127.0.0.1:{port}/health", timeout_s=180)
        client = openai.OpenAI(base_url=f"http://127.0.0.1:{port}/v1", api_key="-", timeout=120)
        completion = client.chat.completions.create(
            model="workfoundation-rag", messages=[{"role": "user", "content": QUESTION}]
        )
        content = completion.choices[0].message.content or ""
        assert all(c in content for c in CITIES) and "[1]" in content and "Sources:" in content
        cited = dict(completion.model_extra or {})["citations"]
        assert cited == rag("ask", QUESTION)["citations"]
    finally:
        proc.terminate()
        proc.wait(timeout=30)
