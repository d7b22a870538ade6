"""The abstention threshold chosen through the product's own path (rag.eval.calibrate):
the calibration articles, and only those, are indexed as publications and each question
is asked as /ask asks it."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from rag.eval import calibrate as C
from rag.reader import data as D
from rag.settings import Settings

TOPICS = ["rivers", "castles", "trains", "bridges", "forests", "harbours", "mines", "mills",
          "canals", "towers", "abbeys"]  # fmt: skip


def squad(folder: Path) -> Path:
    """Eleven articles: the calibration positions are 2 and 10 (range(2, 11, 8))."""
    arts = []
    for a, topic in enumerate(TOPICS):
        ctx = (
            f"The {topic} of Avonshire were built in {1800 + a}. Many visitors admire the {topic}."
        )
        qas = [
            {"id": f"{a}-y", "question": f"When were the {topic} of Avonshire built?",
             "answers": [{"text": str(1800 + a), "answer_start": ctx.index(str(1800 + a))}],
             "is_impossible": False},
            {"id": f"{a}-n", "question": "Who painted the ceiling of the opera house?",
             "answers": [], "is_impossible": True},
        ]  # fmt: skip
        arts.append(
            {"title": f"{topic.title()}_of_Avonshire", "paragraphs": [{"context": ctx, "qas": qas}]}
        )
    with gzip.open(folder / D.FILES["v2dev"], "wt") as f:
        json.dump({"data": arts}, f)
    return folder


def test_only_the_calibration_articles_are_written(tmp_path: Path) -> None:
    arts = D.load_json(squad(tmp_path), "v2dev")
    n = C.write_articles(arts, D.v2_calibration_positions(len(arts)), tmp_path / "corpus")
    files = sorted(p.name for p in (tmp_path / "corpus").glob("*.txt"))
    assert n == 2 and files == ["002-trains-of-avonshire.txt", "010-abbeys-of-avonshire.txt"]
    text = (tmp_path / "corpus" / files[0]).read_text()
    assert text.startswith("Trains of Avonshire\n\nThe trains of Avonshire were built in 1802.")


def test_the_threshold_answers_the_asked_share_of_answerable_questions(tmp_path: Path) -> None:
    settings = Settings(embedding={"backend": "hash"}, answer={"reader": "lexical"})
    r = C.calibrate(squad(tmp_path), settings=settings, coverage=1.0, progress=False)
    assert (r["articles"], r["questions"], r["unanswerable"]) == (2, 4, 2)
    assert 0.0 < r["threshold"] <= 1.0
    # the lexical reader finds the answerable questions' words and not the others'
    assert r["auc"] == pytest.approx(1.0) and r["accuracy"] == pytest.approx(1.0)
    assert "positions 2, 10, 18" in C.describe(r)


def test_write_keeps_the_in_paragraph_threshold_beside_it(tmp_path: Path) -> None:
    (tmp_path / "reader.json").write_text(json.dumps({"threshold": 0.29, "threshold_from": "p"}))
    r = {"threshold": 0.11, "coverage": 0.9, "articles": 5, "chunks": 9, "questions": 10,
         "unanswerable": 4, "auc": 0.7, "accuracy": 0.6, "abstained_unanswerable": 0.5,
         "accuracy_cut": 0.4, "accuracy_at_accuracy_cut": 0.65}  # fmt: skip
    C.write(tmp_path, r)
    C.write(tmp_path, {**r, "threshold": 0.12})  # a second run keeps the first original
    cfg = json.loads((tmp_path / "reader.json").read_text())
    assert cfg["threshold"] == 0.12 and cfg["threshold_in_paragraph"] == 0.29
    assert cfg["threshold_in_paragraph_from"] == "p" and "asked as /ask" in cfg["threshold_from"]


def test_an_int8_calibration_is_written_under_the_int8_key(tmp_path: Path) -> None:
    before = {"threshold": 0.38, "threshold_from": "f", "threshold_int8": 0.29}
    (tmp_path / "reader.json").write_text(json.dumps({**before, "threshold_int8_from": "i"}))
    r = {"threshold": 0.21, "coverage": 0.9, "articles": 5, "chunks": 9, "questions": 10,
         "unanswerable": 4, "auc": 0.7, "accuracy": 0.6, "abstained_unanswerable": 0.5,
         "accuracy_cut": 0.4, "accuracy_at_accuracy_cut": 0.65}  # fmt: skip
    C.write(tmp_path, r, int8=True)
    cfg = json.loads((tmp_path / "reader.json").read_text())
    assert (cfg["threshold"], cfg["threshold_from"]) == (0.38, "f")  # float32's, untouched
    assert cfg["threshold_int8"] == 0.21 and cfg["threshold_int8_in_paragraph"] == 0.29
    assert cfg["threshold_int8_in_paragraph_from"] == "i"
