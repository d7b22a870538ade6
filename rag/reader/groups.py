"""The reader's training data as groups of pairs, and the batches they are trained in.

One group per question: its answer sentence (label 1, with its answer span), the
paragraph's other sentences that BM25 ranks highest for the question (hard
negatives), and the BM25-best sentence of *another* paragraph of the same article;
an unanswerable question's group is all negatives.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from rag.reader import data as D
from rag.reader.perturb import article_pools, perturb
from rag.text import bm25_tokenize, english_stemmer


@dataclass(frozen=True)
class Pair:
    question: str
    title: str
    sentence: str
    label: int
    span: tuple[int, int] | None
    context: str = ""  # the sentence before this one in its paragraph


Group = list[Pair]


def _bm25_rankings(qs: list[D.Question]) -> dict[str, tuple[list[int], list[tuple[int, int]]]]:
    """Per question: its paragraph's sentence indices best first (BM25), and the best
    sentences of other paragraphs of the same article as (paragraph, sentence)."""
    import bm25s

    stem = english_stemmer()
    by_article: dict[int, list[D.Question]] = {}
    for q in qs:
        by_article.setdefault(q.article, []).append(q)
    out: dict[str, tuple[list[int], list[tuple[int, int]]]] = {}
    for _, aqs in sorted(by_article.items()):
        paras: dict[int, tuple[str, ...]] = {}
        for q in aqs:
            paras.setdefault(q.paragraph, q.sentences)
        keys = [(p, i) for p, sents in sorted(paras.items()) for i in range(len(sents))]
        texts = [paras[p][i] for p, i in keys]
        toks = bm25_tokenize(texts, stem)
        index = bm25s.BM25(k1=0.9, b=0.4)
        index.index(toks, show_progress=False)
        qtoks = bm25_tokenize([q.question for q in aqs], stem)
        k = min(len(keys), 40)
        ids, _ = index.retrieve(qtoks, k=k, show_progress=False, n_threads=1)
        for q, row in zip(aqs, ids, strict=True):
            ranked = [keys[int(j)] for j in row]
            own = [i for p, i in ranked if p == q.paragraph]
            own += [i for i in range(len(q.sentences)) if i not in own]
            other = [(p, i) for p, i in ranked if p != q.paragraph]
            out[q.qid] = (own, other)
    return out


def build_groups(
    qs: list[D.Question],
    rng: random.Random,
    *,
    in_para: int = 2,
    no_answer_share: float = 0.0,
    own_no_answer_share: float = 0.0,
    perturb_share: float = 0.0,
) -> list[Group]:
    """One group per question: its answer sentence (if any) and hard negatives.

    With ``no_answer_share``, that share of the answerable questions also gets a group
    with no answer in it: the question against the BM25-best sentences of *other*
    paragraphs of its article that do not contain the answer text. That is what a
    retriever hands the reader when the corpus does not answer: text on the topic.

    With ``own_no_answer_share``, that share also gets a group of its *own* paragraph's
    sentences, BM25-best first, leaving out the answer sentence and any sentence that
    holds an answer text: the passage that discusses the very thing asked about but not
    the fact, the near miss a publication most often is (and the way SQuAD 2.0's
    unanswerable questions sit beside a paragraph that does not answer them).

    With ``perturb_share``, that share of the answerable questions also gets an
    unanswerable twin (``rag.reader.perturb``: a name, number or superlative changed
    to one the paragraph does not contain) read against its own paragraph, the old
    answer sentence first, all negative: SQuAD 2.0's kind of near miss."""
    rank = _bm25_rankings(qs)
    pools = article_pools(qs) if perturb_share else {}
    sent_of: dict[tuple[int, int], tuple[str, ...]] = {
        (q.article, q.paragraph): q.sentences for q in qs
    }
    groups: list[Group] = []
    for q in qs:
        own, other = rank[q.qid]
        pairs: list[Pair] = []
        if q.answer_sentence is not None:
            span = q.spans[0]
            a = q.answer_sentence
            prev = q.sentences[a - 1] if a > 0 else ""
            pairs.append(Pair(q.question, q.title, q.sentences[a], 1, span, prev))
            negs = [i for i in own if i != q.answer_sentence]
            chosen = negs[:1]
            rest = negs[1:]
            if rest:
                chosen += rng.sample(rest, min(in_para - 1, len(rest)))
        else:
            chosen = own[: in_para + 1]
        pairs += [_negative(q.question, q.title, q.sentences, i) for i in chosen]
        for p, i in other[:1]:
            pairs.append(_negative(q.question, q.title, sent_of[(q.article, p)], i))
        if len(pairs) >= 2:
            groups.append(pairs)
        if q.answer_sentence is not None and no_answer_share and rng.random() < no_answer_share:
            none: Group = []
            for p, i in other:
                para = sent_of[(q.article, p)]
                if _holds_answer(q, para[i]):
                    continue
                none.append(_negative(q.question, q.title, para, i))
                if len(none) == in_para + 1:
                    break
            if len(none) >= 2:
                groups.append(none)
        if (
            q.answer_sentence is not None
            and own_no_answer_share
            and rng.random() < own_no_answer_share
        ):
            near_miss = _own_without_answer(q, own, in_para + 1)
            if len(near_miss) >= 2:
                groups.append(near_miss)
        if q.answer_sentence is not None and perturb_share and rng.random() < perturb_share:
            twin = perturb(q, pools[(q.article, q.paragraph)], rng)
            if twin is not None:
                order = [q.answer_sentence] + [i for i in own if i != q.answer_sentence]
                near: Group = [
                    _negative(twin.question, q.title, q.sentences, i) for i in order[: in_para + 1]
                ]
                if len(near) >= 2:
                    groups.append(near)
    return groups


def _own_without_answer(q: D.Question, ranked: list[int], n: int) -> Group:
    """Up to ``n`` of the question's own paragraph's sentences, in ``ranked`` order,
    none of them the answer sentence or holding an answer text, all negative."""
    out: Group = []
    for i in ranked:
        if i == q.answer_sentence or _holds_answer(q, q.sentences[i]):
            continue
        out.append(_negative(q.question, q.title, q.sentences, i))
        if len(out) == n:
            break
    return out


def _negative(question: str, title: str, sentences: tuple[str, ...], i: int) -> Pair:
    """Sentence ``i`` of a paragraph as a negative pair, read with the one before it."""
    return Pair(question, title, sentences[i], 0, None, sentences[i - 1] if i > 0 else "")


def _holds_answer(q: D.Question, sentence: str) -> bool:
    """True when the sentence contains one of the question's answer texts."""
    low = sentence.lower()
    return any(a.lower() in low for a in q.answers)


def batches(groups: list[Group], *, per_batch: int, seed: int) -> list[list[Group]]:
    """Shuffle, then sort windows of 50 batches by length so padding stays small."""
    rng = random.Random(seed)
    order = list(range(len(groups)))
    rng.shuffle(order)
    window = per_batch * 50
    out: list[list[Group]] = []
    for w in range(0, len(order), window):
        chunk = sorted(
            order[w : w + window],
            key=lambda g: max(len(p.question) + len(p.sentence) for p in groups[g]),
        )
        out.extend(
            [groups[g] for g in chunk[i : i + per_batch]] for i in range(0, len(chunk), per_batch)
        )
    rng.shuffle(out)
    return out
