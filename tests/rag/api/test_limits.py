"""Hostile bodies are refused cheaply: before they are read, parsed or echoed back.

Limits are configured small here, so no test needs a large body to prove them.
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

from fastapi.testclient import TestClient

from rag.api import create_app
from rag.schemas import MAX_DOC_IDS, MAX_MESSAGE_CHARS
from rag.service import Service

from .conftest import API_KEY


def raw_post(app: Any, path: str, headers: dict[str, str], length: int) -> tuple[int, int]:
    """POST straight to the ASGI app, announcing ``length`` bytes of body but sending none
    unless asked: (status, how many times the app read the body)."""
    reads = 0
    status = 0

    async def receive() -> dict[str, Any]:
        nonlocal reads
        reads += 1
        return {"type": "http.request", "body": b"x" * min(length, 1 << 16), "more_body": True}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [
            (k.lower().encode(), v.encode())
            for k, v in {**headers, "content-length": str(length)}.items()
        ],
        "client": ("127.0.0.1", 5000),
        "server": ("testserver", 80),
    }
    asyncio.run(app(scope, receive, send))
    return status, reads


def test_upload_without_the_key_is_refused_before_the_body_is_read(service: Service) -> None:
    app = create_app(service.settings, service)
    multipart = {"content-type": "multipart/form-data; boundary=xyz"}
    # Past the limit too: the 401 may be answered as the 413 it also is.
    status, reads = raw_post(app, "/documents", multipart, 300_000_000)
    assert status in (401, 413) and reads == 0
    status, reads = raw_post(app, "/documents", multipart, 10_000)
    assert (status, reads) == (401, 0)
    status, reads = raw_post(app, "/documents", {**multipart, "x-api-key": "wrong"}, 10_000)
    assert (status, reads) == (401, 0)


def test_an_over_long_upload_is_refused_from_its_content_length(service: Service) -> None:
    settings = service.settings.model_copy(deep=True)
    settings.api.max_upload_mb = 1.0
    app = create_app(settings, service)
    headers = {"content-type": "multipart/form-data; boundary=xyz", "x-api-key": API_KEY}
    status, reads = raw_post(app, "/documents", headers, 1_200_000)
    assert (status, reads) == (413, 0)


def test_json_bodies_over_the_limit_are_refused_before_parsing(service: Service) -> None:
    settings = service.settings.model_copy(deep=True)
    settings.api.max_body_kb = 2
    app = create_app(settings, service)
    status, reads = raw_post(app, "/search", {"content-type": "application/json"}, 3_000)
    assert (status, reads) == (413, 0)
    with TestClient(app) as client:
        body = {"query": "cities", "filters": {"author": "x" * 100}, "k": 3}
        assert client.post("/search", json=body).status_code == 200
        body["filters"] = {"doc_ids": ["d" * 50] * 60}  # about 3 KB
        assert client.post("/search", json=body).status_code == 413


def test_a_megabyte_of_history_is_refused_at_once(client: TestClient) -> None:
    history = [{"role": "user", "content": "word " * 800}] * 250  # about 1 MB
    body = json.dumps({"question": "and it?", "history": history})
    assert len(body) > 1_000_000
    start = time.perf_counter()
    response = client.post("/ask", content=body, headers={"content-type": "application/json"})
    assert response.status_code == 413
    assert time.perf_counter() - start < 0.1


def test_history_messages_are_capped_and_422_does_not_echo_them(client: TestClient) -> None:
    long = "innovation " * (MAX_MESSAGE_CHARS // 10)
    response = client.post(
        "/ask", json={"question": "and it?", "history": [{"role": "user", "content": long}]}
    )
    assert response.status_code == 422
    assert len(response.text) < 2_000
    ok = client.post(
        "/ask",
        json={"question": "and it?", "history": [{"role": "user", "content": long[:3_000]}]},
    )
    assert ok.status_code == 200
    rewritten = ok.json()["rewritten_query"] or ""
    assert len(rewritten) < 500


def test_a_query_past_the_schema_cap_is_422_without_an_echo(client: TestClient) -> None:
    response = client.post("/search", json={"query": "q" * 50_000})
    assert response.status_code == 422
    assert len(response.text) < 2_000


def test_doc_id_filters_are_bounded(client: TestClient) -> None:
    many = [f"doc-{i}" for i in range(MAX_DOC_IDS + 1)]
    response = client.post("/search", json={"query": "cities", "filters": {"doc_ids": many}})
    assert response.status_code == 422
    assert len(response.text) < 2_000
    response = client.post(
        "/search", json={"query": "cities", "filters": {"doc_ids": many[:MAX_DOC_IDS]}}
    )
    assert response.status_code == 200 and response.json()["results"] == []
