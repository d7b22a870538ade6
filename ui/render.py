"""Pure formatting for the chat page: no Streamlit, no HTTP, easy to test.

Everything that ends up in ``st.markdown(..., unsafe_allow_html=True)`` is built
here from ``html.escape``d text, so a publication cannot inject markup; text from a
document shown anywhere Streamlit reads Markdown (labels, captions, titles, the
answer) goes through :func:`md_escape`, so it cannot plant a link or an image that
the reader's browser would fetch. Only our own ``[n]`` markers stay live.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from urllib.parse import urlencode

from rag.schemas import Citation, SearchResult

ABSTAIN_MESSAGE = "The indexed publications do not answer this."
_MARKER = re.compile(r"\[(\d+)\]")
_MD_PUNCT = re.compile(r"([\\`*_{}\[\]()<>!#|~$])")
_MD_MARKER = re.compile(r"\\\[(\d+)\\\](?![:\\])")
_MD_LINE_START = re.compile(r"(?m)^([ \t]*(?:\d+(?=[.)]))?)([-+=.)])")
_MD_WWW = re.compile(r"\b(www)\.", re.IGNORECASE)


def md_escape(text: str) -> str:
    """``text`` for anywhere Streamlit reads Markdown, shown as typed: no link, image,
    HTML, emphasis, heading, list, table, colour or LaTeX comes out of it. Bare
    ``[n]`` markers stay as they are (a citation's number, not a link).

    Backslash escapes stop Markdown's own syntax; web and e-mail addresses get an
    invisible word joiner (U+2060), which GFM's address linking does not cross."""
    out = _MD_PUNCT.sub(r"\\\1", text)
    out = _MD_MARKER.sub(r"[\1]", out)  # "[3]" stays; "[3]:" (a link definition) does not
    # GFM links bare addresses after parsing, where escapes are gone: a word joiner
    # (invisible) keeps "http://", "www." and "name@host" from being recognised.
    out = out.replace("://", ":\u2060//").replace("@", "@\u2060")
    out = _MD_WWW.sub("\\1\u2060.", out)
    return _MD_LINE_START.sub(lambda m: m.group(1) + "\\" + m.group(2), out)


def _html_text(text: str) -> str:
    """Escape for HTML inside a markdown HTML block: no blank lines, no LaTeX ``$``."""
    escaped = html.escape(text).replace("$", "&#36;")
    # Every line ending (a lone CR is one too) becomes <br>: a blank line would end the
    # HTML block and let the rest be read as Markdown.
    return escaped.replace("\r\n", "\n").replace("\r", "\n").replace("\n", "<br>")


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


@dataclass(frozen=True)
class Span:
    """A cited sentence in document offsets, its [n] markers and the answer inside it."""

    start: int
    end: int
    markers: tuple[int, ...] = ()
    answer: tuple[int, int] | None = None


def _marked(cited: str, offset: int, answer: tuple[int, int] | None) -> str:
    """``cited`` (starting at document offset ``offset``) with the answer in <strong>."""
    if answer is not None and cited:
        a = min(max(answer[0] - offset, 0), len(cited))
        b = min(max(answer[1] - offset, a), len(cited))
        if b > a:
            return (
                f"{_html_text(cited[:a])}<strong>{_html_text(cited[a:b])}</strong>"
                f"{_html_text(cited[b:])}"
            )
    return _html_text(cited)


def highlight_spans(passage_text: str, passage_start: int, spans: Sequence[Span]) -> str:
    """The passage as HTML with every cited span in ``<mark>``, each followed by its
    markers (``<sup>[1]</sup>``) and with its answer span in ``<strong>``.

    Spans are in document offsets; they are clipped to the passage, and an overlapping
    span starts where the one before it ended.
    """
    parts: list[str] = []
    pos = 0  # in passage coordinates
    for span in sorted(spans, key=lambda s: (s.start, s.end)):
        start = min(max(span.start - passage_start, pos), len(passage_text))
        end = min(max(span.end - passage_start, start), len(passage_text))
        parts.append(_html_text(passage_text[pos:start]))
        if end > start:
            inner = _marked(passage_text[start:end], passage_start + start, span.answer)
            parts.append(f"<mark>{inner}</mark>")
        if span.markers and end > start:
            parts.append(f"<sup>{''.join(f'[{m}]' for m in span.markers)}</sup>")
        pos = max(pos, end)
    parts.append(_html_text(passage_text[pos:]))
    return f'<div class="passage">{"".join(parts)}</div>'


@dataclass
class SourceGroup:
    """One source card: a retrieved passage (or None) and the citations quoting it."""

    passage: SearchResult | None
    citations: list[Citation] = field(default_factory=list)

    @property
    def markers(self) -> list[int]:
        return sorted({c.marker for c in self.citations})

    def spans(self) -> list[Span]:
        """One span per cited sentence, its markers merged when cited more than once."""
        by_range: dict[tuple[int, int], list[Citation]] = {}
        for c in self.citations:
            by_range.setdefault((c.char_start, c.char_end), []).append(c)
        spans = []
        for (start, end), cites in by_range.items():
            answered = next((c.answer_span for c in cites if c.answer_span is not None), None)
            answer = (answered.char_start, answered.char_end) if answered else None
            spans.append(Span(start, end, tuple(sorted({c.marker for c in cites})), answer))
        return spans


def group_citations(citations: list[Citation], passages: list[SearchResult]) -> list[SourceGroup]:
    """Citations gathered by the passage they quote, one group per passage, in the order
    of their first marker. Citations outside the passages are grouped by document chunk."""
    groups: dict[tuple[str, str], SourceGroup] = {}
    for citation in sorted(citations, key=lambda c: c.marker):
        passage = find_passage(citation, passages)
        if passage is not None:
            key = ("passage", passage.chunk_id)
        else:
            key = (citation.doc_id, citation.chunk_id or f"#{citation.marker}")
        groups.setdefault(key, SourceGroup(passage)).citations.append(citation)
    return list(groups.values())


def card_anchor(turn: int, group: SourceGroup) -> str:
    """The HTML id of a source card, unique on the page (turn number, first marker)."""
    return f"source-{turn}-{group.markers[0] if group.markers else 0}"


def marker_links(turn: int, groups: list[SourceGroup]) -> dict[int, tuple[str, str]]:
    """marker -> (card anchor, hover text "Title, p. 3: “quote”")."""
    links: dict[int, tuple[str, str]] = {}
    for group in groups:
        anchor = card_anchor(turn, group)
        for c in group.citations:
            where = f", {page_label(c.page)}" if c.page is not None else ""
            links[c.marker] = (anchor, f"{c.title}{where}: “{shorten(c.quote, 160)}”")
    return links


def answer_html(text: str, links: dict[int, tuple[str, str]]) -> str:
    """Answer text for ``st.markdown(..., unsafe_allow_html=True)``: escaped, ``$`` not
    read as LaTeX, and each known ``[n]`` a link to its source card with a hover text."""

    def link(match: re.Match[str]) -> str:
        target = links.get(int(match.group(1)))
        if target is None:
            return match.group(0)
        anchor, title = target
        return (
            f'<a href="#{anchor}" class="citation" title="{html.escape(title)}">'
            f"{match.group(0)}</a>"
        )

    return _MARKER.sub(link, md_escape(html.escape(text, quote=False)))


def viewer_link(doc_id: str, start: int, end: int, also: Sequence[tuple[int, int]] = ()) -> str:
    """The UI's source viewer (``pages/2_Source.py``) at a cited span, with the other
    spans of the same card (``also``) to highlight there too."""
    params: dict[str, str | int] = {"doc": doc_id, "start": start, "end": end}
    others = [f"{a}-{b}" for a, b in also if (a, b) != (start, end)]
    if others:
        params["also"] = ",".join(others[:MAX_VIEWER_SPANS])
    return "Source?" + urlencode(params)


MAX_VIEWER_SPANS = 20
"""Most extra spans a viewer address carries."""


def parse_spans(also: str, length: int) -> list[tuple[int, int]]:
    """``"12-40,50-90"`` as [(12, 40), (50, 90)], clipped to ``length``; bad parts skipped."""
    spans = []
    for part in also.split(",")[:MAX_VIEWER_SPANS]:
        a, _, b = part.partition("-")
        if a.isdigit() and b.isdigit() and int(a) < int(b):
            spans.append((min(int(a), length), min(int(b), length)))
    return spans


_FRAME = """<!doctype html><html><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy"
 content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'">
<style>
body {{ font-family: "Source Sans Pro", sans-serif; line-height: 1.6; margin: 0 .75rem;
  color: #31333f; }}
mark {{ background: #ffe066; padding: 0 .1em; }}
mark.current {{ outline: 2px solid #e68a00; }}
sup {{ color: #6b6b6b; }}
</style></head><body>{body}<script>
const first = document.querySelector("mark");
if (first) {{
  first.classList.add("current");
  const top = first.getBoundingClientRect().top + window.scrollY;
  window.scrollTo(0, Math.max(0, top - window.innerHeight / 3));
}}
</script></body></html>"""


def document_frame(text: str, spans: Sequence[Span]) -> str:
    """A whole document as a self-contained HTML page (for ``st.iframe``): escaped, the
    spans highlighted, scrolled to the first; its policy lets it fetch nothing."""
    return _FRAME.format(body=highlight_spans(text, 0, spans))


def page_of(page_spans: Sequence[Sequence[int]], offset: int) -> tuple[int, int, int] | None:
    """The (page, start, end) of ``page_spans`` holding document offset ``offset``."""
    for page, start, end in page_spans:
        if start <= offset < end:
            return page, start, end
    return None


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
    """ "2014-03-01 · Jane Doe and John Roe · p. 3", skipping what is missing; escaped
    for a caption."""
    parts = (date_ or "", format_authors(authors), page)
    return " · ".join(md_escape(part) for part in parts if part)


def file_link(file_url: str, page: int | None, kind: str | None = None) -> str:
    """A link to the original, opening a PDF at the cited page."""
    if page is not None and (kind in (None, "pdf")):
        return f"{file_url}#page={page}"
    return file_url


def closest_label(passage: SearchResult) -> str:
    """ "Title (2011-12-07), p. 3" for a closest passage of an abstention."""
    when = f" ({md_escape(passage.date)})" if passage.date else ""
    return f"{md_escape(passage.title)}{when}, {page_label(passage.page, passage.page_end)}"


_SENTENCE = re.compile(r"[^.!?\n]+[.!?]*")
_WORD = re.compile(r"\w{4,}")
_COMMON = frozenset(
    "what which does about there their have with from that this when where were they "
    "would could should into than them then these those been being".split()
)


def best_sentence(text: str, question: str) -> tuple[int, int]:
    """Offsets in ``text`` of the sentence sharing most (4+ letter) words with
    ``question``; (0, 0) when none shares any."""
    wanted = {w.casefold() for w in _WORD.findall(question)} - _COMMON
    best, span = 0, (0, 0)
    for match in _SENTENCE.finditer(text):
        score = len(wanted & {w.casefold() for w in _WORD.findall(match.group())})
        if score > best:
            lead = len(match.group()) - len(match.group().lstrip())
            best, span = score, (match.start() + lead, match.end())
    return span


def answer_markdown(text: str) -> str:
    """Text for ``st.markdown`` (a question, an answer as it streams in): escaped by
    :func:`md_escape`, so markers [1] stay and nothing else is read as Markdown."""
    return md_escape(text)


__all__ = [
    "ABSTAIN_MESSAGE",
    "SourceGroup",
    "Span",
    "answer_html",
    "answer_markdown",
    "best_sentence",
    "card_anchor",
    "closest_label",
    "file_link",
    "find_passage",
    "format_authors",
    "group_citations",
    "highlight",
    "highlight_spans",
    "marker_links",
    "md_escape",
    "page_of",
    "page_label",
    "source_line",
    "viewer_link",
    "document_frame",
    "parse_spans",
    "window",
]
