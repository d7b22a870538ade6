"""Unanswerable questions made from answerable ones, for training abstention.

SQuAD 2.0's unanswerable questions were written to look answerable: they match
their paragraph closely but ask about something it does not say (a different
name, year or number; the opposite superlative). The SQuAD 2.0 articles we may
train on hold only about 2,200 of them. This module makes more of that kind from
SQuAD 1.1 train questions by a rule-based edit that keeps the question close to
its answer sentence while breaking the answer:

- **swap**: a name or number the question shares with its answer sentence is
  replaced by one of the same shape (a year by a year, a number by a number, a
  capitalised name by a capitalised name) taken from *another* paragraph of the
  article and found nowhere in this paragraph, so the paragraph cannot answer;
- **antonym**: a superlative or direction word ("first", "largest", "north") is
  replaced by its opposite, when the opposite is not in the paragraph.

Pure and seeded; the edit is never applied to evaluation data.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass

from rag.reader import data as D

_PAIRS = [
    ("first", "last"),
    ("largest", "smallest"),
    ("biggest", "smallest"),
    ("highest", "lowest"),
    ("most", "least"),
    ("earliest", "latest"),
    ("oldest", "newest"),
    ("longest", "shortest"),
    ("best", "worst"),
    ("before", "after"),
    ("north", "south"),
    ("east", "west"),
    ("northern", "southern"),
    ("eastern", "western"),
    ("maximum", "minimum"),
    ("increase", "decrease"),
    ("increased", "decreased"),
    ("won", "lost"),
    ("began", "ended"),
    ("older", "younger"),
    ("more", "fewer"),
]
ANTONYMS = dict(_PAIRS) | {b: a for a, b in _PAIRS}

_YEAR = re.compile(r"\b(1[0-9]{3}|20[0-9]{2})\b")
_NUMBER = re.compile(r"\b\d[\d,.]*\b")
# Runs of capitalised words ("Notre Dame", "New York City"); "of"/"the" may join them.
_NAME = re.compile(r"(?<![\w-])[A-Z][\w'-]+(?:\s+(?:of\s+|the\s+|de\s+)?[A-Z][\w'-]+)*")
_QUESTION_WORDS = {
    "what", "which", "who", "whom", "whose", "when", "where", "why", "how", "in", "on",
    "at", "the", "a", "an", "is", "was", "are", "were", "did", "does", "do", "during",
    "after", "before", "for", "from", "by", "to", "of", "according", "along", "with",
    "as", "if", "about", "can", "could", "has", "had", "have", "besides", "other",
}  # fmt: skip


@dataclass(frozen=True)
class Perturbed:
    question: str
    kind: str  # "swap-year" | "swap-number" | "swap-name" | "antonym"
    original: str
    replacement: str


def _kind(span: str) -> str:
    if _YEAR.fullmatch(span):
        return "year"
    if _NUMBER.fullmatch(span):
        return "number"
    return "name"


def _spans(text: str) -> list[str]:
    out = [m.group(0) for m in _YEAR.finditer(text)]
    out += [m.group(0) for m in _NUMBER.finditer(text) if not _YEAR.fullmatch(m.group(0))]
    for m in _NAME.finditer(text):
        words = m.group(0).split()
        # A sentence-initial capital on a question word is not a name.
        while words and words[0].lower() in _QUESTION_WORDS:
            words = words[1:]
        if words:
            out.append(" ".join(words))
    return list(dict.fromkeys(s for s in out if len(s) > 1))


def perturb(q: D.Question, pool: dict[str, list[str]], rng: random.Random) -> Perturbed | None:
    """An unanswerable variant of answerable question ``q``, or None.

    ``pool`` maps a span kind ("year", "number", "name") to spans of that kind found
    in other paragraphs of the same article (the replacements to draw from)."""
    if q.answer_sentence is None:
        return None
    sentence = q.sentences[q.answer_sentence]
    paragraph = " ".join(q.sentences)
    para_low = paragraph.lower()
    answers = [a.lower() for a in q.answers]
    shared = [
        s
        for s in _spans(q.question)
        if s in sentence and not any(s.lower() in a or a in s.lower() for a in answers)
    ]
    rng.shuffle(shared)
    for span in shared:
        kind = _kind(span)
        options = sorted(
            {
                c
                for c in pool.get(kind, [])
                if c.lower() not in para_low
                and c.lower() != span.lower()
                # Names of about the same length read as the same kind of thing.
                and (kind != "name" or len(c.split()) == len(span.split()))
            }
        )
        if options:
            new = rng.choice(options)
            text = re.sub(rf"(?<!\w){re.escape(span)}(?!\w)", new, q.question, count=1)
            if text != q.question:
                return Perturbed(text, f"swap-{kind}", span, new)
    words = list(re.finditer(r"[A-Za-z]+", q.question))
    rng.shuffle(words)
    for m in words:
        w = m.group(0)
        opposite = ANTONYMS.get(w.lower())
        if opposite is None or re.search(rf"\b{opposite}\b", para_low):
            continue
        if w[0].isupper():
            opposite = opposite.capitalize()
        text = q.question[: m.start()] + opposite + q.question[m.end() :]
        return Perturbed(text, "antonym", w, opposite)
    return None


def article_pools(qs: list[D.Question]) -> dict[tuple[int, int], dict[str, list[str]]]:
    """Per (article, paragraph): the spans of every *other* paragraph of its article."""
    paras: dict[int, dict[int, tuple[str, ...]]] = {}
    for q in qs:
        paras.setdefault(q.article, {}).setdefault(q.paragraph, q.sentences)
    lower_words: dict[int, set[str]] = {
        a: {w for s in ps.values() for w in re.findall(r"\b[a-z][\w'-]*", " ".join(s))}
        for a, ps in paras.items()
    }

    def proper(a: int, span: str) -> bool:
        # "However", "This" at a sentence start are capitalised, not names: a one-word
        # name that the article also writes in lower case is a common word.
        return " " in span or _kind(span) != "name" or span.lower() not in lower_words[a]

    spans_of = {
        (a, p): [x for x in _spans(" ".join(s)) if proper(a, x)]
        for a, ps in paras.items()
        for p, s in ps.items()
    }
    out: dict[tuple[int, int], dict[str, list[str]]] = {}
    for a, ps in paras.items():
        for p in ps:
            pool: dict[str, list[str]] = {"year": [], "number": [], "name": []}
            for p2 in ps:
                if p2 != p:
                    for s in spans_of[(a, p2)]:
                        pool[_kind(s)].append(s)
            out[(a, p)] = pool
    return out
