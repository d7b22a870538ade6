"""Extractive answers composed from the reader's evidence, every quote and span verified.

The answer is the sentences whose probability of answering the question clears
the threshold, best first (so the sentence that answers leads), at most
``max_sentences``; nothing is added to fill a quota. Each becomes a citation whose
quote and answer span are re-read from the document and checked. When even the
best sentence is below the threshold the answer abstains and lists the passages.
"""

from __future__ import annotations

import logging
import re

from rag.cite import answer_response, citation_for, one_line, verify_quote, verify_span
from rag.evidence import Evidence, ReadSentence
from rag.schemas import AnswerResponse, AnswerSpan, Citation, SearchResult

log = logging.getLogger(__name__)


def choose(evidence: Evidence, *, threshold: float, max_sentences: int) -> list[ReadSentence]:
    """Sentences at or above the threshold, best first, without repeated text."""
    chosen: list[ReadSentence] = []
    seen: set[str] = set()
    for s in evidence.sentences:
        if s.prob < threshold or len(chosen) >= max_sentences:
            break
        key = re.sub(r"\W+", " ", s.text.lower()).strip()
        if key in seen:
            continue
        seen.add(key)
        chosen.append(s)
    return chosen


def shown_passages(evidence: Evidence, chosen: list[ReadSentence], n: int) -> list[SearchResult]:
    """The top ``n`` reranked passages, plus any cited passage beyond them."""
    cited = {s.hit.chunk.chunk_id for s in chosen}
    keep = [h for i, h in enumerate(evidence.hits) if i < n or h.chunk.chunk_id in cited]
    return [h.to_result(i + 1) for i, h in enumerate(keep)]


def compose(
    evidence: Evidence, *, threshold: float, max_sentences: int, passages: int
) -> AnswerResponse:
    snapshot = evidence.snapshot
    chosen = choose(evidence, threshold=threshold, max_sentences=max_sentences)
    conf = round(evidence.best, 4)
    citations: list[Citation] = []
    parts: list[str] = []
    for s in chosen:
        doc_text = snapshot.document_text(s.hit.chunk.doc_id)
        if not verify_quote(doc_text, s.start, s.end, s.text):  # never show an unchecked quote
            log.error("quote check failed for %s [%d:%d]", s.hit.chunk.doc_id, s.start, s.end)
            continue
        marker = len(citations) + 1
        cit = citation_for(s.hit, marker, s.start, s.end, s.text, s.page)
        if s.span is not None:
            span = AnswerSpan(
                char_start=s.span[0], char_end=s.span[1], text=doc_text[s.span[0] : s.span[1]]
            )
            if verify_span(doc_text, cit, span):
                cit = cit.model_copy(update={"answer_span": span})
            else:
                log.error("answer span check failed for %s %s", s.hit.chunk.doc_id, s.span)
        citations.append(cit.model_copy(update={"probability": round(s.prob, 4)}))
        parts.append(f"{one_line(s.text)} [{marker}]")
    shown = shown_passages(evidence, chosen if citations else [], passages)
    return answer_response(
        evidence.question, evidence.query, " ".join(parts), citations, shown, conf
    )
