"""Shared objects for handlers, as ``Annotated[..., Depends(...)]`` aliases.

``create_app`` puts the settings, an optional ready-made service and two locks on
``app.state``; these functions hand them out. Tests swap any of them with
``app.dependency_overrides``.
"""

from __future__ import annotations

import secrets
import threading
from typing import Annotated

from fastapi import Depends, Header, Request

from rag.api.models import AskRequest, SearchRequest
from rag.errors import AuthError, InvalidRequest, WritesDisabled
from rag.service import Service
from rag.settings import Settings


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_service(request: Request) -> Service:
    """The process's one Service, built on first use (the model and index load once)."""
    state = request.app.state
    service: Service | None = state.service
    if service is None:
        with state.service_lock:
            service = state.service
            if service is None:
                service = state.service = Service(state.settings)
    return service


def get_file_lock(request: Request) -> threading.Lock:
    """Serialises changes to the corpus folder (upload, delete, reindex) in this process."""
    lock: threading.Lock = request.app.state.file_lock
    return lock


SettingsDep = Annotated[Settings, Depends(get_settings)]
ServiceDep = Annotated[Service, Depends(get_service)]
FileLock = Annotated[threading.Lock, Depends(get_file_lock)]


def require_api_key(
    settings: SettingsDep,
    x_api_key: Annotated[str | None, Header(description="The key in RAG_API__API_KEY.")] = None,
) -> None:
    """Write endpoints: 403 when no key is configured, 401 when it is missing or wrong."""
    expected = settings.api.api_key
    if not expected:
        raise WritesDisabled()
    if x_api_key is None:
        raise AuthError("This endpoint needs an API key; send it in the X-API-Key header.")
    if not secrets.compare_digest(x_api_key.encode("utf-8"), expected.encode("utf-8")):
        raise AuthError("The X-API-Key header does not match the configured API key.")


WriteAccess = Depends(require_api_key)


def _check_text(field: str, value: str, limit: int) -> None:
    if not value.strip():
        raise InvalidRequest(field, "must not be blank")
    if len(value) > limit:
        raise InvalidRequest(
            field, f"at most {limit} characters (got {len(value)}); shorten it"
        )


def search_request(body: SearchRequest, settings: SettingsDep) -> SearchRequest:
    """The body, checked against the limits in settings.api."""
    _check_text("query", body.query, settings.api.max_query_chars)
    if body.k > settings.api.max_k:
        raise InvalidRequest("k", f"at most {settings.api.max_k} (got {body.k})")
    return body


def ask_request(body: AskRequest, settings: SettingsDep) -> AskRequest:
    """The body, checked against the limits in settings.api."""
    _check_text("question", body.question, settings.api.max_query_chars)
    if len(body.history) > settings.api.max_history:
        raise InvalidRequest(
            "history",
            f"at most {settings.api.max_history} messages (got {len(body.history)}); "
            "send only the latest turns",
        )
    return body


ValidSearch = Annotated[SearchRequest, Depends(search_request)]
ValidAsk = Annotated[AskRequest, Depends(ask_request)]
