"""The HTTP API: ``create_app(settings)`` builds it; ``rag serve`` runs it under uvicorn."""

from rag.api.app import create_app

__all__ = ["create_app"]
