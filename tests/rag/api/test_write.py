"""Write endpoints: the API key, uploads, delete and reindex, and reads during writes."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from rag.api import create_app
from rag.service import Service

NEW_DOC = b"""Apprenticeships in advanced manufacturing

Zebrafish engineering apprenticeships in Sunderland doubled between 2010 and 2014.
Employers said the apprentices stayed longer than graduate recruits.
"""


def upload(client: TestClient, files: list[tuple[str, bytes]], headers: dict | None = None,
           metadata: dict | None = None):  # noqa: ANN201 - an httpx.Response
    parts = [("files", (name, data, "text/plain")) for name, data in files]
    data = {"metadata": json.dumps(metadata)} if metadata is not None else None
    return client.post("/documents", files=parts, data=data, headers=headers or {})


def top_titles(client: TestClient, query: str) -> list[str]:
    results = client.post("/search", json={"query": query, "k": 5}).json()["results"]
    return [r["title"] for r in results]


WRITES = [
    ("POST", "/documents"),
    ("DELETE", "/documents/anything"),
    ("POST", "/reindex"),
]


@pytest.mark.parametrize(("method", "path"), WRITES)
@pytest.mark.parametrize(
    ("headers", "needle"),
    [({}, "needs an API key"), ({"X-API-Key": "wrong"}, "does not match")],
)
def test_writes_need_the_right_key(
    client: TestClient, method: str, path: str, headers: dict, needle: str
) -> None:
    files = [("files", ("a.txt", b"hello", "text/plain"))] if path == "/documents" else None
    response = client.request(method, path, headers=headers, files=files)
    assert response.status_code == 401
    assert needle in response.json()["detail"]


@pytest.mark.parametrize(("method", "path"), WRITES)
def test_writes_disabled_without_a_configured_key(
    service: Service, method: str, path: str
) -> None:
    settings = service.settings.model_copy(deep=True)
    settings.api.api_key = None
    with TestClient(create_app(settings, service)) as client:
        response = client.request(method, path, headers={"X-API-Key": "anything"})
    assert response.status_code == 403
    assert "RAG_API__API_KEY" in response.json()["detail"]


def test_upload_is_searchable_at_once_then_delete_removes_it(
    client: TestClient, auth: dict, corpus: Path
) -> None:
    assert "Sunderland apprentices" not in top_titles(client, "zebrafish apprenticeships")
    meta = {"title": "Sunderland apprentices", "date": "2014-05-01", "authors": ["A. Writer"],
            "publisher": "The Work Foundation", "doc_type": "report"}
    response = upload(client, [("apprentices.txt", NEW_DOC)], auth, metadata=meta)
    assert response.status_code == 200
    [outcome] = response.json()["files"]
    assert outcome["status"] == "added" and outcome["path"] == "uploads/apprentices.txt"
    stored = corpus / "uploads" / "apprentices.txt"
    assert stored.read_bytes() == NEW_DOC
    sidecar = json.loads((corpus / "uploads" / "apprentices.txt.meta.json").read_text())
    assert sidecar["date"] == "2014-05-01"

    assert top_titles(client, "zebrafish apprenticeships")[0] == "Sunderland apprentices"
    doc = client.get(f"/documents/{outcome['doc_id']}").json()
    assert doc["authors"] == ["A. Writer"] and doc["doc_type"] == "report"
    assert client.get("/health").json()["documents"] == 4

    again = upload(client, [("apprentices.txt", NEW_DOC)], auth).json()["files"][0]
    assert again["status"] == "unchanged" and again["doc_id"] == outcome["doc_id"]
    changed = upload(client, [("apprentices.txt", NEW_DOC + b"More text.\n")], auth)
    assert changed.json()["files"][0]["status"] == "updated"

    response = client.delete(f"/documents/{outcome['doc_id']}", headers=auth)
    assert response.status_code == 200 and response.json()["title"] == "Sunderland apprentices"
    assert "Sunderland apprentices" not in top_titles(client, "zebrafish apprenticeships")
    assert not stored.exists() and not list((corpus / "uploads").iterdir())
    assert client.get(f"/documents/{outcome['doc_id']}").status_code == 404
    assert client.delete(f"/documents/{outcome['doc_id']}", headers=auth).status_code == 404


def test_upload_too_large_is_413_and_stores_nothing(
    service: Service, auth: dict, corpus: Path
) -> None:
    settings = service.settings.model_copy(deep=True)
    settings.api.max_upload_mb = 0.0001  # 100 bytes
    with TestClient(create_app(settings, service)) as client:
        response = upload(client, [("big.txt", b"word " * 100)], auth)
        assert response.status_code == 413
        assert "big.txt: larger than the 0.0001 MB upload limit" in response.json()["detail"]
        # Far over every file's limit: refused before the body is read.
        response = upload(client, [("huge.txt", b"x" * 5_000_000)], auth)
        assert response.status_code == 413
    assert not list((corpus / "uploads").iterdir())


def test_unsupported_and_failing_files_are_reported_not_stored(
    client: TestClient, auth: dict, corpus: Path
) -> None:
    response = upload(
        client, [("notes.docx", b"PK..."), ("empty.txt", b""), ("ok.txt", NEW_DOC)], auth
    )
    assert response.status_code == 200
    outcomes = {o["path"]: o for o in response.json()["files"]}
    assert outcomes["notes.docx"]["status"] == "failed"
    assert "supported: .pdf" in outcomes["notes.docx"]["reason"]
    assert outcomes["uploads/empty.txt"]["status"] == "failed"
    assert "empty" in outcomes["uploads/empty.txt"]["reason"]
    assert outcomes["uploads/ok.txt"]["status"] == "added"
    assert sorted(p.name for p in (corpus / "uploads").iterdir()) == ["ok.txt"]


def test_a_failed_replacement_keeps_the_old_file(
    client: TestClient, auth: dict, corpus: Path
) -> None:
    upload(client, [("keep.txt", NEW_DOC)], auth, metadata={"title": "Kept"})
    response = upload(client, [("keep.txt", b"")], auth, metadata={"title": "Replaced"})
    assert response.json()["files"][0]["status"] == "failed"
    assert (corpus / "uploads" / "keep.txt").read_bytes() == NEW_DOC
    sidecar = json.loads((corpus / "uploads" / "keep.txt.meta.json").read_text())
    assert sidecar == {"title": "Kept"}
    assert top_titles(client, "zebrafish apprenticeships")[0] == "Kept"
    assert sorted(p.name for p in (corpus / "uploads").iterdir()) == [
        "keep.txt", "keep.txt.meta.json"
    ]


@pytest.mark.parametrize(
    ("name", "stored"),
    [
        ("../../etc/passwd.txt", "passwd.txt"),
        ("..\\..\\windows\\evil.md", "evil.md"),
        (".hidden.txt", "hidden.txt"),
        ("my report (final)..txt", "my_report_final_.txt"),
    ],
)
def test_upload_names_are_sanitised_into_uploads(
    client: TestClient, auth: dict, tmp_path: Path, name: str, stored: str
) -> None:
    before = {p for p in tmp_path.rglob("*") if "data" not in p.parts}
    response = upload(client, [(name, NEW_DOC)], auth)
    assert response.json()["files"][0] == {
        **response.json()["files"][0], "path": f"uploads/{stored}", "status": "added"
    }
    after = {p for p in tmp_path.rglob("*") if "data" not in p.parts}
    assert after - before == {tmp_path / "corpus" / "uploads", tmp_path / "corpus/uploads" / stored}


@pytest.mark.parametrize(
    "metadata",
    ['{"title": ""}', '{"date": "7 Dec 2011"}', '{"colour": "red"}', "[1]", "{not json"],
)
def test_bad_metadata_is_400(client: TestClient, auth: dict, metadata: str) -> None:
    files = [("files", ("m.txt", NEW_DOC, "text/plain"))]
    response = client.post("/documents", files=files, data={"metadata": metadata}, headers=auth)
    assert response.status_code == 400
    assert response.json()["detail"].startswith("metadata: must be a JSON object")


def test_delete_never_touches_files_outside_the_corpus(
    client: TestClient, service: Service, auth: dict, tmp_path: Path
) -> None:
    outside = tmp_path / "elsewhere" / "outside.txt"
    outside.parent.mkdir()
    outside.write_bytes(NEW_DOC)
    service.ingest([outside])
    doc_id = next(
        d["doc_id"] for d in client.get("/documents").json()["documents"]
        if d["source"].endswith("outside.txt")
    )
    assert client.delete(f"/documents/{doc_id}", headers=auth).status_code == 200
    assert outside.read_bytes() == NEW_DOC
    assert client.get("/health").json()["documents"] == 3


def test_reindex_follows_the_corpus_folder(client: TestClient, auth: dict, corpus: Path) -> None:
    (corpus / "added-directly.txt").write_bytes(NEW_DOC)
    (corpus / "flexible-working.txt").unlink()
    response = client.post("/reindex", headers=auth)
    assert response.status_code == 200
    summary = response.json()
    assert [Path(p).name for p in summary["added"]] == ["added-directly.txt"]
    assert [Path(p).name for p in summary["removed"]] == ["flexible-working.txt"]
    assert len(summary["unchanged"]) == 2
    assert client.get("/health").json()["documents"] == 3


def test_searches_never_fail_during_uploads(client: TestClient, auth: dict) -> None:
    errors: list[str] = []
    searches = 0
    stop = threading.Event()

    def search_forever() -> None:
        nonlocal searches
        while not stop.is_set():
            r = client.post("/search", json={"query": "innovative cities apprenticeships"})
            searches += 1
            if r.status_code != 200 or not r.json()["results"]:
                errors.append(f"{r.status_code}: {r.text[:200]}")

    threads = [threading.Thread(target=search_forever) for _ in range(3)]
    for t in threads:
        t.start()
    try:
        for i in range(6):
            body = NEW_DOC + f"\nEdition {i}.\n".encode()
            response = upload(client, [(f"edition-{i % 3}.txt", body)], auth)
            assert response.status_code == 200, response.text
            assert response.json()["files"][0]["status"] in {"added", "updated"}
    finally:
        stop.set()
        for t in threads:
            t.join()
    assert errors == [] and searches > 6
    assert client.get("/health").json()["documents"] == 6


SHARED_PDFS = Path(__file__).resolve().parents[4] / "shared" / "data" / "pdfs"


@pytest.mark.skipif(
    not (SHARED_PDFS / "good").is_dir(), reason=f"real PDFs not found at {SHARED_PDFS}"
)
def test_a_real_pdf_upload_is_searchable_with_pages_then_deleted(
    client: TestClient, auth: dict, corpus: Path
) -> None:
    """The issue's workflow with a real file: upload a PDF, find it (with its page) without
    a restart, delete it, and it is gone from results and from the corpus folder."""
    pdf = (SHARED_PDFS / "good" / "pdflatex-4-pages.pdf").read_bytes()
    query = "Huardest gefburn blind text selected font"
    before = client.post("/search", json={"query": query, "k": 5}).json()["results"]
    assert not any(r["source"].endswith("pdflatex-4-pages.pdf") for r in before)
    parts = [("files", ("pdflatex-4-pages.pdf", pdf, "application/pdf"))]
    response = client.post("/documents", files=parts, headers=auth)
    assert response.status_code == 200
    [outcome] = response.json()["files"]
    assert outcome["status"] == "added", outcome
    results = client.post("/search", json={"query": query, "k": 5}).json()["results"]
    mine = [r for r in results if r["source"].endswith("pdflatex-4-pages.pdf")]
    assert mine and all(1 <= r["page"] <= 4 for r in mine)
    assert (corpus / "uploads" / "pdflatex-4-pages.pdf").read_bytes() == pdf
    original = client.get(f"/documents/{outcome['doc_id']}/file")
    assert original.status_code == 200 and original.content == pdf
    assert client.delete(f"/documents/{outcome['doc_id']}", headers=auth).status_code == 200
    after = client.post("/search", json={"query": query, "k": 5}).json()["results"]
    assert not any(r["source"].endswith("pdflatex-4-pages.pdf") for r in after)
    assert not (corpus / "uploads" / "pdflatex-4-pages.pdf").exists()
