"""RAG_API__READ_KEY: reads stay open by default; when set, every read endpoint needs
it (or the write key) as X-API-Key or as the protocol's Bearer token."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from rag.api import create_app
from rag.service import Service
from rag.settings import Settings

READ_KEY = "read-key-9876543210"
CHAT = {"model": "workfoundation-rag", "messages": [{"role": "user", "content": "cities?"}]}


@pytest.fixture
def guarded(settings: Settings, service: Service) -> Iterator[TestClient]:
    settings.api.read_key = READ_KEY
    with TestClient(create_app(settings, service)) as c:
        yield c


def reads(client: TestClient, doc_id: str) -> list[tuple[str, str, dict[str, Any] | None]]:
    return [
        ("POST", "/search", {"query": "cities"}),
        ("POST", "/ask", {"question": "What makes a city innovative?"}),
        ("GET", "/documents", None),
        ("GET", f"/documents/{doc_id}", None),
        ("GET", f"/documents/{doc_id}/file", None),
        ("POST", "/v1/chat/completions", CHAT),
        ("GET", "/v1/models", None),
    ]


def call(client: TestClient, method: str, path: str, body: Any, headers: dict[str, str]) -> Any:
    return client.request(method, path, json=body, headers=headers)


def test_every_read_needs_the_key_once_it_is_set(
    guarded: TestClient, service: Service, auth: dict[str, str]
) -> None:
    doc_id = service.snapshot().documents(0, 1)[0].doc_id
    good = [{"X-API-Key": READ_KEY}, {"Authorization": f"Bearer {READ_KEY}"}, auth,
            {"X-API-Key": "wrong", "Authorization": f"bearer {READ_KEY}"}]
    for method, path, body in reads(guarded, doc_id):
        for headers in ({}, {"X-API-Key": "wrong"}, {"Authorization": f"Basic {READ_KEY}"}):
            response = call(guarded, method, path, body, headers)
            assert response.status_code == 401, (path, headers)
        for headers in good:
            assert call(guarded, method, path, body, headers).status_code == 200, (path, headers)
    assert guarded.get("/health").status_code == 200  # readiness checks need no key


def test_a_missing_key_says_how_to_send_it_in_each_shape(guarded: TestClient) -> None:
    plain = guarded.post("/search", json={"query": "cities"}).json()
    assert "X-API-Key" in plain["detail"] and "Bearer" in plain["detail"]
    error = guarded.post("/v1/chat/completions", json=CHAT).json()["error"]
    assert error["type"] == "authentication_error" and error["code"] == "invalid_api_key"
    assert "Bearer" in error["message"]


def test_writes_still_need_the_write_key(guarded: TestClient) -> None:
    response = guarded.post("/reindex", headers={"X-API-Key": READ_KEY})
    assert response.status_code == 401


def test_reads_are_open_without_a_read_key(tmp_path: Path, make_settings: Any) -> None:
    with TestClient(create_app(make_settings(tmp_path))) as client:
        assert client.get("/v1/models").status_code == 200
