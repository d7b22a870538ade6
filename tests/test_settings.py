"""Settings: a mistyped ``RAG_`` variable is an error naming the right one, groups refuse
unknown fields, and data is written under the working directory, not the install."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from rag.errors import InvalidRequest
from rag.settings import PROJECT_ROOT, Settings, known_variables


@pytest.mark.parametrize(
    ("variable", "closest"),
    [
        ("RAG_RETRIEVAL__ALPH", "RAG_RETRIEVAL__ALPHA"),
        ("RAG_EMBEDING__BACKEND", "RAG_EMBEDDING__BACKEND"),
        ("RAG_DATA_DIRS", "RAG_DATA_DIR"),
        ("rag_api__apikey", "RAG_API__API_KEY"),
    ],
)
def test_an_unknown_variable_names_the_closest_setting(
    monkeypatch: pytest.MonkeyPatch, variable: str, closest: str
) -> None:
    monkeypatch.setenv(variable, "0.7")
    with pytest.raises(InvalidRequest) as err:
        Settings()
    assert str(err.value).startswith(f"{variable}: no such setting; did you mean {closest}?")


def test_a_variable_like_no_setting_says_where_they_are(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RAG_ZZZZZZZZZZZZ", "1")
    with pytest.raises(InvalidRequest, match="rag/settings.py"):
        Settings()


def test_known_variables_set_their_fields(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RAG_RETRIEVAL__ALPHA", "0.7")
    monkeypatch.setenv("RAG_UI", '{"port": 9000}')
    s = Settings()
    assert s.retrieval.alpha == 0.7 and s.ui.port == 9000
    assert {"RAG_RETRIEVAL__ALPHA", "RAG_UI", "RAG_DATA_DIR"} <= set(known_variables())


@pytest.mark.parametrize("group", ["chunking", "embedding", "retrieval", "answer", "api", "ui"])
def test_every_group_refuses_unknown_fields(group: str) -> None:
    with pytest.raises(ValidationError, match="Extra inputs are not permitted"):
        Settings(**{group: {"no_such_field": 1}})


def test_data_and_corpus_default_to_the_working_directory(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("RAG_DATA_DIR", raising=False)  # set by the root conftest's autouse fixture
    s = Settings()
    assert (s.data_dir, s.corpus_dir) == (tmp_path / "data", tmp_path / "corpus")
    assert s.resolved_index_dir == tmp_path / "data" / "index"
    assert (PROJECT_ROOT / "corpus").is_dir()  # the bundled corpus, for tests and benchmarks
