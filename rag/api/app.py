"""Wires the API together: routers, error handlers, CORS and the OpenAPI document.

Handlers live in :mod:`rag.api.routes`; shared objects come from :mod:`rag.api.deps`.
Every deliberate error is a :class:`~rag.errors.RagError` and becomes
``{"detail": message}`` with its ``status_code`` in one handler; anything else is
logged and answered with a plain 500, never a stack trace. On the OpenAI-compatible
``/v1/`` paths the same handlers answer in that protocol's ``{"error": {...}}`` shape.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exception_handlers import (
    http_exception_handler,
    request_validation_exception_handler,
)
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException

from rag import __version__, malloc
from rag.api import protocol
from rag.api.deps import ReadAccess
from rag.api.docs import offline_app
from rag.api.models import ErrorDetail
from rag.api.routes import ask, chat, documents, health, search, upload
from rag.errors import RagError, public_message
from rag.service import Service
from rag.settings import Settings

log = logging.getLogger(__name__)

INTERNAL_ERROR = "internal error; see the server log"


def _errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    return {code: {"model": ErrorDetail} for code in codes}


READ_ERRORS = _errors(400, 401, 404, 409, 413, 503)
PROTOCOL_ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": protocol.ErrorResponse} for code in (400, 401, 404, 413, 422, 502, 503)
}
WRITE_ERRORS = _errors(400, 401, 403, 404, 409, 413, 503)


async def rag_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RagError)
    message = public_message(exc)
    if message != str(exc):
        log.warning("%s %s: %s", request.method, request.url.path, exc)
    return _error(request, message, exc.status_code, exc)


async def internal_error(request: Request, exc: Exception) -> JSONResponse:
    log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return _error(request, INTERNAL_ERROR, 500)


async def invalid_body(request: Request, exc: Exception) -> JSONResponse:
    """422 as FastAPI writes it, except in the protocol's shape on ``/v1/`` paths."""
    assert isinstance(exc, RequestValidationError)
    if not protocol.speaks_protocol(request.url.path):
        clipped = RequestValidationError([_clip(e) for e in exc.errors()], body=None)
        return await request_validation_exception_handler(request, clipped)
    errors = exc.errors()
    first: dict[str, Any] = errors[0] if errors else {"loc": (), "msg": "invalid request"}
    where = ".".join(str(p) for p in first["loc"] if p != "body")
    message = str(first["msg"])
    return _error(request, f"{where}: {message}" if where else message, 422)


async def http_error(request: Request, exc: Exception) -> Response:
    """Starlette's own errors (an unparsable body, an unknown path), in the protocol's
    shape on ``/v1/`` paths."""
    assert isinstance(exc, HTTPException)
    if not protocol.speaks_protocol(request.url.path):
        return await http_exception_handler(request, exc)
    response = _error(request, str(exc.detail), exc.status_code)
    if exc.headers:
        response.headers.update(exc.headers)
    return response


MAX_ECHO_CHARS = 200


def _clip(error: Any) -> Any:
    """A field error without a long ``input``: a 422 never echoes a huge body back."""
    if not isinstance(error, dict) or "input" not in error:
        return error
    given = error["input"]
    if isinstance(given, str) and len(given) > MAX_ECHO_CHARS:
        return {**error, "input": given[:MAX_ECHO_CHARS] + "…"}
    if isinstance(given, list | dict) and len(repr(given)) > MAX_ECHO_CHARS:
        return {k: v for k, v in error.items() if k != "input"}
    return error


def _error(
    request: Request, message: str, status: int, exc: Exception | None = None
) -> JSONResponse:
    if protocol.speaks_protocol(request.url.path):
        return JSONResponse(protocol.error_body(message, status, exc), status_code=status)
    return JSONResponse({"detail": message}, status_code=status)


def create_app(
    settings: Settings, service: Service | None = None, *, warm: bool = False
) -> FastAPI:
    """The API over ``service``, or over one built from ``settings`` on first use.

    With ``warm`` the models load during start-up, before the server accepts requests
    (so `/health` answering means the first question is answered at full speed)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        malloc.limit_arenas(settings.api.malloc_arenas)  # before the thread pool starts
        if warm:
            if app.state.service is None:
                app.state.service = Service(settings)
            app.state.service.warm_up()
            log.info("models loaded; ready")
        yield

    # /docs and /redoc from local files (rag.api.docs): FastAPI's own load from a CDN.
    app = offline_app(
        lifespan=lifespan,
        # Every body is refused past this before it is read (Content-Length first, else
        # when the bytes pass it); the upload routes have their own, larger limit.
        max_body_size=int(settings.api.max_body_kb * 1000),
        title="Work Foundation publications assistant",
        version=__version__,
        description="Cited question answering over The Work Foundation's publications. "
        "Write endpoints need the `X-API-Key` header; reads do too when "
        "RAG_API__READ_KEY is set. `/v1/chat/completions` speaks the OpenAI protocol.",
    )
    app.state.settings = settings
    app.state.service = service
    app.state.service_lock = threading.Lock()
    app.state.file_lock = threading.Lock()

    app.add_exception_handler(RagError, rag_error)
    app.add_exception_handler(Exception, internal_error)
    app.add_exception_handler(RequestValidationError, invalid_body)
    app.add_exception_handler(HTTPException, http_error)
    if settings.api.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.api.cors_origins,
            allow_methods=["GET", "POST", "DELETE"],
            allow_headers=["Content-Type", "X-API-Key", "Authorization"],
        )

    app.include_router(health.router)
    reads = [ReadAccess]
    app.include_router(search.router, responses=READ_ERRORS, dependencies=reads)
    app.include_router(ask.router, responses={**READ_ERRORS, **_errors(502)}, dependencies=reads)
    app.include_router(chat.router, responses=PROTOCOL_ERRORS, dependencies=reads)
    app.include_router(documents.router, responses=WRITE_ERRORS)
    app.include_router(
        upload.router,
        responses=WRITE_ERRORS,
        # The whole request, checked against Content-Length before the body is read (and
        # after the key, see upload.KeyFirst); each file is checked on its own as well.
        max_body_size=upload.request_limit(settings),
        form_limits={"max_files": upload.MAX_FILES, "max_fields": 10, "max_part_size": 64_000},
    )
    _complete_openapi(app, settings)
    return app


def _complete_openapi(app: FastAPI, settings: Settings) -> None:
    """Write this server's limits (from settings.api) into the OpenAPI schemas.

    Also mark uploaded files ``format: binary``, which OpenAPI 3.1 tools still read
    to generate and render file parts.
    """
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = build()
            models = schema.get("components", {}).get("schemas", {})
            limits = {
                ("SearchRequest", "query", "maxLength"): settings.api.max_query_chars,
                ("SearchRequest", "k", "maximum"): settings.api.max_k,
                ("AskRequest", "question", "maxLength"): settings.api.max_query_chars,
                ("AskRequest", "history", "maxItems"): settings.api.max_history,
            }
            for (model, field, key), value in limits.items():
                prop = models.get(model, {}).get("properties", {}).get(field)
                if prop is not None:
                    prop[key] = value
            for body in models.values():
                items = body.get("properties", {}).get("files", {}).get("items", {})
                if items.get("contentMediaType") == "application/octet-stream":
                    items["format"] = "binary"
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
