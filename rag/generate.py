"""Generative answers from an OpenAI-compatible endpoint, each sentence checked against its source.

The model sees the top passages, numbered, and must put a passage number after
each sentence. Its reply is then verified sentence by sentence by
:mod:`rag.verify`, without trusting the model; unsupported sentences are dropped
from the answer and listed in ``AnswerResponse.unsupported``. A reply of NOT
FOUND, or one of which nothing survives, abstains.

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
from typing import Any

import httpx

from rag.cite import answer_response, one_line
from rag.errors import GeneratorError
from rag.evidence import Evidence
from rag.retrieve import Hit
from rag.schemas import AnswerResponse, ChatMessage, Citation, parse_sse
from rag.settings import AnswerSettings
from rag.verify import (
    MIN_SHARED_WORDS,
    SUPPORT_RECALL,
    Ledger,
    Verifier,
    amounts,
    split_reply,
)

log = logging.getLogger(__name__)

NOT_FOUND = "NOT FOUND"
SYSTEM_PROMPT = (
    "You answer questions about The Work Foundation's publications using ONLY the numbered "
    "passages you are given, never outside knowledge. After every sentence put the number of "
    "the passage it comes from in brackets, like [1] or [2]. Write at most 4 short sentences, "
    "and copy names and numbers exactly as the passages give them. If the passages do not "
    f'answer the question, reply exactly "{NOT_FOUND}".'
)

_NOT_FOUND = re.compile(r"^\W*not found\b", re.I)
_THINK = re.compile(r"<think>.*?</think>", re.S)


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

    def answer(self, ev: Evidence) -> AnswerResponse:
        """The verified answer from ``ev``'s passages (all of ``ev.hits``)."""
        try:
            with self._http() as client:
                resp = client.post(
                    self.url,
                    json=self._payload(ev, stream=False),
                    headers=self._headers(),
                    timeout=self.settings.openai_timeout_s,
                )
                self._check(resp)
                reply = self._content(resp)
        except httpx.HTTPError as e:
            raise self._fail(_describe(e, self.settings.openai_timeout_s)) from e
        return self.response(ev, reply)

    def stream(self, ev: Evidence) -> Iterator[tuple[str, Any]]:
        """("token", "<sentence> [n] ") for each verified sentence, then ("final", AnswerResponse).

        The model's deltas are buffered, never passed on. A sentence is complete once a
        later one has started (or the stream has ended); it is then verified at once
        and sent only if supported, with its markers numbered as in the final answer's
        citations. Unsupported sentences are never sent; they are listed in
        ``final.unsupported``. The final answer is exactly the sent pieces joined, stripped.
        """
        verifier = Verifier(ev.hits, ev.snapshot)
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
                    json=self._payload(ev, stream=True),
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
        yield "final", self._build(ev, ledger.result())

    def response(self, ev: Evidence, reply: str) -> AnswerResponse:
        """The verified answer for the model's ``reply``."""
        reply = _THINK.sub("", reply).strip()
        verified: tuple[str, list[Citation], list[str], float] = ("", [], [], 0.0)
        if reply and not _NOT_FOUND.match(reply):
            verified = Verifier(ev.hits, ev.snapshot).verify(reply)
        return self._build(ev, verified)

    def _build(
        self, ev: Evidence, verified: tuple[str, list[Citation], list[str], float]
    ) -> AnswerResponse:
        passages = [h.to_result(i + 1) for i, h in enumerate(ev.hits)]
        text, citations, unsupported, confidence = verified
        if unsupported:
            log.info(
                "dropped %d unsupported generated sentence(s): %s", len(unsupported), unsupported
            )
        return answer_response(
            ev.question,
            ev.query,
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

    def _payload(self, ev: Evidence, *, stream: bool) -> dict[str, Any]:
        return {
            "model": self.settings.openai_model,
            "messages": build_messages(ev.question, ev.hits, ev.history),
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
        for _, data in parse_sse(lines):
            data = data.strip()
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
    "split_reply",
]
