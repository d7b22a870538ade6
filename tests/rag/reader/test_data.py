"""SQuAD as reader examples: answer sentences found with the product's splitter, drifted
offsets re-found, answers across a sentence boundary dropped, splits disjoint."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from rag.reader import data as D

CONTEXT = "Paris is in France. It has the Louvre museum. The Seine runs through it."


def squad(tmp_path: Path, name: str, qas: list[dict], n_articles: int = 1) -> Path:
    arts = [
        {"title": f"Art_{i}", "paragraphs": [{"context": CONTEXT, "qas": qas}]}
        for i in range(n_articles)
    ]
    with gzip.open(tmp_path / D.FILES[name], "wt", encoding="utf-8") as f:
        json.dump({"version": "x", "data": arts}, f)
    return tmp_path


def qa(qid: str, text: str, start: int, impossible: bool = False) -> dict:
    answers = [] if impossible else [{"text": text, "answer_start": start}]
    return {
        "id": qid,
        "question": f"question {qid}?",
        "answers": answers,
        "is_impossible": impossible,
    }


def test_answers_land_in_their_sentence_with_offsets_inside_it(tmp_path: Path) -> None:
    louvre = CONTEXT.index("Louvre")
    folder = squad(
        tmp_path,
        "dev",
        [
            qa("a", "Louvre", louvre),
            qa("b", "Seine", CONTEXT.index("Seine") + 3),  # drifted: re-found nearby
            qa("c", "France. It", CONTEXT.index("France")),  # crosses a boundary: dropped
            qa("d", "Berlin", 0),  # not in the context: dropped
        ],
    )
    stats = D.Stats()
    qs = D.questions(D.load_json(folder, "dev"), stats=stats)
    assert [q.qid for q in qs] == ["a", "b"]
    assert stats.dropped_crossing == 1 and stats.dropped_unfound == 1
    a, b = qs
    assert a.sentences == (
        "Paris is in France.",
        "It has the Louvre museum.",
        "The Seine runs through it.",
    )
    assert a.answer_sentence == 1 and a.title == "Art 0"
    s, e = a.spans[0]
    assert a.sentences[1][s:e] == "Louvre"
    s, e = b.spans[0]
    assert b.answer_sentence == 2 and b.sentences[2][s:e] == "Seine"


def test_unanswerable_questions_have_no_answer_sentence(tmp_path: Path) -> None:
    folder = squad(tmp_path, "v2dev", [qa("x", "", 0, impossible=True)])
    (q,) = D.questions(D.load_json(folder, "v2dev"))
    assert q.answer_sentence is None and q.spans == () and len(q.sentences) == 3


def test_missing_file_names_the_folder(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="shared/data/squad"):
        D.load_json(tmp_path, "train")


@pytest.mark.parametrize("n", [1, 2, 7, 35, 442])
def test_splits_never_overlap(n: int) -> None:
    train, hold = set(D.train_positions(n)), set(D.holdout_positions(n))
    assert not train & hold
    fit, cal, ev = (
        set(f(n)) for f in (D.v2_train_positions, D.v2_calibration_positions, D.v2_eval_positions)
    )
    assert not (fit & cal) and not (fit & ev) and not (cal & ev)
    assert fit | cal == set(range(0, n, 2)) and ev == set(range(1, n, 2))


def test_lexical_overlap_counts_shared_content_words_stemmed() -> None:
    # "which", "is", "in" are function words: "museum" is shared, "Paris" is not.
    assert D.lexical_overlap("Which museum is in Paris?", "It has the Louvre museum.") == 0.5
    # Stems meet across word forms ("innovators" / "innovation").
    assert D.lexical_overlap("Who are the innovators?", "Innovation is high.") == 1.0
    assert D.lexical_overlap("Where can visitors admire paintings?", "It has the Louvre.") == 0.0
    # Nothing to compare: not counted as worded away.
    assert D.lexical_overlap("What is it?", "Anything.") == 1.0


def test_worded_away_keeps_answerable_questions_under_the_overlap() -> None:
    sents = ("Paris is in France.", "It has the Louvre museum.")

    def q(qid: str, text: str, answer: int | None) -> D.Question:
        return D.Question(qid, text, "Paris", sents, answer)

    near = q("near", "Which museum does the French capital hold?", 1)  # 1 of 4 shared
    far = q("far", "Where can visitors admire paintings?", 1)
    echo = q("echo", "Is Paris in France?", 0)  # every content word in the sentence
    none = q("none", "Where can visitors admire paintings?", None)  # unanswerable
    assert [x.qid for x in D.worded_away([near, far, echo, none], 0.5)] == ["near", "far"]
    assert [x.qid for x in D.worded_away([near, far, echo, none], 0.2)] == ["far"]


def test_mix_worded_away_keeps_all_of_them_and_enough_others() -> None:
    sents = ("Paris is in France.", "It has the Louvre museum.")
    far = [D.Question(f"far{i}", "Where can visitors admire paintings?", "P", sents, 1)
           for i in range(2)]  # fmt: skip
    echo = [D.Question(f"echo{i}", "Is Paris in France?", "P", sents, 0) for i in range(6)]
    mixed = D.mix_worded_away(echo[:3] + far + echo[3:], 0.5)
    # Both worded-away questions, two of the six others, evenly spaced, in order.
    assert [q.qid for q in mixed] == ["echo0", "far0", "far1", "echo3"]
    assert len(D.mix_worded_away(far + echo, 0.25)) == 8  # 2 away, 6 others
