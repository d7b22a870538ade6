"""For the tests of ``rag``: a real index of the bundled corpus (hash embedder, copied with
the root conftest's ``seed_copier``) and a scripted OpenAI-compatible stub.

The stub module is loaded by path: tests run with ``--import-mode=importlib`` and
``tests`` is not a package, so ``import tests.rag.openai_stub`` would depend on
the working directory.
"""

from __future__ import annotations

import importlib.util
import socket
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from rag.service import Service
from rag.settings import Settings

API_KEY = "sk-test-0123"


def _load_stub_module() -> Any:
    spec = importlib.util.spec_from_file_location(
        "openai_stub", Path(__file__).with_name("openai_stub.py")
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up here
    spec.loader.exec_module(module)
    return module


OpenAIStub = _load_stub_module().OpenAIStub


@pytest.fixture(scope="session")
def base_settings(
    tmp_path_factory: pytest.TempPathFactory, seed_copier: Callable[[Path], Path]
) -> Settings:
    """Settings over an index of corpus/ built once for the session."""
    tmp = tmp_path_factory.mktemp("generate")
    seed_copier(tmp / "corpus")
    settings = Settings(
        embedding={"backend": "hash"},
        answer={"reader": "lexical"},
        data_dir=tmp / "data",
        corpus_dir=tmp / "corpus",
    )
    summary = Service(settings).ingest([settings.corpus_dir])
    assert len(summary.added) == 2 and not summary.failed
    return settings


@pytest.fixture
def stub() -> Iterator[OpenAIStub]:
    server = OpenAIStub().start()
    yield server
    server.stop()


@pytest.fixture
def make_service(base_settings: Settings, stub: OpenAIStub) -> Callable[..., Service]:
    """``make_service(**answer_settings)``: a Service whose generator talks to the stub."""

    def make(**answer: Any) -> Service:
        fields = {
            "generator": "openai",  # a server configured for it: /health advertises it
            "openai_base_url": stub.base_url,
            "openai_api_key": API_KEY,
            **answer,
        }
        group = base_settings.answer.model_copy(update=fields)
        return Service(base_settings.model_copy(update={"answer": group}))

    return make


@pytest.fixture
def service(make_service: Callable[..., Service]) -> Service:
    return make_service()


@pytest.fixture
def closed_port_url() -> str:
    """A loopback URL where nothing listens."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/v1"
