"""The development check reads only the held-out SQuAD 1.1 train articles and the SQuAD
2.0 calibration articles: questions placed anywhere else are never counted."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from rag.reader import data as D
from rag.reader.devcheck import check
from rag.reader.reader import MODEL_DIR

pytestmark = pytest.mark.model

CONTEXT = "Paris is in France. It has the Louvre museum. The Seine runs through it."


def qa(qid: str, question: str, answer: str | None) -> dict:
    if answer is None:
        return {"id": qid, "question": question, "answers": [], "is_impossible": True}
    return {
        "id": qid,
        "question": question,
        "answers": [{"text": answer, "answer_start": CONTEXT.index(answer)}],
    }


def write(folder: Path, name: str, qas_per_article: list[list[dict]]) -> None:
    arts = [
        {"title": f"Art_{i}", "paragraphs": [{"context": CONTEXT, "qas": qas}]}
        for i, qas in enumerate(qas_per_article)
    ]
    with gzip.open(folder / D.FILES[name], "wt", encoding="utf-8") as f:
        json.dump({"version": "x", "data": arts}, f)


def test_counts_only_the_development_articles(tmp_path: Path) -> None:
    n = D.HOLDOUT_TRAIN_ARTICLES + 3
    museum = qa("m", "Which museum is in Paris?", "Louvre")
    river = qa("r", "Which river runs through Paris?", "Seine")
    # Worded away from its sentence ("It has the Louvre museum."): no content word shared.
    away = qa("w", "Where can visitors admire paintings in the French capital?", "Louvre")
    # Training articles (the first 3) carry extra questions that must not be counted.
    train = [[museum, river, museum] if i < 3 else [museum] for i in range(n)]
    train[-1] = [museum, away]
    write(tmp_path, "train", train)
    unanswerable = qa("u", "Which airport serves Paris?", None)
    v2 = [[museum, unanswerable, river] if i == 2 else [river] for i in range(4)]
    write(tmp_path, "v2dev", v2)
    row = check(MODEL_DIR, tmp_path, holdout=100)
    assert row["holdout_questions"] == D.HOLDOUT_TRAIN_ARTICLES + 1
    assert row["holdout_low_overlap_questions"] == 1  # only the worded-away one
    assert row["holdout_low_overlap_top1"] in (0.0, 1.0)
    assert row["calibration_questions"] == 3  # only article 2 of the SQuAD 2.0 file
    # Every "Which museum" question -> the Louvre sentence.
    assert float(row["holdout_train_top1"]) >= D.HOLDOUT_TRAIN_ARTICLES / (
        D.HOLDOUT_TRAIN_ARTICLES + 1
    )
    assert 0.0 <= float(row["calibration_auc"]) <= 1.0
