"""Verification of generated sentences against the passages they cite.

A sentence of a model's reply is supported by a passage it cites when at least
``SUPPORT_RECALL`` of the sentence's content words (and no fewer than
``MIN_SHARED_WORDS``) occur in one sentence, or two adjacent sentences, of that
passage, and every number or amount it states occurs there too. A supported
sentence keeps a citation whose quote is the document text at that sentence's
offsets; the others are listed as unsupported. Nothing here trusts the model or
talks to it: :mod:`rag.generate` is the client, this is the checker.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from rag.cite import citation_for, one_line, verify_quote
from rag.records import page_at
from rag.retrieve import Hit
from rag.schemas import Citation
from rag.store import IndexSnapshot
from rag.text import content_words, split_sentences

SUPPORT_RECALL = 0.5  # share of a sentence's content words its cited passage sentence must contain
MIN_SHARED_WORDS = (
    2  # ... and at least this many of them (or all, if fewer), so "London is best" fails
)

_MARKER = re.compile(r"\[\s*(?:passages?\s*)?(\d+(?:\s*[,;]\s*\d+)*)\s*\]", re.I)
_LEADING_MARKERS = re.compile(rf"^(?:\s*{_MARKER.pattern})+\s*", re.I)
_AMOUNT = re.compile(
    r"(?<![\w.])(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d+))?"
    r"(?:\s?(%|per ?cent\b|percent\b|million\b|billion\b|bn\b|thousand\b|m\b|k\b))?",
    re.I,
)
_SCALE = {"million": 1e6, "m": 1e6, "billion": 1e9, "bn": 1e9, "thousand": 1e3, "k": 1e3}


def terms(text: str, stemmer: Any = None) -> set[str]:
    """The content words of ``text`` that verification compares, lower-cased and stemmed.

    Numbers are left out: :func:`amounts` checks them, with their units and scales.
    """
    words = [w.lower().replace("’", "'") for w in content_words(text) if not w[0].isdigit()]
    return set(stemmer.stemWords(words)) if stemmer is not None and words else set(words)


def amounts(text: str) -> set[tuple[float, bool]]:
    """Every number in ``text`` as (value with its scale applied, is a percentage).

    "£1.4 million" and "1,400,000" are equal; "45%" and "45 per cent" are equal;
    "£45 million" and "£45 billion" are not. Currency symbols are ignored.
    """
    out: set[tuple[float, bool]] = set()
    for m in _AMOUNT.finditer(_MARKER.sub(" ", text)):
        value = float(m.group(1).replace(",", "") + ("." + m.group(2) if m.group(2) else ""))
        unit = re.sub(r"\s+", " ", (m.group(3) or "").lower())
        out.add((round(value * _SCALE.get(unit, 1.0), 6), unit in ("%", "per cent", "percent")))
    return out


@dataclass(frozen=True, slots=True)
class _Unit:
    """A sentence, or two adjacent sentences, of a passage."""

    start: int
    end: int
    words: frozenset[str]
    amounts: frozenset[tuple[float, bool]]


@dataclass(frozen=True, slots=True)
class Support:
    """The best evidence for one generated sentence in one cited passage."""

    marker: int  # the passage number the model cited (1-based rank)
    start: int
    end: int
    recall: float
    numbers_ok: bool
    enough_words: bool

    @property
    def ok(self) -> bool:
        return self.numbers_ok and self.enough_words and self.recall >= SUPPORT_RECALL


@dataclass(slots=True)
class ReplySentence:
    text: str  # as written, markers included
    claim: str  # without markers, on one line
    markers: list[int] = field(default_factory=list)


def split_reply(reply: str) -> list[ReplySentence]:
    """The reply's sentences with the passage numbers each cites.

    Markers may follow or precede the full stop ("... Wigan [1]." or "... Wigan. [1]");
    markers at the start of a sentence belong to the one before it.
    """
    reply = re.sub(r"([.!?])(?=\[)", r"\1 ", reply)
    out: list[ReplySentence] = []
    for s, e in split_sentences(reply):
        piece = reply[s:e]
        lead = _LEADING_MARKERS.match(piece)
        if lead and out:
            out[-1].markers += _numbers(lead.group())
            out[-1].text += " " + lead.group().strip()
            piece = piece[lead.end() :]
        if not piece.strip():
            continue
        claim = re.sub(
            r"\s+([.,;:!?])", r"\1", re.sub(r"\s+", " ", _MARKER.sub(" ", piece))
        ).strip()
        out.append(ReplySentence(one_line(piece), claim, _numbers(piece)))
    return out


def _numbers(text: str) -> list[int]:
    return [int(n) for group in _MARKER.findall(text) for n in re.split(r"\s*[,;]\s*", group)]


class Verifier:
    """Checks generated sentences against the passages they cite, in one snapshot."""

    def __init__(self, hits: Sequence[Hit], snapshot: IndexSnapshot) -> None:
        self.hits = hits
        self.snapshot = snapshot
        self.stemmer = getattr(snapshot, "stemmer", None)
        self._units: dict[int, list[_Unit]] = {}

    def units(self, marker: int) -> list[_Unit]:
        """Sentences of passage ``marker`` and pairs of adjacent ones, read from the document."""
        if marker not in self._units:
            c = self.hits[marker - 1].chunk
            text = self.snapshot.document_text(c.doc_id)
            singles = [
                _Unit(
                    s,
                    e,
                    frozenset(terms(text[s:e], self.stemmer)),
                    frozenset(amounts(text[s:e])),
                )
                for s, e in split_sentences(text, c.char_start, c.char_end)
            ]
            pairs = [
                _Unit(a.start, b.end, a.words | b.words, a.amounts | b.amounts)
                for a, b in zip(singles, singles[1:], strict=False)
            ]
            self._units[marker] = singles + pairs
        return self._units[marker]

    def support(self, claim: str, marker: int) -> Support | None:
        """The unit of passage ``marker`` that best supports ``claim``; None if it cannot."""
        words = terms(claim, self.stemmer)
        if not words or not 1 <= marker <= len(self.hits):
            return None
        wanted = amounts(claim)
        best: tuple[tuple[bool, float, bool, int], Support] | None = None
        for u in self.units(marker):
            shared = len(words & u.words)
            sup = Support(
                marker,
                u.start,
                u.end,
                shared / len(words),
                wanted <= u.amounts,
                shared >= min(MIN_SHARED_WORDS, len(words)),
            )
            key = (sup.ok, sup.recall, sup.numbers_ok, -(u.end - u.start))
            if best is None or key > best[0]:
                best = (key, sup)
        return best[1] if best else None

    def verify(self, reply: str) -> tuple[str, list[Citation], list[str], float]:
        """Answer text with renumbered markers, its citations, dropped sentences, mean recall."""
        ledger = Ledger()
        for sent in split_reply(reply):
            self.check(sent, ledger)
        return ledger.result()

    def check(self, sent: ReplySentence, ledger: Ledger) -> str | None:
        """Verify one sentence into ``ledger``: its answer text with renumbered markers, or None.

        Markers are numbered by first use across everything checked into the same
        ledger, so sentences checked one at a time (while streaming) are numbered as
        ``verify`` numbers the whole reply.
        """
        found = [self.support(sent.claim, n) for n in dict.fromkeys(sent.markers)]
        good = [s for s in found if s is not None and s.ok]
        markers: list[int] = []
        for sup in good:
            hit = self.hits[sup.marker - 1]
            doc_id = hit.chunk.doc_id
            text = self.snapshot.document_text(doc_id)
            quote = text[sup.start : sup.end]
            if not verify_quote(text, sup.start, sup.end, quote):
                continue
            key = (doc_id, sup.start, sup.end)
            if key not in ledger.by_span:
                ledger.by_span[key] = len(ledger.citations) + 1
                pages = self.snapshot.document_pages(doc_id)
                page = page_at(pages, sup.start) if pages else hit.chunk.page_start
                ledger.citations.append(
                    citation_for(hit, ledger.by_span[key], sup.start, sup.end, quote, page)
                )
            if ledger.by_span[key] not in markers:
                markers.append(ledger.by_span[key])
        if not markers:
            ledger.unsupported.append(sent.text)
            return None
        ledger.recalls.append(max(s.recall for s in good))
        part = sent.claim + " " + "".join(f"[{m}]" for m in markers)
        ledger.parts.append(part)
        return part


@dataclass(slots=True)
class Ledger:
    """What verification has produced so far: answer parts, citations, dropped sentences."""

    parts: list[str] = field(default_factory=list)
    citations: list[Citation] = field(default_factory=list)
    unsupported: list[str] = field(default_factory=list)
    recalls: list[float] = field(default_factory=list)
    by_span: dict[tuple[str, int, int], int] = field(default_factory=dict)

    def result(self) -> tuple[str, list[Citation], list[str], float]:
        confidence = sum(self.recalls) / len(self.recalls) if self.recalls else 0.0
        return " ".join(self.parts), self.citations, self.unsupported, round(confidence, 4)


__all__ = [
    "MIN_SHARED_WORDS",
    "SUPPORT_RECALL",
    "Ledger",
    "ReplySentence",
    "Support",
    "Verifier",
    "amounts",
    "split_reply",
    "terms",
]
