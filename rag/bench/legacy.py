"""The extractive answerer the reader replaced, kept runnable for side-by-side benchmarks.

Its sentence scoring is ``rag.eval.heuristic`` (dense cosine, term overlap,
regular-expression answer types, rank and document priors) with the weights and the
abstention threshold (0.32) that were tuned on the corpus question set. Benchmark
code only: the product answers with the reader (``rag.answer``).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from rag.cite import answer_response, citation_for, one_line, verify_quote
from rag.embed import Embedder
from rag.eval.heuristic import (
    _NAME,
    PENALTY_ENTITY,
    PENALTY_TYPE,
    W_DENSE,
    W_OVERLAP,
    W_TYPE,
    answer_kind,
    entity_coverage,
    kind_bonus,
    question_entities,
)
from rag.followup import rewrite_query
from rag.records import page_at
from rag.retrieve import Hit, Retriever
from rag.schemas import AnswerResponse, ChatMessage, Citation, Filters
from rag.settings import Settings
from rag.store import IndexSnapshot
from rag.text import bm25_tokenize, split_sentences

log = logging.getLogger(__name__)

W_RANK, W_DOC = 0.10, 0.05
KEEP_RATIO = 0.80
MIN_WORDS = 4
ABSTAIN_THRESHOLD = 0.32
_ANAPHOR_START = re.compile(r"^(They|These|This|Those|It|Its|Their|Such|He|She|His|Her)\b")


def link_continuations(sents: list[Sentence]) -> None:
    """Mark a sentence that completes its predecessor ("They include A, B and C.")."""
    for a, b in zip(sents, sents[1:], strict=False):
        if a.hit.chunk.doc_id != b.hit.chunk.doc_id or b.start < a.end:
            continue
        names = len(_NAME.findall(b.text))
        if _ANAPHOR_START.match(b.text) or (names >= 3 and names >= len(b.text.split()) / 3):
            a.follows = b


@dataclass(slots=True)
class Sentence:
    passage: int  # rank of its passage, 0-based
    hit: Hit
    start: int  # absolute offsets in the document text
    end: int
    text: str
    page: int | None
    dense: float = 0.0
    overlap: float = 0.0
    kind_bonus: float = 0.0
    score: float = 0.0
    follows: Sentence | None = None  # a continuation ("They include ...") of this sentence


def _terms(text: str, stemmer: Any) -> set[str]:
    return set(bm25_tokenize([text], stemmer)[0])


class LegacyAnswerer:
    """The extractive answerer before the reader (commit 3c3fe9a), extractive only."""

    def __init__(self, settings: Settings, *, embedder: Embedder) -> None:
        self.settings = settings
        self.embedder = embedder

    def _prepare(
        self,
        question: str,
        retriever: Retriever,
        history: Sequence[ChatMessage],
        filters: Filters | None,
        k: int | None,
        generator: str | None,
    ) -> tuple[str, list[Hit], None]:
        """The retrieval query (with the conversation folded in) and its passages."""
        query = rewrite_query(question, history)
        hits = retriever.search(query, k or self.settings.answer.passages, filters)
        return query, hits, None

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
        query, hits, gen = self._prepare(question, retriever, history, filters, k, generator)
        return self.extract(question, query, hits, retriever.snapshot)

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
        query, hits, gen = self._prepare(question, retriever, history, filters, k, generator)
        resp = self.extract(question, query, hits, retriever.snapshot)
        for piece in re.split(r"(?<=\])\s+", resp.answer):  # one event per cited sentence
            yield "token", piece + " "
        yield "final", resp

    # -- extractive ------------------------------------------------------------
    def sentences(self, hits: Sequence[Hit], snapshot: IndexSnapshot) -> list[Sentence]:
        """Sentences of the passages, deduplicated across overlapping chunks."""
        out: list[Sentence] = []
        seen: set[tuple[str, int]] = set()
        for rank, hit in enumerate(hits):
            c = hit.chunk
            text = snapshot.document_text(c.doc_id)
            pages = snapshot.document_pages(c.doc_id)
            for s, e in split_sentences(text, c.char_start, c.char_end):
                if (c.doc_id, s) in seen:
                    continue
                seen.add((c.doc_id, s))
                out.append(
                    Sentence(rank, hit, s, e, text[s:e], page_at(pages, s) if pages else None)
                )
        return out

    def score(
        self, question: str, query: str, sents: list[Sentence], snapshot: IndexSnapshot
    ) -> None:
        """Score each sentence together with its continuation, if it has one."""
        if not sents:
            return
        stemmer = snapshot.stemmer
        # Sentences from a document that mentions the question's names ("City Deals")
        # are preferred over ones from a document that does not.
        wanted = question_entities(query)
        doc_cover = {
            d: entity_coverage(wanted, snapshot.document_text(d).lower())
            for d in {s.hit.chunk.doc_id for s in sents}
        }
        link_continuations(sents)
        units = [s.text if s.follows is None else f"{s.text} {s.follows.text}" for s in sents]
        qs = [question] if query == question else [question, query]
        vecs = self.embedder.embed(qs + units)
        qv, sv = vecs[: len(qs)], vecs[len(qs) :]
        dense = sv @ qv[0]
        if len(qs) == 2:  # a follow-up: the earlier turn shares the say
            dense = 0.5 * dense + 0.5 * (sv @ qv[1])
        q_terms = _terms(question, stemmer)
        ctx_terms = _terms(query, stemmer) - q_terms
        kind = answer_kind(question)
        n = max(1, len({s.passage for s in sents}))
        denom = len(q_terms) + 0.5 * len(ctx_terms)
        for s, d, unit in zip(sents, dense, units, strict=True):
            st = _terms(unit, stemmer)
            s.dense = float(d)
            s.overlap = (len(q_terms & st) + 0.5 * len(ctx_terms & st)) / denom if denom else 0.0
            # Long sentences match many terms by sheer length: damp past 35 words.
            s.overlap *= min(1.0, (35 / max(1, len(unit.split()))) ** 0.5)
            s.kind_bonus = kind_bonus(kind, unit)
            rank_prior = 1.0 - s.passage / n
            s.score = (
                W_DENSE * s.dense
                + W_OVERLAP * s.overlap
                + W_RANK * rank_prior
                + W_TYPE * s.kind_bonus
                + W_DOC * doc_cover[s.hit.chunk.doc_id]
            )

    def select(self, sents: list[Sentence]) -> list[Sentence]:
        """The best sentences (with their continuations), in passage then reading order."""
        cap = self.settings.answer.max_sentences
        ranked = sorted(
            (s for s in sents if len(s.text.split()) >= MIN_WORDS or s.kind_bonus),
            key=lambda s: -s.score,
        )
        if not ranked:
            return []
        best = ranked[0].score
        chosen: list[Sentence] = []
        for s in ranked:
            if s.score < KEEP_RATIO * best or len(chosen) >= cap:
                break
            for part in (s, s.follows):
                if part is not None and part not in chosen:
                    chosen.append(part)
        order: dict[int, int] = {}
        for s in sorted(chosen, key=lambda s: -s.score):
            order.setdefault(s.passage, len(order))
        return sorted(chosen, key=lambda s: (order[s.passage], s.start))

    def confidence(
        self, question: str, query: str, chosen: list[Sentence], snapshot: IndexSnapshot
    ) -> float:
        """Evidence score in [0, 1]: how well the best sentence matches, less penalties
        for names or numbers of the question absent from the cited documents, and for
        a missing answer type (no amount for "how much", no date for "when")."""
        if not chosen:
            return 0.0
        top = max(chosen, key=lambda s: s.score)
        conf = 0.6 * top.dense + 0.4 * top.overlap
        wanted = question_entities(query)
        if wanted:
            docs = " ".join(
                snapshot.document_text(d).lower() + " " + t.lower()
                for d, t in {(s.hit.chunk.doc_id, s.hit.chunk.title) for s in chosen}
            )
            conf -= PENALTY_ENTITY * (1.0 - entity_coverage(wanted, docs))
        kind = answer_kind(question)
        if kind in ("number", "date") and not any(kind_bonus(kind, s.text) for s in chosen):
            conf -= PENALTY_TYPE
        return max(0.0, conf)

    def extract(
        self, question: str, query: str, hits: Sequence[Hit], snapshot: IndexSnapshot
    ) -> AnswerResponse:
        passages = [h.to_result(i + 1) for i, h in enumerate(hits)]
        sents = self.sentences(hits, snapshot)
        self.score(question, query, sents, snapshot)
        chosen = self.select(sents)
        conf = self.confidence(question, query, chosen, snapshot)
        if not chosen or conf < ABSTAIN_THRESHOLD:
            return answer_response(question, query, "", [], passages, round(conf, 4))
        citations: list[Citation] = []
        parts: list[str] = []
        for s in chosen:
            doc_text = snapshot.document_text(s.hit.chunk.doc_id)
            if not verify_quote(doc_text, s.start, s.end, s.text):  # never show an unchecked quote
                log.error("quote check failed for %s [%d:%d]", s.hit.chunk.doc_id, s.start, s.end)
                continue
            marker = len(citations) + 1
            citations.append(citation_for(s.hit, marker, s.start, s.end, s.text, s.page))
            parts.append(f"{one_line(s.text)} [{marker}]")
        return answer_response(
            question, query, " ".join(parts), citations, passages, round(conf, 4)
        )
