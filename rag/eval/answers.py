"""Answer-quality evaluation over the corpus question set, through ``Service.ask``.

Metrics (each defined so that it can be checked by hand):

- fact recall: over answerable questions, the share of key facts found in the
  answer text (case-insensitive; a fact's ``|`` alternatives are all accepted);
  an abstention on an answerable question scores 0.
- citation precision: over citations of answered questions, the share whose
  span overlaps a gold evidence span or whose quote states one of the facts.
- citation validity: the share of citations whose ``quote`` equals the indexed
  document text at ``[char_start:char_end]`` (must be 100 %).
- abstention precision / recall: abstention is the positive class; precision is
  the share of abstentions that were on unanswerable questions, recall the
  share of unanswerable questions that were abstained on.
- latency p50 / p95 of ``ask``, in milliseconds.
"""

from __future__ import annotations

import re
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from rag.eval.questions import EvalQuestion, load_questions
from rag.schemas import AnswerResponse, ChatMessage
from rag.service import Service


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace("\u00a0", " ")).strip().lower()


def fact_found(alternatives: list[str], text: str) -> bool:
    t = _norm(text)
    return any(_norm(a) in t for a in alternatives)


@dataclass(slots=True)
class QuestionResult:
    id: str
    answerable: bool
    abstained: bool
    facts_found: int
    facts_total: int
    citations: int
    citations_precise: int
    citations_valid: int
    latency_ms: float
    confidence: float | None
    answer: str = ""
    missing: list[str] = field(default_factory=list)


def gold_spans(q: EvalQuestion, service: Service) -> dict[str, list[tuple[int, int]]]:
    """Gold evidence as (doc_id -> spans) in the indexed, cleaned texts."""
    snap = service.snapshot()
    by_name = {Path(d.source).name: d.doc_id for d in snap.documents()}
    spans: dict[str, list[tuple[int, int]]] = {}
    for ev in q.evidence:
        doc_id = by_name.get(ev.source)
        if doc_id is None:
            continue
        text = snap.document_text(doc_id)
        i = text.find(ev.quote)
        if i < 0:  # the cleaner may have normalised spacing inside the quote
            i = _norm(text).find(_norm(ev.quote))
            if i < 0:
                continue
        spans.setdefault(doc_id, []).append((i, i + len(ev.quote)))
    return spans


def judge(
    q: EvalQuestion, resp: AnswerResponse, service: Service, latency_ms: float
) -> QuestionResult:
    snap = service.snapshot()
    alts = q.fact_alternatives()
    found = [a for a in alts if fact_found(a, resp.answer)] if not resp.abstained else []
    gold = gold_spans(q, service) if q.answerable else {}
    precise = valid = 0
    for c in resp.citations:
        text = snap.document_text(c.doc_id)
        valid += int(text[c.char_start : c.char_end] == c.quote)
        overlaps = any(c.char_start < e and s < c.char_end for s, e in gold.get(c.doc_id, []))
        states = any(fact_found(a, c.quote) for a in alts)
        precise += int(overlaps or states)
    return QuestionResult(
        id=q.id,
        answerable=q.answerable,
        abstained=resp.abstained,
        facts_found=len(found),
        facts_total=len(alts),
        citations=len(resp.citations),
        citations_precise=precise,
        citations_valid=valid,
        latency_ms=latency_ms,
        confidence=resp.confidence,
        answer=resp.answer,
        missing=[a[0] for a in alts if a not in found],
    )


def summarise(results: list[QuestionResult]) -> dict[str, Any]:
    ans = [r for r in results if r.answerable]
    unans = [r for r in results if not r.answerable]
    abstained = [r for r in results if r.abstained]
    cites = sum(r.citations for r in results)
    lat = np.array([r.latency_ms for r in results])

    def ratio(a: float, b: float) -> float | None:
        return round(a / b, 4) if b else None

    return {
        "questions": len(results),
        "answerable": len(ans),
        "unanswerable": len(unans),
        "fact_recall": ratio(sum(r.facts_found for r in ans), sum(r.facts_total for r in ans)),
        "answered_rate": ratio(sum(not r.abstained for r in ans), len(ans)),
        "citation_precision": ratio(sum(r.citations_precise for r in results), cites),
        "citation_validity": ratio(sum(r.citations_valid for r in results), cites),
        "citations": cites,
        "abstention_precision": ratio(sum(not r.answerable for r in abstained), len(abstained)),
        "abstention_recall": ratio(sum(r.abstained for r in unans), len(unans)),
        "latency_ms_p50": round(float(np.percentile(lat, 50)), 1) if lat.size else None,
        "latency_ms_p95": round(float(np.percentile(lat, 95)), 1) if lat.size else None,
    }


def evaluate_answers(
    service: Service, path: Path | None = None, *, generator: str | None = None
) -> dict[str, Any]:
    questions = load_questions(path)
    results = []
    service.ask("warm-up", history=[])  # load the model outside the timings
    for q in questions:
        history = [ChatMessage(role=t.role, content=t.content) for t in q.history]
        t0 = time.perf_counter()
        resp = service.ask(q.question, history=history, generator=generator)
        results.append(judge(q, resp, service, (time.perf_counter() - t0) * 1000))
    return {"summary": summarise(results), "questions": [asdict(r) for r in results]}
