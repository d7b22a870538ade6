"""One definition of a text's content words (``rag.text.content_words``): the
follow-up rewriter appends them to a query, the verifier of generated sentences
compares them, so both read a text the same way."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from rag.followup import rewrite_query
from rag.schemas import ChatMessage
from rag.text import content_words, english_stemmer
from rag.verify import terms

TEXTS = [
    "Dr Neil Lee, head of the socio-economic centre, wrote Crowley’s study in 2011.",
    "But, while local firms need to be involved, skills aren't always a local issue.",
    "Zürich and Málaga get 45% more; according to passage 2 the UK gets £1.4 million.",
]


def _as_verified(text: str) -> set[str]:
    stem = english_stemmer()
    words = [w.lower().replace("’", "'") for w in content_words(text) if not w[0].isdigit()]
    return set(stem.stemWords(words))


@given(st.sampled_from(TEXTS) | st.text(max_size=80))
def test_the_verifier_compares_exactly_the_content_words(text: str) -> None:
    assert terms(text, english_stemmer()) == _as_verified(text)


def test_follow_ups_keep_words_beyond_ascii_whole() -> None:
    history = [ChatMessage(role="user", content="how innovative are Zürich and Málaga?")]
    out = rewrite_query("and their funding?", history)
    assert out.startswith("and their funding? (") and "Zürich" in out and "Málaga" in out
    assert " rich" not in out and "laga" not in out.replace("Málaga", "")
