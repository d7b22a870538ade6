"""SQuAD as reader examples: (question, sentence) pairs with sentence labels and spans.

Pure functions over the SQuAD JSON files in ``../shared/data/squad``. Sentences come
from the product's own splitter, so the model is trained on the units it reads at
query time. The files were rebuilt from the SQuAD explorer pages, so an answer's
``answer_start`` is checked against the context and re-found nearby when it drifts;
answers that cannot be found are dropped (and counted).

Splits (fixed, so that nothing reported is trained or tuned on):

- SQuAD 1.1 train: training, except its last ``HOLDOUT_TRAIN_ARTICLES`` articles,
  which are a development check logged during training;
- SQuAD 2.0 dev, articles at even positions in file order: threshold calibration
  (positions 2, 10, 18, ..., every fourth even one) and answerability training (the
  other even positions: 0, 4, 6, 8, 12, ...);
- SQuAD 2.0 dev, odd positions, and SQuAD 1.1 dev: evaluation only.
"""

from __future__ import annotations

import gzip
import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rag.text import content_words, english_stemmer, split_sentences

log = logging.getLogger(__name__)

HOLDOUT_TRAIN_ARTICLES = 12
# A question sharing less than this share of its content words with its answer sentence
# is "worded away" from it, as users word theirs (``lexical_overlap``).
WORDED_AWAY = 0.5
FILES = {
    "train": "squad-v1.1-train.json.gz",
    "dev": "squad-v1.1-dev.json.gz",
    "v2dev": "squad-v2.0-dev.json.gz",
}


@dataclass(frozen=True)
class Question:
    """One question over one paragraph, its sentences and where the answer lies."""

    qid: str
    question: str
    title: str
    sentences: tuple[str, ...]
    answer_sentence: int | None  # None: the paragraph does not answer it
    spans: tuple[tuple[int, int], ...] = ()  # gold answer spans inside that sentence
    answers: tuple[str, ...] = ()  # every gold answer text (for EM / F1)
    article: int = 0
    paragraph: int = 0


@dataclass
class Stats:
    questions: int = 0
    dropped_unfound: int = 0
    dropped_crossing: int = 0
    extra: dict[str, int] = field(default_factory=dict)


def load_json(folder: Path, split: str) -> list[dict]:
    path = Path(folder) / FILES[split]
    if not path.exists():
        raise FileNotFoundError(
            f"{path} not found: the SQuAD files live in ../shared/data/squad "
            "(pass the folder that holds them)"
        )
    with gzip.open(path, "rt", encoding="utf-8") as f:
        return list(json.load(f)["data"])


def _find(context: str, text: str, start: int) -> int | None:
    if context[start : start + len(text)] == text:
        return start
    best, best_d = None, None
    i = context.find(text)
    while i != -1:
        d = abs(i - start)
        if best_d is None or d < best_d:
            best, best_d = i, d
        i = context.find(text, i + 1)
    return best


def _sentence_of(spans: list[tuple[int, int]], a: int, b: int) -> int | None:
    for i, (s, e) in enumerate(spans):
        if s <= a < e:
            return i if b <= e else None
    return None


def questions(
    articles: list[dict], *, positions: Iterator[int] | None = None, stats: Stats | None = None
) -> list[Question]:
    """Every question of the chosen articles (all when ``positions`` is None), in file order."""
    stats = stats if stats is not None else Stats()
    chosen = sorted(set(positions)) if positions is not None else range(len(articles))
    out: list[Question] = []
    for ai in chosen:
        art = articles[ai]
        title = str(art.get("title", "")).replace("_", " ")
        for pi, para in enumerate(art["paragraphs"]):
            ctx = para["context"]
            spans = split_sentences(ctx)
            if not spans:
                continue
            sents = tuple(ctx[s:e] for s, e in spans)
            for qa in para["qas"]:
                stats.questions += 1
                texts = tuple(dict.fromkeys(a["text"] for a in qa.get("answers", [])))
                if qa.get("is_impossible") or not texts:
                    out.append(
                        Question(
                            qa["id"],
                            qa["question"].strip(),
                            title,
                            sents,
                            None,
                            article=ai,
                            paragraph=pi,
                        )
                    )
                    continue
                found: list[tuple[int, int, int]] = []
                crossing = False
                for a in qa["answers"]:
                    at = _find(ctx, a["text"], a["answer_start"])
                    if at is None:
                        continue
                    si = _sentence_of(spans, at, at + len(a["text"]))
                    if si is None:
                        crossing = True
                        continue
                    found.append((si, at - spans[si][0], at - spans[si][0] + len(a["text"])))
                if not found:
                    if crossing:
                        stats.dropped_crossing += 1
                    else:
                        stats.dropped_unfound += 1
                    continue
                # The sentence most annotators' answers fall in.
                votes: dict[int, int] = {}
                for si, _, _ in found:
                    votes[si] = votes.get(si, 0) + 1
                best = max(votes, key=lambda k: (votes[k], -k))
                in_best = tuple(dict.fromkeys((a, b) for si, a, b in found if si == best))
                out.append(
                    Question(
                        qa["id"],
                        qa["question"].strip(),
                        title,
                        sents,
                        best,
                        spans=in_best,
                        answers=texts,
                        article=ai,
                        paragraph=pi,
                    )
                )
    return out


def lexical_overlap(question: str, sentence: str, stemmer: Any = None) -> float:
    """Share of the question's content words (stemmed) that its sentence also holds.

    SQuAD's writers looked at the paragraph, so most questions reuse its words; users
    word their questions away from the text. A low overlap marks the questions a
    reader cannot answer by matching words. A question without content words is 1.0.
    """
    stem = stemmer if stemmer is not None else english_stemmer()
    qw = set(stem.stemWords([w.lower() for w in content_words(question)]))
    if not qw:
        return 1.0
    sw = set(stem.stemWords([w.lower() for w in content_words(sentence)]))
    return len(qw & sw) / len(qw)


def worded_away(qs: list[Question], max_overlap: float = WORDED_AWAY) -> list[Question]:
    """The answerable questions sharing less than ``max_overlap`` of their content words
    with their answer sentence, in their order."""
    stem = english_stemmer()
    return [
        q
        for q in qs
        if q.answer_sentence is not None
        and lexical_overlap(q.question, q.sentences[q.answer_sentence], stem) < max_overlap
    ]


def mix_worded_away(qs: list[Question], share: float) -> list[Question]:
    """Every worded-away question of ``qs`` and, evenly spaced, enough of the others that
    the worded-away make up ``share`` of the result, in their order."""
    away = {q.qid for q in worded_away(qs)}
    rest = [q for q in qs if q.qid not in away]
    n_rest = min(len(rest), round(len(away) * (1 - share) / share)) if share > 0 else len(rest)
    step = len(rest) / max(1, n_rest)
    keep = {rest[int(i * step)].qid for i in range(n_rest)}
    return [q for q in qs if q.qid in away or q.qid in keep]


def sentence_pairs(
    qs: list[Question],
) -> tuple[list[str], list[str], list[str], list[str]]:
    """Every question against each sentence of its paragraph, flattened in order:
    (questions, sentences, titles, previous sentences). Question ``k``'s pairs are the
    ``len(qs[k].sentences)`` that follow question ``k - 1``'s."""
    qq: list[str] = []
    ss: list[str] = []
    tt: list[str] = []
    cc: list[str] = []
    for q in qs:
        for i, s in enumerate(q.sentences):
            qq.append(q.question)
            ss.append(s)
            tt.append(q.title)
            cc.append(q.sentences[i - 1] if i else "")
    return qq, ss, tt, cc


def train_positions(n_articles: int) -> range:
    return range(0, n_articles - HOLDOUT_TRAIN_ARTICLES)


def holdout_positions(n_articles: int) -> range:
    return range(n_articles - HOLDOUT_TRAIN_ARTICLES, n_articles)


def v2_train_positions(n_articles: int) -> list[int]:
    """SQuAD 2.0 dev articles trained on: the even positions not kept for calibration."""
    cal = set(v2_calibration_positions(n_articles))
    return [i for i in range(0, n_articles, 2) if i not in cal]


def v2_calibration_positions(n_articles: int) -> range:
    """SQuAD 2.0 dev articles the abstention threshold is chosen on: 2, 10, 18, ..."""
    return range(2, n_articles, 8)


def v2_eval_positions(n_articles: int) -> range:
    """SQuAD 2.0 dev articles only ever evaluated on: odd positions."""
    return range(1, n_articles, 2)
