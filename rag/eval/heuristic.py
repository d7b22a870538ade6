"""The hand-tuned sentence scorer that the reader replaced, kept only as a baseline.

This is the scoring of the extractive answerer before the reader (commit 3c3fe9a,
``rag/answer.py``): dense cosine, the share of question terms, an answer-type
bonus from regular expressions, and a confidence with penalties for names and
answer types missing from the evidence. Its weights were tuned on the corpus
question set. The product no longer uses any of it; ``rag eval reader`` scores it
side by side with the reader so the replacement stays measured.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

W_DENSE, W_OVERLAP, W_TYPE = 0.75, 0.15, 0.10
PENALTY_ENTITY = 0.30
PENALTY_TYPE = 0.15

_NUMBER = re.compile(r"£\s?\d|\d+(?:\.\d+)?\s?(?:%|per ?cent|million|billion|bn|m\b)|\b\d{2,}\b")
_YEAR = re.compile(
    r"\b(1[89]\d\d|20\d\d)\b|\b\d{1,2} (January|February|March|April|May|June|July|"
    r"August|September|October|November|December)\b"
)
_NAME = re.compile(r"(?<![.!?]\s)(?<!^)\b[A-Z][a-z]+(?:[ /-][A-Z][a-z]+)*")
_ENTITY = re.compile(
    r"\b(?:[A-Z][a-zA-Z’'&-]*|\d{4})"
    r"(?:[ /-](?:[A-Z][a-zA-Z’'&-]*|\d{4}|of|and|upon)(?=[ /-]?[A-Z\d]))*"
    r"(?:[ /-](?:[A-Z][a-zA-Z’'&-]*|\d{4}))?"
)
_NOT_ENTITY = frozenset(
    "I What Which Who Whom Whose When Where Why How Is Are Was Were Do Does Did "
    "Can Could Should Would Will "
    "And But So Also The A An In On Of For To It Its They Their This That These Those".split()
)


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


def kind_bonus(kind: str | None, text: str) -> float:
    if kind == "number":
        return 1.0 if _NUMBER.search(text) else 0.0
    if kind == "date":
        return 1.0 if _YEAR.search(text) else 0.0
    if kind in ("name", "places"):
        names = _NAME.findall(text)
        return min(1.0, len(names) / (4 if kind == "places" else 2))
    return 0.0


def question_entities(question: str) -> list[str]:
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
    if not entities:
        return 1.0
    shares = []
    for e in entities:
        words = [w.lower() for w in re.split(r"[ /-]", e) if len(w) > 2 or w.isdigit()]
        shares.append(sum(w in text for w in words) / len(words) if words else 1.0)
    return sum(shares) / len(shares)


def term_overlap(sentence: str, terms: set[str], q_terms: set[str]) -> float:
    """Share of the question's terms in the sentence, damped past 35 words."""
    ov = len(q_terms & terms) / len(q_terms) if q_terms else 0.0
    return ov * min(1.0, (35 / max(1, len(sentence.split()))) ** 0.5)


def sentence_score(kind: str | None, sentence: str, dense: float, overlap: float) -> float:
    return W_DENSE * dense + W_OVERLAP * overlap + W_TYPE * kind_bonus(kind, sentence)


def score_sentences(
    question: str,
    sentences: Sequence[str],
    dense: np.ndarray,
    terms: Sequence[set[str]],
    q_terms: set[str],
) -> tuple[np.ndarray, float]:
    """Per-sentence scores and the confidence of the best one, as the old answerer did
    within one passage (its rank and document priors are constant there)."""
    kind = answer_kind(question)
    scores, overlaps = [], []
    for s, d, st in zip(sentences, dense, terms, strict=True):
        ov = term_overlap(s, st, q_terms)
        overlaps.append(ov)
        scores.append(sentence_score(kind, s, float(d), ov))
    arr = np.asarray(scores)
    best = int(arr.argmax()) if len(arr) else 0
    conf = 0.6 * float(dense[best]) + 0.4 * overlaps[best] if len(arr) else 0.0
    wanted = question_entities(question)
    if wanted:
        conf -= PENALTY_ENTITY * (1.0 - entity_coverage(wanted, " ".join(sentences).lower()))
    if kind in ("number", "date") and not kind_bonus(kind, sentences[best] if len(arr) else ""):
        conf -= PENALTY_TYPE
    return arr, max(0.0, conf)
