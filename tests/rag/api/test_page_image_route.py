"""GET /documents/{id}/pages/{n}/image: a PDF page with the cited span highlighted;
the original opens in place for PDFs and plain text, HTML stays a download."""

from __future__ import annotations

import importlib.util
import shutil
from collections.abc import Iterator
from io import BytesIO
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from PIL import Image

from rag.api import create_app
from rag.service import Service
from rag.settings import Settings

ROOT = Path(__file__).resolve().parents[3]
_spec = importlib.util.spec_from_file_location(
    "page_image_pdfs", ROOT / "tests" / "ingest" / "test_page_image.py"
)
assert _spec is not None and _spec.loader is not None
pdfs = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(pdfs)

HTML = (
    "<html><head><title>Skills</title></head><body><p>"
    + "Skills gaps hold back cities. " * 20
    + "</p></body></html>"
)


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    tmp = tmp_path_factory.mktemp("pages")
    corpus = tmp / "corpus"
    corpus.mkdir()
    pdfs.write_pdf(corpus / "report.pdf", [pdfs.PAGE_1 * 3, pdfs.PAGE_2])
    shutil.copy(ROOT / "corpus" / "streets-ahead-press-release-2011-12-07.txt", corpus)
    (corpus / "skills.html").write_text(HTML, encoding="utf-8")
    settings = Settings(
        embedding={"backend": "hash"}, data_dir=tmp / "data", corpus_dir=corpus,
        answer={"reader": "lexical"},
    )  # fmt: skip
    service = Service(settings)
    summary = service.ingest([corpus])
    assert len(summary.added) == 3, summary.failed
    with TestClient(create_app(settings, service)) as c:
        yield c


def _doc(client: TestClient, kind: str) -> dict:
    docs = client.get("/documents").json()["documents"]
    return next(d for d in docs if d["kind"] == kind)


def _quote_span(client: TestClient) -> tuple[str, int, int]:
    doc = client.get(f"/documents/{_doc(client, 'pdf')['doc_id']}").json()
    start = doc["text"].index("The strength of business")
    return doc["doc_id"], start, doc["text"].index("city to city", start) + len("city to city")


def test_the_cited_page_comes_back_as_a_png_with_the_span_boxed(client: TestClient) -> None:
    doc_id, start, end = _quote_span(client)
    response = client.get(f"/documents/{doc_id}/pages/2/image?start={start}&end={end}&width=600")
    assert response.status_code == 200 and response.headers["content-type"] == "image/png"
    assert response.headers["x-highlight-boxes"] == "1"
    assert Image.open(BytesIO(response.content)).width == 600
    # The same span asked for on page 1 is not there: the page, no box.
    other = client.get(f"/documents/{doc_id}/pages/1/image?start={start}&end={end}")
    assert other.status_code == 200 and other.headers["x-highlight-boxes"] == "0"


def test_bad_page_requests_are_clear_errors(client: TestClient) -> None:
    doc_id, start, end = _quote_span(client)
    missing = client.get(f"/documents/{doc_id}/pages/7/image")
    assert missing.status_code == 404 and "no page 7" in missing.json()["detail"]
    assert client.get(f"/documents/{doc_id}/pages/0/image").status_code == 422
    assert client.get(f"/documents/{doc_id}/pages/1/image?width=99999").status_code == 422
    text_doc = _doc(client, "text")["doc_id"]
    refused = client.get(f"/documents/{text_doc}/pages/1/image")
    assert refused.status_code == 400 and "not a PDF" in refused.json()["detail"]
    assert client.get("/documents/nope/pages/1/image").status_code == 404


@pytest.mark.parametrize(("kind", "disposition"), [
    ("pdf", "inline"), ("text", "inline"), ("html", "attachment"),
])  # fmt: skip
def test_originals_open_in_place_except_html(
    client: TestClient, kind: str, disposition: str
) -> None:
    response = client.get(f"/documents/{_doc(client, kind)['doc_id']}/file")
    assert response.status_code == 200
    assert response.headers["content-disposition"].startswith(disposition)
    assert response.headers["x-content-type-options"] == "nosniff"
