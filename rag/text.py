"""Text analysis shared by ingestion, retrieval and reading: sentences, BM25 tokens and
content words.

The sentence splitter is written here rather than taken from a library: NLTK's
punkt needs a data download (impossible offline), pysbd is unmaintained since 2021
and about 50x slower, and we need exact offsets into the cleaned text, including
for PDF tables with no punctuation at all. The rules are small and tested.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from typing import Any

_ABBREVIATIONS = frozenset(
    """mr mrs ms dr prof sr jr st no nos vs etc eg ie inc ltd co corp plc fig figs al approx cf
    jan feb mar apr jun jul aug sep sept oct nov dec dept est govt min max vol pp p ed eds rev
    gen col lt sgt capt hon cllr""".split()
)
# End of a sentence: terminal punctuation, optional closing quotes/brackets, then space.
# Anchored at the start of a run of punctuation and possessive, so a long run ("....")
# is scanned once, not once per character.
_END = re.compile(r"(?<![.!?…])[.!?…]++[\"'”’)\]]*+(?=\s)")
_BULLET = re.compile(r"\n[ \t]*(?:[•●▪◦·\-*–]|\d{1,2}[.)])[ \t]")
_PARAGRAPH = re.compile(r"\n[ \t]*\n")


def split_sentences(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """Sentence spans ``(start, end)`` in ``text``, trimmed of surrounding whitespace.

    Boundaries: blank lines, bullet starts, and terminal punctuation followed by
    whitespace and a capital, digit, quote or bullet (not after a known abbreviation
    or a single initial such as "J.").
    """
    end = len(text) if end is None else end
    cuts: set[int] = set()
    segment = text[start:end]
    for pattern in (_PARAGRAPH, _BULLET):
        for m in pattern.finditer(segment):
            cuts.add(start + m.start() + 1)
    for m in _END.finditer(segment):
        stop = start + m.end()
        nxt = _next_visible(text, stop, end)
        if nxt is None:
            continue
        if not (nxt.isupper() or nxt.isdigit() or nxt in "\"'“‘(•●▪–-["):
            continue
        if m.group().startswith(".") and len(m.group().rstrip("\"'”’)]")) == 1:
            word = _word_before(text, start + m.start())
            if word.lower().rstrip(".") in _ABBREVIATIONS or (len(word) == 1 and word.isupper()):
                continue
        cuts.add(stop)
    spans: list[tuple[int, int]] = []
    prev = start
    for cut in sorted(cuts) + [end]:
        s, e = _trim(text, prev, cut)
        if e > s:
            spans.append((s, e))
        prev = cut
    return spans


def _next_visible(text: str, i: int, end: int) -> str | None:
    while i < end and text[i].isspace():
        i += 1
    return text[i] if i < end else None


def _word_before(text: str, i: int) -> str:
    j = i
    while j > 0 and not text[j - 1].isspace():
        j -= 1
    return text[j:i]


_BULLET_GLYPHS = "•●▪◦·*–-"


def _trim(text: str, s: int, e: int) -> tuple[int, int]:
    """Drop surrounding whitespace and a leading bullet glyph ("• ", "- ")."""
    while s < e and text[s].isspace():
        s += 1
    if s + 1 < e and text[s] in _BULLET_GLYPHS and text[s + 1].isspace():
        s += 1
        while s < e and text[s].isspace():
            s += 1
    while e > s and text[e - 1].isspace():
        e -= 1
    return s, e


# Function words, and words about the passages themselves ("according to passage 2"):
# what neither a follow-up's topic nor a generated sentence's support is made of.
STOPWORDS = frozenset(
    """a an the and or but so nor of to in on at for by with from into onto about above below
    as is are was were be been being do does did doing have has had having after before over
    under again further then than once here there when where why how what which who whom whose
    this that these those it its it's they them their theirs i we you he she his her hers him
    our ours your yours my me us can could should would will shall may might must not no yes
    also more most much many any some all each both few other own same such only just very too
    get gets got give given say said tell please ok okay thanks because until while between
    through during against out off per via yet however therefore thus according passage
    passages""".split()
)
# A word (letters, joined by an apostrophe, hyphen or slash: "high-tech", "Crowley's")
# or a number with its separators and unit signs ("2011", "1,400", "45%").
_CONTENT_WORD = re.compile(r"[^\W\d_](?:[^\W\d_]|['’/-])+|\d[\d,.%£]*")


def content_words(text: str) -> list[str]:
    """The words of ``text`` that carry its content, in order and as written.

    Words of two or more characters that are not :data:`STOPWORDS` (compared
    lower-cased). The follow-up rewriter appends them to a query; the verifier of
    generated sentences compares them, lower-cased and stemmed.
    """
    return [w for w in _CONTENT_WORD.findall(text) if len(w) > 1 and w.lower() not in STOPWORDS]


def english_stemmer() -> Any:
    """The Snowball English stemmer BM25 indexes and queries with."""
    import Stemmer

    return Stemmer.Stemmer("english")


_TOKEN = re.compile(r"(?u)\b\w\w+\b")  # bm25s' (and scikit-learn's) default pattern


@functools.cache
def _stopwords() -> frozenset[str]:
    from bm25s.stopwords import STOPWORDS_EN

    return frozenset(STOPWORDS_EN)


def bm25_tokenize(texts: Sequence[str], stemmer: Any) -> list[list[str]]:
    """Lower-cased, English-stopword-free, Snowball-stemmed tokens.

    The same tokens as ``bm25s.tokenize(texts, stopwords="en", stemmer=stemmer)``
    (a test holds them equal), without its per-call progress bars and vocabulary
    building, which dominate on the query path.
    """
    stop = _stopwords()
    out = []
    for text in texts:
        words = [w for w in _TOKEN.findall(text.lower()) if w not in stop]
        out.append(list(stemmer.stemWords(words)) if words else [])
    return out
