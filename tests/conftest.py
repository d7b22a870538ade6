"""Shared fixtures for the core tests: hash-embedder settings, a copied seed corpus,
and one seed-corpus index built once per session for the read-only tests."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from rag.service import Service
from rag.settings import Settings, get_settings

ROOT = Path(__file__).resolve().parents[2]
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


@pytest.fixture
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
