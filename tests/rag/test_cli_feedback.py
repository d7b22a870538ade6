"""``rag feedback export``: the UI's rated answers as JSONL in the evaluation set's shape,
loadable by ``rag eval answers``; a damaged store is one line and a non-zero exit."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from rag.cli import app
from rag.eval.questions import load_questions
from rag.settings import get_settings
from ui.chats import ChatStore, default_path

CHAT = "a" * 32
QUOTE = "They include the cities of Milton Keynes, Glasgow, Manchester, Reading and Bristol."


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("RAG_DATA_DIR", str(tmp_path / "data"))
    get_settings.cache_clear()
    yield tmp_path / "data"
    get_settings.cache_clear()


def _rated(data_dir: Path) -> None:
    store = ChatStore(default_path(data_dir))
    citation = {"marker": 1, "doc_id": "d", "title": "Streets Ahead", "quote": QUOTE,
                "source": "corpus/streets-ahead-press-release-2011-12-07.txt"}  # fmt: skip
    answer = {"answer": "Milton Keynes, Glasgow and Bristol [1].", "abstained": False,
              "citations": [citation]}  # fmt: skip
    store.append_turns(CHAT, [
        ("which are service sector innovators?", answer, None),
        ("what is the capital of France?", {"answer": "", "abstained": False, "citations": []},
         None),
    ])  # fmt: skip
    store.rate(CHAT, 0, "up", "good")
    store.rate(CHAT, 1, "down", "should have abstained")


def test_export_writes_questions_that_load(data_dir: Path, tmp_path: Path) -> None:
    _rated(data_dir)
    out = tmp_path / "reviewed.jsonl"
    result = CliRunner().invoke(app, ["feedback", "export", "--output", str(out)])
    assert result.exit_code == 0, result.output
    (question,) = load_questions(out)  # the thumbs-up only, by default
    assert question.question == "which are service sector innovators?"
    assert question.answerable and question.facts == [QUOTE]
    assert question.evidence[0].source == "streets-ahead-press-release-2011-12-07.txt"
    assert "Exported 1 rated answer(s)" in result.stderr


def test_export_to_stdout_with_the_drafts(data_dir: Path) -> None:
    _rated(data_dir)
    result = CliRunner().invoke(app, ["feedback", "export", "--rating", "any"])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["question"] for r in rows] == [
        "which are service sector innovators?",
        "what is the capital of France?",
    ]
    assert rows[1]["follow_up_of"] == rows[0]["id"] and len(rows[1]["history"]) == 2
    assert "should have abstained" in rows[1]["notes"]


def test_nothing_rated_yet_is_said_not_an_error(data_dir: Path) -> None:
    result = CliRunner().invoke(app, ["feedback", "export"])
    assert result.exit_code == 0 and result.stdout == ""
    assert "No rated answers yet" in result.stderr


def test_a_bad_rating_and_a_damaged_store_are_one_line_errors(data_dir: Path) -> None:
    env = dict(os.environ, RAG_DATA_DIR=str(data_dir))
    bad = subprocess.run([sys.executable, "-m", "rag", "feedback", "export", "--rating", "meh"],
                         env=env, capture_output=True, text=True, timeout=60)  # fmt: skip
    assert bad.returncode != 0 and "--rating" in bad.stderr and "Traceback" not in bad.stderr
    path = default_path(data_dir)
    path.parent.mkdir(parents=True)
    path.write_bytes(b"garbage" * 500)
    broken = subprocess.run([sys.executable, "-m", "rag", "feedback", "export"],
                            env=env, capture_output=True, text=True, timeout=60)  # fmt: skip
    assert broken.returncode != 0 and "Traceback" not in broken.stderr
    assert str(path) in broken.stderr and len(broken.stderr.strip().splitlines()) == 1
