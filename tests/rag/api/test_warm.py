"""`rag serve` loads its models during start-up, so the first answer is not slow."""

from __future__ import annotations

from fastapi.testclient import TestClient

from rag.api import create_app
from rag.service import Service
from rag.settings import Settings


class Counting(Service):
    warmed = 0

    def warm_up(self) -> None:
        Counting.warmed += 1
        super().warm_up()


def test_models_load_before_the_first_request(settings: Settings, service: Service) -> None:
    svc = Counting(settings, embedder=service.embedder, answerer=service.answerer)
    Counting.warmed = 0
    with TestClient(create_app(settings, svc, warm=True)) as client:
        assert Counting.warmed == 1  # during start-up, before any request
        assert client.get("/health").status_code == 200
    assert Counting.warmed == 1


def test_without_warm_nothing_loads_at_start(settings: Settings, service: Service) -> None:
    svc = Counting(settings, embedder=service.embedder, answerer=service.answerer)
    Counting.warmed = 0
    with TestClient(create_app(settings, svc)):
        assert Counting.warmed == 0
