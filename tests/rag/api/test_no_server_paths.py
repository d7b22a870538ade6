"""No reply names a server path (issue 11, item 6): sources, upload and re-index
outcomes and error messages name files relative to the corpus folder; the absolute
paths stay in the log."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from rag.api import create_app
from rag.service import Service
from rag.settings import Settings

ROOT = Path(__file__).resolve().parents[3]
KEY = "test-key-0123456789"
AUTH = {"X-API-Key": KEY}
UPLOAD = b"Pay and hours\n\nFlexible hours matter more to part-time workers than pay.\n"


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[TestClient, Service, str]]:
    corpus = tmp_path / "srv" / "corpus"
    corpus.mkdir(parents=True)
    for f in sorted((ROOT / "corpus").glob("*.txt")):
        shutil.copy(f, corpus / f.name)
    settings = Settings(
        embedding={"backend": "hash"},
        answer={"reader": "lexical"},
        data_dir=tmp_path / "srv" / "data",
        corpus_dir=corpus,
        api={"api_key": KEY},
    )
    service = Service(settings)
    service.ingest([corpus])
    with TestClient(create_app(settings, service)) as client:
        yield client, service, str(tmp_path)


def test_sources_and_outcomes_are_relative_to_the_corpus_folder(
    server: tuple[TestClient, Service, str],
) -> None:
    client, _, secret = server
    bodies = []
    listing = client.get("/documents").json()
    assert sorted(d["source"] for d in listing["documents"]) == [
        "local-innovation-and-freedom-2012-07-05.txt",
        "streets-ahead-press-release-2011-12-07.txt",
    ]
    up = client.post("/documents", headers=AUTH, files=[("files", ("pay.txt", UPLOAD))])
    assert up.json()["files"][0]["path"] == "uploads/pay.txt"
    doc_id = up.json()["files"][0]["doc_id"]
    assert client.get(f"/documents/{doc_id}").json()["source"] == "uploads/pay.txt"
    bodies += [listing, up.text, client.get(f"/documents/{doc_id}").text]
    bodies.append(client.post("/search", json={"query": "flexible hours pay"}).text)
    bodies.append(client.post("/ask", json={"question": "What do part-time workers value?"}).text)
    bodies.append(client.post("/reindex", headers=AUTH).text)
    bodies.append(client.delete(f"/documents/{doc_id}", headers=AUTH).text)
    assert all(secret not in str(b) for b in bodies), [b for b in bodies if secret in str(b)]


def test_error_messages_name_no_server_path(
    server: tuple[TestClient, Service, str], caplog: pytest.LogCaptureFixture
) -> None:
    client, service, secret = server
    doc_id = client.get("/documents").json()["documents"][0]["doc_id"]
    Path(service.snapshot().document(doc_id).path).unlink()
    gone = client.get(f"/documents/{doc_id}/file")
    assert gone.status_code == 404 and secret not in gone.text
    with service.store.writer(service.fingerprint, service.embedder.dim):  # another writer
        busy = client.post("/reindex", headers=AUTH)
    assert busy.status_code == 409 and secret not in busy.text
    assert secret in caplog.text  # the operator's log has the folder
    shutil.rmtree(service.store.root)
    service._snapshot = None
    missing = client.post("/search", json={"query": "pay"})
    assert missing.status_code == 503 and secret not in missing.text
