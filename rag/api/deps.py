"""Shared objects for handlers, as ``Annotated[..., Depends(...)]`` aliases.

``create_app`` puts the settings, an optional ready-made service and two locks on
``app.state``; these functions hand them out. Tests swap any of them with
``app.dependency_overrides``.
"""

from __future__ import annotations

import hmac
import secrets
import threading
from typing import Annotated

from fastapi import Depends, Header, Request

from rag.api.models import AskRequest, SearchRequest
from rag.api.protocol import ChatCompletionRequest, ChatQuery, to_query
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


def _matches(given: str, expected: str | None) -> bool:
    return bool(expected) and hmac.compare_digest(
        given.encode("utf-8"), str(expected).encode("utf-8")
    )


def require_read_key(
    request: Request,
    settings: SettingsDep,
    x_api_key: Annotated[
        str | None,
        Header(description="The key in RAG_API__READ_KEY (or the write key), when one is set; "
               "`Authorization: Bearer KEY` works too."),
    ] = None,
) -> None:
    """Read endpoints: open unless RAG_API__READ_KEY is set; then 401 without the read
    key (or the write key) in X-API-Key or as the `Authorization: Bearer` token."""
    api = settings.api
    if not api.read_key:
        return
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    given = [k for k in (x_api_key, token.strip() if scheme.lower() == "bearer" else None) if k]
    if not given:
        raise AuthError(
            "This endpoint needs the read key; send it in the X-API-Key header or as "
            "'Authorization: Bearer <key>'."
        )
    if not any(_matches(k, api.read_key) or _matches(k, api.api_key) for k in given):
        raise AuthError("The key sent does not match the configured read key (RAG_API__READ_KEY).")


ReadAccess = Depends(require_read_key)


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


def chat_query(body: ChatCompletionRequest, settings: SettingsDep) -> ChatQuery:
    """The chat request in the library's terms, checked against settings.api."""
    return to_query(body, settings)


ValidChat = Annotated[ChatQuery, Depends(chat_query)]
