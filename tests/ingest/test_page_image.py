"""A cited PDF page rendered with the quote's region highlighted (ingest.page_image)."""

from __future__ import annotations

import importlib.util
from io import BytesIO
from pathlib import Path

import pytest
from PIL import Image

from ingest.page_image import MAX_SIDE_PX, locate, render_page
from rag.errors import CorruptFile, NotFound

_spec = importlib.util.spec_from_file_location(
    "pdf_lines", Path(__file__).resolve().parents[1] / "pdf_lines.py"
)
assert _spec is not None and _spec.loader is not None
pdf_lines = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(pdf_lines)

PAGE_1 = ["Cities outside London are at risk of being left behind by the recovery."]
PAGE_2 = [
    "An introduction that is not quoted at all.",
    "The strength of business and high-tech manufacturing varies from city to city.",
    "A closing line that is not quoted either.",
]
QUOTE = "The strength of business and high-tech manufacturing varies from city to city."
TOP, STEP, SIZE = 780.0, 24.0, 12


def write_pdf(path: Path, pages: list[list[str]], size: tuple[int, int] = (595, 842)) -> Path:
    """A PDF with one Helvetica line per string, from ``TOP`` down in ``STEP`` points.
    (Also loaded by path from the page-image route and browser tests.)"""
    lines = [[(SIZE, line) for line in page] for page in pages]
    return pdf_lines.write_pages(path, lines, page=size, top=TOP, leading=STEP / SIZE)


@pytest.fixture
def pdf(tmp_path: Path) -> Path:
    return write_pdf(tmp_path / "report.pdf", [PAGE_1, PAGE_2])


def _yellow(image: Image.Image, box: tuple[int, int, int, int]) -> float:
    """Share of the box's pixels that are highlighter-yellow (red, green high; blue low)."""
    crop = image.convert("RGB").crop(box)
    pixels = [crop.getpixel((x, y)) for x in range(crop.width) for y in range(crop.height)]
    return sum(1 for r, g, b in pixels if r > 200 and g > 170 and b < 190) / len(pixels)


def test_the_quote_is_boxed_on_its_line_of_the_right_page(pdf: Path) -> None:
    shown = render_page(pdf, 2, QUOTE, width=1000)
    image = Image.open(BytesIO(shown.png))
    assert (image.width, image.height) == (shown.width, shown.height)
    assert image.width == 1000 and abs(image.height - 1415) <= 1
    assert len(shown.boxes) == 1
    left, top, right, bottom = shown.boxes[0]
    scale = 1000 / 595
    baseline = (842 - (TOP - STEP)) * scale  # the quoted line is the second one
    assert top < baseline < bottom + 3 * scale and bottom - top < 2 * SIZE * scale
    assert left == pytest.approx(56 * scale, abs=4) and right > 500
    assert _yellow(image, shown.boxes[0]) > 0.5
    # Nothing else is yellow: the first line (above the box) is not highlighted.
    first_line = (left, int(top - STEP * scale), right, int(top - 2))
    assert _yellow(image, first_line) < 0.01


def test_spacing_hyphens_and_case_do_not_hide_the_quote(pdf: Path) -> None:
    shown = render_page(pdf, 2, "the strength of business and hightech\nmanufacturing", 800)
    assert len(shown.boxes) == 1


def test_a_quote_from_another_page_marks_nothing(pdf: Path) -> None:
    shown = render_page(pdf, 1, QUOTE, width=600)
    assert shown.boxes == [] and shown.width == 600
    assert render_page(pdf, 2, None).boxes == []


def test_a_partly_changed_quote_marks_the_part_found() -> None:
    page = "Intro. The strength of business and high-tech manufacturing varies. End."
    start, end = locate(page, "The strength of business and high-tech manufacturing differs")
    assert page[start:end] == "The strength of business and high-tech manufacturing"
    assert locate(page, "Nothing like this is on the page at all, nowhere") is None
    assert locate(page, "") is None


def test_a_missing_page_and_a_damaged_file_are_clear_errors(pdf: Path, tmp_path: Path) -> None:
    with pytest.raises(NotFound, match="report.pdf has 2 page"):
        render_page(pdf, 3, QUOTE)
    bad = tmp_path / "bad.pdf"
    bad.write_bytes(b"%PDF-1.4 not really")
    with pytest.raises(CorruptFile, match="bad.pdf"):
        render_page(bad, 1, QUOTE)


def test_an_absurdly_tall_page_is_rendered_within_bounds(tmp_path: Path) -> None:
    tall = write_pdf(tmp_path / "tall.pdf", [PAGE_1], size=(10, 14_000))
    shown = render_page(tall, 1, None, width=2000)
    assert max(shown.width, shown.height) <= MAX_SIDE_PX
