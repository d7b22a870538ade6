"""A small corpus indexed with the hash embedder, a fake answerer, and API clients.

The answerer is faked so these tests do not depend on ``rag.answer``; it answers
from the retriever it is given, so answers still come from the real index.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from rag.api import create_app
from rag.errors import GeneratorError
from rag.schemas import AnswerResponse, Citation
from rag.service import Service
from rag.settings import Settings

API_KEY = "test-key-0123456789"

EXTRA_DOC = """Flexible working and productivity

Employers who offered flexible working reported lower staff turnover and higher
productivity. The survey covered 500 firms across the North West and Yorkshire.
Part-time workers valued control over their hours more than pay rises.
"""


class FakeAnswerer:
    """Answers with the top passage's first sentence; streams it word by word.

    Questions containing ``explode-midway`` fail after the first token and those
    containing ``explode-early`` fail before any, to exercise the error paths.
    """

    def ask(
        self, question: str, *, retriever: Any, history: Any, filters: Any, k: Any, generator: Any
    ) -> AnswerResponse:
        if "explode-early" in question:
            raise GeneratorError("The generator at http://llm.invalid failed; check it is up.")
        hits = retriever.search(question, k or 3, filters)
        passages = [h.to_result(i + 1) for i, h in enumerate(hits)]
        if not passages:
            return AnswerResponse(
                question=question,
                answer="I could not find this.",
                abstained=True,
                citations=[],
                passages=[],
            )
        top = passages[0]
        sentence = top.text.split(". ")[0]
        cite = Citation(
            marker=1,
            doc_id=top.doc_id,
            title=top.title,
            source=top.source,
            page=top.page,
            char_start=top.char_start,
            char_end=top.char_start + len(sentence),
            quote=sentence,
        )
        return AnswerResponse(
            question=question,
            answer=f"{sentence} [1]",
            abstained=False,
            citations=[cite],
            passages=passages,
        )

    def ask_stream(self, question: str, **kwargs: Any) -> Iterator[tuple[str, Any]]:
        final = self.ask(question, **kwargs)
        words = final.answer.split(" ")
        for i, word in enumerate(words):
            yield "token", word if i == 0 else " " + word
            if "explode-midway" in question:
                raise RuntimeError("boom in the middle of a stream")
        yield "final", final


def _make_settings(tmp_path: Path, **api: Any) -> Settings:
    return Settings(
        embedding={"backend": "hash"},
        data_dir=tmp_path / "data",
        corpus_dir=tmp_path / "corpus",
        api={"api_key": API_KEY, **api},
    )


@pytest.fixture
def corpus(tmp_path: Path, seed_copier: Callable[[Path], Path]) -> Path:
    """The seed corpus (root conftest) plus one more publication."""
    folder = seed_copier(tmp_path / "corpus")
    (folder / "flexible-working.txt").write_text(EXTRA_DOC, encoding="utf-8")
    return folder


@pytest.fixture
def settings(tmp_path: Path, corpus: Path) -> Settings:
    return _make_settings(tmp_path)


@pytest.fixture
def make_settings() -> Callable[..., Settings]:
    """``make_settings(tmp_path, **api_settings)``: settings over an empty data folder."""
    return _make_settings


@pytest.fixture
def service(settings: Settings) -> Service:
    svc = Service(settings, answerer=FakeAnswerer())  # type: ignore[arg-type]
    summary = svc.ingest([settings.corpus_dir])
    assert len(summary.added) == 3 and not summary.failed
    return svc


@pytest.fixture
def client(settings: Settings, service: Service) -> Iterator[TestClient]:
    with TestClient(create_app(settings, service)) as c:
        yield c


@pytest.fixture
def auth() -> dict[str, str]:
    return {"X-API-Key": API_KEY}


@pytest.fixture
def doc_id_of() -> Callable[[TestClient, str], str]:
    """``doc_id_of(client, file_name)``: the id of the indexed document from that file."""

    def find(client: TestClient, name: str) -> str:
        docs = client.get("/documents", params={"limit": 500}).json()["documents"]
        return next(d["doc_id"] for d in docs if d["source"].endswith(name))

    return find
