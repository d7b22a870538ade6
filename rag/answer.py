"""Extractive answers with sentence-level, verified citations; abstention; streaming.

From the top passages we score every sentence by its dense similarity to the
question, the share of the question's terms it contains, its passage's rank and
whether it has the kind of thing asked for (a number for "how much", names for
"which cities"). The best sentences, kept in reading order within a passage,
become the answer; each carries a citation whose ``quote`` is re-read from the
document text at its offsets and checked before it is returned. When the
evidence is weak the answer abstains and shows the closest passages instead.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from rag.text import split_sentences
from ingest.embed import Embedder
from ingest.records import page_at
from rag.errors import InvalidRequest
from rag.followup import rewrite_query
from rag.retrieve import Hit, Retriever
from rag.schemas import AnswerResponse, ChatMessage, Citation, Filters
from rag.settings import Settings
from rag.store import IndexSnapshot, bm25_tokenize

log = logging.getLogger(__name__)

ABSTAIN_TEXT = "The indexed publications do not answer this. The closest passages are listed below."

# Sentence score weights (tuned on the corpus question set; see BENCHMARKS.md).
W_DENSE, W_OVERLAP, W_RANK, W_TYPE, W_DOC = 0.75, 0.15, 0.10, 0.10, 0.05
KEEP_RATIO = 0.80  # keep sentences scoring at least this share of the best one
MIN_WORDS = 4

_NUMBER = re.compile(r"£\s?\d|\d+(?:\.\d+)?\s?(?:%|per ?cent|million|billion|bn|m\b)|\b\d{2,}\b")
_YEAR = re.compile(
    r"\b(1[89]\d\d|20\d\d)\b|\b\d{1,2} (January|February|March|April|May|June|July|"
    r"August|September|October|November|December)\b"
)
_NAME = re.compile(r"(?<![.!?]\s)(?<!^)\b[A-Z][a-z]+(?:[ /-][A-Z][a-z]+)*")
_ANAPHOR_START = re.compile(r"^(They|These|This|Those|It|Its|Their|Such|He|She|His|Her)\b")


PENALTY_ENTITY = 0.30  # all of the question's names absent from the evidence
PENALTY_TYPE = 0.15  # "how much" answered without an amount, "when" without a date
_ENTITY = re.compile(
    r"\b(?:[A-Z][a-zA-Z’'&-]*|\d{4})"  # a capitalised word or a year,
    r"(?:[ /-](?:[A-Z][a-zA-Z’'&-]*|\d{4}|of|and|upon)(?=[ /-]?[A-Z\d]))*"  # joined by of/and
    r"(?:[ /-](?:[A-Z][a-zA-Z’'&-]*|\d{4}))?"
)
_NOT_ENTITY = frozenset(
    "I What Which Who Whom Whose When Where Why How Is Are Was Were Do Does Did "
    "Can Could Should Would Will "
    "And But So Also The A An In On Of For To It Its They Their This That These Those".split()
)


def question_entities(question: str) -> list[str]:
    """Names and years the question is specifically about ("Glasgow", "City Deals", "2014").

    The question's first word is skipped (it is capitalised anyway), and so are
    possessive endings ("Crowley's" -> "Crowley").
    """
    body = question.strip()
    first = re.match(r"\S+\s*", body)
    offset = first.end() if first else 0
    out: list[str] = []
    for m in _ENTITY.finditer(body, offset):
        words = [re.sub(r"[’']s$", "", w) for w in m.group().split() if w]
        while words and words[0] in _NOT_ENTITY:
            words = words[1:]
        phrase = " ".join(words).strip("’'")
        if phrase and phrase not in out:
            out.append(phrase)
    return out


def entity_coverage(entities: list[str], text: str) -> float:
    """Mean share of each entity's words found in ``text`` (lower-cased)."""
    if not entities:
        return 1.0
    shares = []
    for e in entities:
        words = [w.lower() for w in re.split(r"[ /-]", e) if len(w) > 2 or w.isdigit()]
        shares.append(sum(w in text for w in words) / len(words) if words else 1.0)
    return sum(shares) / len(shares)


def link_continuations(sents: list[Sentence]) -> None:
    """Mark a sentence that completes its predecessor ("They include A, B and C.")."""
    for a, b in zip(sents, sents[1:], strict=False):
        if a.hit.chunk.doc_id != b.hit.chunk.doc_id or b.start < a.end:
            continue
        names = len(_NAME.findall(b.text))
        if _ANAPHOR_START.match(b.text) or (names >= 3 and names >= len(b.text.split()) / 3):
            a.follows = b


class Generator(Protocol):
    """A generative answerer (e.g. an OpenAI-compatible endpoint)."""

    def answer(
        self,
        question: str,
        query: str,
        hits: Sequence[Hit],
        history: Sequence[ChatMessage],
        snapshot: IndexSnapshot,
    ) -> AnswerResponse: ...

    def stream(
        self,
        question: str,
        query: str,
        hits: Sequence[Hit],
        history: Sequence[ChatMessage],
        snapshot: IndexSnapshot,
    ) -> Iterator[tuple[str, Any]]: ...


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


def answer_kind(question: str) -> str | None:
    q = question.lower()
    if re.search(
        r"\bhow (much|many|big|large|long)\b|\b(amount|value|size|worth|percentage|"
        r"proportion|number of|rate|cost|price|budget)\b",
        q,
    ):
        return "number"
    if re.match(r"\s*(and |so |but )?when\b", q) or re.search(r"\bwhat (date|year|month)\b", q):
        return "date"
    if re.search(
        r"\bwho\b|\bwhose\b|\bwhich (people|person|organisations?|organizations?|firms?|"
        r"companies|company|bodies|body)\b",
        q,
    ):
        return "name"
    if re.search(
        r"\b(which|what|name|list)\b.*\b(cities|city|places|towns|areas|regions|examples)\b|\bwhere\b",
        q,
    ):
        return "places"
    return None


def _kind_bonus(kind: str | None, text: str) -> float:
    if kind == "number":
        return 1.0 if _NUMBER.search(text) else 0.0
    if kind == "date":
        return 1.0 if _YEAR.search(text) else 0.0
    if kind in ("name", "places"):
        names = _NAME.findall(text)
        return min(1.0, len(names) / (4 if kind == "places" else 2))
    return 0.0


def _terms(text: str, stemmer: Any) -> set[str]:
    return set(bm25_tokenize([text], stemmer)[0])


def verify_quote(doc_text: str, start: int, end: int, quote: str) -> bool:
    return 0 <= start < end <= len(doc_text) and doc_text[start:end] == quote


class Answerer:
    """Answers questions from a retriever's passages. Collaborators default from settings."""

    def __init__(
        self, settings: Settings, *, embedder: Embedder, generator: Generator | None = None
    ) -> None:
        self.settings = settings
        self.embedder = embedder
        self._generator = generator

    def generator(self, name: str | None) -> Generator | None:
        name = name or self.settings.answer.generator
        if name == "extractive":
            return None
        if name != "openai":
            raise InvalidRequest("generator", f"must be 'extractive' or 'openai' (got {name!r})")
        if self._generator is None:
            from rag.generate import OpenAIGenerator

            self._generator = OpenAIGenerator(self.settings.answer)
        return self._generator

    def _prepare(
        self,
        question: str,
        retriever: Retriever,
        history: Sequence[ChatMessage],
        filters: Filters | None,
        k: int | None,
        generator: str | None,
    ) -> tuple[str, list[Hit], Generator | None]:
        """The retrieval query (with the conversation folded in), its passages, the generator."""
        gen = self.generator(generator)
        query = rewrite_query(question, history)
        hits = retriever.search(query, k or self.settings.answer.passages, filters)
        return query, hits, gen if hits else None

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
        if gen is not None:
            return gen.answer(question, query, hits, history, retriever.snapshot)
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
        if gen is not None:
            yield from gen.stream(question, query, hits, history, retriever.snapshot)
            return
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
            s.kind_bonus = _kind_bonus(kind, unit)
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
        if kind in ("number", "date") and not any(_kind_bonus(kind, s.text) for s in chosen):
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
        if not chosen or conf < self.settings.answer.abstain_threshold:
            return AnswerResponse(
                question=question,
                answer=ABSTAIN_TEXT,
                abstained=True,
                citations=[],
                passages=passages,
                rewritten_query=query if query != question else None,
                confidence=round(conf, 4),
            )
        citations: list[Citation] = []
        parts: list[str] = []
        for s in chosen:
            doc_text = snapshot.document_text(s.hit.chunk.doc_id)
            if not verify_quote(doc_text, s.start, s.end, s.text):  # never show an unchecked quote
                log.error("quote check failed for %s [%d:%d]", s.hit.chunk.doc_id, s.start, s.end)
                continue
            marker = len(citations) + 1
            citations.append(citation_for(s.hit, marker, s.start, s.end, s.text, s.page))
            parts.append(f"{_one_line(s.text)} [{marker}]")
        return AnswerResponse(
            question=question,
            answer=" ".join(parts),
            abstained=False,
            citations=citations,
            passages=passages,
            rewritten_query=query if query != question else None,
            confidence=round(conf, 4),
        )


def citation_for(
    hit: Hit, marker: int, start: int, end: int, quote: str, page: int | None
) -> Citation:
    c = hit.chunk
    return Citation(
        marker=marker,
        doc_id=c.doc_id,
        title=c.title,
        source=c.source,
        page=page,
        char_start=start,
        char_end=end,
        quote=quote,
        chunk_id=c.chunk_id,
        date=c.date,
        authors=list(c.authors),
    )


def _one_line(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()
