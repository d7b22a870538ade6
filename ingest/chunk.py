"""Sentence splitting and sentence-bounded chunking with exact character offsets.

The sentence splitter itself lives in ``rag.text`` (query time needs it too).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from rag.records import Chunk, Document, page_at
from rag.text import split_sentences

TokenCounter = Callable[[Sequence[str]], list[int]]

_WORD = re.compile(r"\S+")


def split_long(
    text: str,
    span: tuple[int, int],
    n_tokens: int,
    max_tokens: int,
    max_chars: int | None = None,
) -> list[tuple[int, int]]:
    """Cut a span longer than ``max_tokens`` (or ``max_chars`` characters) at word
    boundaries into near-equal pieces; a word longer than ``max_chars`` is cut by
    characters."""
    too_long = max_chars is not None and span[1] - span[0] > max_chars
    if n_tokens <= max_tokens and not too_long:
        return [span]
    words = [
        (span[0] + m.start(), span[0] + m.end()) for m in _WORD.finditer(text[span[0] : span[1]])
    ]
    if max_chars is not None:
        words = [(a, min(a + max_chars, e)) for s, e in words for a in range(s, e, max_chars)]
    pieces = -(-n_tokens // max_tokens) + 1  # word pieces per word vary: leave headroom
    per = max(1, -(-len(words) // pieces)) if n_tokens > max_tokens else len(words)
    out: list[tuple[int, int]] = []
    i = 0
    while i < len(words):
        j = i + 1
        while (
            j < len(words)
            and j - i < per
            and (max_chars is None or words[j][1] - words[i][0] <= max_chars)
        ):
            j += 1
        out.append((words[i][0], words[j - 1][1]))
        i = j
    return out


def chunk_document(
    doc: Document,
    *,
    max_tokens: int,
    overlap_tokens: int,
    count_tokens: TokenCounter,
    max_chars: int | None = None,
    fit_tokens: int | None = None,
) -> list[Chunk]:
    """Group sentences into chunks of at most ``max_tokens`` word pieces (and at most
    ``max_chars`` characters: a run without spaces is cut by characters).

    A document of at most ``fit_tokens`` word pieces (the model's window less the title
    and special tokens) is not split: it is one chunk, with no overlap. Otherwise
    consecutive chunks share whole trailing sentences worth at most ``overlap_tokens``.
    Every chunk satisfies ``doc.text[c.char_start:c.char_end] == c.text``.
    """
    text = doc.text
    spans = split_sentences(text)
    counts = count_tokens([text[s:e] for s, e in spans]) if spans else []
    if (
        fit_tokens is not None
        and spans
        and sum(counts) <= fit_tokens
        and (max_chars is None or spans[-1][1] - spans[0][0] <= max_chars)
    ):
        s, e = spans[0][0], spans[-1][1]
        return [
            Chunk(
                doc_id=doc.doc_id,
                ordinal=0,
                text=text[s:e],
                char_start=s,
                char_end=e,
                page_start=page_at(doc.pages, s),
                page_end=page_at(doc.pages, e - 1),
            )
        ]
    units: list[tuple[int, int, int]] = []
    for (s, e), n in zip(spans, counts, strict=True):
        pieces = split_long(text, (s, e), n, max_tokens, max_chars)
        if len(pieces) == 1:
            units.append((s, e, n))
        else:
            sub = count_tokens([text[a:b] for a, b in pieces])
            units.extend((a, b, k) for (a, b), k in zip(pieces, sub, strict=True))
    chunks: list[Chunk] = []
    i = 0
    while i < len(units):
        j, total = i, 0
        while j < len(units) and (
            j == i
            or total + units[j][2] <= max_tokens
            and (max_chars is None or units[j][1] - units[i][0] <= max_chars)
        ):
            total += units[j][2]
            j += 1
        s, e = units[i][0], units[j - 1][1]
        chunks.append(
            Chunk(
                doc_id=doc.doc_id,
                ordinal=len(chunks),
                text=text[s:e],
                char_start=s,
                char_end=e,
                page_start=page_at(doc.pages, s),
                page_end=page_at(doc.pages, e - 1),
            )
        )
        if j >= len(units):
            break
        # Step back over whole sentences that fit in the overlap, leaving room for the
        # next new sentence so the next chunk always reaches past this one.
        back, k = 0, j
        while (
            k - 1 > i
            and back + units[k - 1][2] <= min(overlap_tokens, max_tokens - units[j][2])
            and (max_chars is None or units[j][1] - units[k - 1][0] <= max_chars)
        ):
            back += units[k - 1][2]
            k -= 1
        i = k
    return chunks


def word_piece_counter(tokenizer_json: str | None = None) -> TokenCounter:
    """Count word pieces with the model's own tokenizer (the ``tokenizers`` library)."""
    from tokenizers import Tokenizer

    if tokenizer_json is None:
        from rag.embed import default_model_path

        tokenizer_json = str(default_model_path() / "tokenizer.json")
    tok = Tokenizer.from_file(tokenizer_json)
    tok.no_truncation()
    tok.no_padding()

    def count(texts: Sequence[str]) -> list[int]:
        return [len(e.ids) for e in tok.encode_batch(list(texts), add_special_tokens=False)]

    return count


def approximate_counter(texts: Sequence[str]) -> list[int]:
    """Word pieces estimated from words (about 1.3 per English word); for the hash embedder."""
    return [max(1, round(len(_WORD.findall(t)) * 1.3)) for t in texts]
