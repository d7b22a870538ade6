"""Compare reader drafts on development data only, before any reported number is seen.

``python -m rag.reader.devcheck ../shared/data/squad MODEL [MODEL ...] --json``
reads, with each model folder in the shipped precision (``answer.reader_precision``;
``--precision`` to choose), the held-out SQuAD 1.1 *train* articles (top-1 sentence among each
paragraph's sentences; also over the questions sharing under half their content words with
the answer sentence) and the SQuAD 2.0 dev calibration articles at positions 2,
10, 18, ... (answerability ROC AUC of the best sentence's probability). Neither
set is ever trained on, and neither is reported as a result: this is what a new
draft is kept or dropped on. SQuAD 1.1 dev, the odd SQuAD 2.0 articles and the
corpus question set are not read here.
"""

from __future__ import annotations

import argparse
import json
import logging
import random
from pathlib import Path

from rag.reader import data as D
from rag.reader.calibrate import best_probabilities, roc_auc, sentence_probabilities

log = logging.getLogger(__name__)


def check(
    model: Path, squad: Path, *, holdout: int, quantize: bool = False
) -> dict[str, float | int | str]:
    from rag.reader.reader import CrossEncoderReader

    train = D.load_json(squad, "train")
    held = [
        q
        for q in D.questions(train, positions=iter(D.holdout_positions(len(train))))
        if q.answer_sentence is not None
    ]
    random.Random(13).shuffle(held)
    held = held[:holdout]
    v2 = D.load_json(squad, "v2dev")
    cal = D.questions(v2, positions=iter(D.v2_calibration_positions(len(v2))))
    reader = CrossEncoderReader(model, quantize=quantize)
    away = {q.qid for q in D.worded_away(held)}
    low = [q.qid in away for q in held]
    right = [
        int(row.index(max(row)) == q.answer_sentence)
        for q, row in zip(held, sentence_probabilities(reader, held), strict=True)
    ]
    hits = sum(right)
    n_low = sum(low)
    best = best_probabilities(reader, cal)
    labels = [int(q.answer_sentence is not None) for q in cal]
    return {
        "model": str(model),
        "int8": quantize,
        "holdout_train_top1": round(hits / max(1, len(held)), 4),
        "holdout_questions": len(held),
        "holdout_low_overlap_top1": round(
            sum(r for r, lo in zip(right, low, strict=True) if lo) / max(1, n_low), 4
        ),
        "holdout_low_overlap_questions": n_low,
        "calibration_auc": round(roc_auc(labels, best), 4),
        "calibration_questions": len(cal),
    }


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(
        prog="python -m rag.reader.devcheck", description=__doc__.split("\n")[0]
    )
    ap.add_argument("squad", type=Path)
    ap.add_argument("models", type=Path, nargs="+")
    ap.add_argument("--holdout", type=int, default=1200, help="held-out train questions")
    ap.add_argument(
        "--precision",
        choices=["float32", "int8"],
        default=None,
        help="the reader's arithmetic (default: the shipped answer.reader_precision)",
    )
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    from rag.settings import get_settings

    int8 = (args.precision or get_settings().answer.reader_precision) == "int8"
    out = [check(m, args.squad, holdout=args.holdout, quantize=int8) for m in args.models]
    if args.json:
        print(json.dumps(out, indent=2))
    else:
        for row in out:
            print(
                f"{row['model']}: top-1 {row['holdout_train_top1']} "
                f"({row['holdout_questions']} held-out train questions; "
                f"{row['holdout_low_overlap_top1']} on the {row['holdout_low_overlap_questions']} "
                "worded away from their sentence), calibration AUC "
                f"{row['calibration_auc']} ({row['calibration_questions']} questions)"
            )


if __name__ == "__main__":
    main()
