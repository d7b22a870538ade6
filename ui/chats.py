"""The UI's conversations and answer ratings, kept in one SQLite file under the data folder.

The UI process owns this file (``DATA_DIR/ui/chats.sqlite3``): the API stays stateless
(``/ask`` takes the history in its body) and the UI reaches the index only over HTTP.
``rag feedback export`` reads the same file.

Tables: ``chats`` (id, title = first question, timestamps), ``turns`` (one question
and the API's full answer as JSON, in order) and ``feedback`` (thumbs up or down and an
optional comment per turn, with a copy of the question, answer and citations as they
were rated). Every call opens its own short connection, so Streamlit's threads never
share one; WAL mode lets a reader export while the UI writes.
"""

from __future__ import annotations

import json
import logging
import re
import sqlite3
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

log = logging.getLogger(__name__)

FILENAME = "chats.sqlite3"
CHAT_ID = re.compile(r"^[0-9a-f]{32}$")
TITLE_CHARS = 80
Rating = Literal["up", "down"]
ABSTAINED = "The indexed publications do not answer this."  # the chat page's words

_SCHEMA = """
CREATE TABLE IF NOT EXISTS chats (
    id TEXT PRIMARY KEY,
    title TEXT NOT NULL,
    created REAL NOT NULL,
    updated REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS turns (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    chat_id TEXT NOT NULL REFERENCES chats(id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    question TEXT NOT NULL,
    response TEXT NOT NULL,
    filters TEXT,
    created REAL NOT NULL,
    UNIQUE (chat_id, position)
);
CREATE TABLE IF NOT EXISTS feedback (
    turn_id INTEGER PRIMARY KEY REFERENCES turns(id) ON DELETE CASCADE,
    rating TEXT NOT NULL CHECK (rating IN ('up', 'down')),
    comment TEXT NOT NULL DEFAULT '',
    question TEXT NOT NULL,
    answer TEXT NOT NULL,
    citations TEXT NOT NULL,
    created REAL NOT NULL
);
"""


@dataclass(frozen=True)
class ChatSummary:
    chat_id: str
    title: str
    updated: float
    turns: int


@dataclass(frozen=True)
class StoredTurn:
    """One saved turn: ``response`` and ``filters`` as the JSON objects the API sent."""

    turn_id: int
    position: int
    question: str
    response: dict[str, Any]
    filters: dict[str, Any] | None


@dataclass(frozen=True)
class Feedback:
    turn_id: int
    chat_id: str
    position: int
    rating: Rating
    comment: str
    question: str
    answer: str
    citations: list[dict[str, Any]]
    abstained: bool
    history: list[dict[str, str]]


def default_path(data_dir: Path) -> Path:
    return data_dir / "ui" / FILENAME


class ChatStore:
    """``ChatStore(path)``; the file and its folder are created on first write."""

    def __init__(self, path: Path) -> None:
        self.path = path

    @contextmanager
    def _db(self, write: bool = False) -> Iterator[sqlite3.Connection]:
        if write:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        elif not self.path.exists():
            raise FileNotFoundError(self.path)
        with closing(sqlite3.connect(self.path, timeout=10)) as conn:
            conn.execute("PRAGMA foreign_keys = ON")
            if write:
                conn.execute("PRAGMA journal_mode = WAL")
                conn.executescript(_SCHEMA)
            with conn:  # one transaction: committed, or rolled back on an error
                yield conn

    # -- conversations ---------------------------------------------------------------

    def append_turns(
        self,
        chat_id: str,
        turns: list[tuple[str, dict[str, Any], dict[str, Any] | None]],
    ) -> None:
        """Keep ``turns`` (question, response JSON, filters JSON) as the conversation;
        those already stored (by position) are left as they are."""
        if not CHAT_ID.match(chat_id) or not turns:
            return
        now = time.time()
        with self._db(write=True) as db:
            db.execute(
                "INSERT INTO chats (id, title, created, updated) VALUES (?, ?, ?, ?) "
                "ON CONFLICT(id) DO UPDATE SET updated = excluded.updated",
                (chat_id, _title(turns[0][0]), now, now),
            )
            db.executemany(
                "INSERT OR IGNORE INTO turns (chat_id, position, question, response, filters, "
                "created) VALUES (?, ?, ?, ?, ?, ?)",
                [
                    (chat_id, i, q, json.dumps(r), json.dumps(f) if f else None, now)
                    for i, (q, r, f) in enumerate(turns)
                ],
            )

    def turns(self, chat_id: str) -> list[StoredTurn]:
        """The conversation's turns in order; [] for an unknown chat or no file yet."""
        try:
            with self._db() as db:
                rows = db.execute(
                    "SELECT id, position, question, response, filters FROM turns "
                    "WHERE chat_id = ? ORDER BY position",
                    (chat_id,),
                ).fetchall()
        except FileNotFoundError:
            return []
        return [
            StoredTurn(i, p, q, json.loads(r), json.loads(f) if f else None)
            for i, p, q, r, f in rows
        ]

    def chats(self, limit: int = 20) -> list[ChatSummary]:
        """The most recently continued conversations first."""
        try:
            with self._db() as db:
                rows = db.execute(
                    "SELECT c.id, c.title, c.updated, COUNT(t.id) FROM chats c "
                    "LEFT JOIN turns t ON t.chat_id = c.id GROUP BY c.id "
                    "ORDER BY c.updated DESC LIMIT ?",
                    (limit,),
                ).fetchall()
        except FileNotFoundError:
            return []
        return [ChatSummary(*row) for row in rows]

    def delete_chat(self, chat_id: str) -> None:
        with self._db(write=True) as db:
            db.execute("DELETE FROM chats WHERE id = ?", (chat_id,))

    # -- feedback --------------------------------------------------------------------

    def rate(self, chat_id: str, position: int, rating: Rating, comment: str = "") -> bool:
        """Record (or replace) the rating of a saved turn; False if the turn is not saved."""
        with self._db(write=True) as db:
            row = db.execute(
                "SELECT id, question, response FROM turns WHERE chat_id = ? AND position = ?",
                (chat_id, position),
            ).fetchone()
            if row is None:
                return False
            turn_id, question, response = row
            answer = json.loads(response)
            db.execute(
                "INSERT INTO feedback (turn_id, rating, comment, question, answer, citations, "
                "created) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(turn_id) DO UPDATE SET "
                "rating = excluded.rating, comment = excluded.comment, "
                "created = excluded.created",
                (
                    turn_id,
                    rating,
                    comment.strip(),
                    question,
                    answer.get("answer") or "",
                    json.dumps(answer.get("citations") or []),
                    time.time(),
                ),
            )
        return True

    def rating(self, chat_id: str, position: int) -> tuple[Rating, str] | None:
        try:
            with self._db() as db:
                row = db.execute(
                    "SELECT f.rating, f.comment FROM feedback f JOIN turns t ON t.id = f.turn_id "
                    "WHERE t.chat_id = ? AND t.position = ?",
                    (chat_id, position),
                ).fetchone()
        except FileNotFoundError:
            return None
        return (row[0], row[1]) if row else None

    def feedback(self) -> list[Feedback]:
        """Every rated answer, oldest first, with the conversation before it."""
        try:
            with self._db() as db:
                rows = db.execute(
                    "SELECT f.turn_id, t.chat_id, t.position, f.rating, f.comment, f.question, "
                    "f.answer, f.citations, t.response FROM feedback f "
                    "JOIN turns t ON t.id = f.turn_id ORDER BY f.created, f.turn_id"
                ).fetchall()
                earlier = {
                    (c, p): (q, json.loads(r).get("answer") or ABSTAINED)
                    for c, p, q, r in db.execute(
                        "SELECT chat_id, position, question, response FROM turns "
                        "WHERE chat_id IN (SELECT t.chat_id FROM feedback f "
                        "JOIN turns t ON t.id = f.turn_id)"
                    )
                }
        except FileNotFoundError:
            return []
        out = []
        for turn_id, chat, pos, rating, comment, question, answer, citations, response in rows:
            history: list[dict[str, str]] = []
            for p in range(pos):
                q, a = earlier[(chat, p)]
                history += [{"role": "user", "content": q}, {"role": "assistant", "content": a}]
            out.append(
                Feedback(
                    turn_id, chat, pos, rating, comment, question, answer,
                    json.loads(citations), bool(json.loads(response).get("abstained")), history,
                )
            )  # fmt: skip
        return out


def _title(question: str) -> str:
    line = " ".join(question.split())
    return line if len(line) <= TITLE_CHARS else line[: TITLE_CHARS - 1].rstrip() + "…"


# -- export as evaluation questions ----------------------------------------------------

EXPORT_ID_BASE = 900_000  # exported ids are q9xxxxx: never those of the bundled set
MAX_FACTS = 5
MAX_EVIDENCE = 3
HISTORY_TURNS = 2


def question_id(turn_id: int) -> str:
    return f"q{EXPORT_ID_BASE + turn_id}"


def as_eval_question(fb: Feedback, parent_turn_id: int | None) -> dict[str, Any]:
    """One rated answer in the shape of ``rag/eval/questions.jsonl``.

    A thumbs-up on an answer becomes an answerable question: its facts are the reader's
    answer spans (else the cited sentences), its evidence the cited quotes. A thumbs-up on
    an abstention becomes an unanswerable one. A thumbs-down cannot say what the right
    answer is: it is written as a draft (no facts, no evidence) for a reviewer to finish,
    with the comment in ``notes``.
    """
    facts: list[str] = []
    evidence: list[dict[str, str]] = []
    answerable = not fb.abstained
    if fb.rating == "up" and answerable:
        for c in fb.citations:
            span = (c.get("answer_span") or {}).get("text") or c.get("quote") or ""
            if span and span not in facts:
                facts.append(span)
        facts = facts[:MAX_FACTS]
        seen: set[tuple[str, str]] = set()
        for c in fb.citations:
            item = (Path(str(c.get("source") or "")).name, str(c.get("quote") or ""))
            if item[1] and item not in seen:
                seen.add(item)
                evidence.append({"source": item[0], "quote": item[1]})
        evidence = evidence[:MAX_EVIDENCE]
    elif fb.rating == "down":
        answerable = fb.abstained  # it abstained wrongly, or answered what it should not
    history = fb.history[-2 * HISTORY_TURNS :]
    verdict = "thumbs up" if fb.rating == "up" else "thumbs down; needs review"
    if fb.rating == "down":
        verdict += (
            " (add facts and evidence)"
            if answerable
            else " (check the publications do not answer it)"
        )
    notes = f"from feedback on {fb.chat_id}#{fb.position}: {verdict}"
    if fb.comment:
        notes += f"; comment: {fb.comment}"
    return {
        "id": question_id(fb.turn_id),
        "question": fb.question,
        "answerable": answerable,
        "facts": facts,
        "evidence": evidence,
        "history": history,
        "follow_up_of": question_id(parent_turn_id) if history and parent_turn_id else None,
        "notes": notes,
    }


def export_rows(store: ChatStore, rating: Rating | None = None) -> list[dict[str, Any]]:
    """The rated answers (only ``rating`` ones if given) as evaluation question rows."""
    rows = []
    for fb in store.feedback():
        if rating is not None and fb.rating != rating:
            continue
        parent = None
        if fb.position > 0:
            earlier = store.turns(fb.chat_id)
            parent = next((t.turn_id for t in earlier if t.position == fb.position - 1), None)
        rows.append(as_eval_question(fb, parent))
    return rows


__all__ = [
    "ABSTAINED",
    "CHAT_ID",
    "ChatStore",
    "ChatSummary",
    "Feedback",
    "Rating",
    "StoredTurn",
    "as_eval_question",
    "default_path",
    "export_rows",
    "question_id",
]
