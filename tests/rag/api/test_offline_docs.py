"""/docs and /redoc load every script and style from this server, never a CDN."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from rag.api import create_app
from rag.settings import Settings


@pytest.fixture
def client(tmp_path: Path) -> TestClient:
    settings = Settings(
        embedding={"backend": "hash"}, data_dir=tmp_path / "data",
        corpus_dir=tmp_path / "corpus", answer={"reader": "lexical"},
    )  # fmt: skip
    return TestClient(create_app(settings))


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_docs_pages_use_only_local_assets(client: TestClient, page: str) -> None:
    response = client.get(page)
    assert response.status_code == 200
    urls = re.findall(r"""(?:src|href)\s*=\s*["']([^"']+)["']""", response.text)
    urls += re.findall(r"""url:\s*['"]([^'"]+)['"]""", response.text)
    assert urls, response.text[:500]
    outside = [u for u in urls if re.match(r"(https?:)?//", u)]
    assert not outside, outside
    assert "fonts.googleapis" not in response.text
    for url in urls:
        asset = client.get(url)
        assert asset.status_code == 200, url
        assert len(asset.content) > 100


def test_redoc_may_load_nothing_from_elsewhere(client: TestClient) -> None:
    # ReDoc's badge fetches its logo from the vendor's CDN; the policy stops that.
    policy = client.get("/redoc").headers["content-security-policy"]
    assert "img-src 'self' data:" in policy and "default-src 'self'" in policy


def test_the_bundled_assets_are_the_real_ones(client: TestClient) -> None:
    js = client.get("/static-offline-docs/swagger-ui-bundle.js")
    assert js.status_code == 200 and "SwaggerUIBundle" in js.text
    assert "javascript" in js.headers["content-type"]
    assert "Redoc" in client.get("/static-offline-docs/redoc.standalone.js").text
