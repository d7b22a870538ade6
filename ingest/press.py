"""The authors a press release names in its text, not in a by-line: "Lizzie Crowley,
report author and Researcher at ..., said", "said the report's lead author, Charles
Levy", "The report, ..., was written by X, Director of ..., and Y", "co-authored by X
and Dr Y". Pure functions, no I/O; :mod:`ingest.layout` falls back to them when a page
has no by-line, card or author label."""

from __future__ import annotations

import re

from ingest.header_lines import WORD
from ingest.names import looks_like_name, person_key, split_names

__all__ = ["report_authors"]

NAME = r"(?:(?:Dr|Prof|Professor|Dame|Sir|Lord|Lady)\.? )?[A-Z][\w'’-]+(?: [A-Z][\w'’-]+){1,3}"
_NAME_IN_TEXT = re.compile(NAME)
# "report author", "the report's lead author", "co-author of the paper", "Authors" not a
# label, "written by", "co-authored by"
_AUTHOR_WORD = re.compile(r"(?i)\b(?:(?:co-?)?authored by|written by|(?:co-?)?authors?\b(?!\s*:))")
# "the research, by X and Y"; not "supported by", "funded by", "published by" ...
_BY = re.compile(
    r"(?<!supported )(?<!funded )(?<!sponsored )(?<!commissioned )(?<!published )"
    r"(?<!hosted )(?<!chaired )\bby\b"
)
_CO_AUTHOR = re.compile(
    r"(?i)\bco-?author|\b(?:written|authored) by\b|, by\b"
    r"|\bby\b[^.]{0,120}\b(?:is|are|was|were) (?:published|available|out)\b"
)
_PUBLISHED = re.compile(r"\s*,?\s*(?:is|are|was|were|has been)\b")
_COMMA_BY = re.compile(r", by\b")  # notes to editors: "Title, by X and Y, is published"
# a release's own marks: what tells a press release from a page that merely quotes people
PRESS_MARKS = re.compile(
    r"(?im)notes? to editors?|^\s*ends\s*$|^embargo|press release|media (?:contact|enquiries)"
)
# between two names of a list: "X and Y", "X, Y", "X, Director of ..., and Y"
_APPOSITIVE = re.compile(r"^,[^.;:\"“”]{1,120}$")  # the start of ", Director of the ..."
_LIST_GAP = re.compile(r"^(?:\s*,\s*|\s+)(?:and\s+|&\s+)?$|^,[^.;:\"“”]{1,120},\s*and\s+$")
_WORK = re.compile(r"(?i)\b(?:report|paper|study|research)\b")
_CLAUSE = re.compile(r"[\"“”]|(?<=[.!;])\s+")  # quotation marks and sentence ends
_WRITTEN_BY = re.compile(
    rf"(?:report|paper|study)\b[^.\n]{{0,80}}\?? [Bb]y ({NAME})(?:,|\b and\b| \()"
)


def _person(candidate: str) -> str | None:
    names = split_names(candidate)
    whole = looks_like_name(candidate)  # "Higher Education Funding Council" is no one
    return names[0] if whole and len(names) == 1 and looks_like_name(names[0]) else None


def _listed(tail: str) -> list[str]:
    """The people named at the start of ``tail``: "Ian Brinkley and Jonathan Wright of ...",
    "Professor Stephen Bevan, Director of ..., and Tyna Taskila", "Work Foundation
    researchers Jenny Gulliford and ..."; the list ends at the first other words."""
    return _listed_to(tail)[0]


def _listed_to(tail: str) -> tuple[list[str], int]:
    """:func:`_listed`, and where the list ends in ``tail``."""
    names: list[str] = []
    end = 0
    for found in _NAME_IN_TEXT.finditer(tail):
        gap = tail[end : found.start()]
        if names and not _LIST_GAP.match(gap):
            if _APPOSITIVE.match(gap):
                continue  # "Centre for Workforce Effectiveness" inside "X, Director of ..., and Y"
            break
        if not names and len(WORD.findall(gap)) > 4:
            break
        if name := _person(found.group(0)):
            names.append(name)
            end = found.end()
    return names, end


def _clause_authors(clause: str) -> list[str]:
    """The people a clause calls the authors of a report, paper or study: those listed
    right after the phrase ("the report's lead author, Charles Levy"; "written by X and
    Y"; "Author of the report, Karen Steadman"), else the clause's first name ("Lizzie
    Crowley, report author and Researcher at ..."; "said Professor Stephen Bevan,
    Director of ... and the report's author"); "the research, by X and Y" too. A clause
    runs between quotation marks and sentence ends; its paragraph speaks of a report."""
    word = _AUTHOR_WORD.search(clause)
    if word is None:
        if comma_by := _COMMA_BY.search(clause):
            return _listed(clause[comma_by.end() :])
        for each in _BY.finditer(clause):  # "<title> by X and Y is published today"
            names, end = _listed_to(clause[each.end() :])
            if names and _PUBLISHED.match(clause, each.end() + end):
                return names
        if (work := _WORK.search(clause)) is None:
            return []
        by = _BY.search(clause, work.end())
        near = by is not None and by.start() - work.end() <= 80
        return _listed(clause[by.end() :]) if by is not None and near else []
    if listed := _listed(clause[word.end() :]):
        return listed
    # "Lizzie Crowley, report author and ..."; "X and Dr Y, authors of the report, ..."
    return _listed(clause[: word.start()])


def _about_a_work(line: str) -> bool:
    """A paragraph about a report, or one naming its co-author or who wrote it."""
    return bool(_WORK.search(line) or _CO_AUTHOR.search(line))


def report_authors(lines: list[str]) -> list[str]:
    """Press releases name the report's authors in the text, not in a by-line: every
    person a clause calls an author of the report, in order, each once (with the
    honorific where one mention has it); else "a report ... by Name"."""
    lists = [
        names
        for line in filter(_about_a_work, lines)
        for clause in _CLAUSE.split(line)
        if (names := _clause_authors(clause))
    ]
    # the fullest list gives the credited order ("by Ian Brinkley, Will Hunt and Charles
    # Levy"); people named alone elsewhere follow in the order they come
    lists.sort(key=len, reverse=True)
    found: dict[str, str] = {}
    for name in (name for names in lists for name in names):
        key = person_key(name)
        if len(name.split()) > len(found.get(key, "").split()):
            found[key] = name
    if found:
        return list(found.values())
    for line in lines:
        if (by := _WRITTEN_BY.search(line)) and (names := split_names(by.group(1))):
            return names[:1]
    return []
