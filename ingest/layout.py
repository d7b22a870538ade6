"""Title, date and authors read from the layout of a page saved as text.

Pages saved from the publisher's site share a few layouts, and the header of each is
read by the role of its lines, not by their order alone:

* **blog post**: site chrome (cookie notice, "To discuss how you and your
  organisation..." prompt, navigation items in capitals, banners such as
  "VENUE HIRE>Book before ..."), an *author card* (name, job title, telephone, the
  name again), then the title, ``Authors: ...``, the date and the text;
* **press release**: title, date, text, "Notes to Editors", media contacts; the
  author is the person the text calls the report's author ("Lizzie Crowley, Report
  author and Researcher at ..., said");
* **report page**: title, ``Authors:`` with several names, date;
* **people page**: a card and a biography, no title of its own: the title is the name.

The title is the nearest heading-like line before the ``Authors:`` line (else before
the first date line); heading-like means short, not a sentence, not chrome, not a
name or job title from a card. Authors come from the ``Authors:`` line, else the
cards above the title, else a by-line, else the press-release phrasing.
"""

from __future__ import annotations

import re

from ingest.clean import is_contact_line, parse_date, strip_boilerplate
from ingest.names import is_job_title, looks_like_name, person_key, split_names

__all__ = ["extract_text_meta", "filing_title", "is_chrome", "is_heading"]

_HEADER_LINES = 40  # the title, date and authors are looked for in this many lines
_WORD = re.compile(r"[^\W_][\w'’-]*")
_AUTHORS_LINE = re.compile(r"(?i)^(?:authors?|written by|posted by)\s*:\s*(.*)$|^[Bb]y\s+(.+)$")
_DATE_PREFIX = re.compile(r"(?i)^(?:published|posted|date|updated|released)(?: on)?\s*:?\s*")
_BANNER = re.compile(r"[>»›]|\s[|]\s|^(?:book|register|click|sign up|join us|subscribe)\b", re.I)
_NAME = r"(?:(?:Dr|Prof|Professor|Dame|Sir|Lord|Lady)\.? )?[A-Z][\w'’-]+(?: [A-Z][\w'’-]+){1,3}"
_REPORT_AUTHOR = [
    re.compile(rf"({_NAME}), (?:the |and )?(?:[Rr]eport(?:'s)? )?(?:lead |co-)?[Aa]uthor\b"),
    re.compile(rf"\b[Aa]uthor (?:of the (?:report|paper|study)),? ({_NAME})\b"),
    re.compile(rf"(?:report|paper|study)\b[^.\n]{{0,80}}\?? [Bb]y ({_NAME})(?:,|\b and\b| \()"),
]


def is_chrome(line: str) -> bool:
    """Site furniture: a navigation item in capitals ("GET INVOLVED"), a banner
    ("VENUE HIRE>Book before 15th of May"), a breadcrumb ("Home > Blog")."""
    words = _WORD.findall(line)
    letters = [ch for ch in line if ch.isalpha()]
    if letters and all(ch.isupper() for ch in letters) and len(words) <= 6:
        return True
    return bool(_BANNER.search(line)) and len(words) <= 25


def is_heading(line: str) -> bool:
    """A line that can be a title: 2 to 25 words, not a sentence, not chrome."""
    words = _WORD.findall(line)
    lettered = [w for w in words if any(ch.isalpha() for ch in w)]
    if len(lettered) < 2 or len(words) > 25 or len(line) > 220 or _date_of(line):
        return False
    if line.rstrip().endswith((".", ",", ";", ":", "…", "...")) or is_chrome(line):
        return False
    first = line.lstrip("#‘'\"“ ")[:1]
    return first.isupper() or first.isdigit()


def _date_of(line: str) -> str | None:
    return parse_date(line) or parse_date(_DATE_PREFIX.sub("", line))


def _authors_value(line: str) -> str | None:
    found = _AUTHORS_LINE.match(line)
    if not found:
        return None
    if found.group(2) is not None and (
        len(found.group(2).split()) > 8 or not found.group(2)[:1].isupper()
    ):
        return None  # "By the end of the year ..." is a sentence, not a by-line
    return found.group(1) if found.group(1) is not None else found.group(2)


def _cards(lines: list[str], stop: int, by_line: str) -> tuple[set[int], list[str]]:
    """Indices of author-card lines before ``stop`` and the names the cards give.

    A name line is a card when job titles or contacts follow it, when it comes again,
    when the by-line names the person, or when a heading still follows before ``stop``;
    a lone "Working Lives" just before the date stays a title.
    """
    in_card: set[int] = set()
    names: list[str] = []
    by_keys = {person_key(name) for name in split_names(by_line)}
    for i in range(stop):
        if not looks_like_name(lines[i]):
            continue
        j = i + 1
        while j < stop and (is_job_title(lines[j]) or is_contact_line(lines[j])):
            j += 1
        person = split_names(lines[i])
        card_like = (
            j > i + 1
            or any(person_key(name) in by_keys for name in person)
            or any(split_names(lines[k]) == person for k in range(i + 1, min(stop, i + 6)))
            or any(is_heading(lines[k]) and not looks_like_name(lines[k]) for k in range(j, stop))
        )
        if card_like:
            in_card.update(range(i, j))
            names.extend(person)
    return in_card, names


def extract_text_meta(
    text: str, *, strict: bool = False
) -> tuple[str | None, str | None, list[str]]:
    """``(title, iso_date, authors)`` from the header of a page saved as text.

    ``strict`` keeps only what a by-line or date line vouches for: a title just above
    one, authors from a by-line (for a report's first page, where web-page cards and
    press-release phrasing do not occur). Anything not found is ``None`` (or ``[]``).
    """
    lines = [line.strip() for line in strip_boilerplate(text).split("\n") if line.strip()]
    header = lines[:_HEADER_LINES]
    dates = [i for i, line in enumerate(header) if _date_of(line)]
    by_lines = [i for i, line in enumerate(header) if _authors_value(line) is not None]
    anchor = by_lines[0] if by_lines else dates[0] if dates else len(header)
    in_card, card_names = _cards(
        header, anchor, _authors_value(header[by_lines[0]]) or "" if by_lines else ""
    )

    def title_line(i: int) -> bool:
        return i not in in_card and is_heading(header[i]) and not is_contact_line(header[i])

    title_at = next((i for i in range(anchor - 1, -1, -1) if title_line(i)), None)
    if strict:
        title = (
            _as_title(header[title_at]) if title_at is not None and anchor < len(header) else None
        )
        when = next((_date_of(header[i]) for i in dates), None)
        return title, when, _authors(header, by_lines, [], None)
    if title_at is None:  # "date, title, text": the first heading after the anchor
        title_at = next(
            (i for i in range(anchor + 1, min(len(header), anchor + 4))
             if title_line(i) and i not in dates and i not in by_lines),
            None,
        )  # fmt: skip
    title = _as_title(header[title_at]) if title_at is not None else None
    people_page = title is None and bool(card_names)
    if people_page:
        title = card_names[0]

    when = next((_date_of(header[i]) for i in dates), None)
    authors = _authors(header, by_lines, card_names, title_at)
    if not authors and not people_page:
        authors = _report_author(lines)
    return title, when, authors


def _authors(
    header: list[str], by_lines: list[int], card_names: list[str], title_at: int | None
) -> list[str]:
    for i in by_lines:
        value = _authors_value(header[i]) or ""
        names = split_names(value, known=card_names)
        j = i + 1
        while not value.strip() and j < len(header) and looks_like_name(header[j]):
            names.extend(split_names(header[j], known=card_names))  # "Authors:" then lines
            j += 1
        if names:
            return list(dict.fromkeys(names))
    if title_at is not None and card_names:
        return list(dict.fromkeys(split_names(", ".join(card_names))))
    return []


def _report_author(lines: list[str]) -> list[str]:
    """Press releases name the report's author in the text, not in a by-line."""
    for pattern in _REPORT_AUTHOR:
        for line in lines:
            if found := pattern.search(line):
                if names := split_names(found.group(1)):
                    return names[:1]
    return []


def _as_title(line: str, limit: int = 150) -> str:
    line = line.lstrip("#").strip()
    if len(line) <= limit:
        return line
    return line[:limit].rsplit(" ", 1)[0] + "…"


_SEC = re.compile(r"SECURITIES AND EXCHANGE COMMISSION", re.I)
_FORM = re.compile(r"\bFORM\s+(10-K|10-Q|8-K|20-F|40-F|S-1)\b", re.I)
_REGISTRANT = re.compile(r"\(Exact name of registrant", re.I)
_FILE_NUMBER = re.compile(r"(?i)^commission file (?:number|no)")
_PERIOD = re.compile(
    r"(?i)for the (fiscal year|quarterly period) ended\s*([A-Z][a-z]+)\s+(\d{1,2})\s*,\s*(\d{4})"
)


def filing_title(first_page: str) -> str | None:
    """ "3M COMPANY, Form 10-K for the fiscal year ended December 31, 2022" from the cover
    of a US securities filing, whose largest print is the regulator's name, not a title.
    The registrant is the line above "(Exact name of registrant ...)", else the first
    line in capitals after the commission file number."""
    head = first_page[:4000]
    form = _FORM.search(head)
    if not _SEC.search(head) or form is None:
        return None
    lines = [line.strip() for line in head.split("\n") if line.strip()]
    company = next(
        (lines[i - 1] for i, line in enumerate(lines) if i and _REGISTRANT.match(line)), None
    )
    if company is None:
        start = next((i for i, line in enumerate(lines) if _FILE_NUMBER.match(line)), len(lines))
        company = next(
            (line for line in lines[start + 1 : start + 4]
             if line.isupper() and sum(ch.isalpha() for ch in line) >= 2),
            None,
        )  # fmt: skip
    if company is None:
        return None
    title = f"{company}, Form {form.group(1).upper()}"
    if period := _PERIOD.search(head):
        title += f" for the {period.group(1).lower()} ended {period.group(2)} {period.group(3)},"
        title += f" {period.group(4)}"
    return title
