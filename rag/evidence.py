"""Reading the retrieved passages: every sentence scored by the reader, passages reranked.

The one record passed from reading to answering (extractive or generative) is
``Evidence``: the question (with its conversation history and the index snapshot
it was read from), the passages in their reranked order and their sentences with
the reader's probability and answer span, best first.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from rag.reader.reader import Reader
from rag.records import page_at
from rag.retrieve import Hit, minmax
from rag.schemas import ChatMessage
from rag.store import IndexSnapshot
from rag.text import split_sentences

log = logging.getLogger(__name__)

MIN_WORDS = 3  # shorter pieces are headings or table debris, never an answer on their own


@dataclass(slots=True)
class ReadSentence:
    hit: Hit
    start: int  # absolute offsets in the document text
    end: int
    text: str
    page: int | None
    prob: float = 0.0
    span: tuple[int, int] | None = None  # absolute offsets of the answer inside the sentence
    context: str = ""  # the sentence before it in its passage (the reader's context)


@dataclass(frozen=True)
class Evidence:
    """Everything a question's answer is made from, extractive or generative."""

    question: str  # as asked
    query: str  # what the reader read (the rewritten query for a follow-up)
    hits: list[Hit]  # passages, reranked
    sentences: list[ReadSentence]  # best first
    snapshot: IndexSnapshot  # the index the passages come from
    history: tuple[ChatMessage, ...] = ()  # the conversation before the question

    @property
    def best(self) -> float:
        return self.sentences[0].prob if self.sentences else 0.0


def passage_sentences(
    hits: Sequence[Hit], snapshot: IndexSnapshot, *, limit: int
) -> list[ReadSentence]:
    """Sentences of the passages in rank order, once each across overlapping chunks."""
    out: list[ReadSentence] = []
    seen: set[tuple[str, int]] = set()
    for hit in hits:
        c = hit.chunk
        text = snapshot.document_text(c.doc_id)
        pages = snapshot.document_pages(c.doc_id)
        prev = ""
        for s, e in split_sentences(text, c.char_start, c.char_end):
            here, prev = prev, text[s:e]
            if (c.doc_id, s) in seen or len(text[s:e].split()) < MIN_WORDS:
                continue
            seen.add((c.doc_id, s))
            page = page_at(pages, s) if pages else None
            out.append(ReadSentence(hit, s, e, text[s:e], page, context=here))
            if len(out) >= limit:
                return out
    return out


def rerank(hits: Sequence[Hit], best_prob: Sequence[float], weight: float) -> list[Hit]:
    """Order passages by ``weight * best sentence probability + (1 - weight) * retrieval
    score`` (min-max scaled over the candidates); the fused value becomes the score."""
    if not hits:
        return []
    retrieval = minmax(np.array([h.score for h in hits], dtype=float))
    fused = weight * np.asarray(best_prob, dtype=float) + (1.0 - weight) * retrieval
    order = sorted(range(len(hits)), key=lambda i: (-fused[i], i))
    return [dataclasses.replace(hits[i], score=float(fused[i])) for i in order]


def read_sentences(
    query: str, hits: Sequence[Hit], snapshot: IndexSnapshot, reader: Reader, *, limit: int
) -> list[ReadSentence]:
    """The passages' sentences (``passage_sentences``) with the reader's probability and
    answer span (trimmed of edge punctuation, in document offsets) filled in."""
    sents = passage_sentences(hits, snapshot, limit=limit)
    readings = reader.read(
        query,
        [s.text for s in sents],
        [s.hit.chunk.title for s in sents],
        [s.context for s in sents],
    )
    for s, r in zip(sents, readings, strict=True):
        s.prob = r.prob
        s.span = _trimmed(s, r.span) if r.span else None
    return sents


def best_per_passage(hits: Sequence[Hit], sents: Sequence[ReadSentence]) -> list[float]:
    """Each passage's best sentence probability, counting every read sentence inside its
    span (overlapping chunks share sentences, which are read once)."""
    best: dict[str, float] = {}
    for s in sents:
        for h in hits:
            c = h.chunk
            if c.doc_id == s.hit.chunk.doc_id and c.char_start <= s.start and s.end <= c.char_end:
                best[c.chunk_id] = max(best.get(c.chunk_id, 0.0), s.prob)
    return [best.get(h.chunk.chunk_id, 0.0) for h in hits]


def read_evidence(
    question: str,
    query: str,
    hits: Sequence[Hit],
    snapshot: IndexSnapshot,
    reader: Reader,
    *,
    history: Sequence[ChatMessage] = (),
    max_sentences: int,
    rerank_weight: float,
) -> Evidence:
    """The ``Evidence`` for ``question``: ``query``'s passages read and reranked."""
    sents = read_sentences(query, hits, snapshot, reader, limit=max_sentences)
    ranked_hits = rerank(hits, best_per_passage(hits, sents), rerank_weight)
    order = {h.chunk.chunk_id: i for i, h in enumerate(ranked_hits)}
    sents.sort(key=lambda s: (-s.prob, order[s.hit.chunk.chunk_id], s.start))
    return Evidence(
        question=question,
        query=query,
        hits=ranked_hits,
        sentences=sents,
        snapshot=snapshot,
        history=tuple(history),
    )


_EDGE = " \t\n,;:.!?()[]\"'“”‘’"


def _trimmed(s: ReadSentence, span: tuple[int, int]) -> tuple[int, int] | None:
    a, b = span
    a, b = max(0, a), min(len(s.text), b)
    while a < b and s.text[a] in _EDGE:
        a += 1
    while b > a and s.text[b - 1] in _EDGE:
        b -= 1
    return (s.start + a, s.start + b) if b > a else None
