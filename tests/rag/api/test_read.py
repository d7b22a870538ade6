"""The open endpoints: /health, /search, /documents, and how errors reach clients."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from rag.api import create_app
from rag.service import Service
from rag.settings import Settings


def test_health_reports_the_index(client: TestClient) -> None:
    body = client.get("/health").json()
    assert body["status"] == "ok"
    assert body["documents"] == 3 and body["chunks"] > 3
    assert body["model"] == "hash-bow-384"
    assert body["fingerprint"]["embedder"] == "hash-bow-384"
    assert body["generator"] == "extractive" and body["generators"] == ["extractive"]
    assert body["reader_runtime"] is None  # the fake answerer here reads with no model


def test_health_names_what_the_reader_runs_on(tmp_path: Path, make_settings) -> None:
    """An operator sees on /health when the reader fell back to torch (the log says why)."""
    from rag.answer import Answerer
    from rag.reader.reader import LexicalReader

    class FellBack(LexicalReader):
        runtime = "torch"

    settings = make_settings(tmp_path)
    service = Service(settings, answerer=Answerer(settings, reader=FellBack()))
    with TestClient(create_app(settings, service)) as client:
        assert client.get("/health").json()["reader_runtime"] == "torch"
    lexical = Service(settings, answerer=Answerer(settings, reader=LexicalReader()))
    with TestClient(create_app(settings, lexical)) as client:
        assert client.get("/health").json()["reader_runtime"] is None


def test_health_without_an_index_is_not_an_error(tmp_path: Path, make_settings) -> None:
    settings = make_settings(tmp_path)
    settings.answer.generator = "openai"
    with TestClient(create_app(settings)) as client:  # the service is built lazily
        response = client.get("/health")
        assert response.status_code == 200
        assert response.json() == {
            "status": "no-index", "fingerprint": None, "documents": 0, "chunks": 0,
            "model": "hash-bow-384", "generator": "openai", "generators": ["extractive", "openai"],
            "reader": "model", "reader_runtime": "onnxruntime",
            "max_question_chars": settings.api.max_query_chars,
        }
        # Reads that need an index say how to build one.
        response = client.post("/search", json={"query": "cities"})
        assert response.status_code == 503
        assert "rag ingest" in response.json()["detail"]


def test_service_is_built_once(tmp_path: Path, make_settings) -> None:
    app = create_app(make_settings(tmp_path))
    with TestClient(app) as client:
        client.get("/health")
        first = app.state.service
        client.get("/health")
        assert isinstance(first, Service) and app.state.service is first


def test_search_finds_passages_whose_offsets_slice_the_document(client: TestClient) -> None:
    response = client.post("/search", json={"query": "which cities are innovative?", "k": 3})
    assert response.status_code == 200
    results = response.json()["results"]
    assert 1 <= len(results) <= 3
    assert [r["rank"] for r in results] == list(range(1, len(results) + 1))
    top = results[0]
    text = client.get(f"/documents/{top['doc_id']}").json()["text"]
    assert text[top["char_start"]:top["char_end"]] == top["text"]


def test_search_filters(client: TestClient) -> None:
    body = {"query": "flexible working productivity", "filters": {"author": "crowley"}}
    results = client.post("/search", json=body).json()["results"]
    assert results and all("Lizzie Crowley" in r["authors"] for r in results)


@pytest.mark.parametrize(
    ("body", "status", "needle"),
    [
        ({"query": ""}, 422, "query"),
        ({"query": " \n "}, 422, "query"),
        ({"query": "x" * 1001}, 400, "at most 1000 characters"),
        ({"query": "cities", "k": 0}, 422, "k"),
        ({"query": "cities", "k": 51}, 400, "k: at most 50"),
        ({"query": "cities", "filters": {"colour": "red"}}, 422, "colour"),
        ({"query": "cities", "filters": {"kind": "docx"}}, 422, "kind"),
        ({"query": "cities", "extra": 1}, 422, "extra"),
        ({}, 422, "query"),
    ],
)
def test_search_bounds(client: TestClient, body: dict, status: int, needle: str) -> None:
    response = client.post("/search", json=body)
    assert response.status_code == status
    assert needle in str(response.json()["detail"])


def test_list_documents_and_page_through(client: TestClient) -> None:
    body = client.get("/documents").json()
    assert body["total"] == 3
    first = body["documents"][0]
    assert set(first) == {
        "doc_id", "title", "source", "date", "authors", "publisher", "kind", "doc_type",
        "pages", "chunks", "url", "fields_from",
    }
    assert first["date"] == "2012-07-05"  # newest first
    assert first["fields_from"]["title"] == "sidecar"  # the seeds carry .meta.json files
    assert first["authors"] == ["Dr Neil Lee"] and first["doc_type"] == "blog post"
    page = client.get("/documents", params={"offset": 1, "limit": 1}).json()
    assert page["total"] == 3 and page["documents"] == [body["documents"][1]]
    assert client.get("/documents", params={"limit": 0}).status_code == 422
    assert client.get("/documents", params={"offset": -1}).status_code == 422


def test_document_detail_and_file(client: TestClient, corpus: Path, doc_id_of) -> None:
    name = "streets-ahead-press-release-2011-12-07.txt"
    doc_id = doc_id_of(client, name)
    detail = client.get(f"/documents/{doc_id}").json()
    assert detail["title"].startswith("Centrally-led growth policy")
    assert "Coventry" in detail["text"] and detail["page_spans"] == []
    response = client.get(f"/documents/{doc_id}/file")
    assert response.status_code == 200
    assert response.content == (corpus / name).read_bytes()
    # Plain text opens in the browser instead of downloading.
    assert response.headers["content-disposition"].startswith("inline;")
    assert response.headers["content-type"] == "text/plain; charset=utf-8"
    (corpus / name).unlink()
    response = client.get(f"/documents/{doc_id}/file")
    assert response.status_code == 404 and "no longer on disk" in response.json()["detail"]


@pytest.mark.parametrize("path", ["/documents/nope", "/documents/nope/file"])
def test_unknown_document_is_404(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 404
    assert "'nope'" in response.json()["detail"]


def test_unexpected_errors_are_a_plain_500(
    settings: Settings, service: Service, monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("secret internals")

    monkeypatch.setattr(service, "search", broken)
    with TestClient(create_app(settings, service), raise_server_exceptions=False) as client:
        response = client.post("/search", json={"query": "cities"})
    assert response.status_code == 500
    assert response.json() == {"detail": "internal error; see the server log"}
    assert "secret internals" not in response.text
    assert "secret internals" in caplog.text


def test_cors_only_when_configured(tmp_path: Path, service: Service) -> None:
    preflight = {"Origin": "http://ui.example", "Access-Control-Request-Method": "POST"}
    with TestClient(create_app(service.settings, service)) as client:
        response = client.options("/search", headers=preflight)
        assert "access-control-allow-origin" not in response.headers
    settings = service.settings.model_copy(deep=True)
    settings.api.cors_origins = ["http://ui.example"]
    with TestClient(create_app(settings, service)) as client:
        response = client.options("/search", headers=preflight)
        assert response.headers["access-control-allow-origin"] == "http://ui.example"


def test_openapi_documents_the_limits_and_examples(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    search = schema["components"]["schemas"]["SearchRequest"]["properties"]
    assert search["query"]["maxLength"] == 1000 and search["k"]["maximum"] == 50
    assert search["query"]["examples"]
    assert schema["components"]["schemas"]["AskRequest"]["properties"]["history"]["maxItems"] == 20
    assert client.get("/docs").status_code == 200


SHARED_PDFS = Path(__file__).resolve().parents[4] / "shared" / "data" / "pdfs" / "good"


def test_originals_open_in_the_browser_except_html(
    client: TestClient, service: Service, corpus: Path, doc_id_of
) -> None:
    (corpus / "notes.html").write_text(
        "<html><head><title>Notes</title></head><body><p>Cities and skills, at length "
        "enough to be a passage of its own.</p></body></html>",
        encoding="utf-8",
    )
    pdf = SHARED_PDFS / "pdflatex-4-pages.pdf"
    if pdf.is_file():
        shutil.copy(pdf, corpus / pdf.name)
    service.ingest([corpus])
    html = client.get(f"/documents/{doc_id_of(client, 'notes.html')}/file")
    assert html.status_code == 200
    assert html.headers["content-disposition"].startswith("attachment;")
    assert html.headers["x-content-type-options"] == "nosniff"
    if pdf.is_file():
        response = client.get(f"/documents/{doc_id_of(client, pdf.name)}/file")
        assert response.headers["content-type"] == "application/pdf"
        assert response.headers["content-disposition"].startswith("inline;")
