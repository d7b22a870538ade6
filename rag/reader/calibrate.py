"""Choose the reader's abstention threshold on the SQuAD 2.0 calibration articles.

``python -m rag.reader.calibrate ../shared/data/squad --model data/reader-model``
scores every question of the SQuAD 2.0 dev articles at positions 2, 10, 18, ...
(never those at odd positions, which are evaluation only), takes each question's
best-sentence probability, and writes into ``reader.json`` the highest cut that
still answers ``--coverage`` (default 0.90, the product's operating point: at least
nine in ten answerable questions answered) of the answerable questions there; the
accuracy-optimal cut is recorded beside it for comparison.
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


def roc_auc(labels: Sequence[int], scores: Sequence[float]) -> float:
    """Mann-Whitney AUC with ties counted half."""
    y = np.asarray(labels, dtype=bool)
    s = np.asarray(scores, dtype=float)
    pos, neg = s[y], s[~y]
    if len(pos) == 0 or len(neg) == 0:
        return float("nan")
    order = np.argsort(np.concatenate([pos, neg]), kind="mergesort")
    ranks = np.empty(len(order))
    allv = np.concatenate([pos, neg])[order]
    i = 0
    while i < len(allv):  # average ranks over ties
        j = i
        while j + 1 < len(allv) and allv[j + 1] == allv[i]:
            j += 1
        ranks[order[i : j + 1]] = (i + j) / 2 + 1
        i = j + 1
    return float((ranks[: len(pos)].sum() - len(pos) * (len(pos) + 1) / 2) / (len(pos) * len(neg)))


def best_threshold(labels: Sequence[int], scores: Sequence[float]) -> float:
    """The cut maximising accuracy of "answer when score >= cut": the lowest score,
    midpoints between neighbouring scores or just above the highest; ties go low."""
    s = np.asarray(scores, dtype=float)
    y = np.asarray(labels, dtype=bool)
    uniq = np.unique(s)
    if not len(uniq):
        return 0.5
    mid = (uniq[1:] + uniq[:-1]) / 2
    # Two neighbouring floats can have no float between them (0 and 5e-324): the midpoint
    # rounds down onto the lower score and would not separate them; the higher one does.
    mid = np.where(mid > uniq[:-1], mid, uniq[1:])
    cuts = np.concatenate([[uniq[0]], mid, [uniq[-1] + 1e-6]])
    best, best_acc = 0.5, -1.0
    for cut in cuts:
        acc = float(np.mean((s >= cut) == y))
        if acc > best_acc:
            best, best_acc = float(cut), acc
    return best


def coverage_threshold(labels: Sequence[int], scores: Sequence[float], coverage: float) -> float:
    """The highest cut at which at least ``coverage`` of the positives score >= cut."""
    pos = np.sort(np.asarray([s for y, s in zip(labels, scores, strict=True) if y], dtype=float))
    if not len(pos):
        return 0.5
    k = int(np.floor((1.0 - coverage) * len(pos) + 1e-9))  # how many positives may fall below
    return float(pos[min(k, len(pos) - 1)])


def sentence_probabilities(reader: object, qs: list[D.Question]) -> list[list[float]]:
    """Each question's answer probability for every sentence of its paragraph."""
    qq, ss, tt, cc = D.sentence_pairs(qs)
    readings = reader.read_pairs(qq, ss, tt, cc)  # type: ignore[attr-defined]
    out, k = [], 0
    for q in qs:
        out.append([r.prob for r in readings[k : k + len(q.sentences)]])
        k += len(q.sentences)
    return out


def best_probabilities(reader: object, qs: list[D.Question]) -> list[float]:
    return [max(row) for row in sentence_probabilities(reader, qs)]


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(
        prog="python -m rag.reader.calibrate", description=__doc__.split("\n")[0]
    )
    ap.add_argument("squad", type=Path)
    ap.add_argument("--model", type=Path, default=Path("data/reader-model"))
    ap.add_argument(
        "--coverage",
        type=float,
        default=0.90,
        help="share of answerable calibration questions the threshold answers",
    )
    ap.add_argument(
        "--int8", action="store_true", help="calibrate the int8 reader (threshold_int8)"
    )
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    from rag.reader.reader import CrossEncoderReader, threshold_key

    v2 = D.load_json(args.squad, "v2dev")
    cal = D.questions(v2, positions=iter(D.v2_calibration_positions(len(v2))))
    reader = CrossEncoderReader(args.model, quantize=args.int8)
    probs = best_probabilities(reader, cal)
    labels = [int(q.answer_sentence is not None) for q in cal]
    y = np.asarray(labels, dtype=bool)
    p = np.asarray(probs)
    best = best_threshold(labels, probs)
    cut = coverage_threshold(labels, probs, args.coverage)
    acc = float(np.mean((p >= cut) == y))
    cfg_path = args.model / "reader.json"
    cfg = json.loads(cfg_path.read_text())
    key = threshold_key(args.int8)
    cfg[key] = round(cut, 4)
    cfg[f"{key}_from"] = (
        f"the highest cut answering {args.coverage:.0%} of the answerable questions of the "
        f"SQuAD 2.0 dev articles at positions 2, 10, 18, ... ({len(cal)} questions, "
        f"{labels.count(0)} unanswerable; accuracy there {acc:.4f}, abstaining on "
        f"{float(np.mean(p[~y] < cut)):.2%} of the unanswerable); the accuracy-optimal cut "
        f"there is {best:.4f} (accuracy {float(np.mean((p >= best) == y)):.4f})"
    )
    cfg_path.write_text(json.dumps(cfg, indent=2) + "\n")
    log.info("%s %.4f written to %s: %s", key, cut, cfg_path, cfg[f"{key}_from"])


if __name__ == "__main__":
    main()
