"""Don't split what fits: a document that fits the model's window with its title is one
chunk (no overlap); a longer one is split with overlap, as before."""

from __future__ import annotations

from pathlib import Path

from ingest.pipeline import Ingestor
from rag.records import DocMeta, Document
from rag.settings import Settings

SENTENCE = "Flexible working raised output in the firms we studied last year."  # 11 words


def doc(n_sentences: int, title: str = "Flexible work") -> Document:
    text = " ".join([SENTENCE] * n_sentences)
    return Document("d-1", "d.txt", "h", "text", text, DocMeta(title=title))


def ingestor(tmp_path: Path) -> Ingestor:
    # approximate counter: 1.3 word pieces a word, so one sentence is 14 pieces
    s = Settings(embedding={"backend": "hash"}, data_dir=tmp_path, answer={"reader": "lexical"})
    return Ingestor(s)


def test_a_document_that_fits_is_one_chunk(tmp_path: Path) -> None:
    ing = ingestor(tmp_path)
    d = doc(16)  # 16 x 14 = 224 pieces: over max_tokens (200), inside the window (256)
    chunks = ing.chunk(d)
    assert len(chunks) == 1
    assert chunks[0].text == d.text and chunks[0].char_start == 0


def test_the_title_counts_against_the_window(tmp_path: Path) -> None:
    ing = ingestor(tmp_path)
    long_title = " ".join(["Productivity"] * 25)  # 32 pieces: 224 + 32 + 2 > 256
    assert len(ing.chunk(doc(16, title=long_title))) > 1


def test_a_document_that_does_not_fit_is_split_with_overlap(tmp_path: Path) -> None:
    ing = ingestor(tmp_path)
    d = doc(40)  # 560 pieces
    chunks = ing.chunk(d)
    assert len(chunks) >= 3
    assert all(b.char_start < a.char_end for a, b in zip(chunks, chunks[1:], strict=False))
    assert all(d.text[c.char_start : c.char_end] == c.text for c in chunks)
