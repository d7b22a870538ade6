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

What one line is (chrome, a heading, a date line, a by-line, a section label, the
start of the text) is :mod:`ingest.header_lines`'s job. Here the header is the lines
above the text; its anchor is the last by-line (else date line) above the text, since
a sidebar's dated items may come first. The title is the nearest heading above the
anchor, past cards, chrome and labels only (else the headline right below the anchor);
heading-like means short, not a sentence, not chrome, not a name or job title from a
card. The date is the one nearest the anchor (an event's own date first). Authors come
from the by-line nearest the anchor, else the cards, else the names under the title or
its date, else, on a press release, the phrasing of its text (:mod:`ingest.press`).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from ingest.clean import is_contact_line, strip_boilerplate
from ingest.header_lines import (
    WORD,
    by_line_value,
    date_of,
    is_body,
    is_chrome,
    is_heading,
    is_section_label,
    is_social,
    name_line,
    names_only,
    says_it_is_dated,
)
from ingest.names import (
    HONORIFICS,
    is_affiliation,
    is_job_title,
    is_organisation,
    looks_like_name,
    person_key,
    split_names,
)
from ingest.press import PRESS_MARKS, report_authors

__all__ = ["extract_text_meta", "filing_title"]

_HEADER_LINES = 40  # the title, date and authors are looked for in this many lines
_EVENT_DATE = re.compile(r"(?i)^(?:event date|when)\b")
_POSTED = re.compile(r"(?i)^(?:posted|added|updated)\b")
# a series or document-type line under the title: "A Knowledge Economy Programme Report"
_SUBTITLE = re.compile(
    r"(?i)^(?:an?|the) (?:[\w&’'-]+ ){0,6}(?:report|paper|briefing|pamphlet|series|summary)$"
)


def _cards(lines: list[str], stop: int, by_line: str, start: int = 0) -> tuple[set[int], list[str]]:
    """Indices of author-card lines from ``start`` to ``stop`` and the names they give.

    Above the title (``start`` 0), a name line is a card when job titles or contacts
    follow it, when it comes again, when the by-line names the person, or when a heading
    still follows before ``stop``; a lone "Working Lives" just before the date stays a
    title. In an author block below the date, only a name with its job title or
    contact below, or a name given again, is a card.
    """
    in_card: set[int] = set()
    names: list[str] = []
    by_keys = {person_key(name) for name in split_names(by_line)}
    for i in range(start, stop):
        if _names_under_title(lines, i) and i + 1 < stop and date_of(lines[i + 1]):
            continue  # a dated headline's by-line (a sidebar's "Latest blogs"), not a card
        if not looks_like_name(lines[i]):
            if not _name_and_post(lines[i]):
                continue
        j = i + 1
        while (
            j < stop
            and by_line_value(lines[j]) is None
            and (
                is_job_title(lines[j])
                or is_affiliation(lines[j])
                or is_contact_line(lines[j])
                or is_social(lines[j])
            )
        ):
            j += 1
        person = split_names(lines[i])
        keys = {person_key(name) for name in person}
        card_like = (
            j > i + 1  # a job title or contact below
            or bool(keys & by_keys)
            or any(split_names(lines[k]) == person for k in range(i + 1, min(stop, i + 6)))
        )
        if not start:  # above the title: also a name seen before, or a heading still to come
            card_like = (
                card_like
                or bool(keys & {person_key(seen) for seen in names})
                or any(
                    is_heading(lines[k]) and not looks_like_name(lines[k]) for k in range(j, stop)
                )
            )
        if card_like:
            in_card.update(range(i, j))
            names.extend(person)
    return in_card, names


def extract_text_meta(
    text: str, *, strict: bool = False
) -> tuple[str | None, str | None, list[str]]:
    """``(title, iso_date, authors)`` from the header of a page saved as text.

    ``strict`` keeps only what a by-line or date line vouches for: a title next to one,
    authors from a by-line (for a report's first page, where web-page cards and
    press-release phrasing do not occur). Anything not found is ``None`` (or ``[]``).
    """
    text = strip_boilerplate(text, cards=False)  # a people page's card names the page
    lines = [line.strip() for line in text.split("\n") if line.strip()]
    header = lines[:_HEADER_LINES]
    dates = [i for i, line in enumerate(header) if date_of(line)]
    by_lines = [i for i, line in enumerate(header) if by_line_value(line) is not None]
    # The title comes before the text: a by-line or date line below the first paragraph
    # (a dated list, a comment) does not mark where the header ends; the paragraph does.
    body_at = next((i for i in range(len(header)) if _opens_text(header, i)), len(header))
    marks = [i for i in by_lines if i < body_at] or [i for i in dates if i < body_at]
    # the last by-line or date above the text: a sidebar's dated list may come first
    # ("Posted ..." after the page's own date is when it went online: not the anchor)
    while len(marks) > 1 and _POSTED.match(header[marks[-1]]) and marks[-1] - marks[-2] <= 5:
        marks.pop()
    anchor = marks[-1] if marks else body_at
    # by-lines above the text first, the anchor's own first: a "Posted by" below the
    # text may be a comment's, a "Name | date" above it a sidebar's
    by_lines.sort(key=lambda i: (i > body_at, abs(i - anchor)))
    # cards before the title, and an author block between the date and the text
    by_line = by_line_value(header[by_lines[0]]) or "" if by_lines else ""
    in_card, card_names = _cards(header, anchor, by_line)
    block, block_names = _cards(header, body_at, by_line, start=anchor + 1)
    in_card |= block
    card_names += [name for name in block_names if name not in card_names]

    def title_line(i: int) -> bool:
        line = header[i]
        return (
            i not in in_card
            and is_heading(line)
            and not is_organisation(line)  # the site's name: "The Work Foundation"
            # "Ian Brinkley and Stephen Overell" right under a title is its by-line
            and not _names_under_title(header, i)
            and not is_contact_line(line)
            and not is_section_label(line)  # "Latest news", "Media centre" above a headline
        )

    title_at, far = _title_above(header, anchor, in_card, title_line)
    below = next(  # "Release date: ... / EMBARGO ... / headline / text"
        (i for i in range(anchor + 1, min(len(header), anchor + 4))
         if title_line(i) and i not in dates and i not in by_lines),
        None,
    )  # fmt: skip
    if marks and far and below is not None and body_at <= below + 2:
        title_at = below  # the headline right above the text beats one past the navigation
    if title_at and _SUBTITLE.match(header[title_at]) and title_line(title_at - 1):
        title_at -= 1  # the series line under a report's title is not its title
    if not marks and in_card and title_at is not None and title_at < min(in_card):
        title_at = None  # a card, then the text, and no date: a people page ("Our people")
    if strict:
        title = _as_title(header[title_at]) if title_at is not None and marks else None
        when = next((date_of(header[i]) for i in dates), None)
        return title, when, _authors(header, by_lines, [], None)
    if title_at is None and marks:  # "date, title, text": the first heading after the date
        title_at = below
    title = _as_title(header[title_at]) if title_at is not None else None
    people_page = title is None and bool(card_names)
    if people_page:
        title = card_names[0]

    # The page's own date heads its text; below the text, only a line that says it is the
    # page's date ("Posted on ...") counts, not a dated list of publications or comments.
    # (a dateline opens the text itself: "LONDON, 26th June 2014 – ..."). A people page has
    # no date of its own.
    own = [i for i in dates if i <= body_at or says_it_is_dated(header[i])]
    # an event's date, not the day it was posted; then the date nearest the headline's
    own.sort(key=lambda i: (not _EVENT_DATE.match(header[i]), abs(i - anchor)))
    when = None if people_page else next((date_of(header[i]) for i in own), None)
    authors = _authors(header, by_lines, card_names, title_at)
    if not authors and title_at is not None and _names_under_title(header, title_at + 1):
        authors = split_names(header[title_at + 1])  # the names right under the title
    if not authors and marks:  # "Title / 27/09/2007 / A, B and C" : names under the date
        authors = next(
            (split_names(header[i]) for i in range(anchor + 1, min(body_at, anchor + 3))
             if i != title_at and (names_only(header[i]) or _name_and_post(header[i]))),
            [],
        )  # fmt: skip
    if not authors and not people_page and PRESS_MARKS.search(text):
        authors = report_authors(lines)
    if people_page:
        authors = []  # the person a profile is about did not write it
    return title, when, authors


def _opens_text(header: list[str], i: int) -> bool:
    """Line ``i`` is the first paragraph of the text. A short paragraph (a standfirst, a
    tagline) with a date or by-line right below it is still the header's."""
    line = header[i]
    if not is_body(line) or is_chrome(line):
        return False
    if len(line.split()) > 25 or i + 1 >= len(header):
        return True
    if not any(is_heading(above) or date_of(above) for above in header[:i]):
        return False  # a site's tagline above everything else
    below = header[i + 1]
    return date_of(below) is None and by_line_value(below) is None


def _name_and_post(line: str) -> bool:
    """ "Charles Levy, Senior Researcher": a name and a job title on one line."""
    name, _, post = line.partition(", ")
    return bool(post) and looks_like_name(name) and is_job_title(post)


def _names_under_title(header: list[str], i: int) -> bool:
    """Line ``i`` names people and nothing else, right under a headline: its by-line."""
    if not 0 < i < len(header):
        return False
    line, above = header[i], header[i - 1]
    one = looks_like_name(line) and _vouched(header, i)
    return (
        (names_only(line) or one)
        and is_heading(above)
        and not is_section_label(above)
        and not names_only(above)
        and not looks_like_name(above)
    )


def _vouched(header: list[str], i: int) -> bool:
    """A lone name under a headline is its by-line, not a subtitle in capitals ("Recovering
    Lost Jobs"), when it has an honorific, when the page names the person again, or when
    a date follows it and none of its words is an ordinary word of the page (the text
    says "jobs", never "dale")."""
    line = header[i]
    if line.split()[0].rstrip(".").lower() in HONORIFICS:
        return True
    key = person_key(line)
    if any(key in person_key(other) for j, other in enumerate(header) if j != i):
        return True
    below = header[i + 1] if i + 1 < len(header) else ""
    ordinary = {w for other in header for w in WORD.findall(other) if w.islower()}
    return date_of(below) is not None and not {w.lower() for w in line.split()} & ordinary


def _title_above(
    header: list[str], anchor: int, in_card: set[int], title_line: Callable[[int], bool]
) -> tuple[int | None, bool]:
    """The heading just above ``anchor``, past cards, chrome, section labels and contact
    or job lines only: a heading further up, past other lines (navigation items such as
    "Partnership"), is the site's, not the page's. Also whether the way up passed the
    site's furniture (chrome, section labels)."""
    far = False
    for i in range(anchor - 1, -1, -1):
        if title_line(i):
            return i, far
        line = header[i]
        if is_chrome(line) or is_section_label(line):
            far = True  # past the site's furniture: a headline below the date may be nearer
        passable = (
            i in in_card
            or is_chrome(line)
            or is_section_label(line)
            or is_contact_line(line)
            or is_job_title(line)
            or _names_under_title(header, i)
            or by_line_value(line) is not None
            or date_of(line) is not None
            or is_body(line)  # a standfirst between the headline and its date
        )
        if not passable:
            return None, far
    return None, far


def _authors(
    header: list[str], by_lines: list[int], card_names: list[str], title_at: int | None
) -> list[str]:
    for i in by_lines:
        value = by_line_value(header[i]) or ""
        names = split_names(value, known=card_names)
        j = i + 1
        while not value.strip() and j < len(header):  # "Authors:", then a name a line
            if name_line(header[j]):
                names.extend(split_names(header[j], known=card_names))
            elif not is_job_title(header[j]):  # each name may have its job title below
                break
            j += 1
        if names:
            return list(dict.fromkeys(names))
    if title_at is not None and card_names:
        return list(dict.fromkeys(split_names(", ".join(card_names))))
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
