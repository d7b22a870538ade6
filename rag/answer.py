"""The answer stage's front: rewrite the question, retrieve, read, then answer.

Reading (``rag.evidence``) scores every sentence of the retrieved passages with the
reader and reranks the passages. The extractive composer (``rag.extractive``)
answers from those sentences; a generative client (``rag.generate``) gets the
reranked passages instead. Collaborators are injected and default from settings.
"""

from __future__ import annotations

import dataclasses
import logging
import re
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, Protocol

from rag.errors import InvalidRequest
from rag.evidence import Evidence, read_evidence
from rag.extractive import compose
from rag.followup import rewrite_query
from rag.reader.reader import CrossEncoderReader, LexicalReader, Reader, shared_reader
from rag.retrieve import Retriever
from rag.schemas import AnswerResponse, ChatMessage, Filters
from rag.settings import Settings

log = logging.getLogger(__name__)


class Generator(Protocol):
    """A generative answerer (e.g. an OpenAI-compatible endpoint) of a question's evidence.

    It answers from all of ``ev.hits`` (the Answerer passes only the top passages)."""

    def answer(self, ev: Evidence) -> AnswerResponse: ...

    def stream(self, ev: Evidence) -> Iterator[tuple[str, Any]]: ...


def model_reader(settings: Settings, *, model_dir: Path | None = None) -> CrossEncoderReader:
    """The trained reader (``model_dir``, else ``answer.reader_path``, else the shipped one)
    in the precision and runtime the settings name, loaded once per process. The ONNX
    Runtime reader keeps its exported graph in ``cache_dir/onnx`` and uses as many threads
    as the embedding model (``embedding.threads``), as torch's would."""
    a = settings.answer
    return shared_reader(
        model_dir or a.reader_path,
        int8=a.reader_precision == "int8",
        runtime=a.reader_runtime,
        artifact_dir=settings.cache_dir / "onnx",
        threads=settings.embedding.threads,
    )


def make_reader(settings: Settings) -> Reader:
    """The reader named by ``answer.reader``: the shipped model, or the lexical fake."""
    if settings.answer.reader == "lexical":
        return LexicalReader()
    return model_reader(settings)


class Answerer:
    """Answers questions from a retriever's passages. Collaborators default from settings."""

    def __init__(
        self,
        settings: Settings,
        *,
        reader: Reader | None = None,
        generator: Generator | None = None,
    ) -> None:
        self.settings = settings
        self._reader = reader
        self._generator = generator

    @property
    def reader(self) -> Reader:
        if self._reader is None:
            self._reader = make_reader(self.settings)
        return self._reader

    @property
    def threshold(self) -> float:
        t = self.settings.answer.abstain_threshold
        return float(t) if t is not None else float(self.reader.threshold)

    def generator(self, name: str | None) -> Generator | None:
        name = name or self.settings.answer.generator
        if name == "extractive":
            return None
        if name != "openai":
            raise InvalidRequest("generator", f"must be 'extractive' or 'openai' (got {name!r})")
        if self.settings.answer.generator != "openai":
            # Only the generators GET /health advertises: a request may not make an
            # extractive-only server call the (maybe paid) endpoint in its settings.
            raise InvalidRequest("generator", "this server answers only with 'extractive'")
        if self._generator is None:
            from rag.generate import OpenAIGenerator

            self._generator = OpenAIGenerator(self.settings.answer)
        return self._generator

    def evidence(
        self,
        question: str,
        retriever: Retriever,
        history: Sequence[ChatMessage] = (),
        filters: Filters | None = None,
        k: int | None = None,
    ) -> Evidence:
        """Retrieve for the (rewritten) question and read every passage sentence."""
        a = self.settings.answer
        query = rewrite_query(question, history)
        hits = retriever.search(query, k or a.candidates, filters)
        return read_evidence(
            question,
            query,
            hits,
            retriever.snapshot,
            self.reader,
            history=history,
            max_sentences=a.max_read_sentences,
            rerank_weight=a.rerank_weight,
        )

    def _answer(self, ev: Evidence) -> AnswerResponse:
        a = self.settings.answer
        return compose(
            ev,
            threshold=self.threshold,
            max_sentences=a.max_sentences,
            passages=a.passages,
        )

    def _top(self, ev: Evidence) -> Evidence:
        """``ev`` with only the passages a generator is given."""
        return dataclasses.replace(ev, hits=ev.hits[: self.settings.answer.passages])

    # -- public ----------------------------------------------------------------
    def ask(
        self,
        question: str,
        *,
        retriever: Retriever,
        history: Sequence[ChatMessage] = (),
        filters: Filters | None = None,
        k: int | None = None,
        generator: str | None = None,
    ) -> AnswerResponse:
        gen = self.generator(generator)
        ev = self.evidence(question, retriever, history, filters, k)
        if gen is not None and ev.hits:
            return gen.answer(self._top(ev))
        return self._answer(ev)

    def ask_stream(
        self,
        question: str,
        *,
        retriever: Retriever,
        history: Sequence[ChatMessage] = (),
        filters: Filters | None = None,
        k: int | None = None,
        generator: str | None = None,
    ) -> Iterator[tuple[str, Any]]:
        """("token", text) pieces of the answer, then ("final", AnswerResponse)."""
        gen = self.generator(generator)
        ev = self.evidence(question, retriever, history, filters, k)
        if gen is not None and ev.hits:
            yield from gen.stream(self._top(ev))
            return
        resp = self._answer(ev)
        for piece in re.split(r"(?<=\])\s+", resp.answer):  # one event per cited sentence
            yield "token", piece + " "
        yield "final", resp
