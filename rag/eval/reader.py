"""Reader evaluation on SQuAD: ``rag eval reader ../shared/data/squad --json``.

Three methods side by side in one run, over the same sentences (the product's
own splitter):

- ``reader``: the shipped cross-encoder (answer probability and span head);
- ``bi_encoder``: cosine between the question and each sentence (all-MiniLM-L6-v2);
- ``heuristic``: the hand-tuned scorer the reader replaced (``rag.eval.heuristic``).

Metrics:

- ``sentence_top1``: over every SQuAD 1.1 dev question (questions whose answer the
  loader cannot place in one sentence count as misses), the share whose best
  sentence among its paragraph's sentences holds the answer;
- ``span_em`` / ``span_f1``: SQuAD's answer normalisation, best over the gold
  answers, of the predicted span in the best sentence (methods without a span
  head predict the whole sentence); a wrong sentence scores 0;
- ``sentence_top1_worded_away``: the same over the dev questions that share less
  than half their content words with their answer sentence
  (``rag.reader.data.lexical_overlap``): worded away from the text, as users word
  theirs (``worded_away_questions`` of them);
- ``answerability_auc``: over SQuAD 2.0 dev articles at odd positions (never
  trained, tuned or calibrated on), ROC AUC of the best sentence's score for
  "the paragraph answers the question"; ``answerability_acc`` is the accuracy of
  answering exactly when that score clears the method's threshold (the reader's
  shipped one; for the baselines the best threshold on the calibration articles);
- ``pairs_per_s``: scoring throughput on this machine.
"""

from __future__ import annotations

import collections
import logging
import re
import string
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

from rag.reader import data as D
from rag.reader.calibrate import best_threshold, roc_auc
from rag.reader.reader import Reader

log = logging.getLogger(__name__)

# A scorer maps (questions, sentences, titles, previous sentences) to (scores, spans or
# None) per pair.
Scorer = Callable[
    [Sequence[str], Sequence[str], Sequence[str], Sequence[str]],
    tuple[list[float], list[tuple[int, int] | None]],
]


def normalize_answer(s: str) -> str:
    """SQuAD's official normalisation: lower, no punctuation, articles or extra spaces."""
    s = s.lower()
    s = "".join(ch for ch in s if ch not in set(string.punctuation))
    s = re.sub(r"\b(a|an|the)\b", " ", s)
    return " ".join(s.split())


def f1_score(pred: str, gold: str) -> float:
    p, g = normalize_answer(pred).split(), normalize_answer(gold).split()
    common = collections.Counter(p) & collections.Counter(g)
    same = sum(common.values())
    if same == 0:
        return 0.0
    precision, recall = same / len(p), same / len(g)
    return 2 * precision * recall / (precision + recall)


@dataclass
class _Scored:
    best: list[int]
    top_score: list[float]
    spans: list[tuple[int, int] | None]


def _score_questions(qs: list[D.Question], scorer: Scorer, desc: str) -> tuple[_Scored, float]:
    qq, ss, tt, cc = D.sentence_pairs(qs)
    t0 = time.perf_counter()
    scores: list[float] = []
    spans: list[tuple[int, int] | None] = []
    step = 512
    for b in tqdm(range(0, len(qq), step), desc=desc, unit="x512 pairs", leave=False):
        sc, sp = scorer(qq[b : b + step], ss[b : b + step], tt[b : b + step], cc[b : b + step])
        scores.extend(sc)
        spans.extend(sp)
    rate = len(qq) / max(1e-9, time.perf_counter() - t0)
    out = _Scored([], [], [])
    k = 0
    for q in qs:
        n = len(q.sentences)
        row = scores[k : k + n]
        i = int(np.argmax(row))
        out.best.append(i)
        out.top_score.append(float(row[i]))
        out.spans.append(spans[k + i])
        k += n
    return out, rate


def _span_scores(qs: list[D.Question], got: _Scored) -> tuple[float, float, float]:
    top1 = em = f1 = 0.0
    for q, i, sp in zip(qs, got.best, got.spans, strict=True):
        if q.answer_sentence is None or i != q.answer_sentence:
            continue
        top1 += 1
        sent = q.sentences[i]
        pred = sent[sp[0] : sp[1]] if sp else sent
        em += max(float(normalize_answer(pred) == normalize_answer(a)) for a in q.answers)
        f1 += max(f1_score(pred, a) for a in q.answers)
    return top1, em, f1


def reader_scorer(reader: Any) -> Scorer:
    def score(
        qs: Sequence[str], ss: Sequence[str], ts: Sequence[str], cs: Sequence[str]
    ) -> tuple[list[float], list]:
        rs = reader.read_pairs(qs, ss, ts, cs)
        return [r.prob for r in rs], [r.span for r in rs]

    return score


def embedding_scorers(embedder: Any, stemmer: Any) -> tuple[Scorer, Scorer]:
    """The bi-encoder cosine and the old heuristic (which builds on the same cosine)."""
    from rag.eval.heuristic import answer_kind
    from rag.text import bm25_tokenize

    def cos(qs: Sequence[str], ss: Sequence[str]) -> np.ndarray:
        uq, us = sorted(set(qs)), sorted(set(ss))
        vq = dict(zip(uq, embedder.embed(uq), strict=True))
        vs = dict(zip(us, embedder.embed(us), strict=True))
        return np.array([float(vq[q] @ vs[s]) for q, s in zip(qs, ss, strict=True)])

    def bi(
        qs: Sequence[str], ss: Sequence[str], ts: Sequence[str], cs: Sequence[str]
    ) -> tuple[list[float], list]:
        return cos(qs, ss).tolist(), [None] * len(ss)

    def heur(
        qs: Sequence[str], ss: Sequence[str], ts: Sequence[str], cs: Sequence[str]
    ) -> tuple[list[float], list]:
        from rag.eval.heuristic import sentence_score, term_overlap

        d = cos(qs, ss)
        qt = {
            q: set(t) for q, t in zip(set(qs), bm25_tokenize(list(set(qs)), stemmer), strict=True)
        }
        st = bm25_tokenize(list(ss), stemmer)
        out = []
        for q, s, dd, terms in zip(qs, ss, d, st, strict=True):
            ov = term_overlap(s, set(terms), qt[q])
            out.append(sentence_score(answer_kind(q), s, float(dd), ov))
        return out, [None] * len(ss)

    return bi, heur


def _heuristic_confidence(qs: list[D.Question], embedder: Any, stemmer: Any) -> list[float]:
    """The old answerer's confidence for each question's best sentence."""
    from rag.eval.heuristic import score_sentences
    from rag.text import bm25_tokenize

    out = []
    for q in tqdm(qs, desc="heuristic confidence", leave=False):
        vecs = embedder.embed([q.question, *q.sentences])
        dense = vecs[1:] @ vecs[0]
        terms = [set(t) for t in bm25_tokenize(list(q.sentences), stemmer)]
        _, conf = score_sentences(
            q.question, q.sentences, dense, terms, set(bm25_tokenize([q.question], stemmer)[0])
        )
        out.append(conf)
    return out


def _stride(qs: list[D.Question], limit: int | None) -> list[D.Question]:
    if not limit or limit >= len(qs):
        return qs
    step = len(qs) / limit
    return [qs[int(i * step)] for i in range(limit)]


def evaluate_reader(
    squad: Path,
    *,
    reader: Reader | None,
    embedder: Any,
    stemmer: Any,
    limit: int | None = None,
    methods: Sequence[str] = ("reader", "bi_encoder", "heuristic"),
) -> dict[str, dict[str, Any]]:
    """One report per method; ``limit`` takes an evenly spaced subset of questions."""
    dev_stats = D.Stats()
    dev_arts = D.load_json(squad, "dev")
    dev = D.questions(dev_arts, stats=dev_stats)
    n_dev_all = dev_stats.questions
    v2 = D.load_json(squad, "v2dev")
    ev = D.questions(v2, positions=iter(D.v2_eval_positions(len(v2))))
    cal = D.questions(v2, positions=iter(D.v2_calibration_positions(len(v2))))
    if limit:
        n_dev_all = round(n_dev_all * min(1.0, limit / len(dev)))
        dev, ev, cal = _stride(dev, limit), _stride(ev, limit), _stride(cal, limit)
    away = {q.qid for q in D.worded_away(dev)}
    bi, heur = embedding_scorers(embedder, stemmer)
    scorers: dict[str, Scorer] = {"bi_encoder": bi, "heuristic": heur}
    if reader is not None:
        scorers["reader"] = reader_scorer(reader)
    report: dict[str, dict[str, Any]] = {}
    for name in methods:
        if name not in scorers:
            continue
        got, rate = _score_questions(dev, scorers[name], f"{name}: SQuAD 1.1 dev")
        top1, em, f1 = _span_scores(dev, got)
        away_hits = sum(
            int(i == q.answer_sentence) for q, i in zip(dev, got.best, strict=True) if q.qid in away
        )
        ev_got, _ = _score_questions(ev, scorers[name], f"{name}: SQuAD 2.0 odd")
        labels = [int(q.answer_sentence is not None) for q in ev]
        scores = ev_got.top_score
        if name == "heuristic":  # the old answerer abstained on its confidence, not its score
            scores = _heuristic_confidence(ev, embedder, stemmer)
        if name == "reader" and reader is not None:
            threshold = float(reader.threshold)
            source = "shipped (chosen on the SQuAD 2.0 calibration articles)"
        else:
            cal_got, _ = _score_questions(cal, scorers[name], f"{name}: SQuAD 2.0 calibration")
            cal_scores = (
                _heuristic_confidence(cal, embedder, stemmer)
                if name == "heuristic"
                else cal_got.top_score
            )
            threshold = best_threshold(
                [int(q.answer_sentence is not None) for q in cal], cal_scores
            )
            source = "best accuracy on the SQuAD 2.0 calibration articles"
        acc = float(np.mean((np.asarray(scores) >= threshold) == np.asarray(labels, dtype=bool)))
        report[name] = {
            "sentence_top1": round(top1 / n_dev_all, 4),
            "sentence_top1_worded_away": round(away_hits / max(1, len(away)), 4),
            "worded_away_questions": len(away),
            "span_em": round(em / n_dev_all, 4),
            "span_f1": round(f1 / n_dev_all, 4),
            "answerability_auc": round(roc_auc(labels, scores), 4),
            "answerability_acc": round(acc, 4),
            "threshold": round(threshold, 4),
            "threshold_from": source,
            "dev_questions": n_dev_all,
            "v2_questions": len(ev),
            "v2_unanswerable": labels.count(0),
            "pairs_per_s": round(rate, 1),
        }
        log.info("%s: %s", name, report[name])
    return report
