"""Citations: building them from a passage and checking them against the document.

Every quote and answer span shown to a user is re-read from the indexed document
text at its offsets and compared before it is returned; nothing unchecked is
cited. Shared by the extractive composer and the generative client.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from rag.retrieve import Hit
from rag.schemas import AnswerResponse, AnswerSpan, Citation, SearchResult

ABSTAIN_TEXT = "The indexed publications do not answer this. The closest passages are listed below."


def verify_quote(doc_text: str, start: int, end: int, quote: str) -> bool:
    """True when ``quote`` is exactly ``doc_text[start:end]`` (and the range is valid)."""
    return 0 <= start < end <= len(doc_text) and doc_text[start:end] == quote


def verify_span(doc_text: str, citation: Citation, span: AnswerSpan) -> bool:
    """True when ``span`` is the document text at its offsets and lies inside the quote."""
    return (
        citation.char_start <= span.char_start < span.char_end <= citation.char_end
        and verify_quote(doc_text, span.char_start, span.char_end, span.text)
    )


def citation_for(
    hit: Hit,
    marker: int,
    start: int,
    end: int,
    quote: str,
    page: int | None,
    answer_span: AnswerSpan | None = None,
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
        answer_span=answer_span,
    )


def one_line(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def answer_response(
    question: str,
    query: str,
    text: str,
    citations: Sequence[Citation],
    passages: Sequence[SearchResult],
    confidence: float,
    unsupported: Sequence[str] = (),
) -> AnswerResponse:
    """The one place an answer is assembled: with no citation it is an abstention
    (``ABSTAIN_TEXT``); the rewritten query is reported only when it differs."""
    abstained = not citations
    return AnswerResponse(
        question=question,
        answer=ABSTAIN_TEXT if abstained else text,
        abstained=abstained,
        citations=list(citations),
        passages=list(passages),
        rewritten_query=query if query != question else None,
        confidence=confidence,
        unsupported=list(unsupported),
    )
