"""The UI's conversation store (ui.chats): turns kept once each, ratings per answer, a
damaged file read as empty (never a crash), and rated answers exported as questions that
``rag/eval/questions.jsonl``'s own model accepts."""

from __future__ import annotations

from pathlib import Path

import pytest

from rag.eval.questions import EvalQuestion
from ui.chats import ChatStore, export_rows

CHAT = "0" * 31 + "1"
OTHER = "0" * 31 + "2"
QUOTE = "The include Coventry, Derby, Northampton, Preston and Warrington/Wigan."


def _response(question: str, *, abstained: bool = False) -> dict:
    citation = {
        "marker": 1, "doc_id": "d", "title": "Streets Ahead", "page": None, "quote": QUOTE,
        "source": "corpus/streets-ahead-press-release-2011-12-07.txt", "char_start": 0,
        "char_end": len(QUOTE),
        "answer_span": {"char_start": 12, "char_end": 20, "text": "Coventry"},
    }  # fmt: skip
    return {
        "question": question,
        "answer": "" if abstained else "Coventry and Derby [1].",
        "abstained": abstained,
        "citations": [] if abstained else [citation],
        "passages": [],
    }


@pytest.fixture
def store(tmp_path: Path) -> ChatStore:
    return ChatStore(tmp_path / "ui" / "chats.sqlite3")


def test_turns_are_kept_once_in_order(store: ChatStore) -> None:
    one = ("which cities are high-tech innovators?", _response("q1"), None)
    two = ("and the service innovators?", _response("q2"), {"author": "Crowley"})
    store.append_turns(CHAT, [one])
    store.append_turns(CHAT, [one, two])  # the page saves the whole list each time
    turns = store.turns(CHAT)
    assert [(t.position, t.question, t.filters) for t in turns] == [
        (0, one[0], None),
        (1, two[0], {"author": "Crowley"}),
    ]
    (summary,) = store.chats()
    assert (summary.chat_id, summary.title, summary.turns) == (CHAT, one[0], 2)
    assert store.turns(OTHER) == []


def test_a_bad_chat_id_is_never_stored(store: ChatStore) -> None:
    store.append_turns("../../etc", [("q", _response("q"), None)])
    assert store.chats() == []


def test_no_file_yet_reads_as_empty(store: ChatStore) -> None:
    assert store.chats() == [] and store.turns(CHAT) == [] and store.feedback() == []
    assert store.rating(CHAT, 0) is None
    assert not store.path.exists()  # reading creates nothing


def test_rating_an_unsaved_turn_says_so(store: ChatStore) -> None:
    assert store.rate(CHAT, 0, "up") is False


def test_a_thumbs_up_exports_as_an_answerable_question(store: ChatStore) -> None:
    store.append_turns(CHAT, [("which cities are high-tech innovators?", _response("q"), None)])
    store.rate(CHAT, 0, "up", "  right list  ")
    (row,) = export_rows(store)
    question = EvalQuestion.model_validate(row)  # the evaluation set's own model accepts it
    assert question.answerable and question.facts == ["Coventry"]
    assert [e.model_dump() for e in question.evidence] == [
        {"source": "streets-ahead-press-release-2011-12-07.txt", "quote": QUOTE}
    ]
    assert question.history == [] and question.follow_up_of is None
    assert "right list" in question.notes
    assert set(row) == {"id", "question", "answerable", "facts", "evidence", "history",
                        "follow_up_of", "notes"}  # fmt: skip


def test_a_follow_up_carries_its_history_and_parent(store: ChatStore) -> None:
    store.append_turns(CHAT, [
        ("which cities are high-tech innovators?", _response("q1"), None),
        ("what is the capital of France?", _response("q2", abstained=True), None),
    ])  # fmt: skip
    store.rate(CHAT, 1, "up")  # abstaining was right
    (row,) = export_rows(store)
    question = EvalQuestion.model_validate(row)
    assert not question.answerable and question.facts == [] and question.evidence == []
    assert [(t.role, t.content) for t in question.history] == [
        ("user", "which cities are high-tech innovators?"),
        ("assistant", "Coventry and Derby [1]."),
    ]
    parent = store.turns(CHAT)[0].turn_id
    assert question.follow_up_of == f"q{900_000 + parent}"


def test_thumbs_down_are_drafts_left_out_unless_asked_for(store: ChatStore) -> None:
    store.append_turns(CHAT, [("which cities?", _response("q"), None)])
    store.rate(CHAT, 0, "down", "it missed Preston")
    assert export_rows(store, "up") == []
    (row,) = export_rows(store, "down")
    assert row["facts"] == [] and "needs review" in row["notes"]
    assert "it missed Preston" in row["notes"]


def test_a_damaged_store_is_an_error_the_caller_can_catch(store: ChatStore) -> None:
    import sqlite3

    store.path.parent.mkdir(parents=True)
    store.path.write_bytes(b"not a database at all" * 100)
    with pytest.raises(sqlite3.DatabaseError):
        store.turns(CHAT)
