"""What the reader is told when the API refuses or fails: a sentence and what to do.

The API's own ``detail`` is shown when it is a sentence for people; anything about
headers, bodies or field paths is replaced by a plain description of the problem.
"""

from __future__ import annotations

import re

from ui.client import ApiError, ApiUnavailable
from ui.render import md_escape

_TECHNICAL = re.compile(
    r"header|x-api-key|bearer|content-(length|type)|multipart|\bbody\b|\bjson\b|"
    r"request was not accepted|string should|field required|\bloc\b|\bhttp\b",
    re.IGNORECASE,
)

ACCESS = (
    "The assistant's server did not let this through: it needs an access key that this "
    "page was not given. Ask whoever runs the server for access."
)
NOT_ACCEPTED = (
    "The server did not accept the question as it was sent (too long, or a filter out of "
    "range). Edit it and ask again: it is kept in the box."
)
TOO_LARGE = "That was too large for the server. Shorten it and try again."
BUSY = "The server is busy. Wait a few seconds and ask again."
GENERATOR = (
    "The answer generator (the language model) did not answer. Choose “Extractive (quotes "
    "only)” under Answer mode in the sidebar, or try again later."
)
FAILED = (
    "The server failed on this request (its log has the details). Try again; if it keeps "
    "failing, tell whoever runs the assistant."
)
NOT_READY = (
    "The publications are not indexed yet. Whoever runs the assistant can build the index "
    "with `rag ingest corpus/`; then reload this page."
)


def _own(detail: str) -> str | None:
    """The API's sentence, escaped for Markdown, when it is written for people."""
    detail = detail.strip()
    if not detail or _TECHNICAL.search(detail):
        return None
    return md_escape(detail if detail.endswith((".", "!", "?")) else detail + ".")


def banner(exc: ApiError | ApiUnavailable) -> str:
    """One banner's text for ``st.error``: what went wrong and what to do about it."""
    if isinstance(exc, ApiUnavailable):
        return str(exc)
    status, own = exc.status, _own(exc.detail)
    if status in (401, 403):
        return ACCESS
    if status == 413:
        return TOO_LARGE
    if status in (400, 422):
        if own:
            return f"{own} Edit the question and ask again: it is kept in the box."
        return NOT_ACCEPTED
    if status == 404:
        return f"{own or 'That publication is not in the index any more.'} Reload the page."
    if status in (409, 429):
        return f"{own} Wait a few seconds and try again." if own else BUSY
    if status == 502:
        return GENERATOR
    if status == 503:
        return f"{own} Try again in a minute." if own else NOT_READY
    if status is not None and status >= 500:
        return FAILED
    if status is None:  # failed mid-answer
        return f"{own or 'The answer could not be completed.'} Ask again."
    return f"{own or 'The server refused the request.'} Try again."


def keeps_question(exc: ApiError | ApiUnavailable) -> bool:
    """Whether the question should go back into the box (the API refused it, 4xx)."""
    return isinstance(exc, ApiError) and exc.status is not None and 400 <= exc.status < 500


__all__ = ["banner", "keeps_question"]
