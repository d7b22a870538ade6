"""Reading and composing (seed index, scripted readers): passages are reranked by what
the reader found, answers lead with the best sentence, spans are verified."""

from __future__ import annotations

from collections.abc import Sequence

from rag.answer import Answerer
from rag.cite import ABSTAIN_TEXT
from rag.evidence import rerank
from rag.reader.reader import Reading
from rag.retrieve import Hit
from rag.schemas import AnswerResponse
from rag.service import Service

QUESTION = "which cities are high-tech innovators?"


class Scripted:
    """Probability 0.9 for sentences containing ``word``, 0.1 otherwise; a fixed span."""

    name = "scripted"

    def __init__(self, word: str, span: tuple[int, int] | None = (0, 5), threshold: float = 0.5):
        self.word, self.span, self.threshold = word, span, threshold
        self.calls: list[tuple[str, int]] = []

    def read(
        self,
        question: str,
        sentences: Sequence[str],
        titles: Sequence[str],
        contexts: Sequence[str] | None = None,
    ) -> list[Reading]:
        self.calls.append((question, len(sentences)))
        self.sentences, self.contexts = list(sentences), list(contexts or [])
        return [Reading(0.9 if self.word in s else 0.1, self.span) for s in sentences]


def ask(svc: Service, reader: Scripted, question: str = QUESTION) -> AnswerResponse:
    return Answerer(svc.settings, reader=reader).ask(question, retriever=svc.retriever())


def test_rerank_puts_the_passage_the_reader_likes_first(seed_service: Service) -> None:
    hits = seed_service.retriever().search(QUESTION, 5)
    probs = [0.0] * len(hits)
    probs[-1] = 1.0
    ranked = rerank(hits, probs, weight=0.9)
    assert ranked[0].chunk.chunk_id == hits[-1].chunk.chunk_id
    assert [h.score for h in ranked] == sorted((h.score for h in ranked), reverse=True)
    assert rerank(hits, probs, weight=0.0)[0].chunk.chunk_id == hits[0].chunk.chunk_id
    assert rerank([], [], 0.5) == []


def test_the_sentence_the_reader_picks_leads_and_its_passage_is_shown(
    seed_service: Service,
) -> None:
    resp = ask(seed_service, Scripted("Warrington"))
    assert not resp.abstained
    first = resp.citations[0]
    assert "Warrington" in first.quote and first.probability == 0.9
    assert all("Warrington" in c.quote for c in resp.citations)
    assert resp.passages[0].chunk_id == first.chunk_id
    assert first.answer_span is not None and first.answer_span.text == first.quote[:5].strip()


def test_a_span_outside_the_sentence_is_dropped_not_shown(seed_service: Service) -> None:
    resp = ask(seed_service, Scripted("Warrington", span=(-40, 10_000)))
    for c in resp.citations:
        # clipped to the sentence, so still inside the quote, or absent
        if c.answer_span is not None:
            assert c.char_start <= c.answer_span.char_start < c.answer_span.char_end <= c.char_end


def test_nothing_above_the_threshold_abstains_with_passages(seed_service: Service) -> None:
    resp = ask(seed_service, Scripted("no sentence has this word"))
    assert resp.abstained and resp.answer == ABSTAIN_TEXT
    assert resp.citations == [] and resp.passages
    assert resp.confidence == 0.1


def test_the_reader_reads_the_rewritten_follow_up(seed_service: Service) -> None:
    from rag.schemas import ChatMessage

    reader = Scripted("Warrington")
    history = [
        ChatMessage(role="user", content=QUESTION),
        ChatMessage(role="assistant", content="Coventry [1]"),
    ]
    Answerer(seed_service.settings, reader=reader).ask(
        "and which are service sector innovators?",
        retriever=seed_service.retriever(),
        history=history,
    )
    ((question, n),) = reader.calls
    assert question.startswith("and which are service sector innovators?")
    assert "high-tech" in question and 0 < n <= seed_service.settings.answer.max_read_sentences


def test_hits_keep_their_type(seed_service: Service) -> None:
    hits = seed_service.retriever().search(QUESTION, 3)
    assert all(isinstance(h, Hit) for h in rerank(hits, [0.5] * 3, 0.5))


def test_each_sentence_is_read_with_the_one_before_it(seed_service: Service) -> None:
    reader = Scripted("Warrington")
    ask(seed_service, reader)
    assert len(reader.contexts) == len(reader.sentences)
    pairs = dict(zip(reader.sentences, reader.contexts, strict=True))
    cities = next(s for s in pairs if s.startswith("The include Coventry"))
    assert pairs[cities].startswith("High technology innovators generate")
