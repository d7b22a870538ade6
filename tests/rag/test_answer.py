"""Extractive answers (hash embedder, seed corpus): every quote is the exact document
slice, markers match citations, abstentions carry passages; follow-up rewriting."""

from __future__ import annotations

import re
import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rag.cite import ABSTAIN_TEXT, verify_quote
from rag.errors import InvalidRequest
from rag.eval.heuristic import question_entities
from rag.eval.questions import EvalQuestion, load_questions
from rag.followup import rewrite_query
from rag.schemas import AnswerResponse, ChatMessage
from rag.service import Service

QUESTIONS = load_questions()


def check_answer(svc: Service, resp: AnswerResponse) -> None:
    snap = svc.snapshot()
    assert resp.passages, "an answer always shows its passages"
    if resp.abstained:
        assert resp.citations == [] and resp.answer == ABSTAIN_TEXT
        return
    assert resp.citations
    assert [c.marker for c in resp.citations] == list(range(1, len(resp.citations) + 1))
    assert sorted({int(m) for m in re.findall(r"\[(\d+)\]", resp.answer)}) == [
        c.marker for c in resp.citations
    ]
    by_chunk = {p.chunk_id: p for p in resp.passages}
    for c in resp.citations:
        assert snap.document_text(c.doc_id)[c.char_start : c.char_end] == c.quote
        assert verify_quote(snap.document_text(c.doc_id), c.char_start, c.char_end, c.quote)
        passage = by_chunk[c.chunk_id]  # the quote comes from one of the passages shown
        assert passage.char_start <= c.char_start < c.char_end <= passage.char_end
        assert " ".join(c.quote.split()) in resp.answer


@pytest.mark.parametrize("q", QUESTIONS, ids=[q.id for q in QUESTIONS])
def test_every_question_set_answer_is_verifiable(seed_service: Service, q: EvalQuestion) -> None:
    history = [ChatMessage(role=t.role, content=t.content) for t in q.history]
    check_answer(seed_service, seed_service.ask(q.question, history=history))


def test_answer_sentences_clear_the_threshold_best_first(seed_service: Service) -> None:
    resp = seed_service.ask("which cities are high-tech innovators?")
    check_answer(seed_service, resp)
    assert not resp.abstained
    probs = [c.probability for c in resp.citations]
    assert all(p is not None for p in probs)
    threshold = seed_service.answerer.threshold
    assert probs == sorted(probs, reverse=True) and min(probs) >= threshold  # type: ignore[type-var]
    assert resp.confidence == probs[0]
    for c in resp.citations:  # the lexical reader marks the whole sentence as the span
        assert c.answer_span is not None
        assert c.char_start <= c.answer_span.char_start < c.answer_span.char_end <= c.char_end
        text = seed_service.snapshot().document_text(c.doc_id)
        assert text[c.answer_span.char_start : c.answer_span.char_end] == c.answer_span.text


def test_threshold_above_every_sentence_abstains(seed_service: Service) -> None:
    from rag.answer import Answerer
    from rag.reader.reader import LexicalReader

    strict = Answerer(seed_service.settings, reader=LexicalReader(threshold=1.01))
    resp = strict.ask("which cities are high-tech innovators?", retriever=seed_service.retriever())
    assert resp.abstained and resp.answer == ABSTAIN_TEXT and resp.passages
    assert resp.confidence is not None and resp.confidence < 1.01


def test_stream_ends_with_the_same_answer(seed_service: Service) -> None:
    events = list(seed_service.ask_stream("which cities are high-tech innovators?"))
    kinds = [k for k, _ in events]
    assert kinds[-1] == "final" and set(kinds[:-1]) == {"token"}
    final = events[-1][1]
    assert "".join(t for _, t in events[:-1]).strip() == final.answer
    check_answer(seed_service, final)


def test_follow_up_is_rewritten_and_answered(seed_service: Service) -> None:
    history = [
        ChatMessage(role="user", content="which cities are high-tech innovators?"),
        ChatMessage(role="assistant", content="Coventry, Derby, Northampton [1]"),
    ]
    resp = seed_service.ask("and which are service sector innovators?", history=history)
    assert resp.rewritten_query and "innovators" in resp.rewritten_query
    check_answer(seed_service, resp)


# -- follow-up rewriting -----------------------------------------------------------------

FIRST = [
    ChatMessage(role="user", content="which cities are high-tech innovators?"),
    ChatMessage(role="assistant", content="Coventry and Derby [1]"),
]
DEALS = [
    ChatMessage(role="user", content="What are the City Deals?"),
    ChatMessage(role="assistant", content="Bespoke agreements [1]"),
]


@pytest.mark.parametrize(
    "question, history, added",
    [
        ("and which are service sector innovators?", FIRST, ["cities", "high-tech"]),
        ("what did Bristol get?", DEALS, ["City", "Deals"]),
        ("what about their funding?", DEALS, ["City", "Deals"]),
    ],
)
def test_elliptical_follow_ups_take_the_previous_turn(
    question: str, history: list[ChatMessage], added: list[str]
) -> None:
    rewritten = rewrite_query(question, history)
    assert rewritten.startswith(question) and rewritten != question
    assert all(w in rewritten[len(question) :] for w in added)
    assert "Bespoke" not in rewritten  # assistant turns are not folded in


@pytest.mark.parametrize(
    "question",
    [
        "Which UK urban economies does the Crowley study label as strongest at innovation?",
        "How much cash should ministers set aside for the proposed local partnership pot?",
    ],
)
def test_self_contained_questions_are_left_alone(question: str) -> None:
    assert rewrite_query(question, FIRST) == question
    assert rewrite_query("and them?", []) == "and them?"  # nothing to fold in


def test_a_proper_name_starting_with_the_city_is_not_anaphora() -> None:
    assert rewrite_query("What did Bristol get in the City Deals?", FIRST) == (
        "What did Bristol get in the City Deals?"
    )


@pytest.mark.parametrize(
    "question, entities",
    [
        ("What did Bristol get in the City Deals?", ["Bristol", "City Deals"]),
        ("Who wrote Crowley's study in 2011?", ["Crowley", "2011"]),
        ("How big is the new Nottingham investment pot?", ["Nottingham"]),
        ("which cities are high-tech innovators?", []),
        ("Which University of Lancaster", ["University of Lancaster"]),
        ("What is Milton Keynes known for?", ["Milton Keynes"]),
    ],
)
def test_question_entities(question: str, entities: list[str]) -> None:
    assert question_entities(question) == entities


# -- quote verification ------------------------------------------------------------------


@given(text=st.text(min_size=1, max_size=60), data=st.data())
def test_verify_quote_accepts_exactly_the_true_slices(text: str, data: st.DataObject) -> None:
    s = data.draw(st.integers(0, len(text) - 1))
    e = data.draw(st.integers(s + 1, len(text)))
    quote = text[s:e]
    assert verify_quote(text, s, e, quote)
    i = data.draw(st.integers(0, len(quote) - 1))
    changed = quote[:i] + ("x" if quote[i] != "x" else "y") + quote[i + 1 :]
    assert not verify_quote(text, s, e, changed)
    assert not verify_quote(text, s, e, quote + "x")
    assert not verify_quote(text, s, len(text) + 1, text[s:])
    assert not verify_quote(text, -1, e, quote)
    assert not verify_quote(text, s, s, "")
    shift = data.draw(st.integers(-s, len(text) - e))
    assert verify_quote(text, s + shift, e + shift, quote) == (text[s + shift : e + shift] == quote)


def test_a_follow_up_rewrite_is_bounded_and_linear() -> None:
    words = [f"term{i}" for i in range(8_000)]

    def timed(n: int) -> tuple[float, str]:
        # Past the API's message cap: the library may be called with anything.
        history = [ChatMessage.model_construct(role="user", content=" ".join(words[:n]))]
        start = time.perf_counter()
        out = rewrite_query("and it?", history)
        return time.perf_counter() - start, out

    small, short_out = timed(800)
    large, long_out = timed(8_000)
    assert len(long_out) < 400 and len(short_out) < 400
    # 10x the words: linear is ~10x the time, quadratic ~100x; margins absorb a busy CPU.
    assert large < 5.0 and large < 40 * small + 0.5


def test_a_generator_the_server_does_not_advertise_is_refused(seed_service: Service) -> None:
    assert seed_service.settings.answer.generator == "extractive"
    with pytest.raises(InvalidRequest, match="generator"):
        seed_service.ask("What makes a city innovative?", generator="openai")
