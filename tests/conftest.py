"""Fixtures shared by the whole suite: hash-embedder settings, the one copier of the seed
corpus, one seed-corpus index built once per session for the read-only tests, the int8
embedder's graph built once per session for the tests that index with the real model, and
an autouse fixture that keeps every test's data folder in a temporary directory.

Folders below add their own (``tests/rag/conftest.py``: the OpenAI-compatible stub;
``tests/rag/api/conftest.py``: a fake answerer and API clients; ``tests/ingest/conftest.py``:
builders of hostile inputs)."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from rag.service import Service
from rag.settings import Settings, get_settings

ROOT = Path(__file__).resolve().parents[1]
SEED_CORPUS = ROOT / "corpus"


def hash_settings(data_dir: Path, **overrides: object) -> Settings:
    overrides.setdefault("answer", {"reader": "lexical"})
    return Settings(embedding={"backend": "hash"}, data_dir=data_dir, **overrides)


def copy_seeds(dest: Path) -> Path:
    dest.mkdir(parents=True, exist_ok=True)
    for f in sorted(SEED_CORPUS.glob("*.txt")) + sorted(SEED_CORPUS.glob("*.meta.json")):
        shutil.copy(f, dest / f.name)
    return dest


@pytest.fixture
def make_settings() -> Callable[..., Settings]:
    """``make_settings(data_dir, **overrides)``: hash-embedder settings."""
    return hash_settings


@pytest.fixture(autouse=True)
def isolated_data_dir(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Path:
    """``RAG_DATA_DIR`` points at a fresh temporary folder, so nothing a test builds from the
    environment (``Settings()``, the CLI, a child process given ``os.environ``) writes into
    the checkout's ``data/``. A test that sets its own (``Settings(data_dir=...)``,
    ``monkeypatch.setenv``/``delenv``, an explicit env for a child) wins."""
    folder = tmp_path_factory.mktemp("rag-data")
    monkeypatch.setenv("RAG_DATA_DIR", str(folder))
    return folder


@pytest.fixture(scope="session")
def int8_seeder(tmp_path_factory: pytest.TempPathFactory) -> Callable[[Path], None]:
    """``int8_seeder(data_dir)``: put the int8 embedder's graph where ``data_dir`` keeps its
    built models. The graph is built once for the whole session (each build takes about
    40 s), and only where the settings' precision resolves to int8 on this CPU; elsewhere
    this does nothing. Building, caching and checking the graph are tested on their own in
    ``tests/rag/test_embed_precision.py``."""
    from rag.bench.pace import int8_model, seed_int8
    from rag.embed import resolve_dtype
    from rag.settings import EmbeddingSettings

    graph: Path | None = None
    if resolve_dtype(EmbeddingSettings().dtype) == "int8":
        graph, _ = int8_model(tmp_path_factory.mktemp("int8"))
    return lambda data_dir: seed_int8(data_dir, graph)


@pytest.fixture(scope="session")
def seed_copier() -> Callable[[Path], Path]:
    """``seed_copier(dest)``: copy the seed .txt and .meta.json files into ``dest``."""
    return copy_seeds


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return hash_settings(tmp_path / "data")


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    return copy_seeds(tmp_path / "corpus")


@pytest.fixture(scope="session")
def seed_service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    """The two seed publications indexed with the hash embedder. Read-only."""
    base = tmp_path_factory.mktemp("seed")
    svc = Service(hash_settings(base / "data"))
    summary = svc.ingest([copy_seeds(base / "corpus")], keep_missing=False)
    assert len(summary.added) == 2 and not summary.failed
    yield svc
    svc.snapshot().close()


@pytest.fixture
def fresh_settings_cache() -> Iterator[None]:
    """``get_settings`` is cached per process; CLI tests change the environment."""
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()
