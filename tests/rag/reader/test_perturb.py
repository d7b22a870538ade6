"""Unanswerable twins of answerable questions: the edit breaks the answer (the new name,
year or opposite is nowhere in the paragraph), keeps the rest of the question, never
touches the answer itself, and the training groups read them as all-negative."""

from __future__ import annotations

import random

from rag.reader import data as D
from rag.reader.groups import build_groups
from rag.reader.perturb import article_pools, perturb

PARA_A = (
    "The Eiffel Tower was finished in 1889 in Paris.",
    "Gustave Eiffel's company built it for the World Fair.",
    "It was the tallest structure in the world until 1930.",
)
PARA_B = (
    "The Chrysler Building in New York opened in 1931.",
    "However, the Empire State Building soon passed it.",
)


def q(
    question: str, sents: tuple[str, ...], answer: int | None, text: str = "", para: int = 0
) -> D.Question:
    s = sents[answer] if answer is not None else ""
    at = s.find(text)
    return D.Question(
        f"q{para}-{question[:8]}",
        question,
        "Towers",
        sents,
        answer,
        spans=((at, at + len(text)),) if answer is not None else (),
        answers=(text,) if answer is not None else (),
        article=0,
        paragraph=para,
    )


def pools_for(*qs: D.Question) -> dict:
    return article_pools(list(qs))


def test_a_shared_year_becomes_a_year_from_another_paragraph() -> None:
    when = q("In 1889 where was the tower finished?", PARA_A, 0, "Paris")
    other = q("When did the Chrysler Building open?", PARA_B, 0, "1930", para=1)
    twin = perturb(when, pools_for(when, other)[(0, 0)], random.Random(0))
    assert twin is not None and twin.kind == "swap-year"
    assert (twin.original, twin.replacement) == ("1889", "1931")
    assert twin.question == "In 1931 where was the tower finished?"


def test_a_year_the_paragraph_has_elsewhere_cannot_stand_in() -> None:
    # PARA_B's only year, moved into PARA_A, leaves nothing to swap to.
    para = (*PARA_A, "A copy opened in 1931.")
    when = q("In 1889 where was the tower finished?", para, 0, "Paris")
    other = q("When did the Chrysler Building open?", PARA_B, 0, "1931", para=1)
    assert perturb(when, pools_for(when, other)[(0, 0)], random.Random(0)) is None


def test_a_shared_name_is_swapped_for_a_name_the_paragraph_lacks() -> None:
    who = q("Whose company did Gustave Eiffel run?", PARA_A, 1, "Gustave Eiffel's company")
    built = q("What did Gustave Eiffel's company build for the World Fair?", PARA_A, 1, "it")
    other = q("What passed the Chrysler Building?", PARA_B, 1, "the Empire State Building", 1)
    pools = pools_for(who, built, other)
    twin = perturb(built, pools[(0, 0)], random.Random(0))
    assert twin is not None and twin.kind == "swap-name"
    assert twin.original in {"Gustave Eiffel's", "World Fair"}
    assert twin.replacement.lower() not in " ".join(PARA_A).lower()
    assert twin.question == built.question.replace(twin.original, twin.replacement, 1)
    assert len(twin.replacement.split()) == len(twin.original.split())


def test_a_capitalised_common_word_is_not_a_name() -> None:
    para = ("The tower is tall.", "However, some say it is too tall; however it stands.")
    a = q("How tall is the tower?", PARA_A, 0, "tall")
    b = q("What do some say?", para, 1, "too tall", para=1)
    assert "However" not in pools_for(a, b)[(0, 0)]["name"]


def test_the_answer_itself_is_never_the_swapped_span() -> None:
    # The only shared name is the answer: no swap; no antonym either -> None.
    where = q("Which city has the Eiffel Tower?", PARA_A, 0, "Eiffel Tower")
    other = q("What opened in New York?", PARA_B, 0, "The Chrysler Building", 1)
    assert perturb(where, pools_for(where, other)[(0, 0)], random.Random(0)) is None


def test_an_opposite_the_paragraph_lacks_replaces_a_superlative() -> None:
    tall = q("What was the tallest structure until 1930?", PARA_A, 2, "It")
    pools = {"year": [], "number": [], "name": []}
    assert perturb(tall, pools, random.Random(0)) is None  # 'tallest' has no pair listed
    first = q("What was the first tower in Paris?", PARA_A, 0, "The Eiffel Tower")
    twin = perturb(first, pools, random.Random(0))
    assert twin is not None and twin.kind == "antonym"
    assert twin.question == "What was the last tower in Paris?"
    # Not when the paragraph has the opposite: it may well answer the twin.
    has_last = (*PARA_A, "The last one was in Lyon.")
    blocked = q(first.question, has_last, 0, "The Eiffel Tower")
    assert perturb(blocked, pools, random.Random(0)) is None


def test_unanswerable_questions_have_no_twin() -> None:
    none = q("Who painted the tower?", PARA_A, None)
    assert perturb(none, {"year": ["1930"], "number": [], "name": []}, random.Random(0)) is None


def test_training_groups_read_the_twin_against_its_old_answer_sentence_as_negative() -> None:
    first = q("What was the first tower built?", PARA_A, 0, "The Eiffel Tower")
    other = q("What opened in New York?", PARA_B, 0, "The Chrysler Building", 1)
    plain = build_groups([first, other], random.Random(0))
    groups = build_groups([first, other], random.Random(0), perturb_share=1.0)
    twins = [g for g in groups if g[0].question == "What was the last tower built?"]
    assert len(groups) > len(plain) and len(twins) == 1
    (twin,) = twins
    assert twin[0].sentence == PARA_A[0]
    assert [p.label for p in twin] == [0] * len(twin) and len(twin) >= 2
    assert all(p.span is None for p in twin)
