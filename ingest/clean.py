"""Pure text clean-up shared by the loaders: no I/O, no state.

* :func:`normalise` makes whitespace and Unicode predictable (idempotent).
* :func:`strip_boilerplate` removes whole lines of website chrome (cookie banners,
  "contact us" prompts, press-office phone numbers, share links); kept lines are
  returned unchanged, so the result is a subsequence of the input's lines.
* :func:`parse_date` reads the dates publications print ("07 December 2011").

Reading a title and authors from a page's layout is :mod:`ingest.layout`.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date

__all__ = [
    "break_long_lines",
    "cap_chars",
    "is_contact_line",
    "normalise",
    "parse_date",
    "strip_boilerplate",
]

# --- caps, applied before cleaning ----------------------------------------------------------


def cap_chars(text: str, max_chars: int, what: str = "characters") -> tuple[str, list[str]]:
    """``text`` cut to ``max_chars``, and a warning saying so when it was longer."""
    if len(text) <= max_chars:
        return text, []
    warning = (
        f"only the first {max_chars:,} {what} of {len(text):,} were read "
        "(ingest.max_document_chars); split the document to index the rest"
    )
    return text[:max_chars], [warning]


def break_long_lines(text: str, max_chars: int) -> str:
    """Lines longer than ``max_chars`` broken at their last space before the limit, or at
    the limit where there is none; no character but those spaces changes. Linear."""
    if len(text) <= max_chars:
        return text
    out: list[str] = []
    for line in text.split("\n"):
        pos = 0
        while len(line) - pos > max_chars:
            cut = line.rfind(" ", pos + 1, pos + max_chars + 1)
            if cut < 0:
                out.append(line[pos : pos + max_chars])
                pos += max_chars
            else:
                out.append(line[pos:cut])
                pos = cut + 1
        out.append(line[pos:])
    return "\n".join(out)


# --- normalise ---------------------------------------------------------------------------

_NEWLINES = re.compile(r"\r\n|[\r\x0b\x0c\x1c-\x1e\x85\u2028\u2029]")
_INVISIBLE = re.compile(r"[\x00-\x08\x0e-\x1b\x1f\x7f\u00ad\u200b\u2060\ufeff]")
_INLINE_SPACE = re.compile(r"[^\S\n]+")  # any whitespace except a newline
_MANY_NEWLINES = re.compile(r"\n{3,}")
# Typographic ligatures PDFs emit ("ﬁlled"); NFC keeps them, search needs the letters.
_LIGATURES = str.maketrans(
    {"ﬀ": "ff", "ﬁ": "fi", "ﬂ": "fl", "ﬃ": "ffi", "ﬄ": "ffl", "ﬅ": "st", "ﬆ": "st"}
)
# "exam-\nple" -> "example": two lower-case letters, a hyphen ending the line, and a
# lower-case letter starting the next; "UK-\nwide", "1-\n2" and "-\n\n" stay.
_HYPHEN_BREAK = re.compile(r"(?<=[a-z]{2})-\n(?=[a-z])")


def normalise(text: str, *, dehyphenate: bool = False) -> str:
    """NFC, ligatures spelt out, ``\\n`` newlines, single spaces, trimmed lines, and at
    most one blank line in a row.

    ``dehyphenate`` joins words hyphenated across a line break (for PDF text). Idempotent:
    ``normalise(normalise(t)) == normalise(t)`` for the same ``dehyphenate``.
    """
    text = unicodedata.normalize("NFC", text).translate(_LIGATURES)
    text = _NEWLINES.sub("\n", text)
    text = _INVISIBLE.sub("", text)
    text = _INLINE_SPACE.sub(" ", text)
    text = "\n".join(line.strip(" ") for line in text.split("\n"))
    if dehyphenate:
        text = _HYPHEN_BREAK.sub("", text)
    text = _MANY_NEWLINES.sub("\n\n", text).strip("\n ")
    return unicodedata.normalize("NFC", text)


# --- strip_boilerplate -------------------------------------------------------------------

_PHONE = re.compile(
    r"(?<![\d£$€.,])(?:\+44\s?(?:\(0\)\s?)?|\(?0)\d{2,4}\)?[\s-]?\d{3,4}[\s-]?\d{3,4}(?![\d,.]\d)"
)
# The local part starts where its run starts and is taken whole (possessive): a long
# word without an @ is scanned once, not once per character.
_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]++@[\w-]+(?:\.[\w-]+)+\b")
_WORD = re.compile(r"[^\W_][\w'’-]*")

# Lines removed whenever they match (anchored to the whole line, case-insensitive).
_BOILERPLATE_LINES = [
    r".{0,80}\b(?:this|our) (?:web ?)?site uses cookies\b.{0,300}",
    r".{0,200}\b(?:accept|agree to|consent to) (?:our |the )?(?:use of )?cookies\b.{0,200}",
    r"(?:to discuss|for (?:more|further) information|if you would like)\b.{0,160}"
    r"\bcontact us\b.{0,20}",
    r"(?:please )?contact us\.?",
    r"to discuss how you(?: and your organisation)?\b.{0,200}",
    r"(?:call|tel|telephone) [\d\s()+]{8,20}(?: or e-?mail(?: us)?)?\.?",
    r"(?:media|press|journalist) (?:enquiries|inquiries|contacts?|office)\s*:?",
    r"(?:for )?(?:urgent )?(?:out[- ]of[- ]hours )?(?:media |press )?(?:enquiries|contact)\s*:?",
    r"(?:find|read) out more(?: here)?\.?",
    r"(?:share|print|email|e-mail)(?: this)?(?: page| article| post)?(?: on \w+)?\s*:?",
    r"(?:share on|tweet|follow us on|like us on) .{0,40}",
    r"(?:e-?mail|send) (?:this )?(?:page|article|post )?to a friend\.?",
    r"(?:sign up|subscribe) (?:to|for) (?:our |the )?(?:e-?mail |newsletter|updates).{0,60}",
    r"(?:enter|your) e-?mail(?: address)?\s*:?",
    r"back to top",
    r"search(?: (?:this|the) (?:web ?)?site)?(?:\s+go)?\s*:?",  # a search box's label and button
]
_BOILERPLATE = re.compile(r"(?i)^\s*(?:" + "|".join(_BOILERPLATE_LINES) + r")\s*$")
_CONTACT_LABELS = {
    "t", "tel", "telephone", "phone", "m", "mob", "mobile", "call", "or", "and", "email",
    "e-mail", "e", "f", "fax", "on", "contact",
}  # fmt: skip


def is_contact_line(line: str) -> bool:
    """A short line that is mostly a phone number or e-mail address ("T 020 7976 3611").

    A sentence that merely mentions a number keeps more than six other words and stays.
    """
    if not (_PHONE.search(line) or _EMAIL.search(line)):
        return False
    rest = _EMAIL.sub(" ", _PHONE.sub(" ", line))
    words = [w for w in _WORD.findall(rest) if w.lower() not in _CONTACT_LABELS]
    return len(words) <= 6


def _is_card_line(line: str) -> bool:
    """A short caption such as a name or job title (no sentence punctuation)."""
    return len(_WORD.findall(line)) <= 8 and not line.rstrip().endswith((".", "!", "?", ";"))


def strip_boilerplate(text: str, *, cards: bool = True) -> str:
    """Remove whole lines of site chrome and contact cards; other lines are kept as they are.

    A paragraph (lines between blank lines) that holds a contact line and is otherwise
    made of short captions (name, job title) is a contact card and goes whole, unless
    ``cards`` is false (the metadata reader keeps a card's name and job title: on a
    people page the card names the page).
    """
    lines = text.split("\n")
    drop = [bool(_BOILERPLATE.match(line)) or is_contact_line(line) for line in lines]
    start = 0 if cards else len(lines)
    while start < len(lines):  # contact cards: whole paragraphs
        end = start
        while end < len(lines) and lines[end].strip():
            end += 1
        block = range(start, end)
        if any(is_contact_line(lines[i]) for i in block) and all(
            drop[i] or _is_card_line(lines[i]) for i in block
        ):
            for i in block:
                drop[i] = True
        start = end + 1
    kept: list[str] = []
    for line, dropped in zip(lines, drop, strict=True):
        if dropped or (not line.strip() and (not kept or not kept[-1].strip())):
            continue  # also no leading or doubled blank lines left by the removals
        kept.append(line)
    while kept and not kept[-1].strip():
        kept.pop()
    return "\n".join(kept)


# --- parse_date --------------------------------------------------------------------------

_MONTHS = {
    m.lower(): i
    for i, names in enumerate(
        [
            ("January", "Jan"), ("February", "Feb"), ("March", "Mar"), ("April", "Apr"),
            ("May",), ("June", "Jun"), ("July", "Jul"), ("August", "Aug"),
            ("September", "Sep", "Sept"), ("October", "Oct"), ("November", "Nov"),
            ("December", "Dec"),
        ],
        start=1,
    )
    for m in names
}  # fmt: skip
_MONTH = "(" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\.?"
_DATE_FORMS = [
    (re.compile(rf"(?i)^(\d{{1,2}})(?:st|nd|rd|th)? {_MONTH},? (\d{{4}})$"), (3, 2, 1)),
    (re.compile(rf"(?i)^{_MONTH} (\d{{1,2}})(?:st|nd|rd|th)?,? (\d{{4}})$"), (3, 1, 2)),
    (re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:[T ][\d:.+\-Z]*)?$"), (1, 2, 3)),
]
# day first, as in the UK; a two-digit year is this century's ("17.02.10")
_NUMERIC_DATE = re.compile(r"^(\d{1,2})[/.](\d{1,2})[/.](\d{4}|\d{2})$")
# "Tuesday 24 January 2012", "Tue, 24 Jan 2012": the day's name says nothing the date does not.
_WEEKDAY = re.compile(
    r"(?i)^(?:mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun)(?:day|nesday|sday|rsday|urday)?\.?,? "
)


def parse_date(value: str) -> str | None:
    """An ISO date ("2011-12-07") from "07 December 2011", "July 5, 2012", "Tuesday 24 January
    2012", "24/01/2012" (day first) or an ISO stamp; ``None`` for anything else."""
    value = _WEEKDAY.sub("", " ".join(value.split()).strip(" ."), count=1)
    for pattern, (y, m, d) in _DATE_FORMS:
        found = pattern.match(value)
        if not found:
            continue
        month = found.group(m)
        month_no = int(month) if month.isdigit() else _MONTHS[month.lower().rstrip(".")]
        try:
            return date(int(found.group(y)), month_no, int(found.group(d))).isoformat()
        except ValueError:
            return None
    if found := _NUMERIC_DATE.match(value):
        year = int(found.group(3)) + (2000 if len(found.group(3)) == 2 else 0)
        try:
            return date(year, int(found.group(2)), int(found.group(1))).isoformat()
        except ValueError:
            return None
    return None
