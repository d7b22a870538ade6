"""`rag eval reader` end to end on a tiny SQuAD-shaped folder: an oracle reader scores
perfectly, a reader that always picks the first sentence scores what it should, and
the report has one object per method with the documented keys."""

from __future__ import annotations

import gzip
import json
from collections.abc import Sequence
from pathlib import Path

import pytest

from rag.embed import HashEmbedder
from rag.eval.reader import evaluate_reader
from rag.reader import data as D
from rag.reader.reader import Reading
from rag.text import english_stemmer

CONTEXT = "Paris is in France. It has the Louvre museum. The Seine runs through it."
# The third question shares no content word with its sentence: worded away from it.
GOLD = {"Where is Paris?": "France", "What museum is there?": "Louvre",
        "Which river flows across the city?": "Seine"}  # fmt: skip
KEYS = {"sentence_top1", "sentence_top1_worded_away", "worded_away_questions", "span_em",
        "span_f1", "answerability_auc", "answerability_acc", "threshold", "dev_questions",
        "v2_questions", "pairs_per_s"}  # fmt: skip


def write(folder: Path, name: str, n_articles: int, impossible: bool) -> None:
    arts = []
    for a in range(n_articles):
        qas = [{"id": f"{a}-{q}", "question": q, "is_impossible": False,
                "answers": [{"text": t, "answer_start": CONTEXT.index(t)}]}
               for q, t in GOLD.items()]  # fmt: skip
        if impossible:
            qas.append({"id": f"{a}-x", "question": "Who built the Eiffel Tower?",
                        "answers": [], "is_impossible": True})  # fmt: skip
        arts.append({"title": f"A{a}", "paragraphs": [{"context": CONTEXT, "qas": qas}]})
    with gzip.open(folder / D.FILES[name], "wt") as f:
        json.dump({"data": arts}, f)


@pytest.fixture
def squad(tmp_path: Path) -> Path:
    write(tmp_path, "dev", 2, impossible=False)
    write(tmp_path, "v2dev", 4, impossible=True)
    return tmp_path


class Oracle:
    name, threshold = "oracle", 0.5

    def read_pairs(
        self, questions: Sequence[str], sentences: Sequence[str], titles: Sequence[str],
        contexts: Sequence[str] | None = None,
    ) -> list[Reading]:  # fmt: skip
        out = []
        for q, s in zip(questions, sentences, strict=True):
            gold = GOLD.get(q)
            if gold and gold in s:
                out.append(Reading(0.9, (s.index(gold), s.index(gold) + len(gold))))
            else:
                out.append(Reading(0.1, None))
        return out


class First(Oracle):
    def read_pairs(self, questions, sentences, titles, contexts=None):  # type: ignore[no-untyped-def]
        return [Reading(1.0 if s.startswith("Paris") else 0.0, (0, 5)) for s in sentences]


def run(squad: Path, reader: object) -> dict:  # type: ignore[type-arg]
    return evaluate_reader(squad, reader=reader, embedder=HashEmbedder(),  # type: ignore[arg-type]
                           stemmer=english_stemmer())  # fmt: skip


def test_an_oracle_scores_perfectly_and_every_method_reports(squad: Path) -> None:
    report = run(squad, Oracle())
    assert set(report) == {"reader", "bi_encoder", "heuristic"}
    assert all(KEYS <= set(m) for m in report.values())
    r = report["reader"]
    assert r["sentence_top1"] == 1.0 and r["span_em"] == 1.0 and r["span_f1"] == 1.0
    assert r["answerability_auc"] == 1.0 and r["answerability_acc"] == 1.0
    assert r["sentence_top1_worded_away"] == 1.0 and r["worded_away_questions"] == 2
    assert r["dev_questions"] == 6 and r["v2_questions"] == 8  # odd articles 1 and 3


def test_a_wrong_sentence_scores_zero_span(squad: Path) -> None:
    r = run(squad, First())["reader"]
    # "Where is Paris?" is right (sentence 0, but its span "Paris" is not "France"),
    # "What museum?" and the river question are wrong: top-1 1/3, EM 0, F1 0.
    assert r["sentence_top1"] == 0.3333 and r["span_em"] == 0.0 and r["span_f1"] == 0.0
    assert r["sentence_top1_worded_away"] == 0.0 and r["worded_away_questions"] == 2
