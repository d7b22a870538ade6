"""Session-scoped objects shared by the pages: the API client and small caches.

Tests replace the API by putting a client in ``st.session_state["api_client"]``
before the first run (``AppTest.session_state``); the app never builds its own
when one is there.
"""

from __future__ import annotations

import logging
import sqlite3
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import streamlit as st
from pydantic import ValidationError

from rag.schemas import AnswerResponse, DocumentInfo, Filters, Health
from rag.settings import get_settings
from ui import chats
from ui.client import ApiClient, ApiError, ApiUnavailable

log = logging.getLogger(__name__)

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
        from ui.messages import banner  # what to do, never the API's header talk

        return None, banner(exc)


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
# The chat's id is in the page address (?chat=...), so a reload finds the same
# conversation in the UI's SQLite file (ui.chats).

_CHAT_ID = chats.CHAT_ID


def _chats_dir() -> Path:
    """The folder of the UI's conversation store (tests point it elsewhere)."""
    return chats.default_path(get_settings().data_dir).parent


def chat_store() -> chats.ChatStore:
    return chats.ChatStore(_chats_dir() / chats.FILENAME)


def chat_id(new: bool = False) -> str:
    """This conversation's id, from the address; a fresh one (put there) if none."""
    current = st.query_params.get(CHAT_PARAM, "")
    if new or not _CHAT_ID.match(current):
        current = uuid.uuid4().hex
        st.query_params[CHAT_PARAM] = current
    return current


def open_chat(chat: str) -> None:
    """Switch the page to a saved conversation (a button's ``on_click``)."""
    st.query_params[CHAT_PARAM] = chat
    st.session_state[TURNS_KEY] = load_turns(chat)


def load_turns(chat: str) -> list[Turn]:
    """The saved turns of ``chat``; [] when none are saved or the store is unreadable."""
    try:
        return [
            Turn(
                t.question,
                AnswerResponse.model_validate(t.response),
                Filters.model_validate(t.filters) if t.filters else None,
            )
            for t in chat_store().turns(chat)
        ]
    except (OSError, sqlite3.Error, ValueError, ValidationError) as exc:
        log.warning("could not read conversation %s: %s", chat, exc)
        return []


def save_turns(chat: str, turns: list[Turn]) -> None:
    """Keep ``turns`` for a reload; a failure to write only costs that (and is logged)."""
    rows = [
        (
            t.question,
            t.response.model_dump(mode="json"),
            t.filters.model_dump(mode="json") if t.filters else None,
        )
        for t in turns
    ]
    try:
        chat_store().append_turns(chat, rows)
    except (OSError, sqlite3.Error) as exc:
        log.warning("could not save conversation %s: %s", chat, exc)


# -- the write key -----------------------------------------------------------------------
# `make run` gives the UI its local key (RAG_UI__API_KEY): used without asking. Where the
# operator set their own RAG_API__API_KEY the UI is not given it, and asks once a session.

_SESSION_KEY = "_write_key"


def configured_key() -> str | None:
    return get_settings().ui.api_key or None


def write_key() -> str | None:
    """The key for adding, deleting and re-indexing: the configured one, else the one
    typed in this session; None when neither."""
    return configured_key() or st.session_state.get(_SESSION_KEY) or None


def remember_key(key: str) -> None:
    st.session_state[_SESSION_KEY] = key.strip() or None


def forget_key() -> None:
    st.session_state.pop(_SESSION_KEY, None)


KEY_REFUSED = (
    "The library key was not accepted, so nothing was changed. Check it with whoever runs "
    "the assistant and enter it again."
)
KEY_STALE = (
    "The assistant did not accept this page's library key, so nothing was changed: the "
    "server was probably restarted with another one. Restart both with `make run`."
)
KEY_MISSING = "Enter the library key above to add, delete or re-index publications."
WRITES_OFF = (
    "This assistant was started without a library key, so publications cannot be added, "
    "deleted or re-indexed from here. Start it with `make run` (which sets one up), or ask "
    "whoever runs it to set one."
)


def write_problem(exc: ApiError | ApiUnavailable) -> str:
    """A sentence for a refused or failed change to the library (never header talk)."""
    if isinstance(exc, ApiError) and exc.status == 403:
        return WRITES_OFF
    if isinstance(exc, ApiError) and exc.status == 401:
        if configured_key():
            return KEY_STALE
        if write_key() is None:
            return KEY_MISSING
        forget_key()  # ask again
        return KEY_REFUSED
    from ui.messages import banner

    return banner(exc)
