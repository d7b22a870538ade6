"""The reader evaluation's metrics against their definitions."""

from __future__ import annotations

import itertools

import numpy as np
from hypothesis import example, given
from hypothesis import strategies as st

from rag.eval.reader import f1_score, normalize_answer, roc_auc
from rag.reader.calibrate import best_threshold


def test_squad_normalisation_and_f1() -> None:
    assert normalize_answer("The  Louvre, museum!") == "louvre museum"
    assert f1_score("the Louvre", "Louvre") == 1.0
    assert f1_score("Louvre museum", "Louvre") == 2 * (0.5 * 1.0) / 1.5
    assert f1_score("Paris", "Louvre") == 0.0


@given(st.lists(st.tuples(st.booleans(), st.integers(0, 5)), min_size=2, max_size=30))
def test_auc_is_the_share_of_correctly_ordered_pairs(rows: list[tuple[bool, int]]) -> None:
    labels = [int(y) for y, _ in rows]
    scores = [float(s) for _, s in rows]
    pos = [s for y, s in zip(labels, scores, strict=True) if y]
    neg = [s for y, s in zip(labels, scores, strict=True) if not y]
    got = roc_auc(labels, scores)
    if not pos or not neg:
        assert np.isnan(got)
        return
    pairs = [1.0 if p > n else 0.5 if p == n else 0.0 for p, n in itertools.product(pos, neg)]
    assert abs(got - sum(pairs) / len(pairs)) < 1e-9


@given(st.lists(st.tuples(st.booleans(), st.floats(0, 1)), min_size=1, max_size=30))
@example([(False, 0.0), (True, 5e-324)])  # neighbours with no float between them (CI found it)
def test_best_threshold_is_as_good_as_any_cut(rows: list[tuple[bool, float]]) -> None:
    labels = [int(y) for y, _ in rows]
    scores = np.array([s for _, s in rows])
    y = np.array(labels, dtype=bool)
    cut = best_threshold(labels, scores.tolist())
    acc = np.mean((scores >= cut) == y)
    for other in np.concatenate([scores, [2.0]]):
        assert acc >= np.mean((scores >= other) == y) - 1e-12


@given(st.lists(st.tuples(st.booleans(), st.floats(0, 1)), min_size=1, max_size=40),
       st.sampled_from([0.5, 0.8, 0.9, 1.0]))  # fmt: skip
def test_coverage_threshold_answers_the_share_asked_and_is_the_highest(
    rows: list[tuple[bool, float]], coverage: float
) -> None:
    from rag.reader.calibrate import coverage_threshold

    labels = [int(y) for y, _ in rows]
    pos = np.array([s for y, s in rows if y])
    cut = coverage_threshold(labels, [s for _, s in rows], coverage)
    if not len(pos):
        return
    assert np.mean(pos >= cut) >= coverage - 1e-12
    higher = pos[pos > cut]
    if len(higher):  # any higher cut answers fewer than asked
        assert np.mean(pos >= higher.min()) < coverage
