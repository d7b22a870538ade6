"""Choose the reader's abstention threshold on the SQuAD 2.0 calibration articles.

``python -m rag.reader.calibrate ../shared/data/squad --model data/reader-model``
scores every question of the SQuAD 2.0 dev articles at positions 2, 6, 10, ...
(never those at odd positions, which are evaluation only), takes each question's
best-sentence probability, and writes into ``reader.json`` the cut that maximises
the accuracy of "answer when the best probability is at least the cut".
"""

from __future__ import annotations

import argparse
import json
import logging
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from rag.reader import data as D

log = logging.getLogger(__name__)


def best_threshold(labels: Sequence[int], scores: Sequence[float]) -> float:
    """The cut maximising accuracy of "answer when score >= cut": the lowest score,
    midpoints between neighbouring scores or just above the highest; ties go low."""
    s = np.asarray(scores, dtype=float)
    y = np.asarray(labels, dtype=bool)
    uniq = np.unique(s)
    if not len(uniq):
        return 0.5
    cuts = np.concatenate([[uniq[0]], (uniq[1:] + uniq[:-1]) / 2, [uniq[-1] + 1e-6]])
    best, best_acc = 0.5, -1.0
    for cut in cuts:
        acc = float(np.mean((s >= cut) == y))
        if acc > best_acc:
            best, best_acc = float(cut), acc
    return best


def best_probabilities(reader: object, qs: list[D.Question]) -> list[float]:
    qq = [q.question for q in qs for _ in q.sentences]
    ss = [s for q in qs for s in q.sentences]
    tt = [q.title for q in qs for _ in q.sentences]
    cc = [c for q in qs for c in ("", *q.sentences[:-1])]
    readings = reader.read_pairs(qq, ss, tt, cc)  # type: ignore[attr-defined]
    out, k = [], 0
    for q in qs:
        out.append(max(r.prob for r in readings[k : k + len(q.sentences)]))
        k += len(q.sentences)
    return out


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(
        prog="python -m rag.reader.calibrate", description=__doc__.split("\n")[0]
    )
    ap.add_argument("squad", type=Path)
    ap.add_argument("--model", type=Path, default=Path("data/reader-model"))
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    from rag.reader.reader import CrossEncoderReader

    v2 = D.load_json(args.squad, "v2dev")
    cal = D.questions(v2, positions=iter(D.v2_calibration_positions(len(v2))))
    reader = CrossEncoderReader(args.model)
    probs = best_probabilities(reader, cal)
    labels = [int(q.answer_sentence is not None) for q in cal]
    cut = best_threshold(labels, probs)
    acc = float(np.mean((np.asarray(probs) >= cut) == np.asarray(labels, dtype=bool)))
    cfg_path = args.model / "reader.json"
    cfg = json.loads(cfg_path.read_text())
    cfg["threshold"] = round(cut, 4)
    cfg["threshold_from"] = (
        f"best accuracy ({acc:.4f}) on {len(cal)} questions of the SQuAD 2.0 dev articles at "
        f"positions 2, 6, 10, ... ({labels.count(0)} unanswerable)"
    )
    cfg_path.write_text(json.dumps(cfg, indent=2) + "\n")
    log.info("threshold %.4f (calibration accuracy %.4f) written to %s", cut, acc, cfg_path)


if __name__ == "__main__":
    main()
