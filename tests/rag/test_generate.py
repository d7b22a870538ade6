"""OpenAIGenerator against a scripted OpenAI-compatible stub over a real (hash-embedded) index.

What matters is the verification: a generated sentence survives only with a
passage that supports it, its quote is the document's exact text, and whatever
the model invents or mis-cites is dropped and reported, never shown as cited.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from typing import Any

import pytest

from rag.cite import ABSTAIN_TEXT
from rag.errors import GeneratorError
from rag.generate import SYSTEM_PROMPT, amounts, split_reply
from rag.schemas import AnswerResponse, ChatMessage
from rag.service import Service

CITIES_Q = "Which cities are high technology innovators?"
CITIES = (
    "High technology innovators include Coventry, Derby, Northampton, Preston and Warrington/Wigan"
)
FUND_Q = "How much does the Nottingham venture capital fund offer?"
FUND = (
    "A new venture capital fund for Nottingham offers £45 million"
    " to invest in high-technology firms"
)


def passage_with(body: dict[str, Any], needle: str, *, present: bool = True) -> int:
    """The number of the first passage in the prompt that contains (or lacks) ``needle``."""
    for m in re.finditer(r"^\[(\d+)\] \((.*)$", body["messages"][-1]["content"], re.M):
        if (needle in m.group(2)) == present:
            return int(m.group(1))
    raise AssertionError(f"no passage in the prompt {'has' if present else 'lacks'} {needle!r}")


def assert_quotes_exact(service: Service, resp: AnswerResponse) -> None:
    snap = service.snapshot()
    for c in resp.citations:
        assert c.quote == snap.document_text(c.doc_id)[c.char_start : c.char_end]


# -- verification ---------------------------------------------------------------------
def test_supported_sentence_is_kept_with_an_exact_quote(service: Service, stub: Any) -> None:
    stub.script.reply = lambda body: f"{CITIES} [{passage_with(body, 'Warrington')}]."
    resp = service.ask(CITIES_Q, generator="openai")
    assert not resp.abstained and resp.unsupported == []
    assert resp.answer == f"{CITIES}. [1]"
    [cite] = resp.citations
    assert cite.marker == 1 and "Warrington/Wigan" in cite.quote and "High technology" in cite.quote
    assert cite.doc_id.startswith("streets-ahead")
    assert_quotes_exact(service, resp)
    assert [p.rank for p in resp.passages] == list(range(1, len(resp.passages) + 1))


def test_wrong_amount_is_dropped(service: Service, stub: Any) -> None:
    stub.script.reply = lambda body: (
        f"Nottingham receives £90 million [{passage_with(body, '£45')}]."
    )
    resp = service.ask(FUND_Q, generator="openai")
    assert resp.abstained and resp.answer == ABSTAIN_TEXT and resp.citations == []
    assert resp.unsupported == [
        f"Nottingham receives £90 million [{passage_with(stub.requests[0].body, '£45')}]."
    ]
    assert resp.passages  # the closest passages are still shown


@pytest.mark.parametrize(
    ("question", "claim", "needle"),
    [(FUND_Q, FUND, "£45"), (CITIES_Q, CITIES, "Warrington")],
    ids=["with-an-amount", "words-only"],
)
def test_true_sentence_citing_the_wrong_passage_is_dropped(
    service: Service, stub: Any, question: str, claim: str, needle: str
) -> None:
    stub.script.reply = lambda body: f"{claim} [{passage_with(body, needle, present=False)}]."
    resp = service.ask(question, generator="openai")
    assert resp.abstained and resp.citations == []
    assert len(resp.unsupported) == 1 and resp.unsupported[0].startswith(claim)


def test_mixed_reply_keeps_only_the_supported_sentence(service: Service, stub: Any) -> None:
    def reply(body: dict[str, Any]) -> str:
        n = passage_with(body, "£45")
        return (
            f"Nottingham receives £90 million [{n}]. {FUND} [{n}]. "
            f"The fund was set up in 1999 [{n}]. Nottingham is the best [{n}]."
        )

    stub.script.reply = reply
    resp = service.ask(FUND_Q, generator="openai")
    assert not resp.abstained
    assert resp.answer == f"{FUND}. [1]"
    assert "£90" not in resp.answer and "1999" not in resp.answer
    assert [u.split(" [")[0] for u in resp.unsupported] == [
        "Nottingham receives £90 million",
        "The fund was set up in 1999",
        "Nottingham is the best",
    ]
    [cite] = resp.citations
    assert "£45 million" in cite.quote
    assert_quotes_exact(service, resp)


def test_markers_are_renumbered_and_wrong_extra_markers_dropped(
    service: Service, stub: Any
) -> None:
    def reply(body: dict[str, Any]) -> str:
        city, fund = passage_with(body, "Warrington"), passage_with(body, "£45")
        wrong = passage_with(body, "Warrington", present=False)
        return f"{FUND} [{fund}]. {CITIES} [{city}, {wrong}]."

    stub.script.reply = reply
    resp = service.ask(
        "Which cities are high technology innovators, and what fund does Nottingham get?",
        generator="openai",
    )
    assert resp.answer == f"{FUND}. [1] {CITIES}. [2]"
    assert [c.marker for c in resp.citations] == [1, 2]
    assert "£45" in resp.citations[0].quote and "Warrington" in resp.citations[1].quote
    assert_quotes_exact(service, resp)


@pytest.mark.parametrize(
    "reply",
    [f"{CITIES}.", f"{CITIES} [9].", f"{CITIES} [0]."],
    ids=["no-marker", "marker-past-the-passages", "marker-zero"],
)
def test_sentence_without_a_valid_marker_is_unsupported(
    service: Service, stub: Any, reply: str
) -> None:
    stub.script.reply = reply
    resp = service.ask(CITIES_Q, generator="openai")
    assert resp.abstained and resp.citations == [] and resp.unsupported == [reply]


@pytest.mark.parametrize("reply", ["NOT FOUND", "Not found.", "", "<think>hmm</think>NOT FOUND"])
def test_not_found_abstains(service: Service, stub: Any, reply: str) -> None:
    stub.script.reply = reply
    resp = service.ask("What is the capital of France?", generator="openai")
    assert resp.abstained and resp.answer == ABSTAIN_TEXT
    assert resp.citations == [] and resp.unsupported == [] and resp.passages


# -- streaming ------------------------------------------------------------------------
BOTH_Q = "Which cities are high technology innovators, and what fund does Nottingham get?"


def words_after(first: str) -> Callable[[str], list[str]]:
    """Stream the reply up to and including ``first`` as one piece, then word by word."""

    def split(reply: str) -> list[str]:
        k = reply.index(first) + len(first)
        return [reply[:k], *re.findall(r"\S+\s*|\s+", reply[k:])]

    return split


def run_stream(service: Service, question: str) -> tuple[list[str], AnswerResponse]:
    events = list(service.ask_stream(question, generator="openai"))
    kind, final = events[-1]
    assert kind == "final" and all(k == "token" for k, _ in events[:-1])
    return [text for _, text in events[:-1]], final


def test_stream_sends_each_verified_sentence_before_the_reply_ends(
    service: Service, stub: Any
) -> None:
    def reply(body: dict[str, Any]) -> str:
        city, fund = passage_with(body, "Warrington"), passage_with(body, "£45")
        return f"{CITIES} [{city}]. Nottingham gets £90 million [{fund}]. {FUND} [{fund}]."

    gate = threading.Event()
    stub.script.reply, stub.script.gate = reply, gate
    # The first piece holds the first sentence and the start of the second; the stub
    # sends nothing more until the gate opens, so the first event must not need it.
    stub.script.split = words_after(". Nottingham ")
    events = service.ask_stream(BOTH_Q, generator="openai")
    first = next(events)
    gate.set()
    rest = list(events)
    assert not stub.script.gate_timed_out, "the first sentence waited for the whole reply"
    assert first == ("token", f"{CITIES}. [1] ")
    tokens = [first[1]] + [text for kind, text in rest if kind == "token"]
    assert tokens == [f"{CITIES}. [1] ", f"{FUND}. [2] "]
    kind, final = rest[-1]
    assert kind == "final" and [k for k, _ in rest[:-1]] == ["token"] * (len(rest) - 1)
    assert "".join(tokens).strip() == final.answer == f"{CITIES}. [1] {FUND}. [2]"
    fund = passage_with(stub.requests[0].body, "£45")
    assert final.unsupported == [f"Nottingham gets £90 million [{fund}]."]
    assert not any("£90" in t or "Nottingham gets" in t for t in tokens)
    assert [c.marker for c in final.citations] == [1, 2]
    assert "Warrington" in final.citations[0].quote and "£45" in final.citations[1].quote
    assert_quotes_exact(service, final)
    assert stub.requests[0].body["stream"] is True


REPLIES: dict[str, Callable[[dict[str, Any]], str]] = {
    "markers-after-the-stop": lambda b: (
        f"{FUND}. [{passage_with(b, '£45')}] Nottingham is the best. "
        f"[{passage_with(b, '£45')}] {CITIES}. [{passage_with(b, 'Warrington')}]"
    ),
    "two-markers-one-wrong": lambda b: (
        f"{CITIES} [{passage_with(b, 'Warrington')}, "
        f"{passage_with(b, 'Warrington', present=False)}]. {FUND} [{passage_with(b, '£45')}]."
    ),
    "unsupported-first": lambda b: (
        f"The fund was set up in 1999 [{passage_with(b, '£45')}].\n\n"
        f"{FUND} [{passage_with(b, '£45')}]. {CITIES} [{passage_with(b, 'Warrington')}]"
    ),
    "same-span-twice": lambda b: (
        f"{FUND} [{passage_with(b, '£45')}]. {FUND} [{passage_with(b, '£45')}]."
    ),
    "think-first": lambda b: (
        f"<think>Coventry is great [1]. Nottingham receives £90 million [2].</think>"
        f"{CITIES} [{passage_with(b, 'Warrington')}]."
    ),
}


@pytest.mark.parametrize("split", ["chars", "words"])
@pytest.mark.parametrize("name", list(REPLIES))
def test_stream_matches_the_non_streamed_answer(
    service: Service, stub: Any, name: str, split: str
) -> None:
    stub.script.reply = REPLIES[name]
    stub.script.split = list if split == "chars" else None  # one character per delta: worst case
    tokens, final = run_stream(service, BOTH_Q)
    whole = service.ask(BOTH_Q, generator="openai")
    assert "".join(tokens).strip() == final.answer == whole.answer
    assert final.citations == whole.citations and final.unsupported == whole.unsupported
    assert final.confidence == whole.confidence and not final.abstained
    assert all(t.endswith("] ") for t in tokens)  # whole sentences, each with its markers
    for dropped in final.unsupported:
        claim = re.sub(r"\s*\[[^\]]*\]", "", dropped).rstrip(".")
        assert not any(claim in t for t in tokens), f"unsupported {claim!r} was streamed"
    assert "Coventry is great" not in "".join(tokens)
    assert_quotes_exact(service, final)


@pytest.mark.parametrize(
    "reply",
    [
        "NOT FOUND",
        "Not found. High technology innovators include Coventry [1].",
        "<think>Coventry is one [1]. Derby too [1].</think>NOT FOUND",
        "Nottingham receives £90 million [1]. Nottingham is the best [1].",
    ],
    ids=["not-found", "not-found-then-text", "think-then-not-found", "nothing-supported"],
)
@pytest.mark.parametrize("split", ["chars", "words"])
def test_stream_that_abstains_sends_no_tokens(
    service: Service, stub: Any, reply: str, split: str
) -> None:
    stub.script.reply = reply
    stub.script.split = list if split == "chars" else None
    tokens, final = run_stream(service, FUND_Q)
    assert tokens == []
    assert final.abstained and final.answer == ABSTAIN_TEXT and final.citations == []
    assert final.unsupported == service.ask(FUND_Q, generator="openai").unsupported


# -- the request ----------------------------------------------------------------------
def test_request_carries_model_prompt_history_and_key(
    make_service: Callable[..., Service], stub: Any
) -> None:
    service = make_service(openai_model="tiny-model")
    history = [
        ChatMessage(role="user", content="Which cities are service sector innovators?"),
        ChatMessage(role="assistant", content="Milton Keynes, Glasgow and Manchester [1]."),
    ]
    service.ask(CITIES_Q, history=history, generator="openai")
    [req] = stub.requests
    assert req.headers["authorization"] == "Bearer sk-test-0123"
    body = req.body
    assert body["model"] == "tiny-model" and body["temperature"] == 0 and body["stream"] is False
    msgs = body["messages"]
    assert msgs[0] == {"role": "system", "content": SYSTEM_PROMPT}
    assert msgs[1:3] == [m.model_dump() for m in history]
    assert msgs[3]["role"] == "user" and CITIES_Q in msgs[3]["content"]
    assert re.search(r"^\[1\] \(.+\) \S", msgs[3]["content"], re.M)
    assert "NOT FOUND" in SYSTEM_PROMPT and "[1]" in SYSTEM_PROMPT


def test_no_key_sends_no_authorization(make_service: Callable[..., Service], stub: Any) -> None:
    make_service(openai_api_key=None).ask(CITIES_Q, generator="openai")
    assert "authorization" not in stub.requests[0].headers


# -- endpoint failures ----------------------------------------------------------------
@pytest.mark.parametrize("streaming", [False, True], ids=["answer", "stream"])
def test_endpoint_down_names_the_url(
    make_service: Callable[..., Service], closed_port_url: str, streaming: bool
) -> None:
    service = make_service(openai_base_url=closed_port_url)
    with pytest.raises(GeneratorError) as err:
        if streaming:
            list(service.ask_stream(CITIES_Q, generator="openai"))
        else:
            service.ask(CITIES_Q, generator="openai")
    assert closed_port_url in str(err.value) and "RAG_ANSWER__OPENAI_BASE_URL" in str(err.value)
    assert err.value.status_code == 502


@pytest.mark.parametrize("streaming", [False, True], ids=["answer", "stream"])
@pytest.mark.parametrize(
    ("status", "raw", "expect"),
    [
        (500, None, "HTTP 500"),
        (401, None, "RAG_ANSWER__OPENAI_API_KEY"),
        (200, "not json", "not chat-completions"),
        (200, '{"choices": []}', "not chat-completions"),
    ],
    ids=["500", "401", "malformed", "no-choices"],
)
def test_bad_replies_are_generator_errors(
    service: Service, stub: Any, streaming: bool, status: int, raw: str | None, expect: str
) -> None:
    stub.script.status, stub.script.raw_body = status, raw
    with pytest.raises(GeneratorError) as err:
        if streaming:
            list(service.ask_stream(CITIES_Q, generator="openai"))
        else:
            service.ask(CITIES_Q, generator="openai")
    assert stub.base_url in str(err.value) and expect in str(err.value)


def test_timeout_is_a_generator_error(make_service: Callable[..., Service], stub: Any) -> None:
    stub.script.delay_s = 1.0
    with pytest.raises(GeneratorError, match="no reply within 0.2 s"):
        make_service(openai_timeout_s=0.2).ask(CITIES_Q, generator="openai")


# -- the parts ------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        ("£1.4 million", "£1,400,000", True),
        ("45%", "45 per cent", True),
        ("£45m", "£45 million", True),
        ("£45 million", "£45 billion", False),
        ("100%", "100", False),
        ("2011", "2012", False),
    ],
)
def test_amounts_compare_values_not_spellings(a: str, b: str, same: bool) -> None:
    assert (amounts(a) == amounts(b)) is same


def test_split_reply_reads_markers_before_or_after_the_full_stop() -> None:
    got = [
        (s.claim, s.markers)
        for s in split_reply("One fact [1]. Two facts. [2] Three [1, 3] more.[4] Four")
    ]
    assert got == [
        ("One fact.", [1]),
        ("Two facts.", [2]),
        ("Three more.", [1, 3, 4]),
        ("Four", []),
    ]
