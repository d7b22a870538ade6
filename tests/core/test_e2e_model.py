"""End to end with the real all-MiniLM-L6-v2 (one torch thread): ingest the seed
corpus, search, ask, abstain, and hold the answer-quality floors of `rag eval answers`."""

from __future__ import annotations

import json
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
FLOORS = {
    "fact_recall": 0.58,
    "abstention_recall": 0.4,
    "answered_rate": 0.65,
    "citation_precision": 0.28,
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
def rag(tmp_path_factory: pytest.TempPathFactory) -> Rag:
    cli = Rag(tmp_path_factory.mktemp("model") / "data")
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
    assert r["source"] == "corpus/streets-ahead-press-release-2011-12-07.txt"
    assert snap.document_text(r["doc_id"])[r["char_start"] : r["char_end"]] == r["text"]


def test_ask_answers_with_verified_quotes(rag: Rag) -> None:
    resp = rag("ask", QUESTION)
    assert not resp["abstained"]
    assert all(c in resp["answer"] for c in CITIES), resp["answer"]
    snap = rag.index.open()
    assert resp["citations"]
    for c in resp["citations"]:
        assert snap.document_text(c["doc_id"])[c["char_start"] : c["char_end"]] == c["quote"]


def test_the_high_tech_sentence_leads_with_the_cities_as_its_span(rag: Rag) -> None:
    resp = rag("ask", QUESTION)
    first = resp["citations"][0]
    span = first["answer_span"]
    assert span["text"] == "Coventry, Derby, Northampton, Preston and Warrington/Wigan", resp[
        "answer"
    ]
    snap = rag.index.open()
    assert (
        snap.document_text(first["doc_id"])[span["char_start"] : span["char_end"]] == span["text"]
    )
    # no service-sector sentence (nor its list of cities) in the answer
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
    # Floors a little under the shipped reader's numbers in BENCHMARKS.md ("answers"),
    # so a regression fails here; nothing was tuned on this question set.
    summary = rag("eval", "answers")["summary"]
    assert summary["citation_validity"] == 1.0
    assert summary["fact_recall"] >= FLOORS["fact_recall"], summary
    assert summary["abstention_recall"] >= FLOORS["abstention_recall"], summary
    assert summary["answered_rate"] >= FLOORS["answered_rate"], summary
    assert summary["citation_precision"] >= FLOORS["citation_precision"], summary
