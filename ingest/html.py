"""HTML pages: the article's text as paragraphs, without the site around it.

Navigation, headers, footers, scripts, forms and elements whose id or class names a
cookie banner, consent prompt, newsletter box, share bar or breadcrumb are dropped;
each block element (paragraph, heading, list item ...) becomes its own paragraph.
"""

from __future__ import annotations

import logging
import re

from bs4 import BeautifulSoup, Comment, NavigableString, Tag
from bs4.element import Doctype, ProcessingInstruction

from ingest.clean import normalise, parse_date, strip_boilerplate

__all__ = ["html_to_text"]

log = logging.getLogger(__name__)

_DROP_TAGS = [
    "script", "style", "nav", "header", "footer", "aside", "form", "noscript",
    "template", "svg", "iframe", "button", "select",
]  # fmt: skip
_DROP_NAMES = re.compile(
    r"(?i)cookie|banner|consent|newsletter|breadcrumb|(?:^|[-_])shar(?:e|ing)(?:$|[-_s])"
)
_KEEP_ALWAYS = {"html", "body", "main", "article"}  # never dropped for a class name
_BLOCKS = {
    "p", "div", "section", "article", "main", "h1", "h2", "h3", "h4", "h5", "h6",
    "li", "ul", "ol", "dl", "dt", "dd", "blockquote", "pre", "table", "tr", "figure",
    "figcaption", "address", "hr", "details", "summary",
}  # fmt: skip
_SPACE = re.compile(r"\s+")


def _names(tag: Tag) -> str:
    classes = tag.get("class")
    names = [classes] if isinstance(classes, str) else [str(name) for name in classes or ()]
    return " ".join([str(tag.get("id") or ""), *names])


def _walk(node: Tag, out: list[str]) -> None:
    for child in node.children:
        if isinstance(child, Comment | Doctype | ProcessingInstruction):
            continue
        if isinstance(child, NavigableString):
            out.append(_SPACE.sub(" ", str(child)))
        elif isinstance(child, Tag):
            if child.name == "br":
                out.append("\n")
            elif child.name in _BLOCKS:
                out.append("\n\n")
                _walk(child, out)
                out.append("\n\n")
            elif child.name in ("td", "th"):
                out.append(" ")
                _walk(child, out)
                out.append(" ")
            else:
                _walk(child, out)


def _meta_content(soup: BeautifulSoup, **attrs: str) -> str | None:
    tag = soup.find("meta", attrs=dict(attrs.items()))
    value = tag.get("content") if isinstance(tag, Tag) else None
    return (" ".join(str(value).split()) or None) if value else None


def _metadata(soup: BeautifulSoup) -> tuple[str | None, str | None, tuple[str, ...]]:
    title = _meta_content(soup, property="og:title")
    if not title and soup.title and soup.title.get_text(strip=True):
        title = " ".join(soup.title.get_text().split())
    if not title and (h1 := soup.find("h1")) is not None:
        title = " ".join(h1.get_text(" ").split()) or None
    when: str | None = None
    time_tag = soup.find("time", attrs={"datetime": True})
    for raw in (
        str(time_tag.get("datetime")) if isinstance(time_tag, Tag) else None,
        _meta_content(soup, property="article:published_time"),
        _meta_content(soup, name="date"),
    ):
        if raw and (when := parse_date(raw[:10] if re.match(r"\d{4}-\d\d-\d\d", raw) else raw)):
            break
    author = _meta_content(soup, name="author")
    return title, when, (author,) if author else ()


def html_to_text(markup: str | bytes) -> tuple[str, str | None, str | None, tuple[str, ...]]:
    """``(text, title, iso_date, authors)``: the page's cleaned text and what it declares."""
    soup = BeautifulSoup(markup, "lxml")
    title, when, authors = _metadata(soup)
    for tag in soup.find_all(_DROP_TAGS):
        tag.decompose()
    for tag in soup.find_all(True):
        if tag.decomposed or tag.name in _KEEP_ALWAYS:
            continue
        if _DROP_NAMES.search(_names(tag)) or tag.get("role") in ("navigation", "banner"):
            tag.decompose()
    pieces: list[str] = []
    _walk(soup.body or soup, pieces)
    text = strip_boilerplate(normalise("".join(pieces)))
    log.debug("html: %d characters of text, title %r", len(text), title)
    return text, title, when, authors
