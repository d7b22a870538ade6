"""What the chat page sends: the question (checked first), the filters, the history.

Pure functions, no Streamlit and no HTTP. The limits come from :mod:`rag.schemas`
(the API's own caps) or from the API's ``/health``, so the two cannot drift apart.
"""

from __future__ import annotations

from datetime import date

from rag.schemas import (
    HISTORY_TURNS,
    MAX_MESSAGE_CHARS,
    ChatMessage,
    DocumentInfo,
    Filters,
)

BLANK_QUESTION = "Type a question first: an empty or blank one cannot be searched."

EXAMPLE_QUESTIONS = (
    "Which cities are high-tech innovators?",
    "What did Bristol get in the City Deals?",
    "Why do some cities attract more knowledge-intensive jobs than others?",
    "What skills gaps do UK cities face?",
)


def check_question(question: str, limit: int) -> str | None:
    """Why ``question`` should not be sent (blank, too long), or None when it is fine."""
    if not question.strip():
        return BLANK_QUESTION
    if len(question) > limit:
        return (
            f"Your question is {len(question):,} characters; the limit is {limit:,}. "
            "Shorten it and ask again (it is kept below to copy)."
        )
    return None


def counter(text: str, limit: int) -> str:
    """ "123 / 1,000 characters" under the question box."""
    return f"{len(text):,} / {limit:,} characters"


def _matches(doc: DocumentInfo, filters: Filters, name: str) -> bool:
    if name == "date_from":
        return bool(doc.date) and (doc.date or "") >= (filters.date_from or "")
    if name == "date_to":
        return bool(doc.date) and (doc.date or "")[:10] <= (filters.date_to or "")
    if name == "author":
        needle = (filters.author or "").casefold()
        return any(needle in a.casefold() for a in doc.authors)
    if name == "doc_ids":
        return doc.doc_id in (filters.doc_ids or [])
    if name == "kind":
        return doc.kind == filters.kind
    return True


_FILTER_NAMES = {
    "date_from": "the start date",
    "date_to": "the end date",
    "author": "the author",
    "doc_ids": "the chosen publications",
    "kind": "the format",
}


def excluding_filters(filters: Filters | None, docs: list[DocumentInfo]) -> list[str] | None:
    """When ``filters`` leave none of ``docs``, the filters that do it (each alone if
    one suffices, else all that are set, as readable names); None when some pass."""
    if filters is None or filters.is_empty() or not docs:
        return None
    active = [n for n in _FILTER_NAMES if getattr(filters, n)]
    if any(all(_matches(d, filters, n) for n in active) for d in docs):
        return None
    alone = [n for n in active if not any(_matches(d, filters, n) for d in docs)]
    return [_FILTER_NAMES[n] for n in (alone or active)]


def to_filters(
    dates: tuple[date, ...] | list[date] | None,
    author: str,
    doc_ids: list[str],
) -> Filters | None:
    """Sidebar values as Filters, or None when nothing restricts the search."""
    dates = tuple(dates or ())
    filters = Filters(
        date_from=dates[0].isoformat() if len(dates) >= 1 else None,
        date_to=dates[1].isoformat() if len(dates) >= 2 else None,
        author=author.strip() or None,
        doc_ids=list(doc_ids) or None,
        kind=None,
    )
    return None if filters.is_empty() else filters


def history_messages(turns: list[tuple[str, str]], keep: int = HISTORY_TURNS) -> list[ChatMessage]:
    """The last ``keep`` (question, answer text) turns as the ``history`` the API expects.

    Only those: the follow-up rewrite reads no further back, and the API caps the number
    of messages, so a long conversation must not send them all. A long earlier answer is
    cut to the API's per-message cap so the next question still goes."""
    messages: list[ChatMessage] = []
    for question, answer in turns[-keep:] if keep > 0 else []:
        messages.append(ChatMessage(role="user", content=question[:MAX_MESSAGE_CHARS]))
        messages.append(ChatMessage(role="assistant", content=answer[:MAX_MESSAGE_CHARS]))
    return messages


__all__ = [
    "BLANK_QUESTION",
    "EXAMPLE_QUESTIONS",
    "check_question",
    "counter",
    "excluding_filters",
    "history_messages",
    "to_filters",
]
