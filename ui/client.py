"""A typed HTTP client of the assistant's API; the UI's only way to the index.

Errors, in full:

    ApiUnavailable   the API could not be reached or did not answer in time
    ApiError         the API answered 4xx/5xx (or an ``error`` event mid-stream);
                     ``detail`` is the API's user-facing sentence

Both carry a message fit for ``st.error`` as ``str(err)``. Answers are parsed with
the API's own models from :mod:`rag.schemas`, so the two cannot drift apart.
"""

from __future__ import annotations

import json
import mimetypes
from collections.abc import Iterator
from typing import Any, Literal, TypeVar
from urllib.parse import quote

import httpx
from pydantic import BaseModel, ValidationError

from rag.schemas import (
    AnswerResponse,
    ChatMessage,
    DocumentDetail,
    DocumentInfo,
    DocumentPage,
    FileOutcome,
    Filters,
    Health,
    SearchResponse,
    UploadResponse,
    parse_sse,
)

StreamEvent = tuple[Literal["token"], str] | tuple[Literal["final"], AnswerResponse]


class ApiUnavailable(Exception):
    """The API did not answer: connection refused, DNS failure or a timeout."""

    def __init__(self, base_url: str, reason: str) -> None:
        self.base_url = base_url
        self.reason = reason
        super().__init__(
            f"The assistant's API is not reachable at {base_url} ({reason}); start it with "
            "`rag serve`, or point the UI elsewhere with RAG_UI__API_URL."
        )


class ApiError(Exception):
    """The API refused or failed a request. ``status`` is None for a mid-stream error."""

    def __init__(self, status: int | None, detail: str) -> None:
        self.status = status
        self.detail = detail
        super().__init__(detail)


def _json(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError as exc:
        raise ApiError(
            None, f"The API answered with something other than JSON: {text[:80]!r}"
        ) from exc


ModelT = TypeVar("ModelT", bound=BaseModel)


def _parse(model: type[ModelT], data: Any) -> ModelT:
    """Validate an answer; a mismatch is an ApiError, not a traceback in the UI."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ApiError(
            None,
            f"The API's answer did not have the expected {model.__name__} shape "
            f"({exc.error_count()} problem(s), first: {exc.errors()[0]['msg']}); "
            "are the API and the UI from the same version?",
        ) from exc


def _detail(response: httpx.Response) -> str:
    """The API's ``detail`` sentence, or a plain description of the status."""
    try:
        detail = response.json().get("detail")
    except (ValueError, AttributeError):
        detail = None
    if isinstance(detail, str) and detail:
        return detail
    if isinstance(detail, list):  # FastAPI's request validation errors
        parts = [
            f"{'.'.join(str(p) for p in item.get('loc', [])[1:])}: {item.get('msg', '')}"
            for item in detail
            if isinstance(item, dict)
        ]
        if parts:
            return "The request was not accepted: " + "; ".join(parts)
    return f"The API answered {response.status_code} {response.reason_phrase}."


class ApiClient:
    """``ApiClient("http://127.0.0.1:8000", 60)``; pass ``transport`` to fake the API."""

    def __init__(
        self,
        base_url: str,
        timeout_s: float = 60.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout_s = timeout_s
        self._http = httpx.Client(
            base_url=self.base_url,
            timeout=httpx.Timeout(timeout_s, connect=min(5.0, timeout_s)),
            transport=transport,
        )

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> ApiClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- plumbing ---------------------------------------------------------------

    def _unavailable(self, exc: httpx.TransportError) -> ApiUnavailable:
        if isinstance(exc, httpx.TimeoutException):
            return ApiUnavailable(self.base_url, f"no answer within {self.timeout_s:g} s")
        if isinstance(exc, httpx.ConnectError):
            return ApiUnavailable(self.base_url, "connection refused")
        return ApiUnavailable(self.base_url, type(exc).__name__)

    def _request(self, method: str, path: str, **kwargs: Any) -> Any:
        try:
            response = self._http.request(method, path, **kwargs)
        except httpx.TransportError as exc:
            raise self._unavailable(exc) from exc
        if response.status_code >= 400:
            raise ApiError(response.status_code, _detail(response))
        return _json(response.text)

    @staticmethod
    def _ask_body(
        question: str,
        history: list[ChatMessage] | None,
        filters: Filters | None,
        k: int,
        generator: str | None,
        stream: bool,
    ) -> dict[str, Any]:
        return {
            "question": question,
            "history": [m.model_dump() for m in history or []],
            "filters": _filters_json(filters),
            "k": k,
            "generator": generator,
            "stream": stream,
        }

    # -- endpoints --------------------------------------------------------------

    def health(self, timeout_s: float | None = None) -> Health:
        kwargs = {} if timeout_s is None else {"timeout": timeout_s}
        return _parse(Health, self._request("GET", "/health", **kwargs))

    def search(self, query: str, k: int = 5, filters: Filters | None = None) -> SearchResponse:
        body = {"query": query, "k": k, "filters": _filters_json(filters)}
        return _parse(SearchResponse, self._request("POST", "/search", json=body))

    def ask(
        self,
        question: str,
        history: list[ChatMessage] | None = None,
        filters: Filters | None = None,
        k: int = 5,
        generator: str | None = None,
    ) -> AnswerResponse:
        body = self._ask_body(question, history, filters, k, generator, stream=False)
        return _parse(AnswerResponse, self._request("POST", "/ask", json=body))

    def ask_stream(
        self,
        question: str,
        history: list[ChatMessage] | None = None,
        filters: Filters | None = None,
        k: int = 5,
        generator: str | None = None,
    ) -> Iterator[StreamEvent]:
        """Yield ``("token", text)`` pieces, then one ``("final", AnswerResponse)``."""
        body = self._ask_body(question, history, filters, k, generator, stream=True)
        try:
            with self._http.stream("POST", "/ask", json=body) as response:
                if response.status_code >= 400:
                    response.read()
                    raise ApiError(response.status_code, _detail(response))
                for event, data in parse_sse(response.iter_lines()):
                    if event == "token":
                        yield ("token", str(_json(data).get("text", "")))
                    elif event == "final":
                        yield ("final", _parse(AnswerResponse, _json(data)))
                        return
                    elif event == "error":
                        raise ApiError(None, str(_json(data).get("detail") or data))
        except httpx.TransportError as exc:
            raise self._unavailable(exc) from exc
        raise ApiError(None, "The answer stream ended before the answer was complete; ask again.")

    def documents(self, offset: int = 0, limit: int = 50) -> DocumentPage:
        data = self._request("GET", "/documents", params={"offset": offset, "limit": limit})
        return _parse(DocumentPage, data)

    def document(self, doc_id: str) -> DocumentDetail:
        data = self._request("GET", f"/documents/{quote(doc_id, safe='')}")
        return _parse(DocumentDetail, data)

    def upload(
        self,
        files: list[tuple[str, bytes]],
        metadata: dict[str, Any] | None = None,
        api_key: str | None = None,
    ) -> list[FileOutcome]:
        parts = [
            ("files", (name, data, mimetypes.guess_type(name)[0] or "application/octet-stream"))
            for name, data in files
        ]
        form = {"metadata": json.dumps(metadata)} if metadata else None
        headers = {"X-API-Key": api_key} if api_key else None
        data = self._request("POST", "/documents", files=parts, data=form, headers=headers)
        return _parse(UploadResponse, data).files

    def delete_document(self, doc_id: str, api_key: str | None = None) -> DocumentInfo:
        """Remove a publication from the index (and its file when inside the corpus)."""
        headers = {"X-API-Key": api_key} if api_key else None
        data = self._request("DELETE", f"/documents/{quote(doc_id, safe='')}", headers=headers)
        return _parse(DocumentInfo, data)

    def reindex(self, api_key: str | None = None) -> dict[str, Any]:
        """Bring the index up to date with the corpus folder: the ``POST /reindex`` summary,
        ``{"added": [paths], ..., "failed": [{"path", "reason"}], "embedded_chunks": n}``."""
        headers = {"X-API-Key": api_key} if api_key else None
        data = self._request("POST", "/reindex", headers=headers)
        if not isinstance(data, dict):
            raise ApiError(None, "The API's re-index summary was not a JSON object.")
        return data

    def page_image(
        self,
        doc_id: str,
        page: int,
        start: int | None = None,
        end: int | None = None,
        width: int = 1000,
    ) -> bytes:
        """A PDF page as PNG, the cited span ``[start, end)`` highlighted on it."""
        params: dict[str, int] = {"width": width}
        if start is not None and end is not None:
            params.update(start=start, end=end)
        path = f"/documents/{quote(doc_id, safe='')}/pages/{page}/image"
        try:
            response = self._http.get(path, params=params)
        except httpx.TransportError as exc:
            raise self._unavailable(exc) from exc
        if response.status_code >= 400:
            raise ApiError(response.status_code, _detail(response))
        return response.content

    def file_url(self, doc_id: str) -> str:
        """Where a browser can open the original file (the API serves it)."""
        return f"{self.base_url}/documents/{quote(doc_id, safe='')}/file"


def _filters_json(filters: Filters | None) -> dict[str, Any] | None:
    return None if filters is None or filters.is_empty() else filters.model_dump(exclude_none=True)


__all__ = ["ApiClient", "ApiError", "ApiUnavailable", "StreamEvent"]
