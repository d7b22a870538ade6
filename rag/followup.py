"""Fold the conversation into a follow-up question's retrieval query.

"and which are service sector innovators?" after "which cities are high-tech
innovators?" only makes sense with the earlier turn. Without an LLM we rewrite
by rule: a question that leans on context (elliptical openers, pronouns, few
content words) gets the content words of the most recent user turns appended.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from rag.schemas import HISTORY_TURNS, ChatMessage
from rag.text import content_words

_OPENERS = re.compile(r"^\s*(and|but|so|also|what about|how about|then|or)\b", re.I)
# Pronouns only: a definite description ("the City Deals", "the report on skills")
# is usually self-contained.
_ANAPHORA = re.compile(
    r"\b(it|its|they|them|their|theirs|that|those|these|this|there|he|she|his|her|him)\b",
    re.I,
)


def needs_context(question: str) -> bool:
    """Does the question lean on an earlier turn?"""
    if _OPENERS.search(question) or _ANAPHORA.search(question):
        return True
    return len(content_words(question)) <= 1


MAX_CONTEXT_WORDS = 24
"""Most words a rewrite appends: enough for the topic, bounded whatever the history."""
MAX_SCAN_CHARS = 4_000
"""Characters of each earlier turn scanned for its content words."""


def rewrite_query(
    question: str,
    history: Sequence[ChatMessage],
    *,
    turns: int = HISTORY_TURNS,
    max_words: int = MAX_CONTEXT_WORDS,
) -> str:
    """The question, plus the content words of recent user turns when it needs them.

    Linear in the history's size, and at most ``max_words`` words are appended."""
    if not history or not needs_context(question):
        return question
    seen = {w.lower() for w in content_words(question)}
    context: list[str] = []
    for msg in reversed([m for m in history if m.role == "user"][-turns:]):
        for w in content_words(msg.content[:MAX_SCAN_CHARS]):
            if len(context) >= max_words:
                break
            if w.lower() not in seen:
                seen.add(w.lower())
                context.append(w)
    if not context:
        return question
    return f"{question.strip()} ({' '.join(context)})"
