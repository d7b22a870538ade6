"""What one line of a page's header is: chrome, a heading, a date line, a by-line, a
section label, the start of the text. Pure functions over one line, no I/O; the page
layout (:mod:`ingest.layout`) puts the roles together.

Written for pages saved from a think tank's site across a decade of redesigns, read
as a user saves them (select all, paste): navigation in capitals or run together,
breadcrumbs, banners, tag and embargo lines, dates with the day's name or a clock time
("When: Wednesday 19th September 2012, 8.30am"), fields joined by bars ("Will Hunt |
March 7, 2011"), datelines ("LONDON, 26th June 2014 –") and by-lines in many forms
("By X, Chief Economist, with Y and Z", "Posted by X on 1 November 2012").
"""

from __future__ import annotations

import re

from ingest.clean import parse_date
from ingest.names import is_job_title, looks_like_name, split_names

__all__ = [
    "by_line_value",
    "date_of",
    "is_body",
    "is_chrome",
    "is_heading",
    "is_section_label",
    "is_social",
    "name_line",
    "names_only",
    "says_it_is_dated",
]

WORD = re.compile(r"[^\W_][\w'’-]*")
_LABEL = r"(?:(?:report |the )?authors?|author\(s\)|words)"
_AUTHORS_LINE = re.compile(
    rf"(?i)^{_LABEL}\s*:\s*(.*)$"
    rf"|(?i:^{_LABEL}\s*()$)"  # a label alone, the names on the lines below
    r"|(?i:^(?:written|posted) by\s*:?\s+(.+?)(?:\s+on\s+[^,]{6,40})?$)"
    r"|(?i:^(?:posted|published) on\s+.{6,40}?\s+by\s+(.+)$)"  # "Posted on 18 June 2008 by X"
    r"|^(?:(?:[Aa] )?[Gg]uest (?:post|blog) )?[Bb]y\s+(.+)$"
)
_DATE_PREFIX = re.compile(
    r"(?i)^(?:(?:publication |release |event )?date(?: published| posted)?|published|posted"
    r"|updated|released|when|on)(?: on)?\s*:?\s*"
)
# what may follow a page's date on its line: a time ("- 11:15", ", 8.30am - 10.30am"), a by-line
_DATE_SUFFIX = re.compile(
    r"(?i)(?:,\s*+|(?<!\s)\s++(?:(?:-|–|at|from)\s*+)?)"
    r"\d{1,2}(?:[:.]\d{2}\s*(?:[ap]\.?m\.?)?|\s*[ap]\.?m\.?)(?![\d/]).*$"
    r"|(?<!\s)\s++by\s+.{1,80}$"
)
_POSTED_ON = re.compile(r"(?i)^(?:posted|written|published)\b.{0,80}?\bon\s+(.{6,40})$")
_DATELINE = re.compile(
    r"^[A-Z][A-Za-z .'-]{2,30},\s+(.{6,30}?)\s+[–—-]\s"
)  # "LONDON, 26th June 2014 –", "London, 22 October 2008 –"
# "EMBARGOED UNTIL 00:01 MONDAY 14 JANUARY 2013", "EMBARGO: 00.01 hrs Thursday 19 November 2009"
_EMBARGO = re.compile(
    r"(?i)^embargo(?:ed)?(?: until)?\s*:?\s*"
    r"(?:\d{1,2}[.:]\d{2}\s*(?:hrs?|am|pm)?\s*,?\s*)?(.{6,40})$"
)
_BANNER = re.compile(
    r"[>»›]|\s[|/]\s|^(?:book|register|click|sign up|join us|subscribe)\b", re.I
)  # banners, breadcrumbs ("Home > Blog", "Home / About / Our people"), "Print | Email"
# furniture a CMS prints around a post: embargo notes, tags and categories
_FIELD_CHROME = re.compile(
    r"(?i)^(?:embargo(?:ed)?\b|for immediate release\b|(?:with )?(?:a )?foreword by\b"
    r"|(?:filed under|tags?|categories|category|posted in|topics?|title|type|pages"
    r"|programme|series|price|isbn|venue|where|cost|time)\s*:)"
)
# a site section's name above a headline: "Press releases", "Latest news", "Our people"
_SECTION_WORDS = frozenset(
    """press release releases news latest media centre center our people blog blogs
    event events past upcoming publication publications report reports research comment
    opinion features insights home staff team about us experts office guest room
    expert contacts contact in the""".split()
)
_LIST_SPLIT = re.compile(r"\s*(?:,|&|\band\b)\s*")
_SOCIAL = re.compile(r"(?i)^(?:twitter|linkedin|facebook|follow\b.{0,30}\bon)\b|(?:^|\s)@\w{2,}$")


def is_chrome(line: str) -> bool:
    """Site furniture: a navigation item in capitals ("GET INVOLVED"), a banner
    ("VENUE HIRE>Book before 15th of May"), a breadcrumb ("Home > Blog"), a tag line."""
    words = WORD.findall(line)
    letters = [ch for ch in line if ch.isalpha()]
    if letters and all(ch.isupper() for ch in letters) and len(words) <= 6:
        return True
    if _FIELD_CHROME.match(line) or is_social(line):
        return True
    return bool(_BANNER.search(line)) and len(words) <= 25


def is_social(line: str) -> bool:
    """A profile's social link: "Twitter @CharlesLevy_WF", "Follow Neil on Twitter"."""
    return len(WORD.findall(line)) <= 8 and bool(_SOCIAL.search(line.strip()))


def names_only(line: str) -> bool:
    """A line naming two or more people and nothing else: "Ian Brinkley and Stephen
    Overell" under a report's title is its by-line, not its title."""
    parts = _people(line)
    return len(parts) >= 2 and all(looks_like_name(p) for p in parts)


def is_section_label(line: str) -> bool:
    """The name of a site section above a headline, not a headline: "Latest news"."""
    words = [w.lower() for w in WORD.findall(line) if not w.isdigit()]  # "Press releases 2009"
    return 0 < len(words) <= 3 and all(w in _SECTION_WORDS for w in words)


def is_heading(line: str) -> bool:
    """A line that can be a title: 2 to 25 words, not a sentence, not chrome."""
    words = WORD.findall(line)
    lettered = [w for w in words if any(ch.isalpha() for ch in w)]
    if len(lettered) < 2 or len(words) > 25 or len(line) > 220 or date_of(line):
        return False
    if line.rstrip().endswith((".", ",", ";", ":", "…", "...")) or is_chrome(line):
        return False
    first = line.lstrip("#‘'\"“ ")[:1]
    return first.isupper() or first.isdigit()


def is_body(line: str) -> bool:
    """A paragraph of running text, which no title follows: longer than a heading may be,
    or a sentence of twelve words or more."""
    words = WORD.findall(line)
    return len(words) > 25 or (len(words) >= 12 and line.rstrip(' "”’').endswith("."))


def date_of(line: str) -> str | None:
    """The date a date line gives: "05 July 2012", "Published: 5 Jul 2012", "When: Thursday
    5 December 2013, 12:30-13:30", "Posted by Neil Lee on 1 November 2012", a field of
    "Will Hunt | March 7, 2011", a dateline "LONDON, 26th June 2014 – ..."."""
    if found := parse_date(line):
        return found
    bare = _DATE_PREFIX.sub("", line)
    if found := parse_date(bare) or parse_date(_DATE_SUFFIX.sub("", bare)):
        return found
    if (posted := _POSTED_ON.match(line)) and (found := parse_date(posted.group(1))):
        return found
    if (dateline := _DATELINE.match(line)) and (found := parse_date(dateline.group(1))):
        return found
    if (embargo := _EMBARGO.match(line)) and (found := parse_date(embargo.group(1))):
        return found
    if " | " in line:
        return next((d for field in line.split(" | ") if (d := date_of(field.strip()))), None)
    label, dash, rest = line.partition(" – ")  # "Press release – 7th November 2012"
    if dash and is_section_label(label) and (found := parse_date(rest)):
        return found
    return None


def says_it_is_dated(line: str) -> bool:
    """A line that says it gives the page's date: "Posted on ...", "Published: ..."."""
    return bool(_DATE_PREFIX.match(line) or _POSTED_ON.match(line))


def by_line_value(line: str) -> str | None:
    """The names a by-line gives, as written ("Dr Neil Lee Dr Neil Lee", "" for a label
    alone); ``None`` for a line that is not one. "By the end of the year ..." is a
    sentence; "by Dr Helen Baker, Senior Lecturer, University of Sheffield" is a by-line;
    in "Research report | 28 November 2011 | A and B" the fields of names are."""
    if found := _AUTHORS_LINE.match(line):
        *labelled, by = found.groups()
        if by is None:
            return next(group for group in labelled if group is not None)
        first = re.split(r",|\band\b|\bwith\b|&|\|", by, maxsplit=1)[0].strip()
        return by if looks_like_name(first) and not by.rstrip().endswith(".") else None
    when, by, who = line.partition(" by ")
    if by and parse_date(when.strip(" ,")) and looks_like_name(who.split(",")[0].strip()):
        return who  # "July 9, 2015 by Dr Helen Marsh"
    if " | " in line and date_of(line):
        fields = [f.strip() for f in line.split(" | ")]
        people = [f for f in fields if _all_names(f)]
        return ", ".join(people) if people else None
    return None


def _all_names(field: str) -> bool:
    parts = _people(field)
    return bool(parts) and all(looks_like_name(p) for p in parts)


def _people(line: str) -> list[str]:
    """The parts of a list of people: "A, B & C and D"."""
    return [p for p in _LIST_SPLIT.split(line) if p]


def name_line(line: str) -> bool:
    """A line under an empty "Authors:" label naming one person, perhaps with a job title
    ("Charles Levy, Senior Economist"); not a date, not a sentence."""
    return (
        len(WORD.findall(line)) <= 10
        and not date_of(line)
        and not line.rstrip().endswith((".", "?", "!"))
        and not is_job_title(line)
        and bool(split_names(line))
    )
