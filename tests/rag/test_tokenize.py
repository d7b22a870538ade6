"""Our query-path tokenizer gives exactly the tokens bm25s indexes with."""

from pathlib import Path

import bm25s
import Stemmer
from hypothesis import given, settings
from hypothesis import strategies as st

from rag.text import bm25_tokenize

ROOT = Path(__file__).resolve().parents[2]
STEMMER = Stemmer.Stemmer("english")


def reference(texts: list[str]) -> list[list[str]]:
    out = bm25s.tokenize(
        texts, stopwords="en", stemmer=STEMMER, return_ids=False, show_progress=False
    )
    return [list(t) for t in out]


def test_same_tokens_as_bm25s_on_the_corpus() -> None:
    texts = [p.read_text(encoding="utf-8") for p in sorted((ROOT / "corpus").glob("*.txt"))]
    texts += ["The  UK's £45m fund—Warrington/Wigan, e.g. 2012; naïve café THE AND", ""]
    assert bm25_tokenize(texts, STEMMER) == reference(texts)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(max_size=80), min_size=1, max_size=5))
def test_same_tokens_as_bm25s_on_any_text(texts: list[str]) -> None:
    assert bm25_tokenize(texts, STEMMER) == reference(texts)
