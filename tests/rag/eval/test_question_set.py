"""Validate the evaluation question set in ``rag/eval/questions.jsonl``."""

from __future__ import annotations

import re
import statistics
from collections import Counter
from pathlib import Path

import pytest

from rag.eval.questions import EvalQuestion, default_path, load_questions

CORPUS = Path(__file__).resolve().parents[3] / "corpus"

BOILERPLATE_MARKERS = ("cookies", "020 7976", "contact us", "media enquiries")

STOPWORDS = frozenset(
    """
    about above after again against also among another because been before being below
    between both could does doing down during each even every from further given have
    having here into itself just many more most much must only other over same should
    since some such than that their them then there these they this those through under
    until very were what when where which while whom will with within without would your
    yours said says
    """.split()
)

_WORD = re.compile(r"[a-z]+")


@pytest.fixture(scope="module")
def questions() -> list[EvalQuestion]:
    return load_questions()


@pytest.fixture(scope="module")
def corpus() -> dict[str, str]:
    return {p.name: p.read_text(encoding="utf-8") for p in CORPUS.glob("*.txt")}


def _answerable(qs: list[EvalQuestion]) -> list[EvalQuestion]:
    return [q for q in qs if q.answerable]


def content_words(text: str) -> set[str]:
    return {w for w in _WORD.findall(text.lower()) if len(w) > 3 and w not in STOPWORDS}


def overlap(q: EvalQuestion) -> float | None:
    words = content_words(q.question)
    if not words:
        return None
    evidence_words: set[str] = set()
    for ev in q.evidence:
        evidence_words |= set(_WORD.findall(ev.quote.lower()))
    return len(words & evidence_words) / len(words)


def test_default_path_is_bundled_file() -> None:
    assert default_path().is_file()
    assert default_path().resolve() == (
        Path(__file__).resolve().parents[3] / "rag" / "eval" / "questions.jsonl"
    )


def test_ids_unique(questions: list[EvalQuestion]) -> None:
    dupes = [i for i, n in Counter(q.id for q in questions).items() if n > 1]
    assert not dupes


def test_questions_unique(questions: list[EvalQuestion]) -> None:
    standalone = [q.question.strip().lower() for q in questions if not q.is_follow_up]
    dupes = [t for t, n in Counter(standalone).items() if n > 1]
    assert not dupes


def test_counts(questions: list[EvalQuestion]) -> None:
    answerable = _answerable(questions)
    unanswerable = [q for q in questions if not q.answerable]
    assert len(answerable) >= 40
    assert len(unanswerable) >= 10


def test_canonical_questions_present(questions: list[EvalQuestion]) -> None:
    texts = {q.question for q in questions if q.answerable and not q.is_follow_up}
    assert "which cities are high-tech innovators?" in texts
    assert "What did Bristol get in the City Deals?" in texts


def test_follow_up_pairs(questions: list[EvalQuestion]) -> None:
    by_id = {q.id: q for q in questions}
    follow_ups = [q for q in questions if q.is_follow_up]
    assert len(follow_ups) >= 8
    assert any(not q.answerable for q in follow_ups), "want an unanswerable follow-up"
    for q in follow_ups:
        assert q.follow_up_of in by_id, q.id
        parent = by_id[q.follow_up_of]
        assert parent.id != q.id
        assert len(q.history) >= 2, q.id
        assert q.history[0].role == "user"
        assert q.history[0].content == parent.question, q.id
        assert q.history[1].role == "assistant"
    for q in questions:
        if not q.is_follow_up:
            assert not q.history, q.id


def test_unanswerable_have_no_facts_or_evidence(questions: list[EvalQuestion]) -> None:
    for q in questions:
        if not q.answerable:
            assert q.facts == [] and q.evidence == [], q.id


def test_answerable_have_facts_and_evidence(questions: list[EvalQuestion]) -> None:
    for q in _answerable(questions):
        assert 1 <= len(q.facts) <= 5, q.id
        assert 1 <= len(q.evidence) <= 3, q.id


def test_quotes_are_exact_substrings(questions: list[EvalQuestion], corpus: dict[str, str]) -> None:
    for q in _answerable(questions):
        for ev in q.evidence:
            assert ev.source in corpus, f"{q.id}: unknown source {ev.source}"
            assert ev.quote in corpus[ev.source], f"{q.id}: quote not found: {ev.quote!r}"
            assert "\n" not in ev.quote, q.id
            assert not re.search(r"\s\s", ev.quote), f"{q.id}: double space in quote"
            assert "\xa0" not in ev.quote, f"{q.id}: non-breaking space in quote"
            assert ev.quote == ev.quote.strip(), q.id


def test_quotes_not_in_boilerplate(questions: list[EvalQuestion], corpus: dict[str, str]) -> None:
    for q in _answerable(questions):
        for ev in q.evidence:
            lines = [ln for ln in corpus[ev.source].splitlines() if ev.quote in ln]
            assert lines, q.id
            for ln in lines:
                low = ln.lower()
                hits = [m for m in BOILERPLATE_MARKERS if m in low]
                assert not hits, f"{q.id}: quote lies in boilerplate line ({hits})"


def test_facts_in_evidence(questions: list[EvalQuestion]) -> None:
    for q in _answerable(questions):
        quotes = " ".join(ev.quote.lower() for ev in q.evidence)
        for fact, alternatives in zip(q.facts, q.fact_alternatives(), strict=True):
            assert alternatives, f"{q.id}: empty fact"
            assert any(a.lower() in quotes for a in alternatives), f"{q.id}: {fact!r}"


def test_every_corpus_file_covered(questions: list[EvalQuestion], corpus: dict[str, str]) -> None:
    cited = Counter(ev.source for q in questions for ev in q.evidence)
    for name in corpus:
        assert cited[name] >= 10, f"{name} cited only {cited[name]} times"


def test_paraphrase_overlap_median(questions: list[EvalQuestion]) -> None:
    scores = [s for q in _answerable(questions) if (s := overlap(q)) is not None]
    assert scores
    median = statistics.median(scores)
    print(f"median question/evidence content-word overlap: {median:.3f} over {len(scores)}")
    assert median < 0.5


def test_quotes_survive_cleaning(questions: list[EvalQuestion]) -> None:
    """Quotes must still be found after the ingest clean-up (skipped if it is absent)."""
    clean = pytest.importorskip("ingest.clean")
    if not hasattr(clean, "normalise") or not hasattr(clean, "strip_boilerplate"):
        pytest.skip("ingest.clean has no normalise/strip_boilerplate")
    cleaned = {
        p.name: clean.strip_boilerplate(clean.normalise(p.read_text(encoding="utf-8")))
        for p in CORPUS.glob("*.txt")
    }
    for q in _answerable(questions):
        for ev in q.evidence:
            assert ev.quote in cleaned[ev.source], f"{q.id}: quote lost in cleaning"
