"""Session-scoped objects shared by the pages: the API client and small caches.

Tests replace the API by putting a client in ``st.session_state["api_client"]``
before the first run (``AppTest.session_state``); the app never builds its own
when one is there.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import streamlit as st
from pydantic import ValidationError

from rag.schemas import AnswerResponse, DocumentInfo, Filters, Health
from rag.settings import get_settings
from ui.client import ApiClient, ApiError, ApiUnavailable

CLIENT_KEY = "api_client"
TURNS_KEY = "turns"
CHAT_PARAM = "chat"
_DOCS_KEY = "_doc_index"
_TEXTS_KEY = "_doc_texts"
DOC_INDEX_TTL_S = 60.0
HEALTH_TIMEOUT_S = 5.0


@dataclass
class Turn:
    """One question and the API's answer to it."""

    question: str
    response: AnswerResponse
    filters: Filters | None = None


@st.cache_resource(show_spinner=False)
def navigation() -> None:
    """Sidebar links with readable names (Streamlit's own would call the chat page "app")."""
    st.sidebar.page_link("app.py", label="Ask a question")
    st.sidebar.page_link("pages/1_Publications.py", label="Publications")
    st.sidebar.page_link("pages/2_Source.py", label="Source viewer")
    st.sidebar.divider()


@st.cache_resource(show_spinner=False)
def _default_client(api_url: str, timeout_s: float) -> ApiClient:
    """One client (and its connection pool) per API address, shared by every rerun and
    session of this server process."""
    return ApiClient(api_url, timeout_s)


def get_client() -> ApiClient:
    """The session's API client: the injected one, else one from ``RAG_UI__*`` settings."""
    injected = st.session_state.get(CLIENT_KEY)
    if injected is not None:
        return injected
    ui = get_settings().ui
    return _default_client(ui.api_url, ui.timeout_s)


def check_health(client: ApiClient) -> tuple[Health | None, str | None]:
    """(health, None) when the API answers, else (None, a sentence for ``st.error``)."""
    try:
        return client.health(timeout_s=min(HEALTH_TIMEOUT_S, client.timeout_s)), None
    except ApiUnavailable as exc:
        return None, str(exc)
    except ApiError as exc:
        return None, f"The assistant's API at {client.base_url} is not ready: {exc.detail}"


def document_index(client: ApiClient, page_size: int = 100) -> list[DocumentInfo]:
    """All indexed publications, fetched once a minute per session ([] if unavailable)."""
    cached = st.session_state.get(_DOCS_KEY)
    if cached is not None and time.monotonic() - cached[0] < DOC_INDEX_TTL_S:
        return cached[1]
    docs: list[DocumentInfo] = []
    try:
        while True:
            page = client.documents(offset=len(docs), limit=page_size)
            docs.extend(page.documents)
            if not page.documents or len(docs) >= page.total:
                break
    except (ApiUnavailable, ApiError):
        return docs
    st.session_state[_DOCS_KEY] = (time.monotonic(), docs)
    return docs


def forget_document_index() -> None:
    st.session_state.pop(_DOCS_KEY, None)


def document_text(client: ApiClient, doc_id: str) -> str | None:
    """A document's full text, cached per session; None when it cannot be fetched."""
    texts: dict[str, str] = st.session_state.setdefault(_TEXTS_KEY, {})
    if doc_id not in texts:
        try:
            texts[doc_id] = client.document(doc_id).text
        except (ApiUnavailable, ApiError):
            return None
    return texts[doc_id]


# -- conversations that survive a reload ------------------------------------------------
# The chat's id is in the page address (?chat=...), so a reload finds the same file.

_CHAT_ID = re.compile(r"^[0-9a-f]{32}$")


def _chats_dir() -> Path:
    return get_settings().data_dir / "ui" / "chats"


def chat_id(new: bool = False) -> str:
    """This conversation's id, from the address; a fresh one (put there) if none."""
    current = st.query_params.get(CHAT_PARAM, "")
    if new or not _CHAT_ID.match(current):
        current = uuid.uuid4().hex
        st.query_params[CHAT_PARAM] = current
    return current


def load_turns(chat: str) -> list[Turn]:
    """The saved turns of ``chat``; [] when none are saved or the file is unreadable."""
    path = _chats_dir() / f"{chat}.json"
    try:
        rows = json.loads(path.read_text(encoding="utf-8"))
        return [
            Turn(
                r["question"],
                AnswerResponse.model_validate(r["response"]),
                Filters.model_validate(r["filters"]) if r.get("filters") else None,
            )
            for r in rows
        ]
    except (OSError, ValueError, KeyError, TypeError, ValidationError):
        return []


def save_turns(chat: str, turns: list[Turn]) -> None:
    """Keep ``turns`` for a reload; a failure to write only costs that."""
    rows = [
        {
            "question": t.question,
            "response": t.response.model_dump(mode="json"),
            "filters": t.filters.model_dump(mode="json") if t.filters else None,
        }
        for t in turns
    ]
    folder = _chats_dir()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        tmp = folder / f"{chat}.json.tmp"
        tmp.write_text(json.dumps(rows), encoding="utf-8")
        tmp.replace(folder / f"{chat}.json")
    except OSError:
        pass
