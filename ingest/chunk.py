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
    text: str, span: tuple[int, int], n_tokens: int, max_tokens: int
) -> list[tuple[int, int]]:
    """Cut a span longer than ``max_tokens`` at word boundaries into near-equal pieces."""
    if n_tokens <= max_tokens:
        return [span]
    words = [
        (span[0] + m.start(), span[0] + m.end()) for m in _WORD.finditer(text[span[0] : span[1]])
    ]
    pieces = -(-n_tokens // max_tokens) + 1  # word pieces per word vary: leave headroom
    per = max(1, -(-len(words) // pieces))
    return [
        (words[i][0], words[min(i + per, len(words)) - 1][1]) for i in range(0, len(words), per)
    ]


def chunk_document(
    doc: Document, *, max_tokens: int, overlap_tokens: int, count_tokens: TokenCounter
) -> list[Chunk]:
    """Group sentences into chunks of at most ``max_tokens`` word pieces.

    Consecutive chunks share whole trailing sentences worth at most ``overlap_tokens``.
    Every chunk satisfies ``doc.text[c.char_start:c.char_end] == c.text``.
    """
    text = doc.text
    spans = split_sentences(text)
    counts = count_tokens([text[s:e] for s, e in spans]) if spans else []
    units: list[tuple[int, int, int]] = []
    for (s, e), n in zip(spans, counts, strict=True):
        pieces = split_long(text, (s, e), n, max_tokens)
        if len(pieces) == 1:
            units.append((s, e, n))
        else:
            sub = count_tokens([text[a:b] for a, b in pieces])
            units.extend((a, b, k) for (a, b), k in zip(pieces, sub, strict=True))
    chunks: list[Chunk] = []
    i = 0
    while i < len(units):
        j, total = i, 0
        while j < len(units) and (j == i or total + units[j][2] <= max_tokens):
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
        while k - 1 > i and back + units[k - 1][2] <= min(overlap_tokens, max_tokens - units[j][2]):
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
