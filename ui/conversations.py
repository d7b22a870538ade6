"""Conversations that last: the saved ones in the sidebar, and under each answer a copy
of it with its numbered sources and a thumbs up or down with an optional comment.

The conversations and ratings are kept by :mod:`ui.chats` (through ``ui.state``).
"""

from __future__ import annotations

import logging
import sqlite3

import streamlit as st

from rag.schemas import AnswerResponse
from ui import chats, state

log = logging.getLogger(__name__)

SIDEBAR_CHATS = 15
THUMBS: tuple[chats.Rating, chats.Rating] = ("down", "up")  # st.feedback: 0 down, 1 up
SAVE_FAILED = "The rating could not be saved (the conversation store is not writable)."


def sidebar_list(current: str) -> None:
    """Recent conversations, newest first; clicking one reopens it."""
    try:
        recent = state.chat_store().chats(SIDEBAR_CHATS)
    except (OSError, sqlite3.Error) as exc:
        log.warning("could not list conversations: %s", exc)
        return
    if not recent:
        return
    with st.sidebar:
        st.header("Conversations")
        for c in recent:
            st.button(
                f"💬 {c.title}",
                key=f"open-chat-{c.chat_id}",
                on_click=state.open_chat,
                args=(c.chat_id,),
                disabled=c.chat_id == current,
                help=f"{c.turns} question(s)",
                width="stretch",
            )


def plain_text(response: AnswerResponse, abstained_text: str = chats.ABSTAINED) -> str:
    """The answer with its [n] markers, then the numbered sources, as plain text to paste."""
    if response.abstained or not response.answer.strip():
        return f"Q: {response.question}\n\n{abstained_text}"
    lines = [f"Q: {response.question}", "", response.answer.strip(), "", "Sources"]
    for c in response.citations:
        where = [c.title]
        if c.date:
            where.append(f"({c.date})")
        page = f", p. {c.page}" if c.page is not None else ""
        lines.append(f"[{c.marker}] {' '.join(where)}{page}: “{c.quote.strip()}” ({c.source})")
    return "\n".join(lines)


def _rated(chat: str, position: int, key: str) -> None:
    value = st.session_state.get(key)
    if value is None:  # un-clicked: keep what was said before
        return
    comment = str(st.session_state.get(f"comment-{chat}-{position}") or "")
    _save(chat, position, THUMBS[int(value)], comment)


def _save(chat: str, position: int, rating: chats.Rating, comment: str) -> None:
    try:
        if state.chat_store().rate(chat, position, rating, comment):
            st.session_state[f"_rated-{chat}-{position}"] = True
            return
    except (OSError, sqlite3.Error) as exc:
        log.warning("could not save a rating: %s", exc)
    st.session_state[f"_rate-failed-{chat}-{position}"] = True


def answer_tools(chat: str, position: int, response: AnswerResponse) -> None:
    """Copy and rate one saved answer (``position`` counts the conversation's turns)."""
    saved = None
    try:
        saved = state.chat_store().rating(chat, position)
    except (OSError, sqlite3.Error) as exc:
        log.warning("could not read a rating: %s", exc)
    key = f"rate-{chat}-{position}"
    left, right = st.columns([1, 3], vertical_alignment="center")
    with left:
        st.feedback(
            "thumbs",
            key=key,
            default=THUMBS.index(saved[0]) if saved else None,
            on_change=_rated,
            args=(chat, position, key),
        )
    with right.popover("Copy with sources", icon=":material/content_copy:"):
        st.caption("The copy button is at the block's top right.")
        st.code(plain_text(response), language=None, wrap_lines=True)
    if st.session_state.pop(f"_rate-failed-{chat}-{position}", False):
        st.warning(SAVE_FAILED)
    if saved is None and not st.session_state.get(f"_rated-{chat}-{position}"):
        return
    comment_key = f"comment-{chat}-{position}"
    if comment_key not in st.session_state and saved and saved[1]:
        st.session_state[comment_key] = saved[1]
    c1, c2 = st.columns([3, 1], vertical_alignment="bottom")
    comment = c1.text_input(
        "Comment (optional)",
        key=comment_key,
        placeholder="What was right or wrong about this answer?",
    )
    if c2.button("Save comment", key=f"save-comment-{chat}-{position}"):
        _save(chat, position, saved[0] if saved else "up", comment)
        if not st.session_state.pop(f"_rate-failed-{chat}-{position}", False):
            st.caption("Thank you: saved.")
        else:
            st.warning(SAVE_FAILED)


__all__ = ["answer_tools", "plain_text", "sidebar_list"]
