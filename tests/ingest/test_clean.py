"""Text clean-up: normalisation invariants, boilerplate removal, header metadata."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from ingest.clean import normalise, parse_date, strip_boilerplate
from ingest.layout import extract_text_meta

AUTHOR_CARD = "Dr Neil Lee\nHead of the socio-economic centre\nT 020 7976 3611\nDr Neil Lee"

_messy = st.lists(
    st.sampled_from(
        list("ab Zéﬁ-.:\n\n\r\t\x0c\xa0\u2028\u200b\u00ad\u0301") + ["e\u0301", "ab-\ncd"]
    ),
    max_size=80,
).map("".join) | st.text(max_size=80)
_lines = st.lists(
    st.one_of(
        st.sampled_from(
            [
                "",
                "This site uses cookies. By continuing you agree.Find out more here",
                "Media enquiries:",
                "Tom Phillips 020 7976 3646",
                "Call 020 7976 3575 or email",
                "Head of the socio-economic centre",
                "The helpline, 020 7976 3575, took 4,000 calls in 2011 from anxious workers.",
                "Real content about cities and growth.",
            ]
        ),
        st.text(alphabet=st.sampled_from(list("abc 0127.:@")), max_size=40),
    ),
    max_size=30,
)


def _is_subsequence(small: list[str], big: list[str]) -> bool:
    remaining = iter(big)
    return all(any(line == candidate for candidate in remaining) for line in small)


@given(_messy, st.booleans())
def test_normalise_is_idempotent(text: str, dehyphenate: bool) -> None:
    once = normalise(text, dehyphenate=dehyphenate)
    assert normalise(once, dehyphenate=dehyphenate) == once


@given(_messy)
def test_normalise_leaves_no_runs(text: str) -> None:
    out = normalise(text)
    assert "\n\n\n" not in out and "  " not in out and "\r" not in out and "\t" not in out
    assert all(line == line.strip() for line in out.split("\n"))


@given(_lines)
def test_strip_boilerplate_keeps_a_subsequence_of_lines(lines: list[str]) -> None:
    text = "\n".join(lines)
    out = strip_boilerplate(text)
    assert _is_subsequence(out.split("\n") if out else [], text.split("\n"))


def test_normalise_examples() -> None:
    assert normalise("a  \t b \r\n\r\n\r\n\nc  ") == "a b\n\nc"
    assert normalise("Cafe\u0301") == "Café"
    assert normalise("two columns ﬁlled, ﬂat") == "two columns filled, flat"
    assert (
        normalise("the exam-\nple and UK-\nwide", dehyphenate=True) == "the example and UK-\nwide"
    )
    assert normalise("the exam-\nple") == "the exam-\nple"


def test_strip_boilerplate_removes_site_chrome_and_contacts() -> None:
    text = "\n\n".join(
        [
            "This site uses cookies. By continuing to browse the site you are agreeing to our "
            "use of cookies.Find out more here",
            "To discuss how you and your organisation can get more involved with The Work "
            "Foundation, please contact us.",
            "Call 020 7976 3575 or email",
            AUTHOR_CARD,
            "A real first paragraph.",
            "Media enquiries:",
            "Tom Phillips 020 7976 3646",
            "For urgent out-of-hours enquiries: Nasreen Memon: 07825 527 036",
        ]
    )
    assert strip_boilerplate(text) == "A real first paragraph."


def test_strip_boilerplate_keeps_prose_that_mentions_a_number() -> None:
    prose = (
        "Workers who called the advice line on 020 7976 3575 last year were mostly "
        "looking for help with zero-hours contracts."
    )
    assert strip_boilerplate(f"Intro.\n\n{prose}") == f"Intro.\n\n{prose}"


def test_parse_date_forms() -> None:
    assert parse_date("07 December 2011") == "2011-12-07"
    assert parse_date("5 July 2012") == "2012-07-05"
    assert parse_date("July 5th, 2012") == "2012-07-05"
    assert parse_date("2012-07-05T09:00:00Z") == "2012-07-05"
    assert parse_date("31 February 2012") is None
    assert parse_date("Cities in 2012") is None
    assert parse_date("05/07/2012") == "2012-07-05"  # day first
    assert parse_date("06/22/2015") is None
    assert parse_date("Tuesday 24 January 2012") == "2012-01-24"
    assert parse_date("Wed, March 7, 2012") == "2012-03-07"
    assert parse_date("Thursday 31 February 2012") is None
    assert parse_date("Monday") is None
    assert parse_date("17.02.10") == "2010-02-17"
    assert parse_date("31.02.10") is None
    assert parse_date("Tuesday's figures, 2012") is None


def test_extract_text_meta_reads_the_header() -> None:
    text = (
        "Call 020 7976 3575 or email\n\n"
        f"{AUTHOR_CARD}\n\n"
        "Local innovation and freedom go hand in hand\n\n"
        "Authors: Dr Neil Lee Dr Neil Lee\n\n"
        "05 July 2012\n\n"
        "Last December, Nick Clegg announced the City Deals."
    )
    assert extract_text_meta(text) == (
        "Local innovation and freedom go hand in hand",
        "2012-07-05",
        ["Dr Neil Lee"],
    )


def test_extract_text_meta_splits_and_dedupes_authors() -> None:
    _, _, authors = extract_text_meta(
        "Title here\n\nAuthors: Dr A Smith, Lizzie Crowley and Dr A Smith"
    )
    assert authors == ["Dr A Smith", "Lizzie Crowley"]
    assert extract_text_meta("") == (None, None, [])


def _seconds(fn: object, arg: str) -> float:
    import time

    start = time.perf_counter()
    fn(arg)  # type: ignore[operator]
    return time.perf_counter() - start


def test_contact_lines_are_found_in_linear_time() -> None:
    from ingest.clean import is_contact_line

    assert is_contact_line("Email: j.smith@example.org")
    assert is_contact_line("Tel 020 7976 3500 info@theworkfoundation.com")
    # A long run like "a.a.a." without an @ once took time quadratic in its length.
    small = _seconds(is_contact_line, "a." * 10_000)
    large = _seconds(is_contact_line, "a." * 100_000)
    # 10x the text: linear is ~10x the time, quadratic ~100x; margins absorb a busy CPU.
    assert large < 5.0 and large < 40 * small + 0.5
