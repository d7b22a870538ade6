"""Training groups: the near-miss group of a question's own paragraph without its answer."""

from __future__ import annotations

import random

from rag.reader import data as D
from rag.reader.groups import build_groups

PARA = (
    "The Eiffel Tower was finished in 1889 in Paris.",
    "Gustave Eiffel's company built it for the World Fair.",
    "It was the tallest structure in the world until 1930.",
    "Visitors climb to the tower's third floor.",
    "The tower was repainted for the 1889 centenary in 1989.",
)


def _question(text: str, answer: int, answer_text: str) -> D.Question:
    at = PARA[answer].find(answer_text)
    return D.Question(
        "q1",
        text,
        "Eiffel Tower",
        PARA,
        answer,
        spans=((at, at + len(answer_text)),),
        answers=(answer_text,),
    )


def test_own_paragraph_near_miss_leaves_out_the_answer_and_every_sentence_holding_it() -> None:
    q = _question("When was the Eiffel Tower finished?", 0, "1889")
    plain = build_groups([q], random.Random(0))
    groups = build_groups([q], random.Random(0), own_no_answer_share=1.0)
    assert len(groups) == len(plain) + 1
    near = groups[-1]
    assert [p.label for p in near] == [0] * len(near) and len(near) >= 2
    assert all(p.span is None and p.question == q.question for p in near)
    sentences = {p.sentence for p in near}
    # Neither the answer sentence nor the later one that also says "1889".
    assert PARA[0] not in sentences and PARA[4] not in sentences
    assert sentences <= set(PARA[1:4])
    # Each sentence keeps the one before it as its context, as the reader reads it.
    for p in near:
        assert p.context == PARA[PARA.index(p.sentence) - 1]


def test_no_near_miss_group_without_the_share_or_for_unanswerable_questions() -> None:
    q = _question("When was the Eiffel Tower finished?", 0, "1889")
    none = D.Question("q2", "Who painted it?", "Eiffel Tower", PARA, None)
    assert len(build_groups([q, none], random.Random(0))) == 2
    assert len(build_groups([q, none], random.Random(0), own_no_answer_share=1.0)) == 3
