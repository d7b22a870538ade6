"""HTML pages: the article's text as paragraphs, without the site around it.

Navigation, headers, footers, scripts, forms and elements whose id or class names a
cookie banner, consent prompt, newsletter box, share bar or breadcrumb are dropped;
each block element (paragraph, heading, list item ...) becomes its own paragraph.
"""

from __future__ import annotations

import json
import logging
import re
from typing import Any, NamedTuple

from bs4 import BeautifulSoup, Comment, NavigableString, Tag
from bs4.element import Doctype, PageElement, ProcessingInstruction

from ingest.clean import break_long_lines, normalise, parse_date, strip_boilerplate
from ingest.names import split_names

__all__ = ["HtmlPage", "html_to_text"]

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


def _walk(root: Tag, out: list[str]) -> None:
    """Append ``root``'s text to ``out``, block elements set apart by blank lines.

    Iterative, with an explicit stack: pages nest tags thousands deep, past Python's
    recursion limit. The stack holds nodes still to visit and, as plain ``str``, the
    separators that close a block once its children are done.
    """
    stack: list[PageElement | str] = list(reversed(root.contents))
    while stack:
        item = stack.pop()
        if type(item) is str:  # a separator closing a block
            out.append(item)
        elif isinstance(item, Comment | Doctype | ProcessingInstruction):
            continue
        elif isinstance(item, NavigableString):
            out.append(_SPACE.sub(" ", str(item)))
        elif isinstance(item, Tag):
            if item.name == "br":
                out.append("\n")
                continue
            sep = "\n\n" if item.name in _BLOCKS else " " if item.name in ("td", "th") else ""
            if sep:
                out.append(sep)
                stack.append(sep)
            stack.extend(reversed(item.contents))


class HtmlPage(NamedTuple):
    """A page's cleaned text and the metadata its markup declares (``None`` if not)."""

    text: str
    title: str | None
    date: str | None
    authors: tuple[str, ...]


def _meta_values(soup: BeautifulSoup, **attrs: str) -> list[str]:
    values = []
    for tag in soup.find_all("meta", attrs=dict(attrs.items())):
        value = tag.get("content") if isinstance(tag, Tag) else None
        if value and (text := " ".join(str(value).split())):
            values.append(text)
    return values


def _meta_content(soup: BeautifulSoup, **attrs: str) -> str | None:
    values = _meta_values(soup, **attrs)
    return values[0] if values else None


def _json_ld(soup: BeautifulSoup) -> dict[str, Any]:
    """The first JSON-LD object that describes an article (headline, author, date)."""
    for tag in soup.find_all("script", attrs={"type": "application/ld+json"}):
        try:
            data = json.loads(tag.get_text() or "null")
        except json.JSONDecodeError:
            continue
        items = (
            data
            if isinstance(data, list)
            else data.get("@graph", [data])
            if isinstance(data, dict)
            else []
        )
        for item in items:
            if isinstance(item, dict) and ("headline" in item or "author" in item):
                return item
    return {}


def _ld_authors(value: object) -> list[str]:
    items = value if isinstance(value, list) else [value]
    names = []
    for item in items:
        name = item.get("name") if isinstance(item, dict) else item
        if isinstance(name, str) and name.strip():
            names.append(name)
    return names


def _without_site(title: str, site: str | None, heading: str | None) -> str:
    """The title less a site name after a separator ("City deals | The Work Foundation")."""
    for sep in (" | ", " - ", " – ", " :: "):
        head, found, tail = title.rpartition(sep)
        if (
            found
            and head
            and ((site and tail.strip().lower() == site.lower()) or (heading and head == heading))
        ):
            return head.strip()
    return title


def _metadata(soup: BeautifulSoup) -> tuple[str | None, str | None, tuple[str, ...]]:
    ld = _json_ld(soup)
    h1 = soup.find("h1")
    heading = " ".join(h1.get_text(" ").split()) or None if h1 is not None else None
    site = _meta_content(soup, property="og:site_name")
    title = _meta_content(soup, property="og:title")
    if not title and isinstance(ld.get("headline"), str):
        title = " ".join(ld["headline"].split()) or None
    if not title and soup.title and soup.title.get_text(strip=True):
        title = " ".join(soup.title.get_text().split())
    title = _without_site(title, site, heading) if title else heading
    when: str | None = None
    time_tag = soup.find("time", attrs={"datetime": True})
    for raw in (
        _meta_content(soup, property="article:published_time"),
        ld.get("datePublished") if isinstance(ld.get("datePublished"), str) else None,
        str(time_tag.get("datetime")) if isinstance(time_tag, Tag) else None,
        _meta_content(soup, name="date"),
        _meta_content(soup, name="citation_publication_date"),
    ):
        if raw and (when := parse_date(raw[:10] if re.match(r"\d{4}-\d\d-\d\d", raw) else raw)):
            break
    declared = [
        *_meta_values(soup, name="author"),
        *_meta_values(soup, name="citation_author"),
        *_ld_authors(ld.get("author")),
        *(v for v in _meta_values(soup, property="article:author") if "://" not in v),
    ]
    authors = split_names(", ".join(declared))
    return title, when, tuple(authors)


def html_to_text(markup: str | bytes, *, max_line_chars: int | None = None) -> HtmlPage:
    """The page's cleaned text and the title, ISO date and authors its markup declares:
    ``og:title``, JSON-LD ``headline``, ``<title>`` (less the site name), else ``<h1>``;
    ``article:published_time``, JSON-LD ``datePublished``, ``<time datetime>``;
    ``<meta name="author">``, ``citation_author``, JSON-LD ``author``.

    ``max_line_chars`` breaks longer lines of the text before it is cleaned."""
    soup = BeautifulSoup(markup, "lxml")
    title, when, authors = _metadata(soup)
    # Removed tags are remembered here: bs4's ``tag.decomposed`` looks up a missing
    # attribute, which searches the tag's whole subtree (quadratic on deep nesting).
    removed: set[int] = set()

    def remove(tag: Tag) -> None:
        removed.add(id(tag))
        removed.update(id(node) for node in tag.descendants)
        tag.decompose()

    for tag in soup.find_all(_DROP_TAGS):
        if id(tag) not in removed:
            remove(tag)
    for tag in soup.find_all(True):
        if id(tag) in removed or tag.name in _KEEP_ALWAYS:
            continue
        if _DROP_NAMES.search(_names(tag)) or tag.get("role") in ("navigation", "banner"):
            remove(tag)
    pieces: list[str] = []
    _walk(soup.body or soup, pieces)
    raw = "".join(pieces)
    if max_line_chars is not None:
        raw = break_long_lines(raw, max_line_chars)
    text = strip_boilerplate(normalise(raw))
    log.debug("html: %d characters of text, title %r", len(text), title)
    return HtmlPage(text, title, when, authors)
