"""Each document says where its title, date and authors came from, so a user knows which
field a ``NAME.meta.json`` sidecar should correct."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient


def test_documents_say_where_their_fields_came_from(
    client: TestClient, doc_id_of: Callable[[TestClient, str], str]
) -> None:
    listed = {
        d["source"].rsplit("/", 1)[-1]: d["fields_from"]
        for d in client.get("/documents").json()["documents"]
    }
    seed = {"title": "sidecar", "date": "sidecar", "authors": "sidecar"}
    assert listed["streets-ahead-press-release-2011-12-07.txt"] == seed
    assert listed["flexible-working.txt"] == {"title": "page layout"}  # no date, no authors
    detail = client.get(f"/documents/{doc_id_of(client, 'flexible-working.txt')}").json()
    assert detail["fields_from"] == {"title": "page layout"}
