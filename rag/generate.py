"""Generative answers from an OpenAI-compatible endpoint, each sentence checked against its source.

The model sees the top passages, numbered, and must put a passage number after
each sentence. Its reply is then verified sentence by sentence, without trusting
the model: at least ``SUPPORT_RECALL`` of the sentence's content words (and no
fewer than ``MIN_SHARED_WORDS``) must occur in one sentence, or two adjacent
sentences, of a passage it cites, and every number or amount it states must
occur there too. A supported sentence keeps a
citation whose quote is the document text at that sentence's offsets; the others
are dropped from the answer and listed in ``AnswerResponse.unsupported``. A reply
of NOT FOUND, or one of which nothing survives, abstains.

Streaming sends the same verified text a sentence at a time: a sentence is checked
as soon as the next one starts, and only a supported one is sent, so nothing
unverified is ever shown as cited.

Works with any server speaking ``POST {base_url}/chat/completions``: Ollama,
llama.cpp's server, vLLM, or a hosted API.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx

from rag.cite import answer_response, citation_for, one_line, verify_quote
from rag.errors import GeneratorError
from rag.records import page_at
from rag.retrieve import Hit
from rag.schemas import AnswerResponse, ChatMessage, Citation
from rag.settings import AnswerSettings
from rag.store import IndexSnapshot
from rag.text import split_sentences

log = logging.getLogger(__name__)

SUPPORT_RECALL = 0.5  # share of a sentence's content words its cited passage sentence must contain
MIN_SHARED_WORDS = (
    2  # ... and at least this many of them (or all, if fewer), so "London is best" fails
)
NOT_FOUND = "NOT FOUND"
SYSTEM_PROMPT = (
    "You answer questions about The Work Foundation's publications using ONLY the numbered "
    "passages you are given, never outside knowledge. After every sentence put the number of "
    "the passage it comes from in brackets, like [1] or [2]. Write at most 4 short sentences, "
    "and copy names and numbers exactly as the passages give them. If the passages do not "
    f'answer the question, reply exactly "{NOT_FOUND}".'
)

_MARKER = re.compile(r"\[\s*(?:passages?\s*)?(\d+(?:\s*[,;]\s*\d+)*)\s*\]", re.I)
_LEADING_MARKERS = re.compile(rf"^(?:\s*{_MARKER.pattern})+\s*", re.I)
_NOT_FOUND = re.compile(r"^\W*not found\b", re.I)
_THINK = re.compile(r"<think>.*?</think>", re.S)
_WORD = re.compile(r"[^\W\d_]{3,}")
_AMOUNT = re.compile(
    r"(?<![\w.])(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d+))?"
    r"(?:\s?(%|per ?cent\b|percent\b|million\b|billion\b|bn\b|thousand\b|m\b|k\b))?",
    re.I,
)
_SCALE = {"million": 1e6, "m": 1e6, "billion": 1e9, "bn": 1e9, "thousand": 1e3, "k": 1e3}
_STOPWORDS = frozenset(
    """the and for are was were been being has have had having with from into onto about above
    below after before over under again further then than once here there when where why how all
    any both each few more most other some such nor not only own same too very can will just should
    would could might must shall may also this that these those they them their theirs its it's
    what which who whom whose our ours you your yours his her hers him she he we us did does doing
    because until while between through during against out off per via yet however therefore thus
    according passage passages""".split()
)


# -- verification ----------------------------------------------------------------
def content_words(text: str, stemmer: Any = None) -> set[str]:
    """Lower-cased words of three or more letters less stopwords, stemmed if a stemmer is given."""
    words = [w for w in _WORD.findall(text.lower()) if w not in _STOPWORDS]
    return set(stemmer.stemWords(words)) if stemmer is not None else set(words)


def amounts(text: str) -> set[tuple[float, bool]]:
    """Every number in ``text`` as (value with its scale applied, is a percentage).

    "£1.4 million" and "1,400,000" are equal; "45%" and "45 per cent" are equal;
    "£45 million" and "£45 billion" are not. Currency symbols are ignored.
    """
    out: set[tuple[float, bool]] = set()
    for m in _AMOUNT.finditer(_MARKER.sub(" ", text)):
        value = float(m.group(1).replace(",", "") + ("." + m.group(2) if m.group(2) else ""))
        unit = re.sub(r"\s+", " ", (m.group(3) or "").lower())
        out.add((round(value * _SCALE.get(unit, 1.0), 6), unit in ("%", "per cent", "percent")))
    return out


@dataclass(frozen=True, slots=True)
class _Unit:
    """A sentence, or two adjacent sentences, of a passage."""

    start: int
    end: int
    words: frozenset[str]
    amounts: frozenset[tuple[float, bool]]


@dataclass(frozen=True, slots=True)
class Support:
    """The best evidence for one generated sentence in one cited passage."""

    marker: int  # the passage number the model cited (1-based rank)
    start: int
    end: int
    recall: float
    numbers_ok: bool
    enough_words: bool

    @property
    def ok(self) -> bool:
        return self.numbers_ok and self.enough_words and self.recall >= SUPPORT_RECALL


@dataclass(slots=True)
class ReplySentence:
    text: str  # as written, markers included
    claim: str  # without markers, on one line
    markers: list[int] = field(default_factory=list)


def split_reply(reply: str) -> list[ReplySentence]:
    """The reply's sentences with the passage numbers each cites.

    Markers may follow or precede the full stop ("... Wigan [1]." or "... Wigan. [1]");
    markers at the start of a sentence belong to the one before it.
    """
    reply = re.sub(r"([.!?])(?=\[)", r"\1 ", reply)
    out: list[ReplySentence] = []
    for s, e in split_sentences(reply):
        piece = reply[s:e]
        lead = _LEADING_MARKERS.match(piece)
        if lead and out:
            out[-1].markers += _numbers(lead.group())
            out[-1].text += " " + lead.group().strip()
            piece = piece[lead.end() :]
        if not piece.strip():
            continue
        claim = re.sub(
            r"\s+([.,;:!?])", r"\1", re.sub(r"\s+", " ", _MARKER.sub(" ", piece))
        ).strip()
        out.append(ReplySentence(one_line(piece), claim, _numbers(piece)))
    return out


def _numbers(text: str) -> list[int]:
    return [int(n) for group in _MARKER.findall(text) for n in re.split(r"\s*[,;]\s*", group)]


class Verifier:
    """Checks generated sentences against the passages they cite, in one snapshot."""

    def __init__(self, hits: Sequence[Hit], snapshot: IndexSnapshot) -> None:
        self.hits = hits
        self.snapshot = snapshot
        self.stemmer = getattr(snapshot, "stemmer", None)
        self._units: dict[int, list[_Unit]] = {}

    def units(self, marker: int) -> list[_Unit]:
        """Sentences of passage ``marker`` and pairs of adjacent ones, read from the document."""
        if marker not in self._units:
            c = self.hits[marker - 1].chunk
            text = self.snapshot.document_text(c.doc_id)
            singles = [
                _Unit(
                    s,
                    e,
                    frozenset(content_words(text[s:e], self.stemmer)),
                    frozenset(amounts(text[s:e])),
                )
                for s, e in split_sentences(text, c.char_start, c.char_end)
            ]
            pairs = [
                _Unit(a.start, b.end, a.words | b.words, a.amounts | b.amounts)
                for a, b in zip(singles, singles[1:], strict=False)
            ]
            self._units[marker] = singles + pairs
        return self._units[marker]

    def support(self, claim: str, marker: int) -> Support | None:
        """The unit of passage ``marker`` that best supports ``claim``; None if it cannot."""
        words = content_words(claim, self.stemmer)
        if not words or not 1 <= marker <= len(self.hits):
            return None
        wanted = amounts(claim)
        best: tuple[tuple[bool, float, bool, int], Support] | None = None
        for u in self.units(marker):
            shared = len(words & u.words)
            sup = Support(
                marker,
                u.start,
                u.end,
                shared / len(words),
                wanted <= u.amounts,
                shared >= min(MIN_SHARED_WORDS, len(words)),
            )
            key = (sup.ok, sup.recall, sup.numbers_ok, -(u.end - u.start))
            if best is None or key > best[0]:
                best = (key, sup)
        return best[1] if best else None

    def verify(self, reply: str) -> tuple[str, list[Citation], list[str], float]:
        """Answer text with renumbered markers, its citations, dropped sentences, mean recall."""
        ledger = Ledger()
        for sent in split_reply(reply):
            self.check(sent, ledger)
        return ledger.result()

    def check(self, sent: ReplySentence, ledger: Ledger) -> str | None:
        """Verify one sentence into ``ledger``: its answer text with renumbered markers, or None.

        Markers are numbered by first use across everything checked into the same
        ledger, so sentences checked one at a time (while streaming) are numbered as
        ``verify`` numbers the whole reply.
        """
        found = [self.support(sent.claim, n) for n in dict.fromkeys(sent.markers)]
        good = [s for s in found if s is not None and s.ok]
        markers: list[int] = []
        for sup in good:
            hit = self.hits[sup.marker - 1]
            doc_id = hit.chunk.doc_id
            text = self.snapshot.document_text(doc_id)
            quote = text[sup.start : sup.end]
            if not verify_quote(text, sup.start, sup.end, quote):
                continue
            key = (doc_id, sup.start, sup.end)
            if key not in ledger.by_span:
                ledger.by_span[key] = len(ledger.citations) + 1
                pages = self.snapshot.document_pages(doc_id)
                page = page_at(pages, sup.start) if pages else hit.chunk.page_start
                ledger.citations.append(
                    citation_for(hit, ledger.by_span[key], sup.start, sup.end, quote, page)
                )
            if ledger.by_span[key] not in markers:
                markers.append(ledger.by_span[key])
        if not markers:
            ledger.unsupported.append(sent.text)
            return None
        ledger.recalls.append(max(s.recall for s in good))
        part = sent.claim + " " + "".join(f"[{m}]" for m in markers)
        ledger.parts.append(part)
        return part


@dataclass(slots=True)
class Ledger:
    """What verification has produced so far: answer parts, citations, dropped sentences."""

    parts: list[str] = field(default_factory=list)
    citations: list[Citation] = field(default_factory=list)
    unsupported: list[str] = field(default_factory=list)
    recalls: list[float] = field(default_factory=list)
    by_span: dict[tuple[str, int, int], int] = field(default_factory=dict)

    def result(self) -> tuple[str, list[Citation], list[str], float]:
        confidence = sum(self.recalls) / len(self.recalls) if self.recalls else 0.0
        return " ".join(self.parts), self.citations, self.unsupported, round(confidence, 4)


# -- the endpoint ------------------------------------------------------------------
def passage_label(n: int, hit: Hit) -> str:
    c = hit.chunk
    where = f"{c.title}, p. {c.page_start}" if c.page_start is not None else c.title
    return f"[{n}] ({where}) {one_line(c.text)}"


def build_messages(
    question: str, hits: Sequence[Hit], history: Sequence[ChatMessage]
) -> list[dict[str, str]]:
    passages = "\n\n".join(passage_label(i + 1, h) for i, h in enumerate(hits))
    user = (
        f"Passages:\n\n{passages}\n\nQuestion: {question}\n\n"
        f"Answer from the passages, with a passage number in brackets after every sentence, "
        f'or reply exactly "{NOT_FOUND}".'
    )
    return (
        [{"role": "system", "content": SYSTEM_PROMPT}]
        + [{"role": m.role, "content": m.content} for m in history]
        + [{"role": "user", "content": user}]
    )


class OpenAIGenerator:
    """The ``Generator`` of rag.answer for an OpenAI-compatible chat-completions endpoint.

    ``client`` is used as given (tests, connection reuse); without one each call opens
    and closes its own. ``embedder`` is accepted for the Answerer's wiring and unused:
    support is judged by words and numbers, not by vectors.
    """

    def __init__(
        self, settings: AnswerSettings, *, client: httpx.Client | None = None, embedder: Any = None
    ) -> None:
        self.settings = settings
        self.embedder = embedder
        self._client = client

    @property
    def url(self) -> str:
        return self.settings.openai_base_url.rstrip("/") + "/chat/completions"

    def answer(
        self,
        question: str,
        query: str,
        hits: Sequence[Hit],
        history: Sequence[ChatMessage],
        snapshot: IndexSnapshot,
    ) -> AnswerResponse:
        try:
            with self._http() as client:
                resp = client.post(
                    self.url,
                    json=self._payload(question, hits, history, stream=False),
                    headers=self._headers(),
                    timeout=self.settings.openai_timeout_s,
                )
                self._check(resp)
                reply = self._content(resp)
        except httpx.HTTPError as e:
            raise self._fail(_describe(e, self.settings.openai_timeout_s)) from e
        return self.response(question, query, hits, snapshot, reply)

    def stream(
        self,
        question: str,
        query: str,
        hits: Sequence[Hit],
        history: Sequence[ChatMessage],
        snapshot: IndexSnapshot,
    ) -> Iterator[tuple[str, Any]]:
        """("token", "<sentence> [n] ") for each verified sentence, then ("final", AnswerResponse).

        The model's deltas are buffered, never passed on. A sentence is complete once a
        later one has started (or the stream has ended); it is then verified at once
        and sent only if supported, with its markers numbered as in the final answer's
        citations. Unsupported sentences are never sent; they are listed in
        ``final.unsupported``. The final answer is exactly the sent pieces joined, stripped.
        """
        verifier = Verifier(hits, snapshot)
        ledger = Ledger()
        buffer = ""
        done = 0  # reply sentences checked so far
        abstain = False
        try:
            with (
                self._http() as client,
                client.stream(
                    "POST",
                    self.url,
                    json=self._payload(question, hits, history, stream=True),
                    headers=self._headers(),
                    timeout=self.settings.openai_timeout_s,
                ) as resp,
            ):
                self._check(resp)
                if "application/json" in resp.headers.get("content-type", ""):  # stream ignored
                    resp.read()
                    events: Iterator[str] = iter([self._content(resp)])
                else:
                    events = self._events(resp.iter_lines())
                for piece in events:
                    buffer += piece
                    if abstain:
                        continue
                    view = _settled(buffer)
                    complete = split_reply(view)[:-1]
                    if complete and not done and _NOT_FOUND.match(view):
                        abstain = True  # decided only once the first sentence is whole
                        continue
                    for sent in complete[done:]:
                        part = verifier.check(sent, ledger)
                        if part is not None:
                            yield "token", part + " "
                    done = max(done, len(complete))
        except httpx.HTTPError as e:
            raise self._fail(_describe(e, self.settings.openai_timeout_s)) from e
        reply = _THINK.sub("", buffer).strip()
        if not abstain and reply and not _NOT_FOUND.match(reply):
            for sent in split_reply(reply)[done:]:
                part = verifier.check(sent, ledger)
                if part is not None:
                    yield "token", part + " "
        yield "final", self._build(question, query, hits, ledger.result())

    def response(
        self, question: str, query: str, hits: Sequence[Hit], snapshot: IndexSnapshot, reply: str
    ) -> AnswerResponse:
        """The verified answer for the model's ``reply``."""
        reply = _THINK.sub("", reply).strip()
        verified: tuple[str, list[Citation], list[str], float] = ("", [], [], 0.0)
        if reply and not _NOT_FOUND.match(reply):
            verified = Verifier(hits, snapshot).verify(reply)
        return self._build(question, query, hits, verified)

    def _build(
        self,
        question: str,
        query: str,
        hits: Sequence[Hit],
        verified: tuple[str, list[Citation], list[str], float],
    ) -> AnswerResponse:
        passages = [h.to_result(i + 1) for i, h in enumerate(hits)]
        text, citations, unsupported, confidence = verified
        if unsupported:
            log.info(
                "dropped %d unsupported generated sentence(s): %s", len(unsupported), unsupported
            )
        return answer_response(
            question,
            query,
            text,
            citations,
            passages,
            confidence if citations else 0.0,
            unsupported,
        )

    # -- HTTP details --------------------------------------------------------------
    @contextmanager
    def _http(self) -> Iterator[httpx.Client]:
        if self._client is not None:
            yield self._client
        else:
            with httpx.Client(timeout=self.settings.openai_timeout_s) as client:
                yield client

    def _headers(self) -> dict[str, str]:
        key = self.settings.openai_api_key
        return {"Authorization": f"Bearer {key}"} if key else {}

    def _payload(
        self, question: str, hits: Sequence[Hit], history: Sequence[ChatMessage], *, stream: bool
    ) -> dict[str, Any]:
        return {
            "model": self.settings.openai_model,
            "messages": build_messages(question, hits, history),
            "temperature": 0,
            "stream": stream,
        }

    def _check(self, resp: httpx.Response) -> None:
        if resp.is_success:
            return
        body = one_line(resp.read().decode("utf-8", "replace"))[:300]
        hint = " (check RAG_ANSWER__OPENAI_API_KEY)" if resp.status_code in (401, 403) else ""
        raise self._fail(f"HTTP {resp.status_code}{hint}: {body or 'no body'}")

    def _content(self, resp: httpx.Response) -> str:
        try:
            content = resp.json()["choices"][0]["message"]["content"]
        except (ValueError, KeyError, IndexError, TypeError) as e:
            raise self._fail("the reply is not chat-completions JSON") from e
        return content if isinstance(content, str) else ""

    def _events(self, lines: Iterator[str]) -> Iterator[str]:
        """Content deltas of an SSE stream, up to ``data: [DONE]``."""
        for line in lines:
            line = line.strip()
            if not line.startswith("data:"):
                continue  # blank separators, comments, event:/id: fields
            data = line[5:].strip()
            if data == "[DONE]":
                return
            try:
                event = json.loads(data)
            except ValueError as e:
                raise self._fail(f"a stream event is not JSON: {data[:100]!r}") from e
            if not isinstance(event, dict):
                raise self._fail(f"a stream event is not an object: {data[:100]!r}")
            if event.get("error"):
                raise self._fail(
                    f"the stream reported an error: {one_line(str(event['error']))[:300]}"
                )
            choices = event.get("choices") or [{}]
            piece = (
                (choices[0].get("delta") or {}).get("content")
                if isinstance(choices[0], dict)
                else None
            )
            if isinstance(piece, str) and piece:
                yield piece

    def _fail(self, detail: str) -> GeneratorError:
        return GeneratorError(
            f"The answer generator at {self.settings.openai_base_url} failed: {detail}. Is the "
            f"server running and serving model '{self.settings.openai_model}'? Set "
            "RAG_ANSWER__OPENAI_BASE_URL "
            "(and RAG_ANSWER__OPENAI_MODEL) to a working OpenAI-compatible endpoint, or answer "
            "without one: RAG_ANSWER__GENERATOR=extractive."
        )


def _settled(buffer: str) -> str:
    """The part of a partial reply whose sentence boundaries are final.

    Closed ``<think>`` blocks are removed, and the text is cut before an unclosed
    ``<think>`` or an unclosed ``[`` (a marker still arriving, which may belong to
    the sentence before it).
    """
    view = _THINK.sub("", buffer)
    think = view.find("<think>")
    if think >= 0:
        view = view[:think]
    bracket = view.rfind("[")
    if bracket > view.rfind("]"):
        view = view[:bracket]
    return view.strip()


def _describe(err: httpx.HTTPError, timeout: float) -> str:
    if isinstance(err, httpx.ConnectError):
        return f"could not connect ({err})"
    if isinstance(err, httpx.TimeoutException):
        return f"no reply within {timeout:g} s"
    return f"{type(err).__name__}: {err}"


__all__ = [
    "NOT_FOUND",
    "MIN_SHARED_WORDS",
    "SUPPORT_RECALL",
    "OpenAIGenerator",
    "Ledger",
    "Verifier",
    "amounts",
    "content_words",
    "split_reply",
]
