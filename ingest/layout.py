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
_AUTHORS_LINE = re.compile(
    r"(?i)^(?:authors?|author\(s\)|written by|posted by)\s*:\s*(.*)$"
    r"|(?i:^(?:authors?|author\(s\))\s*()$)"  # a label alone, the names on the lines below
    r"|^[Bb]y\s+(.+)$"
)
_DATE_PREFIX = re.compile(
    r"(?i)^(?:(?:publication |release )?date|published|posted|updated|released|when|on)"
    r"(?: on)?\s*:?\s*"
)
# what may follow a page's date on its line: a time ("- 11:15", ", 12:30-13:30 GMT"), a by-line
_DATE_SUFFIX = re.compile(
    r"(?i)(?:,\s*|\s+(?:-|–|at|from)?\s*)\d{1,2}[:.]\d{2}\b.*$|\s+by\s+.{1,80}$"
)
_BANNER = re.compile(r"[>»›]|\s[|]\s|^(?:book|register|click|sign up|join us|subscribe)\b", re.I)
# furniture a CMS prints around a post: embargo notes, tags and categories
_FIELD_CHROME = re.compile(
    r"(?i)^(?:embargo(?:ed)?\b|(?:filed under|tags?|categories|category|posted in|topics?)\s*:)"
)
# a series or document-type line under the title: "A Knowledge Economy Programme Report"
_SUBTITLE = re.compile(
    r"(?i)^(?:an? |the )?(?:[\w&’'-]+ ){0,6}(?:report|paper|briefing|pamphlet|series|summary)$"
)
_NAME = r"(?:(?:Dr|Prof|Professor|Dame|Sir|Lord|Lady)\.? )?[A-Z][\w'’-]+(?: [A-Z][\w'’-]+){1,3}"
_NAME_IN_TEXT = re.compile(_NAME)
# "report author", "the report's lead author", "co-author of the paper", "Authors" not a
# label, "written by", "co-authored by"
_AUTHOR_WORD = re.compile(r"(?i)\b(?:(?:co-?)?authored by|written by|(?:co-?)?authors?\b(?!\s*:))")
_BY = re.compile(r"\bby\b")
# between two names of a list: "X and Y", "X, Y", "X, Director of ..., and Y"
_APPOSITIVE = re.compile(r"^,[^.;:\"“”]{1,120}$")  # the start of ", Director of the ..."
_LIST_GAP = re.compile(r"^(?:\s*,\s*|\s+)(?:and\s+)?$|^,[^.;:\"“”]{1,120},\s*(?:and\s+)?$")
_WORK = re.compile(r"(?i)\b(?:report|paper|study|research)\b")
_CLAUSE = re.compile(r"[\"“”]|(?<=[.!;])\s+")  # quotation marks and sentence ends
_WRITTEN_BY = re.compile(
    rf"(?:report|paper|study)\b[^.\n]{{0,80}}\?? [Bb]y ({_NAME})(?:,|\b and\b| \()"
)


def is_chrome(line: str) -> bool:
    """Site furniture: a navigation item in capitals ("GET INVOLVED"), a banner
    ("VENUE HIRE>Book before 15th of May"), a breadcrumb ("Home > Blog")."""
    words = _WORD.findall(line)
    letters = [ch for ch in line if ch.isalpha()]
    if letters and all(ch.isupper() for ch in letters) and len(words) <= 6:
        return True
    if _FIELD_CHROME.match(line):
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
    """The date a date line gives: "05 July 2012", "Published: 5 Jul 2012", "When: Thursday
    5 December 2013, 12:30-13:30", "Posted on 18 June 2008 by Stephen Overell"."""
    if found := parse_date(line):
        return found
    bare = _DATE_PREFIX.sub("", line)
    return parse_date(bare) or parse_date(_DATE_SUFFIX.sub("", bare))


def _authors_value(line: str) -> str | None:
    found = _AUTHORS_LINE.match(line)
    if not found:
        return None
    by = found.group(3)
    if by is not None and (len(by.split()) > 8 or not by[:1].isupper()):
        return None  # "By the end of the year ..." is a sentence, not a by-line
    return next(group for group in found.groups() if group is not None)


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
            or any(person_key(name) in {person_key(seen) for seen in names} for name in person)
            or any(split_names(lines[k]) == person for k in range(i + 1, min(stop, i + 6)))
            or any(is_heading(lines[k]) and not looks_like_name(lines[k]) for k in range(j, stop))
        )
        if card_like:
            in_card.update(range(i, j))
            names.extend(person)
    return in_card, names


def _is_body(line: str) -> bool:
    """A paragraph of running text, which no title follows: longer than a heading may be,
    or a sentence of twelve words or more."""
    words = _WORD.findall(line)
    return len(words) > 25 or (len(words) >= 12 and line.rstrip(' "”’').endswith("."))


def extract_text_meta(
    text: str, *, strict: bool = False
) -> tuple[str | None, str | None, list[str]]:
    """``(title, iso_date, authors)`` from the header of a page saved as text.

    ``strict`` keeps only what a by-line or date line vouches for: a title just above
    one, authors from a by-line (for a report's first page, where web-page cards and
    press-release phrasing do not occur). Anything not found is ``None`` (or ``[]``).
    """
    text = strip_boilerplate(text, cards=False)  # a people page's card names the page
    lines = [line.strip() for line in text.split("\n") if line.strip()]
    header = lines[:_HEADER_LINES]
    dates = [i for i, line in enumerate(header) if _date_of(line)]
    by_lines = [i for i, line in enumerate(header) if _authors_value(line) is not None]
    # The title comes before the text: a by-line or date line below the first paragraph
    # (a dated list, a comment) does not mark where the header ends; the paragraph does.
    body_at = next((i for i, line in enumerate(header) if _is_body(line)), len(header))
    marks = [i for i in by_lines if i < body_at] or [i for i in dates if i < body_at]
    anchor = marks[0] if marks else body_at
    in_card, card_names = _cards(
        header, anchor, _authors_value(header[by_lines[0]]) or "" if by_lines else ""
    )

    def title_line(i: int) -> bool:
        return i not in in_card and is_heading(header[i]) and not is_contact_line(header[i])

    title_at = next((i for i in range(anchor - 1, -1, -1) if title_line(i)), None)
    if title_at and _SUBTITLE.match(header[title_at]) and title_line(title_at - 1):
        title_at -= 1  # the series line under a report's title is not its title
    if not marks and in_card and title_at is not None and title_at < min(in_card):
        title_at = None  # a card, then the text, and no date: a people page ("Our people")
    if strict:
        title = _as_title(header[title_at]) if title_at is not None and marks else None
        when = next((_date_of(header[i]) for i in dates), None)
        return title, when, _authors(header, by_lines, [], None)
    if title_at is None and marks:  # "date, title, text": the first heading after the date
        title_at = next(
            (i for i in range(anchor + 1, min(len(header), anchor + 4))
             if title_line(i) and i not in dates and i not in by_lines),
            None,
        )  # fmt: skip
    title = _as_title(header[title_at]) if title_at is not None else None
    people_page = title is None and bool(card_names)
    if people_page:
        title = card_names[0]

    # The page's own date heads its text; below the text, only a line that says it is the
    # page's date ("Posted on ...") counts, not a dated list of publications or comments.
    own = [i for i in dates if i < body_at or _DATE_PREFIX.match(header[i])]
    when = next((_date_of(header[i]) for i in own), None)
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
        while not value.strip() and j < len(header):  # "Authors:", then a name a line
            if _name_line(header[j]):
                names.extend(split_names(header[j], known=card_names))
            elif not is_job_title(header[j]):  # each name may have its job title below
                break
            j += 1
        if names:
            return list(dict.fromkeys(names))
    if title_at is not None and card_names:
        return list(dict.fromkeys(split_names(", ".join(card_names))))
    return []


def _name_line(line: str) -> bool:
    """A line under an empty "Authors:" label naming one person, perhaps with a job title
    ("Charles Levy, Senior Economist"); not a date, not a sentence."""
    return (
        len(_WORD.findall(line)) <= 10
        and not _date_of(line)
        and not line.rstrip().endswith((".", "?", "!"))
        and bool(split_names(line))
    )


def _person(candidate: str) -> str | None:
    names = split_names(candidate)
    return names[0] if len(names) == 1 and looks_like_name(names[0]) else None


def _listed(tail: str) -> list[str]:
    """The people named at the start of ``tail``: "Ian Brinkley and Jonathan Wright of ...",
    "Professor Stephen Bevan, Director of ..., and Tyna Taskila", "Work Foundation
    researchers Jenny Gulliford and ..."; the list ends at the first other words."""
    names: list[str] = []
    end = 0
    for found in _NAME_IN_TEXT.finditer(tail):
        gap = tail[end : found.start()]
        if names and not _LIST_GAP.match(gap):
            if _APPOSITIVE.match(gap):
                continue  # "Centre for Workforce Effectiveness" inside "X, Director of ..., and Y"
            break
        if not names and len(_WORD.findall(gap)) > 4:
            break
        if name := _person(found.group(0)):
            names.append(name)
            end = found.end()
    return names


def _clause_authors(clause: str) -> list[str]:
    """The people a clause calls the authors of a report, paper or study: those listed
    right after the phrase ("the report's lead author, Charles Levy"; "written by X and
    Y"; "Author of the report, Karen Steadman"), else the clause's first name ("Lizzie
    Crowley, report author and Researcher at ..."; "said Professor Stephen Bevan,
    Director of ... and the report's author"); "the research, by X and Y" too. A clause
    runs between quotation marks and sentence ends; its paragraph speaks of a report."""
    word = _AUTHOR_WORD.search(clause)
    if word is None:
        if (work := _WORK.search(clause)) is None:
            return []
        by = _BY.search(clause, work.end())
        near = by is not None and by.start() - work.end() <= 80
        return _listed(clause[by.end() :]) if by is not None and near else []
    if listed := _listed(clause[word.end() :]):
        return listed
    for found in _NAME_IN_TEXT.finditer(clause[: word.start()]):
        if name := _person(found.group(0)):
            return [name]
    return []


def _report_author(lines: list[str]) -> list[str]:
    """Press releases name the report's authors in the text, not in a by-line: every
    person a clause calls an author of the report, in order, each once (with the
    honorific where one mention has it); else "a report ... by Name"."""
    found: dict[str, str] = {}
    for line in filter(_WORK.search, lines):
        for clause in _CLAUSE.split(line):
            for name in _clause_authors(clause):
                key = person_key(name)
                if len(name.split()) > len(found.get(key, "").split()):
                    found[key] = name
    if found:
        return list(found.values())
    for line in lines:
        if (by := _WRITTEN_BY.search(line)) and (names := split_names(by.group(1))):
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
