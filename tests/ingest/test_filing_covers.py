"""A US securities filing's cover gives its title (registrant, form, period): its largest
print is the regulator's name, and its information dictionary holds an accession number
and the filing agent, who is no author."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest
from pypdf import PdfWriter
from pypdf.generic import DecodedStreamObject, DictionaryObject, NameObject

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


def _pdf(path: Path, lines: Sequence[tuple[float, str]], info: dict[str, str] | None) -> Path:
    writer = PdfWriter()
    page = writer.add_blank_page(612, 792)
    font = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Font"),
            NameObject("/Subtype"): NameObject("/Type1"),
            NameObject("/BaseFont"): NameObject("/Helvetica"),
        }
    )
    fonts = DictionaryObject({NameObject("/F1"): writer._add_object(font)})
    page[NameObject("/Resources")] = DictionaryObject({NameObject("/Font"): fonts})
    ops, y = [], 750.0
    for size, text in lines:
        safe = text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
        ops.append(f"BT /F1 {size} Tf 40 {y} Td ({safe}) Tj ET")
        y -= size * 1.8
    stream = DecodedStreamObject()
    stream.set_data("\n".join(ops).encode("latin-1"))
    page[NameObject("/Contents")] = writer._add_object(stream)
    if info is not None:
        writer.add_metadata(info)
    with path.open("wb") as out:
        writer.write(out)
    return path


@pytest.mark.parametrize("info", [EDGAR, None], ids=["edgar-info", "no-info"])
def test_a_filing_is_titled_by_its_registrant_form_and_period(
    tmp_path: Path, info: dict[str, str] | None
) -> None:
    meta = load(_pdf(tmp_path / "BOEING_2022_10K.pdf", COVER, info)).meta
    assert (meta.title, meta.extra["title_from"]) == (
        "THE BOEING COMPANY, Form 10-K for the fiscal year ended December 31, 2022",
        "first page",
    )
    assert meta.authors == ()  # the filing agent is an organisation


def test_a_quarterly_report_without_the_registrant_caption(tmp_path: Path) -> None:
    lines = [
        (14, "SECURITIES AND EXCHANGE COMMISSION"),
        (12, "FORM 10-Q"),
        (9, "For the quarterly period ended July 29, 2023"),
        (9, "Commission File Number: 1-9595"),
        (11, "BEST BUY CO., INC."),
        (9, "Minnesota 41-0907483"),
    ]
    meta = load(_pdf(tmp_path / "q.pdf", lines, None)).meta
    assert (
        meta.title == "BEST BUY CO., INC., Form 10-Q for the quarterly period ended July 29, 2023"
    )
