"""The reader network: a MiniLM cross-encoder with an answer head and a span head.

Input: ``[CLS] question [SEP] sentence | title | previous sentence [SEP]``. Output per
pair: one logit
that the sentence answers the question (from the [CLS] state and the mean of the
token states), and start/end logits over the tokens of the sentence itself (the
title is context only and never holds a span).

The word-embedding matrix stays frozen during training, so it is identical to the
one in the installed all-MiniLM-L6-v2 package. The shipped file leaves it out
(half the size) and loading takes it from that package.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn

TITLE_SEP = " | "
FROZEN_PREFIX = "encoder.embeddings.word_embeddings."


@dataclass(frozen=True)
class Encoded:
    """A tokenised batch plus, per pair, the sentence's token range and char offsets."""

    input_ids: torch.Tensor
    attention_mask: torch.Tensor
    token_type_ids: torch.Tensor
    span_mask: torch.Tensor  # True on tokens of the sentence (segment B, before the title)
    offsets: list[list[tuple[int, int]]]  # char offsets in the sentence, per token


class ReaderNet(nn.Module):
    def __init__(self, encoder: Any) -> None:
        super().__init__()
        self.encoder = encoder
        hidden = int(encoder.config.hidden_size)
        self.dropout = nn.Dropout(0.1)
        self.answer_head = nn.Sequential(
            nn.Linear(2 * hidden, hidden), nn.GELU(), nn.Linear(hidden, 1)
        )
        self.span_head = nn.Linear(hidden, 2)

    def forward(
        self, input_ids: torch.Tensor, attention_mask: torch.Tensor, token_type_ids: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        states = self.encoder(
            input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
        ).last_hidden_state
        mask = attention_mask.unsqueeze(-1).to(states.dtype)
        mean = (states * mask).sum(1) / mask.sum(1).clamp(min=1.0)
        pooled = self.dropout(torch.cat([states[:, 0], mean], dim=-1))
        logit = self.answer_head(pooled).squeeze(-1)
        start, end = self.span_head(self.dropout(states)).unbind(-1)
        return logit, start, end


def base_encoder(model_dir: Path) -> nn.Module:
    from transformers import AutoModel

    return AutoModel.from_pretrained(str(model_dir), local_files_only=True)


def load_tokenizer(model_dir: Path) -> Any:
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(str(model_dir), local_files_only=True)


def encode(
    tokenizer: Any,
    questions: list[str],
    sentences: list[str],
    titles: list[str],
    contexts: list[str] | None = None,
    *,
    max_length: int,
    max_question_tokens: int = 40,
) -> Encoded:
    """Tokenise pairs; ``span_mask`` marks the sentence's own tokens in each row.

    The second segment is ``sentence | title | previous sentence`` (the parts after the
    sentence are context: truncation cuts them first and no span may start there)."""
    clipped = {q: _clip_question(tokenizer, q, max_question_tokens) for q in set(questions)}
    qs = [clipped[q] for q in questions]  # at query time every pair has the same question
    ctx = contexts if contexts is not None else [""] * len(sentences)
    second = [
        s + (TITLE_SEP + t if t else "") + (TITLE_SEP + c if c else "")
        for s, t, c in zip(sentences, titles, ctx, strict=True)
    ]
    enc = tokenizer(
        qs,
        second,
        truncation="only_second",
        max_length=max_length,
        padding=True,
        return_offsets_mapping=True,
        return_tensors="pt",
    )
    span_mask = torch.zeros_like(enc["input_ids"], dtype=torch.bool)
    offsets: list[list[tuple[int, int]]] = []
    for row, sent in enumerate(sentences):
        seq = enc.sequence_ids(row)
        offs = enc["offset_mapping"][row].tolist()
        row_offsets: list[tuple[int, int]] = []
        for j, (sid, (a, b)) in enumerate(zip(seq, offs, strict=True)):
            if sid == 1 and b > a and b <= len(sent):
                span_mask[row, j] = True
                row_offsets.append((a, b))
            else:
                row_offsets.append((-1, -1))
        offsets.append(row_offsets)
    return Encoded(
        enc["input_ids"], enc["attention_mask"], enc["token_type_ids"], span_mask, offsets
    )


def _clip_question(tokenizer: Any, question: str, max_tokens: int) -> str:
    ids = tokenizer(question, add_special_tokens=False, return_offsets_mapping=True)
    offs = ids["offset_mapping"]
    if len(offs) <= max_tokens:
        return question
    return question[: offs[max_tokens - 1][1]]


def span_targets(
    enc: Encoded, spans: list[tuple[int, int] | None]
) -> tuple[torch.Tensor, torch.Tensor]:
    """Token indices of each gold char span's first and last token; -100 where none."""
    starts, ends = [], []
    for row, span in enumerate(spans):
        s_tok = e_tok = -100
        if span is not None:
            a, b = span
            for j, (x, y) in enumerate(enc.offsets[row]):
                if x < 0:
                    continue
                if s_tok < 0 and y > a:
                    s_tok = j
                if x < b:
                    e_tok = j
            if s_tok < 0 or e_tok < s_tok:
                s_tok = e_tok = -100
        starts.append(s_tok)
        ends.append(e_tok)
    return torch.tensor(starts), torch.tensor(ends)


@functools.lru_cache(maxsize=256)
def _outside_band(n: int, max_tokens: int) -> torch.Tensor:
    """[n, n] mask of (start, end) token pairs that are no span: end before start, or
    more than ``max_tokens`` tokens long (cached: read-only, one per padded length; made
    outside inference mode, so a caller under autograd may use it too)."""
    with torch.inference_mode(False):
        return ~torch.ones(n, n, dtype=torch.bool).triu().tril(max_tokens - 1)


def best_spans(
    enc: Encoded, start: torch.Tensor, end: torch.Tensor, *, max_tokens: int = 30
) -> list[tuple[int, int, float] | None]:
    """The best (char_start, char_end, score) inside each sentence, start <= end."""
    neg = torch.finfo(start.dtype).min / 4
    s = start.masked_fill(~enc.span_mask, neg)
    e = end.masked_fill(~enc.span_mask, neg)
    n = s.shape[1]
    scores = s.unsqueeze(2) + e.unsqueeze(1)  # [batch, start, end]
    scores = scores.masked_fill(_outside_band(n, max_tokens), neg)
    out: list[tuple[int, int, float] | None] = []
    flat = scores.flatten(1)
    top = flat.argmax(1)
    for row in range(s.shape[0]):
        if not bool(enc.span_mask[row].any()):
            out.append(None)
            continue
        k = int(top[row])
        i, j = divmod(k, n)
        a = enc.offsets[row][i][0]
        b = enc.offsets[row][j][1]
        out.append((a, b, float(flat[row, k])) if a >= 0 and b > a else None)
    return out


def trainable_state(net: ReaderNet) -> dict[str, torch.Tensor]:
    """Every parameter and buffer except the frozen word embeddings."""
    return {k: v for k, v in net.state_dict().items() if not k.startswith(FROZEN_PREFIX)}
