"""Reader encoding and span decoding with the real tokenizer (no weights needed): span
labels and decoded spans round-trip to the exact characters, the title never holds one."""

from __future__ import annotations

import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from rag.embed import default_model_path
from rag.reader.model import best_spans, encode, load_tokenizer, span_targets

TOK = load_tokenizer(default_model_path())
SENTENCE = (
    "The high-tech innovators are Coventry, Derby, Northampton, Preston and Warrington/Wigan."
)


def test_span_mask_covers_the_sentence_and_not_the_title() -> None:
    enc = encode(TOK, ["which cities?"], [SENTENCE], ["Streets Ahead"], max_length=112)
    ids = enc.input_ids[0][enc.span_mask[0]].tolist()
    assert TOK.decode(ids).replace(" ", "") == SENTENCE.lower().replace(" ", "")
    for (a, b), inside in zip(enc.offsets[0], enc.span_mask[0].tolist(), strict=True):
        assert inside == (a >= 0)
        if inside:
            assert 0 <= a < b <= len(SENTENCE)


@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_gold_spans_round_trip_through_labels_and_decoding(data: st.DataObject) -> None:
    words = [(m.start(), m.end()) for m in __import__("re").finditer(r"\w[\w/-]*", SENTENCE)]
    i = data.draw(st.integers(0, len(words) - 1))
    j = data.draw(st.integers(i, min(len(words) - 1, i + 5)))
    gold = (words[i][0], words[j][1])
    enc = encode(TOK, ["q?"], [SENTENCE], ["T"], max_length=112)
    s_t, e_t = span_targets(enc, [gold])
    n = enc.input_ids.shape[1]
    start = torch.full((1, n), -5.0)
    end = torch.full((1, n), -5.0)
    start[0, int(s_t[0])] = 5.0
    end[0, int(e_t[0])] = 5.0
    (got,) = best_spans(enc, start, end)
    assert got is not None and (got[0], got[1]) == gold


def test_decoding_never_leaves_the_sentence_or_runs_backwards() -> None:
    enc = encode(
        TOK, ["q?", "another question"], [SENTENCE, "Short one."], ["Title", ""], max_length=112
    )
    n = enc.input_ids.shape[1]
    start = torch.randn(2, n)
    end = torch.randn(2, n)
    start[:, 0] = end[:, 0] = 100.0  # [CLS] is the most tempting token, but not allowed
    for row, got in enumerate(best_spans(enc, start, end)):
        sent = [SENTENCE, "Short one."][row]
        assert got is not None
        a, b, _ = got
        assert 0 <= a < b <= len(sent)


def test_long_sentences_are_truncated_to_the_limit() -> None:
    long = " ".join(["word"] * 400)
    enc = encode(TOK, ["q?"], [long], ["T"], max_length=64)
    assert enc.input_ids.shape[1] == 64
    assert int(enc.span_mask.sum()) == 64 - 5  # [CLS] q ? [SEP] ... [SEP]; no title left
