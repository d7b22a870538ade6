"""A US securities filing's cover gives its title (registrant, form, period): its largest
print is the regulator's name, and its information dictionary holds an accession number
and the filing agent, who is no author."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from ingest.load import load

COVER = [
    (14, "UNITED STATES"),
    (14, "SECURITIES AND EXCHANGE COMMISSION"),
    (9, "Washington, D.C. 20549"),
    (12, "FORM 10-K"),
    (9, "ANNUAL REPORT PURSUANT TO SECTION 13 OR 15(d) OF THE SECURITIES EXCHANGE ACT OF 1934"),
    (9, "For the fiscal year ended December 31, 2022"),
    (9, "Commission file number 1-442"),
    (11, "THE BOEING COMPANY"),
    (8, "(Exact name of registrant as specified in its charter)"),
    (9, "Delaware 91-0425694"),
]
EDGAR = {
    "/Title": "0000012927-23-000007",
    "/Author": "EDGAR Online, a division of Donnelley Financial Solutions",
}


def _pdf(lines_pdf: Callable[..., Path], path: Path, lines: list, info: dict | None) -> Path:
    """A US-letter cover page, its lines from near the top, 1.8 sizes apart."""
    return lines_pdf(path, lines, info, page=(612, 792), top=750.0, x=40, leading=1.8)


@pytest.mark.parametrize("info", [EDGAR, None], ids=["edgar-info", "no-info"])
def test_a_filing_is_titled_by_its_registrant_form_and_period(
    tmp_path: Path, lines_pdf: Callable[..., Path], info: dict[str, str] | None
) -> None:
    meta = load(_pdf(lines_pdf, tmp_path / "BOEING_2022_10K.pdf", COVER, info)).meta
    assert (meta.title, meta.extra["title_from"]) == (
        "THE BOEING COMPANY, Form 10-K for the fiscal year ended December 31, 2022",
        "first page",
    )
    assert meta.authors == ()  # the filing agent is an organisation


def test_a_quarterly_report_without_the_registrant_caption(
    tmp_path: Path, lines_pdf: Callable[..., Path]
) -> None:
    lines = [
        (14, "SECURITIES AND EXCHANGE COMMISSION"),
        (12, "FORM 10-Q"),
        (9, "For the quarterly period ended July 29, 2023"),
        (9, "Commission File Number: 1-9595"),
        (11, "BEST BUY CO., INC."),
        (9, "Minnesota 41-0907483"),
    ]
    meta = load(_pdf(lines_pdf, tmp_path / "q.pdf", lines, None)).meta
    assert (
        meta.title == "BEST BUY CO., INC., Form 10-Q for the quarterly period ended July 29, 2023"
    )
