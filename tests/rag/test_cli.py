"""The ``rag`` command line: JSON shapes, exit codes and one-line errors.

Normal runs use typer's ``CliRunner`` on ``rag.cli.app``; the error paths run
``python -m rag`` so that the entry point's error handling is what is tested.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result
from typer.testing import CliRunner

from rag.cli import app

QUESTION = "which cities are high-tech innovators?"
SUMMARY_KEYS = {"added", "updated", "removed", "unchanged", "failed", "embedded_chunks"}
RESULT_KEYS = set("rank score chunk_id doc_id title source page char_start char_end text".split())
CITATION_KEYS = {"marker", "doc_id", "title", "source", "page", "char_start", "char_end", "quote"}
# documented in rag.schemas.Citation
CITATION_OPTIONAL = {"chunk_id", "date", "authors", "answer_span", "probability"}
ANSWER_KEYS = {"question", "answer", "abstained", "citations", "passages"}
ANSWER_OPTIONAL = {"rewritten_query", "confidence", "unsupported"}  # rag.schemas.AnswerResponse


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {"RAG_DATA_DIR": str(tmp_path / "data"), "RAG_EMBEDDING__BACKEND": "hash",
            "RAG_ANSWER__READER": "lexical"}


@pytest.fixture
def cli(env: dict[str, str], fresh_settings_cache: None) -> Callable[..., Result]:
    runner = CliRunner()

    def invoke(*args: str, code: int = 0) -> Result:
        result = runner.invoke(app, list(args), env=env)
        assert result.exit_code == code, (result.output, result.exception)
        return result

    return invoke


def run_rag(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    full = {k: v for k, v in os.environ.items() if not k.startswith("RAG_")} | env
    return subprocess.run(
        [sys.executable, "-m", "rag", *args], env=full, capture_output=True, text=True, timeout=120
    )


def test_ingest_search_ask_json(cli: Callable[..., Result], corpus: Path, tmp_path: Path) -> None:
    first = json.loads(cli("ingest", str(corpus), "--json").stdout)
    assert set(first) == SUMMARY_KEYS
    assert len(first["added"]) == 2 and first["embedded_chunks"] > 0 and not first["failed"]
    second = json.loads(cli("ingest", str(corpus), "--json").stdout)
    assert second["embedded_chunks"] == 0 and len(second["unchanged"]) == 2 and not second["added"]

    found = json.loads(cli("search", QUESTION, "-k", "5", "--json").stdout)
    assert set(found) == {"query", "results"} and found["query"] == QUESTION
    assert 1 <= len(found["results"]) <= 5
    for r in found["results"]:
        assert set(r) == RESULT_KEYS
    assert any("Coventry" in r["text"] for r in found["results"][:3])

    answer = json.loads(cli("ask", QUESTION, "--json").stdout)
    assert ANSWER_KEYS <= set(answer) <= ANSWER_KEYS | ANSWER_OPTIONAL
    assert answer["question"] == QUESTION and not answer["abstained"]
    assert answer["citations"]
    for c in answer["citations"]:
        assert CITATION_KEYS <= set(c) <= CITATION_KEYS | CITATION_OPTIONAL
    for p in answer["passages"]:
        assert RESULT_KEYS <= set(p)

    history = tmp_path / "history.json"
    history.write_text(
        json.dumps([{"role": "user", "content": QUESTION}, {"role": "assistant", "content": "x"}])
    )
    follow = json.loads(
        cli(
            "ask", "and which are service sector innovators?", "--history", str(history), "--json"
        ).stdout
    )
    assert "high-tech" in follow["rewritten_query"]

    text = cli("search", QUESTION, "-k", "2").stdout
    assert text.startswith("[1] ") and "streets-ahead" in text
    plain = cli("ask", QUESTION).stdout
    assert "Sources:" in plain and "[1]" in plain
    assert "answer: \u201c" in plain  # each source shows the reader's answer span


def test_ingest_with_a_bad_file_exits_non_zero_and_names_it(
    cli: Callable[..., Result], corpus: Path
) -> None:
    (corpus / "broken.pdf").write_text("not really a pdf")
    out = cli("ingest", str(corpus), "--json", code=2)  # 2: some failed, the rest indexed
    summary = json.loads(out.stdout)
    assert [Path(f["path"]).name for f in summary["failed"]] == ["broken.pdf"]
    assert len(summary["added"]) == 2
    human = cli("ingest", str(corpus), code=2)
    assert "broken.pdf" in human.stderr and "not a PDF" in human.stderr


def test_search_without_an_index_says_run_ingest(env: dict[str, str]) -> None:
    done = run_rag(env, "search", QUESTION)
    assert done.returncode == 5
    assert "rag ingest" in done.stderr and "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 and done.stdout == ""


def test_invalid_history_is_a_usage_error(
    env: dict[str, str], corpus: Path, tmp_path: Path
) -> None:
    bad = tmp_path / "history.json"
    bad.write_text("{not json")
    assert run_rag(env, "ingest", str(corpus), "--json").returncode == 0
    done = run_rag(env, "ask", QUESTION, "--history", str(bad))
    assert done.returncode == 2
    assert "--history" in done.stderr and str(bad) in done.stderr
    assert "Traceback" not in done.stderr
    bad.write_text('[{"role": "robot", "content": "hi"}]')
    done = run_rag(env, "ask", QUESTION, "--history", str(bad))
    assert done.returncode == 2 and "--history" in done.stderr and "Traceback" not in done.stderr


def test_an_index_built_with_other_settings_exits_9_even_when_nothing_changed(
    env: dict[str, str], corpus: Path
) -> None:
    """9, not 5 (missing or busy): `make index` rebuilds on 9 and only on 9."""
    assert run_rag(env, "ingest", str(corpus)).returncode == 0
    other = env | {"RAG_CHUNKING__MAX_TOKENS": "120"}
    done = run_rag(other, "ingest", str(corpus))
    assert done.returncode == 9, done.stderr
    assert "rag ingest --rebuild" in done.stderr and "Traceback" not in done.stderr
    assert run_rag(other, "ingest", "--rebuild", str(corpus)).returncode == 0
