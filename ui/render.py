"""Pure formatting for the chat page: no Streamlit, no HTTP, easy to test.

Everything that ends up in ``st.markdown(..., unsafe_allow_html=True)`` is built
here from ``html.escape``d text, so a publication cannot inject markup.
"""

from __future__ import annotations

import html
from datetime import date

from rag.schemas import ChatMessage, Citation, Filters, SearchResult

ABSTAIN_MESSAGE = "The indexed publications do not answer this."

EXAMPLE_QUESTIONS = (
    "Which cities are high-tech innovators?",
    "What did Bristol get in the City Deals?",
    "Why do some cities attract more knowledge-intensive jobs than others?",
    "What skills gaps do UK cities face?",
)


def _html_text(text: str) -> str:
    """Escape for HTML inside a markdown HTML block: no blank lines, no LaTeX ``$``."""
    escaped = html.escape(text).replace("$", "&#36;")
    return escaped.replace("\r\n", "\n").replace("\n", "<br>")


def highlight(
    passage_text: str,
    passage_start: int,
    quote_start: int,
    quote_end: int,
    answer: tuple[int, int] | None = None,
) -> str:
    """The passage as HTML with the cited span (document offsets) in ``<mark>``, and the
    answer span inside it (document offsets too), if given, in ``<strong>``.

    ``passage_start`` is where the passage begins in the document text. A span
    outside the passage is clipped; one that misses it entirely marks nothing.
    """
    start = min(max(quote_start - passage_start, 0), len(passage_text))
    end = min(max(quote_end - passage_start, start), len(passage_text))
    before, cited, after = passage_text[:start], passage_text[start:end], passage_text[end:]
    inner = _html_text(cited)
    if answer is not None and cited:
        a = min(max(answer[0] - passage_start - start, 0), len(cited))
        b = min(max(answer[1] - passage_start - start, a), len(cited))
        if b > a:
            inner = (
                f"{_html_text(cited[:a])}<strong>{_html_text(cited[a:b])}</strong>"
                f"{_html_text(cited[b:])}"
            )
    marked = f"<mark>{inner}</mark>" if cited else ""
    return f'<div class="passage">{_html_text(before)}{marked}{_html_text(after)}</div>'


def window(text: str, start: int, end: int, radius: int = 300) -> tuple[int, str]:
    """About ``radius`` characters of context either side of ``text[start:end]``,
    widened to whole words. Returns (offset of the snippet in ``text``, snippet)."""
    lo = max(0, start - radius)
    hi = min(len(text), end + radius)
    if lo > 0:
        space = text.find(" ", lo - 1, start)
        lo = space + 1 if space != -1 else lo
    if hi < len(text):
        space = text.rfind(" ", end, hi + 1)
        hi = space if space != -1 else hi
    return lo, text[lo:hi]


def find_passage(citation: Citation, passages: list[SearchResult]) -> SearchResult | None:
    """The retrieved passage a citation quotes: same chunk, else any covering its span."""
    covering = [
        p
        for p in passages
        if p.doc_id == citation.doc_id
        and p.char_start <= citation.char_start
        and citation.char_end <= p.char_end
    ]
    for p in covering:
        if citation.chunk_id is not None and p.chunk_id == citation.chunk_id:
            return p
    return covering[0] if covering else None


def page_label(page: int | None, page_end: int | None = None) -> str:
    """ "p. 3", "pp. 3–4", or "web page" for sources without pages."""
    if page is None:
        return "web page"
    if page_end is not None and page_end != page:
        return f"pp. {page}–{page_end}"
    return f"p. {page}"


def shorten(text: str, limit: int) -> str:
    """One line of at most ``limit`` characters, cut at a word with an ellipsis."""
    flat = " ".join(text.split())
    if len(flat) <= limit:
        return flat
    cut = flat[: limit - 1].rsplit(" ", 1)[0]
    return f"{cut}…"


def format_authors(authors: list[str]) -> str:
    if not authors:
        return ""
    if len(authors) == 1:
        return authors[0]
    if len(authors) <= 3:
        return f"{', '.join(authors[:-1])} and {authors[-1]}"
    return f"{authors[0]}, {authors[1]} et al."


def source_line(date_: str | None, authors: list[str], page: str) -> str:
    """ "2014-03-01 · Jane Doe and John Roe · p. 3", skipping what is missing."""
    return " · ".join(part for part in (date_ or "", format_authors(authors), page) if part)


def file_link(file_url: str, page: int | None, kind: str | None = None) -> str:
    """A link to the original, opening a PDF at the cited page."""
    if page is not None and (kind in (None, "pdf")):
        return f"{file_url}#page={page}"
    return file_url


def answer_markdown(text: str) -> str:
    """Answer text for ``st.markdown``: markers [1] stay, ``$`` is not read as LaTeX."""
    return text.replace("$", "\\$")


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


def history_messages(turns: list[tuple[str, str]]) -> list[ChatMessage]:
    """Previous (question, answer text) turns as the ``history`` the API expects."""
    messages: list[ChatMessage] = []
    for question, answer in turns:
        messages.append(ChatMessage(role="user", content=question))
        messages.append(ChatMessage(role="assistant", content=answer))
    return messages


__all__ = [
    "ABSTAIN_MESSAGE",
    "EXAMPLE_QUESTIONS",
    "answer_markdown",
    "file_link",
    "find_passage",
    "format_authors",
    "highlight",
    "history_messages",
    "page_label",
    "source_line",
    "to_filters",
    "window",
]
