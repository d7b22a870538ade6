"""People's names as publications print them: pure functions, no I/O.

* :func:`split_names` turns an author string ("Authors: Dr Neil Lee Dr Neil Lee",
  "Ian Brinkley, Katie Schmuecker Policy Director and The Work Foundation") into the
  list of people it names: each person once, an honorific kept with the name ("Dr",
  "Prof", "Dame" ...), job titles and organisations dropped.
* :func:`looks_like_name` says whether a short line is a person's name on its own (an
  author card), :func:`is_job_title` whether it is a job title ("Director of Policy").
* :func:`person_key` is what two spellings of one person share ("Dr Neil Lee" and
  "Neil Lee").
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

__all__ = [
    "is_affiliation",
    "is_job_title",
    "is_organisation",
    "looks_like_name",
    "person_key",
    "split_names",
]

HONORIFICS = frozenset(
    "dr prof professor mr mrs ms miss sir dame lord lady baroness baron rt hon cllr rev".split()
)
# Words of a job title; a name never contains one (capitalised, as on a card).
_JOB_WORDS = frozenset(
    """director head chief executive officer researcher research economist fellow senior
    associate principal manager analyst adviser advisor consultant lecturer chair chairman
    chairwoman president vice deputy assistant lead coordinator co-ordinator editor intern
    policy programme program partner secretary founder co-founder member trustee governor
    communications press media events marketing author authors economics development
    strategy centre center unit team department former acting interim visiting honorary
    emeritus reader student scientist statistician officer""".split()
)
# Words that make a phrase an organisation rather than a person.
_ORG_WORDS = frozenset(
    """foundation university institute institution council trust society association
    agency commission ltd limited plc llp inc group office ministry department network
    partnership company college school bank board forum alliance centre center
    administration authority service committee court reporting government parliament
    party corporation services solutions systems holdings division online""".split()
)
_CONNECTORS = frozenset({"of", "for", "and", "the", "at", "in", "on", "&", "to", "with"})
_PARTICLES = frozenset({"de", "van", "von", "der", "den", "la", "le", "du", "da", "di", "bin"})
_SEPARATORS = re.compile(r"\s*(?:[,;/|•·()]|&|\band\b|\n)\s*")
_NAME_WORD = re.compile(
    r"^(?:[A-Z][a-z]*\.?|[A-Z][a-z]+(?:[-'’][A-Z]?[a-z]+)+|Mc[A-Z][a-z]+|[A-Z]'[A-Z][a-z]+)$"
)
_INITIAL = re.compile(r"^[A-Z]\.?$")


def _bare(word: str) -> str:
    return word.strip(".,:;()").lower()


def _is_honorific(word: str) -> bool:
    return _bare(word) in HONORIFICS


def person_key(name: str) -> str:
    """The name without honorifics, lower case: "Dr Neil Lee" and "neil lee" give "neil lee"."""
    words = [w for w in name.split() if not _is_honorific(w)]
    return " ".join(_bare(w) for w in words)


def is_job_title(text: str) -> bool:
    """A short caption made of job-title words: "Director of Policy", "Head of the
    socio-economic centre", "Report author and Researcher at The Work Foundation"."""
    words = text.strip(" .,:").split()
    if not 1 <= len(words) <= 14 or text.rstrip().endswith(("?", "!")):
        return False
    first = _bare(words[0])
    return first in _JOB_WORDS or (
        first in {"the", "a", "an", "our", "former"}
        and len(words) > 1
        and _bare(words[1]) in _JOB_WORDS
    )


def is_organisation(line: str) -> bool:
    """A line that is an organisation's name and nothing else: "The Work Foundation",
    "London School of Economics" (capitalised words, one of them an organisation's)."""
    return _caption_with(line, _is_org_word)


def is_affiliation(line: str) -> bool:
    """A card's department line: "Knowledge Economy Programme", "Centre for Workforce
    Effectiveness" (a few capitalised words, one of a job's or an organisation's)."""
    return _caption_with(line, lambda w: _bare(w) in _JOB_WORDS or _is_org_word(w))


def _caption_with(line: str, keyword: Callable[[str], bool]) -> bool:
    """One to six capitalised words (connectors aside), one of them a ``keyword``."""
    words = line.strip().split()
    return (
        1 <= len(words) <= 6
        and any(keyword(w) for w in words)
        and all(w[:1].isupper() or _bare(w) in _CONNECTORS for w in words)
    )


def _is_org_word(word: str) -> bool:
    return _bare(word) in _ORG_WORDS


def _name_words_ok(words: list[str]) -> bool:
    core = [w for w in words if not _is_honorific(w)]
    if not 2 <= len([w for w in core if w.lower() not in _PARTICLES]) <= 3 or len(core) > 5:
        return False
    if not all(_NAME_WORD.match(w) or w.lower() in _PARTICLES for w in core):
        return False
    if all(_INITIAL.match(w) for w in core):
        return False
    if _INITIAL.match(core[-1]):  # a surname is not an initial
        return False
    return not any(_bare(w) in _JOB_WORDS or _is_org_word(w) or _bare(w) in _CONNECTORS
                   for w in core)  # fmt: skip


def looks_like_name(line: str) -> bool:
    """A line that is one person's name and nothing else: "Dr Neil Lee", "Lizzie Crowley"."""
    words = line.strip().split()
    return 2 <= len(words) <= 6 and _name_words_ok(_dedupe(words))


def _dedupe(words: list[str]) -> list[str]:
    """One name given twice, with or without its honorific, is one name:
    "Dr Neil Lee Dr Neil Lee", "Dr Neil Lee Neil Lee", "Neil Lee Dr Neil Lee"."""
    n = len(words)
    for size in range(1, n // 2 + 1):
        if n % size == 0 and words == words[:size] * (n // size):
            return words[:size]
    # Both halves share their person_key, so each holds half of the words that are not
    # honorifics: only the cuts with that many before them need comparing (linear).
    core = [_bare(w) for w in words if not _is_honorific(w)]
    half, odd = divmod(len(core), 2)
    if odd or not half or core[:half] != core[half:]:
        return words
    seen = 0
    for cut in range(1, n):
        seen += not _is_honorific(words[cut - 1])
        if seen == half:
            left, right = words[:cut], words[cut:]
            return left if len(left) >= len(right) else right
    return words


def _strip_orgs_and_jobs(words: list[str]) -> list[list[str]]:
    """Runs of words left once organisation phrases and job-title words are cut out.

    "The Work Foundation Stephen Overell" -> [["Stephen", "Overell"]]; "Katie Schmuecker
    Policy Director" -> [["Katie", "Schmuecker"]]. An organisation runs from a "The"
    up to four words before its keyword ("Foundation", "University" ...), else from the
    one capitalised word before it, and on through "of X".
    """
    drop = [False] * len(words)
    for p, word in enumerate(words):
        if not _is_org_word(word) or not word[:1].isupper():
            continue
        start = p
        for back in range(p - 1, max(-1, p - 5), -1):
            if _bare(words[back]) == "the":
                start = back
                break
        else:
            if p > 0 and words[p - 1][:1].isupper() and not _is_honorific(words[p - 1]):
                start = p - 1
        end = p + 1
        hops = 0  # "Institute of Employment of ..." a few times at most: linear
        while end + 1 < len(words) and _bare(words[end]) in {"of", "for"} and hops < 4:
            end += 2
            hops += 1
        for i in range(start, min(end, len(words))):
            drop[i] = True
    for p, word in enumerate(words[:-1]):  # a job's field: "Lecturer in Human Resource ..."
        if _bare(word) in _JOB_WORDS and _bare(words[p + 1]) == "in":  # "Head of X Jane Smith"
            for i in range(p + 1, len(words)):
                if not (words[i][:1].isupper() or _bare(words[i]) in _CONNECTORS):
                    break
                drop[i] = True
    runs: list[list[str]] = [[]]
    for word, dropped in zip(words, drop, strict=True):
        if dropped or _bare(word) in _JOB_WORDS or _bare(word) in _CONNECTORS:
            if runs[-1]:
                runs.append([])
            continue
        runs[-1].append(word)
    return [run for run in runs if run]


def _split_run(words: list[str], known: list[list[str]]) -> list[list[str]]:
    """Names written one after another without separators."""
    words = _dedupe(words)
    if _name_words_ok(words):
        return [words]
    if doubled := _doubled_names(words):
        return doubled
    # at an honorific a new name starts
    pieces: list[list[str]] = [[]]
    for word in words:
        if _is_honorific(word) and pieces[-1] and not _is_honorific(pieces[-1][-1]):
            pieces.append([])
        pieces[-1].append(word)
    if len(pieces) > 1:
        return [name for piece in pieces for name in _split_run(piece, known)]
    # a name met elsewhere on the page (an author card) marks its own extent
    if spans := _known_spans(words, known):
        names: list[list[str]] = []
        prev = 0
        for start, end in spans:
            names += _split_run(words[prev:start], []) if start > prev else []
            names.append(words[start:end])
            prev = end
        return names + (_split_run(words[prev:], []) if prev < len(words) else [])
    core = [w for w in words if not _is_honorific(w)]
    if len(core) >= 4 and len(core) % 2 == 0 and not any(_is_honorific(w) for w in words):
        pairs = [words[i : i + 2] for i in range(0, len(words), 2)]
        if all(_name_words_ok(pair) for pair in pairs):
            return pairs
    return []


def _doubled_names(words: list[str]) -> list[list[str]]:
    """Names each written twice in a row, with or without an honorific, as a web page's
    by-line prints them: "Lizzie Crowley Lizzie Crowley Dr Neil Lee Neil Lee" gives
    Lizzie Crowley and Dr Neil Lee; [] unless the whole run reads that way."""
    names: list[list[str]] = []
    i = 0
    while i < len(words):
        for size in (2, 3):  # words of the name, honorifics aside
            first = _with_honorifics(words, i, size)
            second = _with_honorifics(words, i + len(first), size)
            if (
                first
                and second
                and person_key(" ".join(first)) == person_key(" ".join(second))
                and _name_words_ok(first)
            ):
                names.append(first if len(first) >= len(second) else second)
                i += len(first) + len(second)
                break
        else:
            return []
    return names


def _with_honorifics(words: list[str], start: int, size: int) -> list[str]:
    """The honorifics at ``start`` and the ``size`` words after them, or [] past the end."""
    end = start
    while end < len(words) and _is_honorific(words[end]):
        end += 1
    return words[start : end + size] if end + size <= len(words) else []


def _known_spans(words: list[str], known: list[list[str]]) -> list[tuple[int, int]]:
    """Where the ``known`` names occur in ``words``, left to right, without overlaps;
    at one position the name listed first wins. Linear in ``len(words)``."""
    targets: dict[int, dict[str, int]] = {}  # words in the name -> its key -> rank
    for rank, name in enumerate(known):
        if key := person_key(" ".join(name)):
            targets.setdefault(len(name), {}).setdefault(key, rank)
    spans: list[tuple[int, int]] = []
    start = 0
    while start < len(words):
        hits = [
            (by_key[key], size)
            for size, by_key in targets.items()
            if (key := person_key(" ".join(words[start : start + size]))) in by_key
            and start + size <= len(words)
        ]
        if hits:
            size = min(hits)[1]
            spans.append((start, start + size))
            start += size
        else:
            start += 1
    return spans


def split_names(value: str, *, known: Iterable[str] = ()) -> list[str]:
    """The people an author string names, each once, in order, honorifics kept.

    ``known`` are names seen elsewhere on the page (author cards); they help to cut
    "Ian Brinkley Lizzie Crowley" and win over a spelling without the honorific.
    """
    known_words = [name.split() for name in known]
    found: dict[str, str] = {}  # person_key -> the spelling kept, in order of appearance
    for part in _SEPARATORS.split(value.strip(" .:")):
        for run in _strip_orgs_and_jobs(part.split()):
            for words in _split_run(run, known_words):
                _add(found, " ".join(words))
    by_key: dict[str, str] = {}
    for name in known:  # "Professor Stephen Bevan" on the card wins over "Stephen Bevan"
        _add(by_key, name)
    return [by_key.get(key, name) for key, name in found.items()]


def _add(found: dict[str, str], name: str) -> None:
    key = person_key(name)
    other = found.get(key)
    if other is None or len(name.split()) > len(other.split()):
        found[key] = name  # keep the spelling with the honorific
