"""The protocol's ``{"error": {...}}`` shape, which the app's error handlers answer
with on ``/v1/`` paths, and the same inside a stream."""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel, Field

from rag.api.protocol.reply import data_event
from rag.errors import AuthError, InvalidRequest, RagError, UnknownModel, public_message

PREFIX = "/v1/"


class ErrorInfo(BaseModel):
    message: str
    type: str = Field(examples=["invalid_request_error"])
    param: str | None = None
    code: str | None = Field(None, examples=["model_not_found"])


class ErrorResponse(BaseModel):
    error: ErrorInfo


def speaks_protocol(path: str) -> bool:
    """Do errors on this path take the protocol's shape?"""
    return path.startswith(PREFIX)


def error_body(message: str, status: int, exc: Exception | None = None) -> dict[str, Any]:
    """``{"error": {message, type, param, code}}`` as the protocol's clients read it."""
    kind = (
        "authentication_error"
        if status in (401, 403)
        else "server_error"
        if status >= 500
        else "invalid_request_error"
    )
    param = exc.field if isinstance(exc, InvalidRequest) else None
    code = (
        "model_not_found"
        if isinstance(exc, UnknownModel)
        else "invalid_api_key"
        if isinstance(exc, AuthError)
        else None
    )
    info = ErrorInfo(message=message, type=kind, param=param, code=code)
    return ErrorResponse(error=info).model_dump()


def error_event(exc: Exception) -> str:
    """An error in the middle of a stream, as the protocol's clients expect it."""
    message = (
        public_message(exc) if isinstance(exc, RagError) else "internal error; see the server log"
    )
    status = exc.status_code if isinstance(exc, RagError) else 500
    return data_event(json.dumps(error_body(message, status, exc), ensure_ascii=False))
