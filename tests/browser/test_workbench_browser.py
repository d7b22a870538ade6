"""The researcher's workbench in real headless Chromium, the network closed but loopback.

A [n] marker click lands on its source card; the viewer shows a text publication with
the cited span highlighted and scrolled into view, and a PDF's cited page as an image
with the quoted line boxed; /docs and /redoc render their operations from local files.
Every request the browser makes to a host other than 127.0.0.1 is refused and recorded,
and each test asserts there were none.
"""

from __future__ import annotations

import importlib.util
import json
import shutil
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest

ROOT = Path(__file__).resolve().parents[2]
QUESTION = "which cities are high-tech innovators?"

_spec = importlib.util.spec_from_file_location(
    "page_image_pdfs", ROOT / "tests" / "ingest" / "test_page_image.py"
)
assert _spec is not None and _spec.loader is not None
pdfs = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(pdfs)

pytestmark = [pytest.mark.browser, pytest.mark.model]  # skipped without Chromium (conftest)


def _get(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=30) as response:  # noqa: S310 - loopback
        return json.loads(response.read())


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory, harness: Any) -> Iterator[dict[str, str]]:
    """{"api": url, "ui": url} over the bundled corpus plus a two-page PDF."""
    tmp = tmp_path_factory.mktemp("workbench")
    corpus = tmp / "corpus"
    shutil.copytree(ROOT / "corpus", corpus, ignore=shutil.ignore_patterns("uploads"))
    pdfs.write_pdf(corpus / "strength-report.pdf", [pdfs.PAGE_1 * 4, pdfs.PAGE_2])
    env = harness.child_env(tmp / "data")
    harness.ingest(corpus, env)
    with harness.api_and_ui(tmp, env) as (api, ui):
        yield {"api": api, "ui": ui}


@pytest.fixture
def page(browser: Any, harness: Any) -> Iterator[Any]:
    """A page whose requests to anything but 127.0.0.1 are refused (and listed in
    ``page.outside``)."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    outside = harness.only_loopback(context)
    tab = context.new_page()
    tab.outside = outside
    try:
        yield tab
    finally:
        assert not outside, f"the page tried to reach outside hosts: {outside[:5]}"
        context.close()


def _settled(page: Any) -> None:
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=60_000
    )


def _doc(api: str, kind: str) -> dict:
    docs = _get(f"{api}/documents")["documents"]
    summary = next(d for d in docs if d["kind"] == kind)
    return _get(f"{api}/documents/{summary['doc_id']}")


def test_a_marker_click_lands_on_its_card(servers: dict[str, str], page: Any) -> None:
    page.goto(servers["ui"], wait_until="domcontentloaded")
    box = page.locator('[data-testid="stChatInput"] textarea')
    box.wait_for(state="visible", timeout=60_000)
    box.fill(QUESTION)
    counter = page.locator('[data-testid="stChatInput"] [data-testid="InputInstructions"]')
    assert f"{len(QUESTION)}/1000" in counter.inner_text().replace(",", "")
    box.press("Enter")
    marker = page.locator("a.citation").first
    marker.wait_for(timeout=120_000)
    _settled(page)
    anchor = marker.get_attribute("href")
    assert anchor and anchor.startswith("#source-0-")
    hover = marker.get_attribute("title") or ""
    title, _, quoted = hover.partition(": “")  # "Title[, p. 3]: “quote”"
    assert title and quoted.endswith("”"), hover
    page.evaluate("() => document.querySelectorAll('.stMain').forEach(e => e.scrollTo(0, 0))")
    target = page.locator(f"[id='{anchor[1:]}']")
    card = page.locator(f"[data-testid='stElementContainer']:has([id='{anchor[1:]}']) + * "
                        "[data-testid='stExpander']").first  # fmt: skip
    page.set_viewport_size({"width": 1280, "height": 600})
    marker.scroll_into_view_if_needed()
    before = target.evaluate("el => el.getBoundingClientRect().top")
    marker.click()
    # The link scrolls the card's anchor to the top of the window.
    landed = f"""() => {{
        const top = document.getElementById({json.dumps(anchor[1:])}).getBoundingClientRect().top;
        return location.hash === {json.dumps(anchor)} && top >= 0 && top < 120;
    }}"""
    try:
        page.wait_for_function(landed, timeout=5_000)
    except Exception as exc:  # playwright's TimeoutError: say where it went instead
        top = target.evaluate("el => el.getBoundingClientRect().top")
        raise AssertionError(f"the card's anchor went from {before}px to {top}px") from exc
    # The card it lands on is open and highlights the quote the marker's hover names.
    assert card.locator("mark").first.is_visible()
    quote = card.locator("mark").first.inner_text()[:40]
    assert quote and quote.split()[0] in hover


def test_the_viewer_highlights_the_span_in_a_text_publication(
    servers: dict[str, str], page: Any
) -> None:
    docs = _get(f"{servers['api']}/documents")["documents"]
    texts = [_get(f"{servers['api']}/documents/{d['doc_id']}") for d in docs if d["kind"] == "text"]
    doc = max(texts, key=lambda d: len(d["text"]))
    start = doc["text"].index(" ", int(len(doc["text"]) * 0.85)) + 1  # far down: needs a scroll
    quote = doc["text"][start : doc["text"].index(" ", start + 30)]
    query = urlencode({"doc": doc["doc_id"], "start": start, "end": start + len(quote)})
    page.goto(f"{servers['ui']}/Source?{query}", wait_until="domcontentloaded")
    frame = page.frame_locator("iframe").first
    mark = frame.locator("mark").first
    mark.wait_for(timeout=60_000)
    assert " ".join(mark.inner_text().split()) == " ".join(quote.split())
    where = mark.evaluate(
        "el => [el.getBoundingClientRect().top, window.innerHeight, window.scrollY]"
    )
    top, height, scrolled = where
    assert 0 <= top < height, where  # in view inside the document frame
    assert scrolled > 0, where  # it had to scroll to get there


YELLOW_ROWS_JS = """async (img) => {
  await img.decode();
  const c = document.createElement('canvas');
  c.width = img.naturalWidth; c.height = img.naturalHeight;
  const g = c.getContext('2d'); g.drawImage(img, 0, 0);
  const d = g.getImageData(0, 0, c.width, c.height).data;
  let n = 0, sumY = 0;
  for (let i = 0; i < d.length; i += 4) {
    if (d[i] > 200 && d[i + 1] > 170 && d[i + 2] < 190) { n++; sumY += (i / 4 / c.width) | 0; }
  }
  return [n, n ? sumY / n / c.height : -1];
}"""


def test_the_viewer_shows_the_cited_pdf_page_with_the_quote_boxed(
    servers: dict[str, str], page: Any
) -> None:
    doc = _doc(servers["api"], "pdf")
    start = doc["text"].index("The strength of business")
    end = doc["text"].index("city to city", start) + len("city to city")
    assert [p for p, a, b in doc["page_spans"] if a <= start < b] == [2]
    query = urlencode({"doc": doc["doc_id"], "start": start, "end": end})
    page.goto(f"{servers['ui']}/Source?{query}", wait_until="domcontentloaded")
    image = page.locator('[data-testid="stImage"] img').first
    image.wait_for(timeout=60_000)
    assert "Page 2 of 2" in page.inner_text("body")
    yellow, centre = image.evaluate(YELLOW_ROWS_JS)
    assert yellow > 2000, yellow
    line = (842 - (pdfs.TOP - pdfs.STEP)) / 842  # the quoted (second) line, from the top
    assert abs(centre - line) < 0.02, (centre, line)
    link = page.get_by_role("link", name="Open the original at page 2")
    assert (link.get_attribute("href") or "").endswith("/file#page=2")


@pytest.mark.parametrize(("path", "selector"), [
    ("/docs", ".opblock-summary-path"), ("/redoc", "[data-section-id^='tag/']"),
])  # fmt: skip
def test_api_docs_render_their_operations_offline(
    servers: dict[str, str], page: Any, path: str, selector: str
) -> None:
    page.goto(servers["api"] + path, wait_until="domcontentloaded")
    page.locator(selector).first.wait_for(timeout=60_000)
    text = page.inner_text("body")
    for operation in ("/ask", "/search", "/documents"):
        assert operation in text, (operation, text[:2000])
